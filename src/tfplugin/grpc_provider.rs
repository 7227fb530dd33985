//! The tfplugin6 `Provider` service: decodes each call, hands it to the
//! [`framework`](super::framework) implementation and encodes the answer.
//!
//! User-facing problems (bad config, unknown type names, undecodable values)
//! always come back as diagnostics; a gRPC error status would surface in
//! Terraform as an opaque "plugin error". RPCs we do not offer fall through
//! to the generated stubs, which answer Unimplemented.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diag_proto;
use super::diagnostics::Diagnostics;
use super::framework::{
    ApplyRequest, Ctx, DataSource, PlanRequest, Provider, ReadRequest, Resource,
};
use super::pb::tfplugin6 as pb;
use super::pb::tfplugin6::provider_server::Provider as ProviderRpc;
use super::schema::Schema;
use super::schema_proto;
use super::state_upgrade;
use super::types::CtyType;
use super::value::Value;
use super::{codec_json, codec_msgpack, plan, schema_type};

/// Hands each call a cancellation token and lets StopProvider cancel the
/// calls in flight without affecting later ones.
#[derive(Default)]
pub struct StopSignal {
    current: Mutex<CancellationToken>,
}

impl StopSignal {
    /// The context for a call starting now.
    pub fn ctx(&self) -> Ctx {
        Ctx {
            cancel: self.lock().clone(),
        }
    }

    /// Cancels every call started so far; later calls get a fresh token.
    pub fn stop(&self) {
        let old = std::mem::take(&mut *self.lock());
        old.cancel();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CancellationToken> {
        // A poisoned lock only means a panic elsewhere; the token is intact.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A schema together with the cty type values of that schema decode with.
struct Typed<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: CtyType,
}

impl<T: ?Sized> Typed<T> {
    fn new(imp: Arc<T>, schema: Schema) -> Typed<T> {
        let ty = schema_type::block_type(&schema.block);
        Typed { imp, schema, ty }
    }
}

/// Everything the provider offers, built on first use.
struct Catalog {
    provider: Typed<dyn Provider>,
    resources: BTreeMap<String, Typed<dyn Resource>>,
    data_sources: BTreeMap<String, Typed<dyn DataSource>>,
    /// Type names registered twice: a provider bug, reported in the schema.
    duplicates: Vec<String>,
}

impl Catalog {
    fn build(provider: &Arc<dyn Provider>) -> Catalog {
        let mut duplicates = Vec::new();
        let resources = index(
            provider.resources(),
            |r| r.type_name(),
            |r| r.schema(),
            &mut duplicates,
        );
        let data_sources = index(
            provider.data_sources(),
            |d| d.type_name(),
            |d| d.schema(),
            &mut duplicates,
        );
        Catalog {
            provider: Typed::new(provider.clone(), provider.schema()),
            resources,
            data_sources,
            duplicates,
        }
    }
}

/// Indexes `items` by type name. A name registered twice keeps its first
/// registration and is listed in `duplicates`.
fn index<T: ?Sized>(
    items: Vec<Arc<T>>,
    type_name: impl Fn(&T) -> &'static str,
    schema: impl Fn(&T) -> Schema,
    duplicates: &mut Vec<String>,
) -> BTreeMap<String, Typed<T>> {
    let mut indexed = BTreeMap::new();
    for item in items {
        let name = type_name(&item).to_string();
        if indexed.contains_key(&name) {
            duplicates.push(name);
            continue;
        }
        let schema = schema(&item);
        indexed.insert(name, Typed::new(item, schema));
    }
    indexed
}

pub struct ProviderService {
    provider: Arc<dyn Provider>,
    catalog: OnceLock<Catalog>,
    schema_response: OnceLock<pb::get_provider_schema::Response>,
    stop: Arc<StopSignal>,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>, stop: Arc<StopSignal>) -> ProviderService {
        ProviderService {
            provider,
            catalog: OnceLock::new(),
            schema_response: OnceLock::new(),
            stop,
        }
    }

    fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| Catalog::build(&self.provider))
    }

    fn resource(&self, name: &str) -> Result<&Typed<dyn Resource>, Diagnostics> {
        find(&self.catalog().resources, "resource type", name)
    }

    fn data_source(&self, name: &str) -> Result<&Typed<dyn DataSource>, Diagnostics> {
        find(&self.catalog().data_sources, "data source", name)
    }

    fn build_schema_response(&self) -> pb::get_provider_schema::Response {
        let c = self.catalog();
        let mut diags = Diagnostics::new();
        for name in &c.duplicates {
            diags.error(
                "Duplicate type name",
                format!("The provider registers {name:?} more than once. This is a provider bug."),
            );
        }
        pb::get_provider_schema::Response {
            provider: Some(schema_proto::schema(&c.provider.schema)),
            resource_schemas: c
                .resources
                .iter()
                .map(|(k, v)| (k.clone(), schema_proto::schema(&v.schema)))
                .collect(),
            data_source_schemas: c
                .data_sources
                .iter()
                .map(|(k, v)| (k.clone(), schema_proto::schema(&v.schema)))
                .collect(),
            diagnostics: diag_proto::diagnostics(&diags),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }
    }
}

/// The registered type `name`, or the diagnostic Terraform shows for a type
/// this provider does not have (`noun`: "resource type" or "data source").
fn find<'a, T: ?Sized>(
    registered: &'a BTreeMap<String, Typed<T>>,
    noun: &str,
    name: &str,
) -> Result<&'a Typed<T>, Diagnostics> {
    registered.get(name).ok_or_else(|| {
        let mut diags = Diagnostics::new();
        diags.error(
            format!("Unknown {noun}"),
            format!(
                "This provider ({}) has no {noun} {name:?}. Check the {noun} name and the \
                 provider version.",
                crate::meta::PROVIDER_SOURCE
            ),
        );
        diags
    })
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // We answer destroy plans ourselves (planned state null).
        plan_destroy: true,
        // Schemas never depend on configuration, so a cached copy is as good.
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// Decodes a value Terraform sent; `None` (with a diagnostic) when it cannot.
/// An absent value is null, as Terraform itself treats it.
fn decode(
    dv: Option<&pb::DynamicValue>,
    ty: &CtyType,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let result = match dv {
        None => return Some(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => codec_msgpack::decode(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => codec_json::decode(&dv.json, ty),
        Some(_) => return Some(Value::Null),
    };
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(
                format!("Invalid {what}"),
                format!(
                    "The provider could not read the {what} Terraform sent: {e}. This is a bug \
                     in the provider or in Terraform; please report it."
                ),
            );
            None
        }
    }
}

/// Decodes several values of one type, reporting each that fails; `None`
/// unless all decode.
fn decode_all<const N: usize>(
    ty: &CtyType,
    values: [(Option<&pb::DynamicValue>, &str); N],
    diags: &mut Diagnostics,
) -> Option<[Value; N]> {
    let decoded = values.map(|(dv, what)| decode(dv, ty, what, diags));
    let all: Vec<Value> = decoded.into_iter().collect::<Option<_>>()?;
    all.try_into().ok()
}

/// Encodes a value for Terraform as msgpack; `None` (with a diagnostic) when
/// the value does not fit the schema type, which is a provider bug.
fn encode(
    v: &Value,
    ty: &CtyType,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match codec_msgpack::encode(v, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                format!("Invalid {what} produced by the provider"),
                format!("The provider could not encode the {what}: {e}. This is a provider bug; please report it."),
            );
            None
        }
    }
}

fn reply<T>(msg: T) -> Result<Response<T>, Status> {
    Ok(Response::new(msg))
}

/// An RPC answer that carries diagnostics.
trait Answer: Default {
    fn set_diagnostics(&mut self, diags: &Diagnostics);
}

macro_rules! answers_with_diagnostics {
    ($($t:ty),* $(,)?) => {$(
        impl Answer for $t {
            fn set_diagnostics(&mut self, diags: &Diagnostics) {
                self.diagnostics = diag_proto::diagnostics(diags);
            }
        }
    )*};
}

answers_with_diagnostics!(
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::read_data_source::Response,
);

/// One RPC's answer being built, with the diagnostics that go out with it.
#[derive(Default)]
struct Call<A> {
    out: A,
    diags: Diagnostics,
}

/// The skeleton of every RPC about the provider, a resource or a data
/// source. When the type is known, `body` decodes the request, calls the
/// implementation and encodes its answer into the [`Call`] it is handed; the
/// diagnostics gathered on the way (an unknown type name first of all) go
/// out with the answer.
///
/// `body` takes and returns the `Call` by value instead of borrowing it: a
/// future holding a borrow handed in by a higher-ranked closure fails the
/// `Send` check the tonic service trait requires.
async fn answer<'t, T: ?Sized, A: Answer, Fut>(
    typed: Result<&'t Typed<T>, Diagnostics>,
    body: impl FnOnce(&'t Typed<T>, Call<A>) -> Fut,
) -> Result<Response<A>, Status>
where
    Fut: Future<Output = Call<A>>,
{
    let call = match typed {
        Ok(t) => body(t, Call::default()).await,
        Err(unknown) => Call {
            out: A::default(),
            diags: unknown,
        },
    };
    let mut out = call.out;
    out.set_diagnostics(&call.diags);
    reply(out)
}

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let c = self.catalog();
        reply(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: c
                .resources
                .keys()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            data_sources: c
                .data_sources
                .keys()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let resp = self
            .schema_response
            .get_or_init(|| self.build_schema_response());
        reply(resp.clone())
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        reply(pb::get_resource_identity_schemas::Response::default())
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        reply(pb::get_functions::Response::default())
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = request.into_inner();
        answer(Ok(&self.catalog().provider), |p, mut call| async move {
            let what = "provider configuration";
            if let Some(config) = decode(req.config.as_ref(), &p.ty, what, &mut call.diags) {
                call.diags.extend(p.imp.validate(&config));
            }
            call
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = request.into_inner();
        answer(self.resource(&req.type_name), |r, mut call| async move {
            let what = "resource configuration";
            if let Some(config) = decode(req.config.as_ref(), &r.ty, what, &mut call.diags) {
                call.diags.extend(r.imp.validate(&config));
            }
            call
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = request.into_inner();
        answer(self.data_source(&req.type_name), |d, mut call| async move {
            let what = "data source configuration";
            if let Some(config) = decode(req.config.as_ref(), &d.ty, what, &mut call.diags) {
                call.diags.extend(d.imp.validate(&config));
            }
            call
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::upgrade_resource_state::Response>| async move {
                call.out.upgraded_state = upgrade(r, &req, &mut call.diags);
                call
            },
        )
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = request.into_inner();
        answer(Ok(&self.catalog().provider), |p, mut call| async move {
            let what = "provider configuration";
            if let Some(config) = decode(req.config.as_ref(), &p.ty, what, &mut call.diags) {
                let ctx = self.stop.ctx();
                let tf_version = &req.terraform_version;
                call.diags
                    .extend(p.imp.configure(&ctx, tf_version, config).await);
            }
            call
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::read_resource::Response>| async move {
                let what = "current state";
                let Some(current) =
                    decode(req.current_state.as_ref(), &r.ty, what, &mut call.diags)
                else {
                    return call;
                };
                tracing::debug!(type_name = %req.type_name, "read");
                let read = ReadRequest {
                    current_state: current,
                    private: req.private,
                };
                let resp = r.imp.read(&self.stop.ctx(), read).await;
                call.diags.extend(resp.diagnostics);
                call.out.new_state = encode(&resp.new_state, &r.ty, "state", &mut call.diags);
                call.out.private = resp.private;
                call
            },
        )
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = request.into_inner();
        // legacy_type_system stays false: Terraform must hold us to the
        // strict consistency rules.
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::plan_resource_change::Response>| async move {
                let values = [
                    (req.prior_state.as_ref(), "prior state"),
                    (req.proposed_new_state.as_ref(), "proposed new state"),
                    (req.config.as_ref(), "resource configuration"),
                ];
                let Some([prior, proposed, config]) = decode_all(&r.ty, values, &mut call.diags)
                else {
                    return call;
                };
                if proposed.is_null() {
                    // Destroy: nothing to ask the resource.
                    call.out.planned_state =
                        encode(&Value::Null, &r.ty, "planned state", &mut call.diags);
                    call.out.planned_private = req.prior_private;
                    return call;
                }
                tracing::debug!(type_name = %req.type_name, create = prior.is_null(), "plan");
                let planned = plan::default_plan(&r.schema, &prior, &proposed, &config);
                let plan = PlanRequest {
                    prior_state: prior,
                    proposed_new_state: proposed,
                    config,
                    prior_private: req.prior_private,
                    planned_state: planned,
                };
                let resp = r.imp.plan(&self.stop.ctx(), plan).await;
                call.diags.extend(resp.diagnostics);
                call.out.planned_state =
                    encode(&resp.planned_state, &r.ty, "planned state", &mut call.diags);
                call.out.requires_replace = resp
                    .requires_replace
                    .iter()
                    .map(diag_proto::attribute_path)
                    .collect();
                call.out.planned_private = resp.planned_private;
                call
            },
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::apply_resource_change::Response>| async move {
                let values = [
                    (req.prior_state.as_ref(), "prior state"),
                    (req.planned_state.as_ref(), "planned state"),
                    (req.config.as_ref(), "resource configuration"),
                ];
                let Some([prior, planned, config]) = decode_all(&r.ty, values, &mut call.diags)
                else {
                    return call;
                };
                let ctx = self.stop.ctx();
                let (creating, deleting) = (prior.is_null(), planned.is_null());
                tracing::debug!(type_name = %req.type_name, creating, deleting, "apply");
                let apply = ApplyRequest {
                    prior_state: prior,
                    planned_state: planned,
                    config,
                    planned_private: req.planned_private,
                };
                let resp = if deleting {
                    r.imp.delete(&ctx, apply).await
                } else if creating {
                    r.imp.create(&ctx, apply).await
                } else {
                    r.imp.update(&ctx, apply).await
                };
                call.diags.extend(resp.diagnostics);
                // Sent even alongside errors: it records what exists now.
                call.out.new_state = encode(&resp.new_state, &r.ty, "new state", &mut call.diags);
                call.out.private = resp.private;
                call
            },
        )
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::import_resource_state::Response>| async move {
                if req.id.is_empty() && req.identity.is_some() {
                    call.diags.error(
                        "Import by identity is not supported",
                        format!(
                            "{} can be imported by ID only: use `import {{ id = \"...\" }}` or \
                             `terraform import ADDRESS ID`.",
                            req.type_name
                        ),
                    );
                    return call;
                }
                tracing::debug!(type_name = %req.type_name, "import");
                let resp = r.imp.import(&self.stop.ctx(), &req.id).await;
                call.diags.extend(resp.diagnostics);
                if !resp.state.is_null() {
                    let state = encode(&resp.state, &r.ty, "imported state", &mut call.diags);
                    call.out
                        .imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state,
                            private: resp.private,
                            identity: None,
                        });
                }
                call
            },
        )
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.data_source(&req.type_name),
            |d, mut call: Call<pb::read_data_source::Response>| async move {
                let what = "data source configuration";
                let Some(config) = decode(req.config.as_ref(), &d.ty, what, &mut call.diags) else {
                    return call;
                };
                tracing::debug!(type_name = %req.type_name, "read data source");
                let (state, read_diags) = d.imp.read(&self.stop.ctx(), config).await;
                call.diags.extend(read_diags);
                call.out.state = encode(&state, &d.ty, "data source state", &mut call.diags);
                call
            },
        )
        .await
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::debug!("stop requested: cancelling in-flight operations");
        self.stop.stop();
        reply(pb::stop_provider::Response::default())
    }
}

/// UpgradeResourceState for one resource: stored JSON → current schema →
/// msgpack. Our schemas have only ever grown or shrunk attributes, which
/// reshaping covers; a schema change that needs real conversion would add
/// a per-version step here.
fn upgrade(
    r: &Typed<dyn Resource>,
    req: &pb::upgrade_resource_state::Request,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    if req.version > r.schema.version {
        diags.error(
            "State written by a newer provider",
            format!(
                "The stored state of this {} has schema version {}, but this provider only \
                 knows versions up to {}. Upgrade the provider to the version that wrote it.",
                req.type_name, req.version, r.schema.version
            ),
        );
        return None;
    }
    let raw = req.raw_state.as_ref();
    let json = raw.map(|s| s.json.as_slice()).unwrap_or_default();
    if json.is_empty() {
        if raw.is_some_and(|s| !s.flatmap.is_empty()) {
            diags.error(
                "Legacy state format not supported",
                format!(
                    "The stored state of this {} is in the flatmap format of Terraform 0.11 \
                     and earlier, which this provider cannot read. Remove it from state and \
                     import it again.",
                    req.type_name
                ),
            );
            return None;
        }
        return encode(&Value::Null, &r.ty, "upgraded state", diags);
    }
    let reshaped = match state_upgrade::normalize(json, &r.ty) {
        Ok(j) => j,
        Err(e) => {
            diags.error(
                "Invalid stored state",
                format!(
                    "The stored state of this {} is not valid JSON: {e}.",
                    req.type_name
                ),
            );
            return None;
        }
    };
    let value = match codec_json::decode(&reshaped, &r.ty) {
        Ok(v) => v,
        Err(e) => {
            diags.error(
                "Invalid stored state",
                format!(
                    "The stored state of this {} does not match its schema: {e}.",
                    req.type_name
                ),
            );
            return None;
        }
    };
    encode(&value, &r.ty, "upgraded state", diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::diagnostics::AttributePath;
    use crate::tfplugin::framework::{ApplyResponse, ImportResponse, PlanResponse, ReadResponse};
    use crate::tfplugin::schema::{Attribute, Block};
    use async_trait::async_trait;
    use pb::attribute_path::step::Selector;

    #[test]
    fn stop_cancels_current_calls_only() {
        let stop = StopSignal::default();
        let before = stop.ctx();
        stop.stop();
        let after = stop.ctx();
        assert!(before.cancel.is_cancelled());
        assert!(!after.cancel.is_cancelled());
    }

    #[test]
    fn capabilities_advertise_destroy_plans_and_optional_schema() {
        let c = capabilities();
        assert!(c.plan_destroy && c.get_provider_schema_optional);
        assert!(!c.move_resource_state && !c.generate_resource_config);
    }

    /// Records which lifecycle method ran; answers with recognisable values.
    #[derive(Default)]
    struct Thing {
        calls: Mutex<Vec<&'static str>>,
    }

    impl Thing {
        fn called(&self, what: &'static str) {
            self.calls.lock().unwrap().push(what);
        }
    }

    fn thing_schema() -> Schema {
        Schema {
            version: 1,
            block: Block {
                attributes: vec![
                    Attribute::computed("id", CtyType::String, "ID."),
                    Attribute::required("name", CtyType::String, "Name."),
                ],
                ..Default::default()
            },
        }
    }

    fn obj(id: Option<&str>, name: &str) -> Value {
        Value::Object(
            [
                ("id".to_string(), id.map_or(Value::Null, Value::string)),
                ("name".to_string(), Value::string(name)),
            ]
            .into(),
        )
    }

    #[async_trait]
    impl Resource for Thing {
        fn type_name(&self) -> &'static str {
            "test_thing"
        }
        fn schema(&self) -> Schema {
            thing_schema()
        }
        async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
            self.called("plan");
            PlanResponse {
                planned_state: req.planned_state,
                requires_replace: vec![AttributePath::attr("name")],
                planned_private: b"p".to_vec(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn create(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
            self.called("create");
            // A partial failure: something exists, and the error says why.
            ApplyResponse {
                new_state: obj(Some("half"), "n"),
                private: Vec::new(),
                diagnostics: Diagnostics::from_error("boom", "half created"),
            }
        }
        async fn update(&self, _ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
            self.called("update");
            ApplyResponse {
                new_state: req.planned_state,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn delete(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
            self.called("delete");
            ApplyResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn read(&self, ctx: &Ctx, req: ReadRequest) -> ReadResponse {
            self.called("read");
            if req.current_state.attr("name") == &Value::string("wait") {
                // A long AWS wait: it ends only when Terraform says stop.
                ctx.cancel.cancelled().await;
                return ReadResponse {
                    new_state: req.current_state,
                    private: Vec::new(),
                    diagnostics: Diagnostics::from_error("Cancelled", "stopped"),
                };
            }
            ReadResponse {
                new_state: req.current_state,
                private: req.private,
                diagnostics: Diagnostics::new(),
            }
        }
        async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
            self.called("import");
            ImportResponse {
                state: obj(Some(id), "imported"),
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
    }

    struct TestProvider(Arc<Thing>);

    #[async_trait]
    impl Provider for TestProvider {
        fn schema(&self) -> Schema {
            Schema {
                version: 0,
                block: Block::default(),
            }
        }
        async fn configure(&self, _ctx: &Ctx, _tf: &str, _config: Value) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![self.0.clone()]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
    }

    fn service() -> (ProviderService, Arc<Thing>) {
        let thing = Arc::new(Thing::default());
        let svc = ProviderService::new(
            Arc::new(TestProvider(thing.clone())),
            Arc::new(StopSignal::default()),
        );
        (svc, thing)
    }

    fn ty() -> CtyType {
        schema_type::block_type(&thing_schema().block)
    }

    fn dv(v: &Value) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: codec_msgpack::encode(v, &ty()).unwrap(),
            json: Vec::new(),
        })
    }

    fn value(dv: Option<pb::DynamicValue>) -> Value {
        codec_msgpack::decode(&dv.expect("a value").msgpack, &ty()).unwrap()
    }

    #[tokio::test]
    async fn destroy_plans_are_null_without_asking_the_resource() {
        let (svc, thing) = service();
        let resp = svc
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(&obj(Some("1"), "a")),
                proposed_new_state: dv(&Value::Null),
                config: dv(&Value::Null),
                prior_private: b"keep".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(value(resp.planned_state), Value::Null);
        assert_eq!(resp.planned_private, b"keep");
        assert!(thing.calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn create_plans_mark_computed_unknown_and_carry_requires_replace() {
        let (svc, thing) = service();
        let config = obj(None, "a");
        let resp = svc
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(&Value::Null),
                proposed_new_state: dv(&config),
                config: dv(&config),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert!(!resp.legacy_type_system);
        let planned = value(resp.planned_state);
        assert!(
            planned.attr("id").is_unknown(),
            "computed id unknown on create: {planned:?}"
        );
        assert_eq!(planned.attr("name"), &Value::string("a"));
        assert_eq!(resp.planned_private, b"p");
        let steps: Vec<_> = resp.requires_replace[0]
            .steps
            .iter()
            .map(|s| s.selector.clone().unwrap())
            .collect();
        assert_eq!(steps, vec![Selector::AttributeName("name".into())]);
        assert_eq!(*thing.calls.lock().unwrap(), vec!["plan"]);
    }

    async fn apply(
        svc: &ProviderService,
        prior: Value,
        planned: Value,
    ) -> pb::apply_resource_change::Response {
        svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dv(&prior),
            config: dv(&planned),
            planned_state: dv(&planned),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    #[tokio::test]
    async fn apply_dispatches_create_update_delete_and_keeps_partial_state() {
        let (svc, thing) = service();
        let created = apply(&svc, Value::Null, obj(None, "n")).await;
        assert_eq!(created.diagnostics.len(), 1, "the create error is reported");
        assert_eq!(
            value(created.new_state),
            obj(Some("half"), "n"),
            "and the partial state kept"
        );

        let updated = apply(&svc, obj(Some("1"), "a"), obj(Some("1"), "b")).await;
        assert!(updated.diagnostics.is_empty());
        assert_eq!(value(updated.new_state), obj(Some("1"), "b"));

        let deleted = apply(&svc, obj(Some("1"), "b"), Value::Null).await;
        assert!(deleted.diagnostics.is_empty());
        assert_eq!(value(deleted.new_state), Value::Null);
        assert!(!deleted.legacy_type_system);

        assert_eq!(
            *thing.calls.lock().unwrap(),
            vec!["create", "update", "delete"]
        );
    }

    #[tokio::test]
    async fn import_returns_one_resource_of_the_requested_type() {
        let (svc, _) = service();
        let resp = svc
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "test_thing".into(),
                id: "abc".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        assert_eq!(resp.imported_resources.len(), 1);
        let r = resp.imported_resources.into_iter().next().unwrap();
        assert_eq!(r.type_name, "test_thing");
        assert_eq!(value(r.state), obj(Some("abc"), "imported"));
    }

    #[tokio::test]
    async fn read_round_trips_state_and_private() {
        let (svc, _) = service();
        let resp = svc
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: dv(&obj(Some("1"), "a")),
                private: b"priv".to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        assert_eq!(value(resp.new_state), obj(Some("1"), "a"));
        assert_eq!(resp.private, b"priv");
    }

    async fn upgrade_with(
        svc: &ProviderService,
        version: i64,
        raw: pb::RawState,
    ) -> pb::upgrade_resource_state::Response {
        svc.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version,
            raw_state: Some(raw),
        }))
        .await
        .unwrap()
        .into_inner()
    }

    #[tokio::test]
    async fn upgrade_reads_json_state_dropping_removed_attributes() {
        let (svc, _) = service();
        let raw = pb::RawState {
            json: br#"{"id":"1","name":"a","legacy":"gone"}"#.to_vec(),
            flatmap: Default::default(),
        };
        let resp = upgrade_with(&svc, 0, raw).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(value(resp.upgraded_state), obj(Some("1"), "a"));
    }

    #[tokio::test]
    async fn upgrade_refuses_flatmap_and_newer_versions() {
        let (svc, _) = service();
        let flat = pb::RawState {
            json: Vec::new(),
            flatmap: [("id".to_string(), "1".to_string())].into(),
        };
        let resp = upgrade_with(&svc, 0, flat).await;
        assert_eq!(resp.diagnostics.len(), 1);
        assert!(resp.diagnostics[0].summary.contains("Legacy"));

        let newer = pb::RawState {
            json: br#"{"id":"1","name":"a"}"#.to_vec(),
            flatmap: Default::default(),
        };
        let resp = upgrade_with(&svc, 7, newer).await;
        assert_eq!(resp.diagnostics.len(), 1);
        assert!(resp.upgraded_state.is_none());
    }

    #[tokio::test]
    async fn stop_provider_ends_in_flight_work_and_later_calls_run_normally() {
        let (svc, _) = service();
        let svc = Arc::new(svc);
        let read = |name: &'static str| {
            let svc = svc.clone();
            async move {
                svc.read_resource(Request::new(pb::read_resource::Request {
                    type_name: "test_thing".into(),
                    current_state: dv(&obj(Some("1"), name)),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner()
            }
        };
        let waiting = tokio::spawn(read("wait"));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        svc.stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        let stopped = tokio::time::timeout(std::time::Duration::from_secs(2), waiting)
            .await
            .expect("StopProvider ends the waiting call")
            .unwrap();
        assert_eq!(stopped.diagnostics[0].summary, "Cancelled");
        let after = read("a").await;
        assert!(
            after.diagnostics.is_empty(),
            "later calls get a fresh token"
        );
    }

    #[tokio::test]
    async fn unknown_type_names_are_diagnostics() {
        let (svc, thing) = service();
        let resp = svc
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: "test_nothing".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics.len(), 1);
        assert!(resp.diagnostics[0].detail.contains("test_nothing"));
        let plan = svc
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_nothing".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(plan.diagnostics.len(), 1);
        assert!(thing.calls.lock().unwrap().is_empty());
    }
}
