//! `eks_sso_admin_access`: one permission set, its assignment of groups or
//! users to one account, the AWSReservedSSO role AWS creates for it, and an
//! EKS access entry with access-policy associations on each listed cluster.
//!
//! Module map (one job each):
//! - [`schema`], [`model`] (typed state), [`validate`], [`plan`] (+
//!   [`plan_checks`], read-only AWS checks of what is new), [`private`];
//! - [`create`], [`update`], [`read`] (+ [`drift`]), [`delete`], [`import`];
//! - adopting what exists: [`identity`], [`list`] (`terraform query`, with
//!   [`discover`]) and [`generate`] (generated configuration);
//! - AWS pieces: [`permission_set`], [`assignments`], [`principals`],
//!   [`reserved_role`], [`access_entries`];
//! - apply steps shared by create, update and delete: [`apply_env`] (clients,
//!   deadline, waits), [`preflight`] (checks before the first write),
//!   [`assign`] (principals), [`converge`] (entries and policies per cluster),
//!   [`in_flight`] (the mark that lets the next apply finish an interrupted
//!   one);
//! - [`policy`] (policy names and documents), [`messages`]; waits use
//!   [`crate::aws::wait`].

pub mod access_entries;
pub mod apply_env;
pub mod assign;
pub mod assignments;
pub mod converge;
pub mod create;
pub mod delete;
pub mod discover;
pub mod drift;
pub mod generate;
pub mod identity;
pub mod import;
pub mod in_flight;
pub mod list;
pub mod messages;
pub mod model;
pub mod permission_set;
pub mod plan;
pub mod plan_checks;
pub mod policy;
pub mod preflight;
pub mod principals;
pub mod private;
pub mod read;
pub mod reserved_role;
pub mod schema;
pub mod update;
pub mod validate;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;

use self::model::Grant;
use self::private::Private;
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{
    ApplyRequest, ApplyResponse, Ctx, IdentitySchema, ImportResponse, ListRequest, ListResource,
    ListSink, PlanRequest, PlanResponse, ReadRequest, ReadResponse, Resource, ResourceIdentity,
};
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

pub struct SsoAdminAccess {
    state: Arc<ProviderState>,
    /// The managed permission sets of the grants refreshed or planned so far
    /// in this process (from their state), for [`plan_checks`]: Terraform
    /// plans the new object of a replacement, and a tainted grant, with no
    /// prior state, while the name it wants is still held by the old set,
    /// which the replacement deletes first. That is not a taken name. (With
    /// `-refresh=false` a tainted grant is not seen; `plan_checks = false`
    /// is the way out then.)
    sets_in_state: std::sync::Mutex<BTreeSet<String>>,
}

impl SsoAdminAccess {
    pub fn new(state: Arc<ProviderState>) -> SsoAdminAccess {
        SsoAdminAccess {
            state,
            sets_in_state: std::sync::Mutex::new(BTreeSet::new()),
        }
    }

    /// Notes the managed set of `prior` and returns every set noted so far.
    fn note_set_in_state(&self, prior: &Value) -> BTreeSet<String> {
        let mut sets = self.sets_in_state.lock().unwrap_or_else(|e| e.into_inner());
        if !prior.attr(schema::PERMISSION_SET).is_null()
            && let Some(arn) = prior.attr(schema::PERMISSION_SET_ARN).as_str()
        {
            sets.insert(arn.to_string());
        }
        sets.clone()
    }
}

/// What an apply produced: the state that exists now (null when nothing
/// does), the private progress record, and any diagnostics.
pub struct Outcome {
    state: Value,
    private: Private,
    diagnostics: Diagnostics,
}

impl Outcome {
    /// Nothing exists (a create that failed before writing, or a delete that finished).
    pub fn nothing(diagnostics: Diagnostics) -> Outcome {
        Outcome {
            state: Value::Null,
            private: Private::default(),
            diagnostics,
        }
    }

    /// A finished delete.
    pub fn gone() -> Outcome {
        Outcome::nothing(Diagnostics::new())
    }

    /// `progress` exists (complete when `diagnostics` has no errors).
    pub fn partial(progress: Grant, private: Private, mut diagnostics: Diagnostics) -> Outcome {
        match progress.to_value() {
            Ok(state) => Outcome {
                state,
                private,
                diagnostics,
            },
            Err(e) => {
                diagnostics.error("Could not record the state", e.to_string());
                Outcome {
                    state: Value::Null,
                    private,
                    diagnostics,
                }
            }
        }
    }

    /// Nothing changed; `prior` still describes what exists.
    pub fn unchanged(prior: &Grant, private: Private, diagnostics: Diagnostics) -> Outcome {
        Outcome::partial(prior.clone(), private, diagnostics)
    }

    fn into_response(self) -> ApplyResponse {
        ApplyResponse {
            new_state: self.state,
            private: self.private.encode(),
            diagnostics: self.diagnostics,
        }
    }
}

/// An error before anything was done.
pub fn failed(summary: &str, detail: String) -> Outcome {
    Outcome::nothing(Diagnostics::from_error(summary, detail))
}

#[async_trait]
impl Resource for SsoAdminAccess {
    fn type_name(&self) -> &'static str {
        schema::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate_config(config)
    }

    async fn plan(&self, ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let private = Private::decode(&req.prior_private);
        let plan_ctx = plan::PlanContext {
            default_tags: self.state.default_tags(),
            configured_instance_arn: self.state.config().and_then(|c| c.sso.instance_arn.clone()),
        };
        let mut diagnostics = validate::validate_config(&req.config);
        if diagnostics.has_errors() {
            return PlanResponse {
                planned_state: req.proposed_new_state,
                requires_replace: Vec::new(),
                planned_private: req.prior_private,
                diagnostics,
            };
        }
        diagnostics.extend(plan::check_both_permission_set_forms(
            &req.prior_state,
            &req.config,
        ));
        if diagnostics.has_errors() {
            return PlanResponse {
                planned_state: req.proposed_new_state,
                requires_replace: Vec::new(),
                planned_private: req.prior_private,
                diagnostics,
            };
        }
        let planned = plan::plan(
            &req.prior_state,
            &req.config,
            &req.proposed_new_state,
            &private,
            &plan_ctx,
        );
        diagnostics.extend(planned.diagnostics);
        if !diagnostics.has_errors() {
            let in_state = self.note_set_in_state(&req.prior_state);
            let checks =
                plan_checks::check(&self.state, ctx, &req.prior_state, &req.config, &in_state);
            diagnostics.extend(checks.await);
        }
        PlanResponse {
            planned_state: planned.state,
            requires_replace: planned.requires_replace,
            planned_private: req.prior_private,
            diagnostics,
        }
    }

    async fn create(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        create::create(&self.state, ctx, &req).await.into_response()
    }

    async fn update(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        update::update(&self.state, ctx, &req).await.into_response()
    }

    async fn delete(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        delete::delete(&self.state, ctx, &req).await.into_response()
    }

    async fn read(&self, ctx: &Ctx, req: ReadRequest) -> ReadResponse {
        let resp = read::read(&self.state, ctx, req).await;
        // Terraform plans a tainted grant as a create, with no prior state,
        // so its refresh is where its set is seen (see `sets_in_state`).
        self.note_set_in_state(&resp.new_state);
        resp
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> ImportResponse {
        import::import(&self.state, ctx, id).await
    }

    fn identity(&self) -> Option<&dyn ResourceIdentity> {
        Some(self)
    }

    fn list_resource(&self) -> Option<&dyn ListResource> {
        Some(self)
    }

    /// What a person would write (see [`generate`]): a managed set as a
    /// `permission_set` block, a referenced one as `permission_set_arn`.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        if state.is_null() {
            return Ok(Value::Null);
        }
        let model_error = |e: model::ModelError| {
            Diagnostics::from_error(
                "Could not generate the configuration",
                format!("{e}. This is a provider bug; please report it."),
            )
        };
        let grant = Grant::from_value(state).map_err(model_error)?;
        generate::config_from_state(&grant)
            .to_value()
            .map_err(model_error)
    }
}

#[async_trait]
impl ResourceIdentity for SsoAdminAccess {
    fn identity_schema(&self) -> IdentitySchema {
        identity::schema()
    }

    fn identity_of(&self, state: &Value) -> Value {
        identity::of(state)
    }

    async fn import_by_identity(&self, ctx: &Ctx, id: &Value) -> ImportResponse {
        identity::import_by_identity(&self.state, ctx, id).await
    }
}

#[async_trait]
impl ListResource for SsoAdminAccess {
    fn list_config_schema(&self) -> Schema {
        list::config_schema()
    }

    fn validate_list_config(&self, config: &Value) -> Diagnostics {
        list::validate_config(config)
    }

    async fn list(&self, ctx: &Ctx, req: ListRequest, results: &mut ListSink) -> Diagnostics {
        list::list(&self.state, ctx, req, results).await
    }
}
