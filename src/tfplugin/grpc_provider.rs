//! The tfplugin6 `Provider` service: decodes each call, hands it to the
//! [`framework`](super::framework) implementation and encodes the answer.
//!
//! User-facing problems (bad config, unknown type names, undecodable values)
//! always come back as diagnostics; a gRPC error status would surface in
//! Terraform as an opaque "plugin error". RPCs we do not offer fall through
//! to the generated stubs, which answer Unimplemented.
//!
//! Besides the wire, the server keeps the protocol's rules for every
//! resource, so no implementation can get them wrong:
//! - identities are derived from each returned state, sent with it, and
//!   never change once known (see [`identity`](super::identity));
//! - declared plan modifiers are applied (see [`plan`]);
//! - generated configurations never set computed-only attributes (see
//!   [`genconfig`]);
//! - list results carry a valid identity, and the object only when asked.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use super::catalog::{Catalog, IdentityType, Typed};
use super::diag_proto;
use super::diagnostics::Diagnostics;
use super::framework::{
    ApplyRequest, Ctx, DataSource, ImportResponse, PlanRequest, Provider, ReadRequest, Resource,
};
use super::identity;
use super::list::{ListItem, ListRequest, ListSink};
use super::pb::tfplugin6 as pb;
use super::pb::tfplugin6::provider_server::Provider as ProviderRpc;
use super::schema_proto;
use super::state_upgrade;
use super::types::CtyType;
use super::value::Value;
use super::{codec_json, codec_msgpack, convert, genconfig, plan};

/// Hands each call a cancellation token and lets StopProvider cancel the
/// calls in flight without affecting later ones.
#[derive(Default)]
pub struct StopSignal {
    current: Mutex<CancellationToken>,
}

impl StopSignal {
    /// The context for a call starting now.
    pub fn ctx(&self) -> Ctx {
        Ctx::with_cancel(self.lock().clone())
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

    /// The identity type of a resource type, when it has one.
    fn identity_type(&self, name: &str) -> Option<&IdentityType> {
        self.catalog().identities.get(name)
    }

    fn build_schema_response(&self) -> pb::get_provider_schema::Response {
        let c = self.catalog();
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
            // Terraform wraps each of these in a `config` block of its own.
            list_resource_schemas: c
                .lists
                .iter()
                .map(|(k, v)| (k.clone(), schema_proto::schema(&v.config)))
                .collect(),
            diagnostics: diag_proto::diagnostics(&c.problems),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }
    }
}

/// The registered type `name`, or the diagnostic Terraform shows for a type
/// this provider does not have (`noun`: "resource type" or "data source").
fn find<'a, T>(
    registered: &'a std::collections::BTreeMap<String, T>,
    noun: &str,
    name: &str,
) -> Result<&'a T, Diagnostics> {
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
        // Every resource answers GenerateResourceConfig (with a default).
        generate_resource_config: true,
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

/// An identity Terraform sent: `Value::Null` when it sent none (or the type
/// has none); `None` (with a diagnostic) when it does not decode.
fn decode_identity(
    data: Option<&pb::ResourceIdentityData>,
    it: Option<&IdentityType>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match (data.and_then(|d| d.identity_data.as_ref()), it) {
        (Some(dv), Some(it)) => decode(Some(dv), &it.ty, what, diags),
        _ => Some(Value::Null),
    }
}

fn encode_identity(
    v: &Value,
    it: &IdentityType,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    encode(v, &it.ty, "identity", diags).map(|dv| pb::ResourceIdentityData {
        identity_data: Some(dv),
    })
}

/// The identity of `state` for a type with identity; `None` for types
/// without one and for null states (gone, or destroyed).
fn derive_identity(
    r: &Typed<dyn Resource>,
    it: Option<&IdentityType>,
    state: &Value,
) -> Option<(Value, &'static str)> {
    let ri = r.imp.identity()?;
    it?;
    if state.is_null() {
        return None;
    }
    Some((ri.identity_of(state), r.imp.type_name()))
}

/// A value for a message: compact JSON when it has no unknowns.
fn show(v: &Value) -> String {
    convert::to_json(v).map_or_else(|_| format!("{v:?}"), |j| j.to_string())
}

/// Checks that `new` is a wholly known identity that keeps every attribute
/// `before` knew. Returns false, with a provider-bug diagnostic, when not.
fn identity_kept(
    type_name: &str,
    during: &str,
    before: &Value,
    new: &Value,
    diags: &mut Diagnostics,
) -> bool {
    if !new.is_wholly_known() {
        diags.error(
            "Provider produced an unknown identity",
            format!(
                "During {during}, {type_name} produced the identity {} with unknown values; an \
                 identity must be known except when an object is created or replaced. This is a \
                 provider bug; please report it.",
                show(new)
            ),
        );
        return false;
    }
    let changed = identity::changed(before, new);
    if changed.is_empty() {
        return true;
    }
    diags.error(
        "Provider tried to change an identity",
        format!(
            "During {during}, {type_name} tried to change its identity ({}) from {} to {}. An \
             identity never changes while the object exists, so the change was refused and the \
             identity kept. This is a provider bug; please report it.",
            changed.join(", "),
            show(before),
            show(new)
        ),
    );
    false
}

/// The identity to hold a newly returned state to: what Terraform sent,
/// or, when it sent none (a state from before identity, or Terraform older
/// than 1.12), the identity of the state it started from.
fn baseline(
    r: &Typed<dyn Resource>,
    it: Option<&IdentityType>,
    sent: &Value,
    prior_state: &Value,
) -> Value {
    if !identity::is_empty(sent) {
        return sent.clone();
    }
    derive_identity(r, it, prior_state).map_or(Value::Null, |(v, _)| v)
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
    pb::validate_list_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::upgrade_resource_identity::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::generate_resource_config::Response,
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
async fn answer<'t, T, A: Answer, Fut>(
    typed: Result<&'t T, Diagnostics>,
    body: impl FnOnce(&'t T, Call<A>) -> Fut,
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

/// A ListResource stream that is one event with these diagnostics.
fn list_failure(diags: Diagnostics) -> BoxStream<pb::list_resource::Event> {
    let event = pb::list_resource::Event {
        diagnostic: diag_proto::diagnostics(&diags),
        ..Default::default()
    };
    Box::pin(tokio_stream::once(Ok(event)))
}

/// Turns what a [`ListSink`] carries into ListResource events, holding each
/// result to the rules Terraform relies on.
struct ListEvents {
    resource: Arc<dyn Resource>,
    type_name: String,
    identity_ty: CtyType,
    resource_ty: CtyType,
    include_resource: bool,
}

impl ListEvents {
    fn event(&self, item: ListItem) -> pb::list_resource::Event {
        let result = match item {
            ListItem::Diagnostics(d) => {
                return pb::list_resource::Event {
                    diagnostic: diag_proto::diagnostics(&d),
                    ..Default::default()
                };
            }
            ListItem::Result(r) => r,
        };
        let mut diags = result.diagnostics;
        let name = &self.type_name;
        let mut event = pb::list_resource::Event {
            display_name: result.display_name,
            ..Default::default()
        };
        if result.identity.is_null() || !result.identity.is_wholly_known() {
            diags.error(
                "List result without a known identity",
                format!(
                    "A {name} result ({:?}) has the identity {}; Terraform needs a known one for \
                     every result. This is a provider bug; please report it.",
                    event.display_name,
                    show(&result.identity)
                ),
            );
        } else {
            event.identity = encode(&result.identity, &self.identity_ty, "identity", &mut diags)
                .map(|dv| pb::ResourceIdentityData {
                    identity_data: Some(dv),
                });
        }
        match (self.include_resource, &result.resource) {
            (true, Some(object)) => {
                if let Some(ri) = self.resource.identity() {
                    let derived = ri.identity_of(object);
                    let changed = identity::changed(&result.identity, &derived);
                    if !changed.is_empty() {
                        diags.error(
                            "List result does not match its identity",
                            format!(
                                "A {name} result has the identity {} but its object has {}. \
                                 This is a provider bug; please report it.",
                                show(&result.identity),
                                show(&derived)
                            ),
                        );
                    }
                }
                event.resource_object = encode(object, &self.resource_ty, "object", &mut diags);
            }
            (true, None) => diags.error(
                "List result without its object",
                format!(
                    "Terraform asked for each {name} object (include_resource), but the result \
                     {:?} came without one. This is a provider bug; please report it.",
                    event.display_name
                ),
            ),
            // Not asked for: never sent.
            (false, _) => {}
        }
        event.diagnostic = diag_proto::diagnostics(&diags);
        event
    }
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
            list_resources: c
                .lists
                .keys()
                .map(|n| pb::get_metadata::ListResourceMetadata {
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
        // Problems building the catalog go out with the provider schema,
        // which Terraform asks for in the same breath; not twice.
        reply(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .catalog()
                .identities
                .iter()
                .map(|(k, v)| (k.clone(), schema_proto::identity_schema(&v.schema)))
                .collect(),
            diagnostics: Vec::new(),
        })
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::upgrade_resource_identity::Response>| async move {
                call.out.upgraded_identity =
                    upgrade_identity(r, self.identity_type(&req.type_name), &req, &mut call.diags);
                call
            },
        )
        .await
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

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = request.into_inner();
        let lists = &self.catalog().lists;
        answer(
            find(lists, "list resource", &req.type_name),
            |l, mut call: Call<pb::validate_list_resource_config::Response>| async move {
                let what = "list configuration";
                if let Some(config) =
                    decode(req.config.as_ref(), &l.config_ty, what, &mut call.diags)
                    && let Some(lr) = l.resource.list_resource()
                {
                    call.diags.extend(lr.validate_list_config(&config));
                }
                call
            },
        )
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
        let it = self.identity_type(&req.type_name);
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::read_resource::Response>| async move {
                let what = "current state";
                let Some(current) =
                    decode(req.current_state.as_ref(), &r.ty, what, &mut call.diags)
                else {
                    return call;
                };
                let what = "current identity";
                let Some(current_identity) =
                    decode_identity(req.current_identity.as_ref(), it, what, &mut call.diags)
                else {
                    return call;
                };
                tracing::debug!(type_name = %req.type_name, "read");
                let before = baseline(r, it, &current_identity, &current);
                let read = ReadRequest {
                    current_state: current,
                    private: req.private,
                    current_identity,
                };
                let resp = r.imp.read(&self.stop.ctx(), read).await;
                call.diags.extend(resp.diagnostics);
                call.out.new_state = encode(&resp.new_state, &r.ty, "state", &mut call.diags);
                call.out.private = resp.private;
                if let (Some((new, name)), Some(it)) = (derive_identity(r, it, &resp.new_state), it)
                {
                    let kept = identity_kept(name, "refresh", &before, &new, &mut call.diags);
                    let send = if kept { new } else { before };
                    call.out.new_identity = encode_identity(&send, it, &mut call.diags);
                }
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
        let it = self.identity_type(&req.type_name);
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
                let what = "prior identity";
                let Some(prior_identity) =
                    decode_identity(req.prior_identity.as_ref(), it, what, &mut call.diags)
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
                let mut planned = plan::default_plan(&r.schema, &prior, &proposed, &config);
                plan::apply_use_state_for_unknown(&r.schema, &prior, &config, &mut planned);
                let before = baseline(r, it, &prior_identity, &prior);
                let plan = PlanRequest {
                    prior_state: prior.clone(),
                    proposed_new_state: proposed,
                    config,
                    prior_private: req.prior_private,
                    planned_state: planned,
                    prior_identity,
                };
                let resp = r.imp.plan(&self.stop.ctx(), plan).await;
                call.diags.extend(resp.diagnostics);
                let mut replace = resp.requires_replace;
                for path in plan::declared_replacements(&r.schema, &prior, &resp.planned_state) {
                    if !replace.contains(&path) {
                        replace.push(path);
                    }
                }
                call.out.planned_state =
                    encode(&resp.planned_state, &r.ty, "planned state", &mut call.diags);
                call.out.requires_replace =
                    replace.iter().map(diag_proto::attribute_path).collect();
                call.out.planned_private = resp.planned_private;
                if let (Some((new, name)), Some(it)) =
                    (derive_identity(r, it, &resp.planned_state), it)
                {
                    // Only an in-place update must keep the identity; a
                    // create or replacement makes a new object.
                    let in_place = !prior.is_null() && replace.is_empty();
                    let send = if in_place
                        && !identity_kept(name, "plan", &before, &new, &mut call.diags)
                    {
                        before
                    } else {
                        new
                    };
                    // A create or replacement may not know the new object's
                    // identity yet. Terraform accepts an unknown one, but then
                    // cannot render the saved plan (`terraform show -json`
                    // fails with "value is not known"), so such an identity
                    // goes out as none at all: the apply's answer sets it.
                    if send.is_wholly_known() {
                        call.out.planned_identity = encode_identity(&send, it, &mut call.diags);
                    }
                }
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
        let it = self.identity_type(&req.type_name);
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
                let what = "planned identity";
                let Some(planned_identity) =
                    decode_identity(req.planned_identity.as_ref(), it, what, &mut call.diags)
                else {
                    return call;
                };
                let ctx = self.stop.ctx();
                let (creating, deleting) = (prior.is_null(), planned.is_null());
                tracing::debug!(type_name = %req.type_name, creating, deleting, "apply");
                let before = baseline(r, it, &planned_identity, &prior);
                let apply = ApplyRequest {
                    prior_state: prior,
                    planned_state: planned,
                    config,
                    planned_private: req.planned_private,
                    planned_identity,
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
                if let (Some((new, name)), Some(it)) = (derive_identity(r, it, &resp.new_state), it)
                {
                    // A create has nothing to keep (`before` is null), but
                    // its identity must be known all the same.
                    let kept = identity_kept(name, "apply", &before, &new, &mut call.diags);
                    let send = if kept || creating { new } else { before };
                    call.out.new_identity = encode_identity(&send, it, &mut call.diags);
                }
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
        let it = self.identity_type(&req.type_name);
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::import_resource_state::Response>| async move {
                let by_identity = req.id.is_empty() && req.identity.is_some();
                let ctx = self.stop.ctx();
                let (resp, asked): (ImportResponse, Value) =
                    match (by_identity, r.imp.identity(), it) {
                        (false, _, _) => {
                            tracing::debug!(type_name = %req.type_name, "import by id");
                            (r.imp.import(&ctx, &req.id).await, Value::Null)
                        }
                        (true, Some(ri), Some(it)) => {
                            let Some(asked) = decode_identity(
                                req.identity.as_ref(),
                                Some(it),
                                "identity",
                                &mut call.diags,
                            ) else {
                                return call;
                            };
                            let missing = it.schema.missing_for_import(&asked);
                            if !missing.is_empty() {
                                call.diags.error(
                                    "Incomplete identity",
                                    format!(
                                        "Importing {} by identity needs {}.",
                                        req.type_name,
                                        missing
                                            .iter()
                                            .map(|m| format!("`{m}`"))
                                            .collect::<Vec<_>>()
                                            .join(" and ")
                                    ),
                                );
                                return call;
                            }
                            tracing::debug!(type_name = %req.type_name, "import by identity");
                            (ri.import_by_identity(&ctx, &asked).await, asked)
                        }
                        (true, _, _) => {
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
                    };
                call.diags.extend(resp.diagnostics);
                if resp.state.is_null() {
                    return call;
                }
                let state = encode(&resp.state, &r.ty, "imported state", &mut call.diags);
                let identity = match (derive_identity(r, it, &resp.state), it) {
                    (Some((derived, name)), Some(it)) => {
                        if !identity::is_empty(&asked) {
                            // The object found must be the one asked for.
                            identity_kept(
                                name,
                                "import",
                                &asked,
                                &identity::fill_nulls(&derived, &asked),
                                &mut call.diags,
                            );
                        }
                        encode_identity(
                            &identity::fill_nulls(&derived, &asked),
                            it,
                            &mut call.diags,
                        )
                    }
                    _ => None,
                };
                call.out
                    .imported_resources
                    .push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state,
                        private: resp.private,
                        identity,
                    });
                call
            },
        )
        .await
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let req = request.into_inner();
        answer(
            self.resource(&req.type_name),
            |r, mut call: Call<pb::generate_resource_config::Response>| async move {
                let Some(state) = decode(req.state.as_ref(), &r.ty, "state", &mut call.diags)
                else {
                    return call;
                };
                tracing::debug!(type_name = %req.type_name, "generate config");
                let config = match r.imp.generate_config(&state) {
                    Ok(c) => genconfig::configurable(&r.schema.block, &c),
                    Err(d) => {
                        call.diags.extend(d);
                        return call;
                    }
                };
                call.out.config = encode(&config, &r.ty, "configuration", &mut call.diags);
                call
            },
        )
        .await
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<BoxStream<pb::list_resource::Event>>, Status> {
        let req = request.into_inner();
        let c = self.catalog();
        let list = match find(&c.lists, "list resource", &req.type_name) {
            Ok(l) => l,
            Err(d) => return reply(list_failure(d)),
        };
        let (Some(resource), Some(it)) = (
            c.resources.get(&req.type_name),
            c.identities.get(&req.type_name),
        ) else {
            // The catalog lists only types with both.
            return reply(list_failure(Diagnostics::from_error(
                "List resource without identity",
                format!(
                    "{} has no identity schema. This is a provider bug.",
                    req.type_name
                ),
            )));
        };
        let mut diags = Diagnostics::new();
        let Some(config) = decode(
            req.config.as_ref(),
            &list.config_ty,
            "list configuration",
            &mut diags,
        ) else {
            return reply(list_failure(diags));
        };
        if let Some(lr) = list.resource.list_resource() {
            diags.extend(lr.validate_list_config(&config));
        }
        if diags.has_errors() {
            return reply(list_failure(diags));
        }
        tracing::debug!(type_name = %req.type_name, limit = req.limit, include = req.include_resource_object, "list");
        let events = ListEvents {
            resource: list.resource.clone(),
            type_name: req.type_name.clone(),
            identity_ty: it.ty.clone(),
            resource_ty: resource.ty.clone(),
            include_resource: req.include_resource_object,
        };
        // Small: results are produced as fast as AWS pages arrive, and a
        // slow reader should slow the listing down rather than let it run on.
        let (tx, rx) = mpsc::channel::<ListItem>(8);
        if req.limit > 0 {
            // Cancelled by StopProvider (through the parent token) and when
            // Terraform hangs up; neither touches other calls.
            let cancel = self.stop.ctx().cancel.child_token();
            let ctx = Ctx::with_cancel(cancel.clone());
            let lister = list.resource.clone();
            let list_req = ListRequest {
                config,
                include_resource: req.include_resource_object,
                limit: req.limit,
            };
            let hangup = tx.clone();
            let mut sink = ListSink::channel(tx, req.limit);
            tokio::spawn(async move {
                let Some(lr) = lister.list_resource() else {
                    return;
                };
                tokio::select! {
                    diags = lr.list(&ctx, list_req, &mut sink) => {
                        sink.diagnostics(diags).await;
                    }
                    _ = hangup.closed() => {
                        tracing::debug!("list: Terraform hung up; stopping");
                        cancel.cancel();
                    }
                }
            });
        }
        let stream = ReceiverStream::new(rx).map(move |item| Ok(events.event(item)));
        reply(Box::pin(stream) as BoxStream<pb::list_resource::Event>)
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

/// Stored JSON of one value (state or identity), reshaped to `ty` and
/// re-encoded as msgpack. `what` names it in messages.
fn reshape(
    json: &[u8],
    ty: &CtyType,
    what: &str,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    let reshaped = match state_upgrade::normalize(json, ty) {
        Ok(j) => j,
        Err(e) => {
            diags.error(
                format!("Invalid stored {what}"),
                format!("The stored {what} of this {type_name} is not valid JSON: {e}."),
            );
            return None;
        }
    };
    let value = match codec_json::decode(&reshaped, ty) {
        Ok(v) => v,
        Err(e) => {
            diags.error(
                format!("Invalid stored {what}"),
                format!("The stored {what} of this {type_name} does not match its schema: {e}."),
            );
            return None;
        }
    };
    encode(&value, ty, &format!("upgraded {what}"), diags)
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
    reshape(json, &r.ty, "state", &req.type_name, diags)
}

/// UpgradeResourceIdentity for one resource. The current version is only
/// reshaped; an older one goes through the resource's
/// [`upgrade_identity`](super::framework::ResourceIdentity::upgrade_identity)
/// first; a newer one is refused.
fn upgrade_identity(
    r: &Typed<dyn Resource>,
    it: Option<&IdentityType>,
    req: &pb::upgrade_resource_identity::Request,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let name = &req.type_name;
    let (Some(ri), Some(it)) = (r.imp.identity(), it) else {
        diags.error(
            "Resource type has no identity",
            format!("{name} has no identity schema, so there is no stored identity to upgrade."),
        );
        return None;
    };
    let current = it.schema.version;
    if req.version > current {
        diags.error(
            "Identity written by a newer provider",
            format!(
                "The stored identity of this {name} has version {}, but this provider only knows \
                 versions up to {current}. Upgrade the provider to the version that wrote it.",
                req.version
            ),
        );
        return None;
    }
    let json = req
        .raw_identity
        .as_ref()
        .map(|s| s.json.as_slice())
        .unwrap_or_default();
    if json.is_empty() {
        return None;
    }
    let json = if req.version < current {
        let stored: serde_json::Value = match serde_json::from_slice(json) {
            Ok(v) => v,
            Err(e) => {
                diags.error(
                    "Invalid stored identity",
                    format!("The stored identity of this {name} is not valid JSON: {e}."),
                );
                return None;
            }
        };
        match ri.upgrade_identity(req.version, stored) {
            Ok(v) => v.to_string().into_bytes(),
            Err(d) => {
                diags.extend(d);
                return None;
            }
        }
    } else {
        json.to_vec()
    };
    reshape(&json, &it.ty, "identity", name, diags).map(|dv| pb::ResourceIdentityData {
        identity_data: Some(dv),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::diagnostics::AttributePath;
    use crate::tfplugin::framework::{ApplyResponse, PlanResponse, ReadResponse};
    use crate::tfplugin::schema::{Attribute, Block, Schema};
    use crate::tfplugin::schema_type;
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
        assert!(c.generate_resource_config, "every resource answers it");
        assert!(!c.move_resource_state);
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

    struct TestProvider(Vec<Arc<dyn Resource>>);

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
            self.0.clone()
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
    }

    fn serve(resources: Vec<Arc<dyn Resource>>) -> ProviderService {
        ProviderService::new(
            Arc::new(TestProvider(resources)),
            Arc::new(StopSignal::default()),
        )
    }

    fn service() -> (ProviderService, Arc<Thing>) {
        let thing = Arc::new(Thing::default());
        (serve(vec![thing.clone()]), thing)
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

    // ---- identity, list resources, generated configuration ----

    use crate::tfplugin::framework::{
        IdentityAttribute, IdentitySchema, ListRequest, ListResource, ListResult, ListSink,
        ResourceIdentity,
    };
    use crate::tfplugin::schema::PlanModifier;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A resource with identity {name, region}, a list of `names`, and
    /// knobs that make it break the rules the server enforces.
    #[derive(Default)]
    struct Named {
        names: Vec<&'static str>,
        /// identity_of reports another name: a provider bug.
        identity_bug: AtomicBool,
        /// List results come without their object.
        omit_object: AtomicBool,
        /// How many results `list` offered the sink.
        offered: AtomicUsize,
        /// Set when a listing saw its context cancelled.
        list_cancelled: AtomicBool,
        /// Set when a listing ran at all.
        listed: AtomicBool,
        /// Set when a listing returned or was dropped.
        list_ended: AtomicBool,
    }

    /// Sets its flag when dropped, however the future holding it ends.
    struct Ended<'a>(&'a AtomicBool);

    impl Drop for Ended<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    const NAMED: &str = "test_named";

    fn named_schema() -> Schema {
        Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::computed("id", CtyType::String, "").use_state_for_unknown(),
                    Attribute::required("name", CtyType::String, "").requires_replace(),
                    Attribute::optional("note", CtyType::String, ""),
                    Attribute::optional_computed("region", CtyType::String, "")
                        .use_state_for_unknown(),
                ],
                ..Default::default()
            },
        }
    }

    fn named_ty() -> CtyType {
        schema_type::block_type(&named_schema().block)
    }

    fn named_identity_schema() -> IdentitySchema {
        IdentitySchema {
            version: 1,
            attributes: vec![
                IdentityAttribute::required_for_import("name", CtyType::String, "Name."),
                IdentityAttribute::optional_for_import("region", CtyType::String, "Region."),
            ],
        }
    }

    fn nobj(id: Value, name: &str, note: Value, region: Value) -> Value {
        Value::Object(
            [
                ("id".to_string(), id),
                ("name".to_string(), Value::string(name)),
                ("note".to_string(), note),
                ("region".to_string(), region),
            ]
            .into(),
        )
    }

    fn full(name: &str) -> Value {
        nobj(
            Value::string(format!("id-{name}")),
            name,
            Value::Null,
            Value::string("eu-west-1"),
        )
    }

    fn ident(name: &str, region: Option<&str>) -> Value {
        named_identity_schema().value([
            ("name", Value::string(name)),
            ("region", region.map_or(Value::Null, Value::string)),
        ])
    }

    #[async_trait]
    impl Resource for Named {
        fn type_name(&self) -> &'static str {
            NAMED
        }
        fn schema(&self) -> Schema {
            named_schema()
        }
        async fn create(&self, _ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
            let mut state = req.planned_state;
            plan::set_attr(&mut state, "id", Value::string("new-id"));
            plan::set_attr(&mut state, "region", Value::string("eu-west-1"));
            ApplyResponse {
                new_state: state,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn update(&self, _ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
            ApplyResponse {
                new_state: req.planned_state,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn delete(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
            ApplyResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn read(&self, _ctx: &Ctx, req: ReadRequest) -> ReadResponse {
            // An import stub holds only the name; the read fills the rest.
            let name = req
                .current_state
                .attr("name")
                .as_str()
                .unwrap_or("")
                .to_string();
            ReadResponse {
                new_state: full(&name),
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
            ImportResponse {
                state: nobj(Value::Null, id, Value::Null, Value::Null),
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }
        }
        fn identity(&self) -> Option<&dyn ResourceIdentity> {
            Some(self)
        }
        fn list_resource(&self) -> Option<&dyn ListResource> {
            Some(self)
        }
        fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
            // Leave out the default region; the server strips `id`.
            let mut c = state.clone();
            if c.attr("region") == &Value::string("eu-west-1") {
                plan::set_attr(&mut c, "region", Value::Null);
            }
            Ok(c)
        }
    }

    #[async_trait]
    impl ResourceIdentity for Named {
        fn identity_schema(&self) -> IdentitySchema {
            named_identity_schema()
        }
        fn identity_of(&self, state: &Value) -> Value {
            let mut name = state.attr("name").clone();
            if self.identity_bug.load(Ordering::SeqCst)
                && let Value::String(n) = &name
            {
                name = Value::string(format!("{n}-changed"));
            }
            named_identity_schema()
                .value([("name", name), ("region", state.attr("region").clone())])
        }
        async fn import_by_identity(&self, ctx: &Ctx, identity: &Value) -> ImportResponse {
            let name = identity.attr("name").as_str().unwrap_or("").to_string();
            self.import(ctx, &name).await
        }
        fn upgrade_identity(
            &self,
            version: i64,
            stored: serde_json::Value,
        ) -> Result<serde_json::Value, Diagnostics> {
            // Version 0 called the name "id".
            assert_eq!(version, 0);
            Ok(serde_json::json!({"name": stored["id"], "region": null}))
        }
    }

    #[async_trait]
    impl ListResource for Named {
        fn list_config_schema(&self) -> Schema {
            Schema {
                version: 0,
                block: Block {
                    attributes: vec![Attribute::optional("prefix", CtyType::String, "")],
                    ..Default::default()
                },
            }
        }
        fn validate_list_config(&self, config: &Value) -> Diagnostics {
            let mut d = Diagnostics::new();
            if config.attr("prefix") == &Value::string("") {
                d.attribute_error(
                    AttributePath::attr("prefix"),
                    "Empty prefix",
                    "Leave it out.",
                );
            }
            d
        }
        async fn list(&self, ctx: &Ctx, req: ListRequest, results: &mut ListSink) -> Diagnostics {
            self.listed.store(true, Ordering::SeqCst);
            let _ended = Ended(&self.list_ended);
            let prefix = req.config.attr("prefix").as_str().unwrap_or("").to_string();
            if prefix == "wait" {
                ctx.cancel.cancelled().await;
                self.list_cancelled.store(true, Ordering::SeqCst);
                return Diagnostics::from_error("Cancelled", "stopped while listing");
            }
            for n in self.names.iter().filter(|n| n.starts_with(&prefix)) {
                self.offered.fetch_add(1, Ordering::SeqCst);
                let mut r = ListResult::new(ident(n, Some("eu-west-1")), format!("named {n}"));
                if req.include_resource && !self.omit_object.load(Ordering::SeqCst) {
                    r = r.with_resource(full(n));
                }
                if !results.send(r).await {
                    break;
                }
            }
            let mut d = Diagnostics::new();
            d.warning("Listed", "all names");
            d
        }
    }

    fn named_service(names: Vec<&'static str>) -> (ProviderService, Arc<Named>) {
        let named = Arc::new(Named {
            names,
            ..Named::default()
        });
        (
            serve(vec![Arc::new(Thing::default()), named.clone()]),
            named,
        )
    }

    fn ndv(v: &Value) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: codec_msgpack::encode(v, &named_ty()).unwrap(),
            json: Vec::new(),
        })
    }

    fn nvalue(dv: Option<pb::DynamicValue>) -> Value {
        codec_msgpack::decode(&dv.expect("a value").msgpack, &named_ty()).unwrap()
    }

    fn id_data(v: &Value) -> Option<pb::ResourceIdentityData> {
        Some(pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack: codec_msgpack::encode(v, &named_identity_schema().ty()).unwrap(),
                json: Vec::new(),
            }),
        })
    }

    fn id_value(d: Option<pb::ResourceIdentityData>) -> Value {
        let dv = d
            .expect("an identity")
            .identity_data
            .expect("identity data");
        codec_msgpack::decode(&dv.msgpack, &named_identity_schema().ty()).unwrap()
    }

    fn summaries(d: &[pb::Diagnostic]) -> Vec<String> {
        d.iter().map(|d| d.summary.clone()).collect()
    }

    #[tokio::test]
    async fn identity_schemas_list_only_types_that_have_one() {
        let (svc, _) = named_service(vec![]);
        let resp = svc
            .get_resource_identity_schemas(Request::new(
                pb::get_resource_identity_schemas::Request {},
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.identity_schemas.keys().collect::<Vec<_>>(),
            vec![NAMED]
        );
        let s = &resp.identity_schemas[NAMED];
        assert_eq!(s.version, 1);
        let names: Vec<_> = s
            .identity_attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, vec!["name", "region"]);
        assert!(s.identity_attributes[0].required_for_import);
        assert!(s.identity_attributes[1].optional_for_import);
    }

    #[tokio::test]
    async fn read_returns_the_identity_of_the_new_state() {
        let (svc, named) = named_service(vec![]);
        let read = |current_identity| {
            svc.read_resource(Request::new(pb::read_resource::Request {
                type_name: NAMED.into(),
                current_state: ndv(&nobj(Value::Null, "a", Value::Null, Value::Null)),
                current_identity,
                ..Default::default()
            }))
        };
        // After an import by ID the identity held may still lack the region.
        let resp = read(id_data(&ident("a", None))).await.unwrap().into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(id_value(resp.new_identity), ident("a", Some("eu-west-1")));
        // Terraform older than 1.12 sends none; the identity is derived all the same.
        let resp = read(None).await.unwrap().into_inner();
        assert_eq!(id_value(resp.new_identity), ident("a", Some("eu-west-1")));

        named.identity_bug.store(true, Ordering::SeqCst);
        let resp = read(id_data(&ident("a", Some("eu-west-1"))))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            summaries(&resp.diagnostics),
            vec!["Provider tried to change an identity"]
        );
        assert!(
            resp.diagnostics[0].detail.contains("(name)"),
            "{:?}",
            resp.diagnostics
        );
        assert_eq!(
            id_value(resp.new_identity),
            ident("a", Some("eu-west-1")),
            "the identity Terraform holds is kept"
        );
    }

    #[tokio::test]
    async fn things_without_identity_send_none() {
        let (svc, _) = named_service(vec![]);
        let resp = svc
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: dv(&obj(Some("1"), "a")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.new_identity.is_none());
    }

    async fn nplan(
        svc: &ProviderService,
        prior: Value,
        config: Value,
        prior_identity: Option<pb::ResourceIdentityData>,
    ) -> pb::plan_resource_change::Response {
        // Terraform's proposal: config, with prior values for computed attributes.
        let mut proposed = config.clone();
        if !prior.is_null() {
            for a in ["id", "region"] {
                if config.attr(a).is_null() {
                    plan::set_attr(&mut proposed, a, prior.attr(a).clone());
                }
            }
        }
        svc.plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: NAMED.into(),
            prior_state: ndv(&prior),
            proposed_new_state: ndv(&proposed),
            config: ndv(&config),
            prior_identity,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    #[tokio::test]
    async fn plans_carry_identity_and_apply_declared_modifiers() {
        let (svc, named) = named_service(vec![]);
        let cfg =
            |name: &str, note: &str| nobj(Value::Null, name, Value::string(note), Value::Null);

        // Create: the region is not known yet, so no identity is planned
        // (an unknown one would break `terraform show -json` of the plan).
        let created = nplan(&svc, Value::Null, cfg("a", "x"), None).await;
        assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
        assert!(created.planned_identity.is_none());

        // In-place update: UseStateForUnknown keeps id and region, and the
        // identity holds.
        let prior = full("a");
        let held = || id_data(&ident("a", Some("eu-west-1")));
        let updated = nplan(&svc, prior.clone(), cfg("a", "y"), held()).await;
        assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
        assert!(updated.requires_replace.is_empty());
        let planned = nvalue(updated.planned_state);
        assert_eq!(
            planned.attr("id"),
            &Value::string("id-a"),
            "use_state_for_unknown"
        );
        assert_eq!(planned.attr("region"), &Value::string("eu-west-1"));
        assert_eq!(
            id_value(updated.planned_identity),
            ident("a", Some("eu-west-1"))
        );

        // An in-place update may not leave the identity unknown.
        let unknown_region = nobj(Value::Null, "a", Value::string("y"), Value::Unknown(None));
        let bad = nplan(&svc, prior.clone(), unknown_region, held()).await;
        assert_eq!(
            summaries(&bad.diagnostics),
            vec!["Provider produced an unknown identity"]
        );
        assert_eq!(
            id_value(bad.planned_identity),
            ident("a", Some("eu-west-1"))
        );

        // Renaming replaces (declared RequiresReplace), and the identity may change.
        let renamed = nplan(&svc, prior.clone(), cfg("b", "y"), held()).await;
        assert!(renamed.diagnostics.is_empty(), "{:?}", renamed.diagnostics);
        let steps: Vec<_> = renamed.requires_replace[0]
            .steps
            .iter()
            .map(|s| s.selector.clone().unwrap())
            .collect();
        assert_eq!(steps, vec![Selector::AttributeName("name".into())]);
        assert_eq!(
            id_value(renamed.planned_identity).attr("name"),
            &Value::string("b")
        );

        // An in-place update whose identity would change is a provider bug.
        named.identity_bug.store(true, Ordering::SeqCst);
        let bad = nplan(&svc, prior, cfg("a", "z"), held()).await;
        assert_eq!(
            summaries(&bad.diagnostics),
            vec!["Provider tried to change an identity"]
        );
        assert_eq!(
            id_value(bad.planned_identity),
            ident("a", Some("eu-west-1"))
        );
    }

    async fn napply(
        svc: &ProviderService,
        prior: Value,
        planned: Value,
        planned_identity: Option<pb::ResourceIdentityData>,
    ) -> pb::apply_resource_change::Response {
        svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: NAMED.into(),
            prior_state: ndv(&prior),
            config: ndv(&planned),
            planned_state: ndv(&planned),
            planned_identity,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    #[tokio::test]
    async fn apply_returns_identity_and_refuses_to_change_it_in_place() {
        let (svc, named) = named_service(vec![]);
        let planned = nobj(Value::Unknown(None), "a", Value::Null, Value::Unknown(None));
        let created = napply(&svc, Value::Null, planned, None).await;
        assert!(created.diagnostics.is_empty(), "{:?}", created.diagnostics);
        assert_eq!(
            id_value(created.new_identity),
            ident("a", Some("eu-west-1"))
        );

        let prior = full("a");
        let mut next = prior.clone();
        plan::set_attr(&mut next, "note", Value::string("n"));
        let updated = napply(
            &svc,
            prior.clone(),
            next.clone(),
            id_data(&ident("a", Some("eu-west-1"))),
        )
        .await;
        assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
        assert_eq!(
            id_value(updated.new_identity),
            ident("a", Some("eu-west-1"))
        );

        let deleted = napply(&svc, prior.clone(), Value::Null, None).await;
        assert!(deleted.new_identity.is_none());

        named.identity_bug.store(true, Ordering::SeqCst);
        let bad = napply(&svc, prior, next, id_data(&ident("a", Some("eu-west-1")))).await;
        assert_eq!(
            summaries(&bad.diagnostics),
            vec!["Provider tried to change an identity"]
        );
        assert_eq!(id_value(bad.new_identity), ident("a", Some("eu-west-1")));
    }

    async fn nimport(
        svc: &ProviderService,
        type_name: &str,
        id: &str,
        identity: Option<pb::ResourceIdentityData>,
    ) -> pb::import_resource_state::Response {
        svc.import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: type_name.into(),
            id: id.into(),
            identity,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    #[tokio::test]
    async fn import_by_id_or_identity_carries_the_identity() {
        let (svc, _) = named_service(vec![]);
        let by_id = nimport(&svc, NAMED, "a", None).await;
        assert!(by_id.diagnostics.is_empty(), "{:?}", by_id.diagnostics);
        let r = &by_id.imported_resources[0];
        assert_eq!(
            id_value(r.identity.clone()),
            ident("a", None),
            "what the stub says"
        );

        // By identity: what the stub leaves null comes from the identity asked for.
        let by_identity = nimport(&svc, NAMED, "", id_data(&ident("a", Some("us-east-1")))).await;
        assert!(
            by_identity.diagnostics.is_empty(),
            "{:?}",
            by_identity.diagnostics
        );
        let r = by_identity.imported_resources.into_iter().next().unwrap();
        assert_eq!(id_value(r.identity), ident("a", Some("us-east-1")));
        assert_eq!(nvalue(r.state).attr("name"), &Value::string("a"));

        // A required attribute missing: an error naming it, nothing imported.
        let incomplete = nimport(
            &svc,
            NAMED,
            "",
            id_data(&named_identity_schema().value([("region", Value::string("x"))])),
        )
        .await;
        assert_eq!(
            summaries(&incomplete.diagnostics),
            vec!["Incomplete identity"]
        );
        assert!(incomplete.diagnostics[0].detail.contains("`name`"));
        assert!(incomplete.imported_resources.is_empty());

        // A type without identity refuses import by identity.
        let thing_identity = Some(pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack: vec![0x80],
                json: vec![],
            }),
        });
        let refused = nimport(&svc, "test_thing", "", thing_identity).await;
        assert_eq!(
            summaries(&refused.diagnostics),
            vec!["Import by identity is not supported"]
        );
    }

    #[tokio::test]
    async fn import_by_identity_must_find_the_object_asked_for() {
        let (svc, named) = named_service(vec![]);
        named.identity_bug.store(true, Ordering::SeqCst);
        let resp = nimport(&svc, NAMED, "", id_data(&ident("a", None))).await;
        assert_eq!(
            summaries(&resp.diagnostics),
            vec!["Provider tried to change an identity"]
        );
    }

    async fn nupgrade(
        svc: &ProviderService,
        type_name: &str,
        version: i64,
        json: &str,
    ) -> pb::upgrade_resource_identity::Response {
        svc.upgrade_resource_identity(Request::new(pb::upgrade_resource_identity::Request {
            type_name: type_name.into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner()
    }

    #[tokio::test]
    async fn identities_upgrade_along_a_versioned_path() {
        let (svc, _) = named_service(vec![]);
        let current = nupgrade(&svc, NAMED, 1, r#"{"name":"a","region":"eu-west-1"}"#).await;
        assert!(current.diagnostics.is_empty(), "{:?}", current.diagnostics);
        assert_eq!(
            id_value(current.upgraded_identity),
            ident("a", Some("eu-west-1"))
        );

        let older = nupgrade(&svc, NAMED, 0, r#"{"id":"a"}"#).await;
        assert!(older.diagnostics.is_empty(), "{:?}", older.diagnostics);
        assert_eq!(id_value(older.upgraded_identity), ident("a", None));

        let newer = nupgrade(&svc, NAMED, 2, r#"{"name":"a"}"#).await;
        assert_eq!(
            summaries(&newer.diagnostics),
            vec!["Identity written by a newer provider"]
        );
        assert!(newer.upgraded_identity.is_none());

        let none = nupgrade(&svc, "test_thing", 0, "{}").await;
        assert_eq!(
            summaries(&none.diagnostics),
            vec!["Resource type has no identity"]
        );
    }

    #[tokio::test]
    async fn generated_config_never_sets_computed_only_attributes() {
        let (svc, _) = named_service(vec![]);
        let generate = |type_name: &str, state: Option<pb::DynamicValue>| {
            svc.generate_resource_config(Request::new(pb::generate_resource_config::Request {
                type_name: type_name.into(),
                state,
            }))
        };
        let mut state = full("a");
        plan::set_attr(&mut state, "note", Value::string("kept"));
        let resp = generate(NAMED, ndv(&state)).await.unwrap().into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(
            nvalue(resp.config),
            nobj(Value::Null, "a", Value::string("kept"), Value::Null),
            "id stripped by the server, the default region left out by the resource"
        );
        // The default for a resource that does not override it: the state
        // minus computed-only attributes.
        let resp = generate("test_thing", dv(&obj(Some("1"), "a")))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(value(resp.config), obj(None, "a"));
    }

    #[tokio::test]
    async fn list_schemas_and_metadata_name_the_list_resources() {
        let (svc, _) = named_service(vec![]);
        let schema = svc
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
        assert_eq!(
            schema.list_resource_schemas.keys().collect::<Vec<_>>(),
            vec![NAMED]
        );
        let block = schema.list_resource_schemas[NAMED].block.clone().unwrap();
        assert_eq!(block.attributes[0].name, "prefix");
        let meta = svc
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap()
            .into_inner();
        let names: Vec<_> = meta
            .list_resources
            .iter()
            .map(|l| l.type_name.as_str())
            .collect();
        assert_eq!(names, vec![NAMED]);
        assert!(meta.server_capabilities.unwrap().generate_resource_config);
    }

    fn list_config(prefix: Option<&str>) -> Option<pb::DynamicValue> {
        let ty = CtyType::object([("prefix", CtyType::String)]);
        let v = Value::Object(
            [(
                "prefix".to_string(),
                prefix.map_or(Value::Null, Value::string),
            )]
            .into(),
        );
        Some(pb::DynamicValue {
            msgpack: codec_msgpack::encode(&v, &ty).unwrap(),
            json: Vec::new(),
        })
    }

    #[tokio::test]
    async fn list_configs_are_validated_with_attribute_paths() {
        let (svc, _) = named_service(vec![]);
        let validate = |type_name: &str, config| {
            svc.validate_list_resource_config(Request::new(
                pb::validate_list_resource_config::Request {
                    type_name: type_name.into(),
                    config,
                    ..Default::default()
                },
            ))
        };
        let ok = validate(NAMED, list_config(Some("a")))
            .await
            .unwrap()
            .into_inner();
        assert!(ok.diagnostics.is_empty());
        let bad = validate(NAMED, list_config(Some("")))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summaries(&bad.diagnostics), vec!["Empty prefix"]);
        assert!(bad.diagnostics[0].attribute.is_some());
        let unknown = validate("test_thing", list_config(None))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            summaries(&unknown.diagnostics),
            vec!["Unknown list resource"]
        );
    }

    async fn list_events(
        svc: &ProviderService,
        prefix: Option<&str>,
        include: bool,
        limit: i64,
    ) -> Vec<pb::list_resource::Event> {
        let stream = svc
            .list_resource(Request::new(pb::list_resource::Request {
                type_name: NAMED.into(),
                config: list_config(prefix),
                include_resource_object: include,
                limit,
            }))
            .await
            .unwrap()
            .into_inner();
        stream.map(|e| e.unwrap()).collect().await
    }

    #[tokio::test]
    async fn listing_streams_identities_and_objects_only_when_asked() {
        let (svc, _) = named_service(vec!["alpha", "beta", "apex"]);
        let events = list_events(&svc, Some("a"), false, 100).await;
        // Two results, then the returned warning on its own.
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(events[0].display_name, "named alpha");
        assert_eq!(
            id_value(events[1].identity.clone()),
            ident("apex", Some("eu-west-1"))
        );
        assert!(events[0].resource_object.is_none(), "not asked for");
        assert!(events[2].identity.is_none());
        assert_eq!(summaries(&events[2].diagnostic), vec!["Listed"]);

        let events = list_events(&svc, None, true, 100).await;
        assert_eq!(events.len(), 4);
        let object = codec_msgpack::decode(
            &events[1].resource_object.clone().unwrap().msgpack,
            &named_ty(),
        )
        .unwrap();
        assert_eq!(object, full("beta"));
    }

    #[tokio::test]
    async fn listing_stops_at_the_limit() {
        let (svc, named) = named_service(vec!["a1", "a2", "a3", "a4", "a5"]);
        let events = list_events(&svc, None, false, 2).await;
        let results: Vec<_> = events.iter().filter(|e| e.identity.is_some()).collect();
        assert_eq!(results.len(), 2);
        assert_eq!(
            named.offered.load(Ordering::SeqCst),
            2,
            "the listing stopped there"
        );

        let (svc, named) = named_service(vec!["a1"]);
        assert!(list_events(&svc, None, false, 0).await.is_empty());
        assert!(
            !named.listed.load(Ordering::SeqCst),
            "limit 0 lists nothing"
        );
    }

    #[tokio::test]
    async fn list_results_must_keep_the_rules() {
        let (svc, named) = named_service(vec!["a"]);
        named.omit_object.store(true, Ordering::SeqCst);
        let events = list_events(&svc, None, true, 10).await;
        assert_eq!(
            summaries(&events[0].diagnostic),
            vec!["List result without its object"]
        );

        let (svc, named) = named_service(vec!["a"]);
        named.identity_bug.store(true, Ordering::SeqCst);
        let events = list_events(&svc, None, true, 10).await;
        assert_eq!(
            summaries(&events[0].diagnostic),
            vec!["List result does not match its identity"]
        );
    }

    #[tokio::test]
    async fn a_listing_ends_when_terraform_hangs_up_or_stops() {
        let (svc, named) = named_service(vec![]);
        let svc = Arc::new(svc);
        let open = || {
            svc.list_resource(Request::new(pb::list_resource::Request {
                type_name: NAMED.into(),
                config: list_config(Some("wait")),
                include_resource_object: false,
                limit: 10,
            }))
        };
        let wait_for = |flag: &AtomicBool| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while !flag.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            flag.load(Ordering::SeqCst)
        };

        // Hanging up (dropping the stream) cancels the listing.
        let stream = open().await.unwrap().into_inner();
        assert!(
            tokio::task::spawn_blocking({
                let n = named.clone();
                move || {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
                    while !n.listed.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    n.listed.load(Ordering::SeqCst)
                }
            })
            .await
            .unwrap()
        );
        drop(stream);
        let n = named.clone();
        assert!(
            tokio::task::spawn_blocking(move || wait_for(&n.list_ended))
                .await
                .unwrap(),
            "dropping the stream ends the listing"
        );
        assert!(
            !named.list_cancelled.load(Ordering::SeqCst),
            "it was dropped, not stopped"
        );

        // StopProvider ends it with the listing's own diagnostic.
        named.list_cancelled.store(false, Ordering::SeqCst);
        let stream = open().await.unwrap().into_inner();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        svc.stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        let events: Vec<_> = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            stream.map(|e| e.unwrap()).collect::<Vec<_>>(),
        )
        .await
        .expect("the stream ends after StopProvider");
        assert_eq!(summaries(&events[0].diagnostic), vec!["Cancelled"]);
    }

    /// Declares an identity Terraform would reject, and a list without one.
    struct Broken {
        name: &'static str,
        bad_identity: bool,
    }

    #[async_trait]
    impl Resource for Broken {
        fn type_name(&self) -> &'static str {
            self.name
        }
        fn schema(&self) -> Schema {
            named_schema()
        }
        async fn create(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn update(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn delete(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
            unreachable!()
        }
        async fn read(&self, _ctx: &Ctx, _req: ReadRequest) -> ReadResponse {
            unreachable!()
        }
        fn identity(&self) -> Option<&dyn ResourceIdentity> {
            self.bad_identity.then_some(self as &dyn ResourceIdentity)
        }
        fn list_resource(&self) -> Option<&dyn ListResource> {
            (!self.bad_identity).then_some(self as &dyn ListResource)
        }
    }

    #[async_trait]
    impl ResourceIdentity for Broken {
        fn identity_schema(&self) -> IdentitySchema {
            IdentitySchema {
                version: 0,
                attributes: vec![IdentityAttribute::required_for_import(
                    "tags",
                    CtyType::map(CtyType::String),
                    "",
                )],
            }
        }
        fn identity_of(&self, _state: &Value) -> Value {
            Value::Null
        }
        async fn import_by_identity(&self, _ctx: &Ctx, _identity: &Value) -> ImportResponse {
            unreachable!()
        }
    }

    #[async_trait]
    impl ListResource for Broken {
        fn list_config_schema(&self) -> Schema {
            named_schema()
        }
        async fn list(
            &self,
            _ctx: &Ctx,
            _req: ListRequest,
            _results: &mut ListSink,
        ) -> Diagnostics {
            unreachable!()
        }
    }

    #[tokio::test]
    async fn provider_bugs_in_identity_and_lists_are_reported_in_the_schema() {
        let svc = serve(vec![
            Arc::new(Broken {
                name: "test_bad_identity",
                bad_identity: true,
            }),
            Arc::new(Broken {
                name: "test_list_only",
                bad_identity: false,
            }),
        ]);
        let schema = svc
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            summaries(&schema.diagnostics),
            vec!["Invalid identity schema", "List resource without identity"]
        );
        assert!(schema.diagnostics[0].detail.contains("map of string"));
        assert!(schema.list_resource_schemas.is_empty());
        let ids = svc
            .get_resource_identity_schemas(Request::new(
                pb::get_resource_identity_schemas::Request {},
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(ids.identity_schemas.is_empty());
        assert!(PlanModifier::RequiresReplace != PlanModifier::UseStateForUnknown);
    }
}
