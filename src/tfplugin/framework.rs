//! The contract between the protocol server and the product: a provider, its
//! resources and its data sources, in the shape terraform-plugin-framework made
//! familiar (schema, validate, plan, apply, read, import).
//!
//! The server owns wire concerns (decoding values, the two plan calls, destroy
//! plans, private state bytes); implementations only see [`Value`]s.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnostics::AttributePath;
use super::diagnostics::Diagnostics;
use super::schema::Schema;
use super::value::Value;

/// Per-call context. `cancel` fires when Terraform sends StopProvider (for
/// example on Ctrl-C); long waits must select on it and return promptly.
#[derive(Clone, Default)]
pub struct Ctx {
    pub cancel: CancellationToken,
}

pub struct PlanRequest {
    /// `Value::Null` when the resource is being created.
    pub prior_state: Value,
    /// Terraform's proposal: config merged with prior state for computed attributes.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
    /// The framework's default plan (see `plan::default_plan`): the proposal
    /// with computed, null-in-config attributes marked unknown when anything
    /// changed. Implementations refine it.
    pub planned_state: Value,
}

pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

pub struct ApplyResponse {
    /// What exists now. On a partial failure this holds whatever was created,
    /// alongside the error, so the next apply resumes and destroy cleans up.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

pub struct ReadResponse {
    /// `Value::Null` when the object is gone, so Terraform plans a re-create.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ImportResponse {
    /// The state to hand to Read; it must be enough for Read to fill the rest.
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait Resource: Send + Sync {
    /// Full type name, e.g. `eks_sso_admin_access`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Static checks; `config` may contain unknown values. No AWS calls.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Called for creates and updates (never for destroys, which the server
    /// plans itself). Must give identical answers for identical input: Terraform
    /// calls it twice.
    async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        PlanResponse {
            planned_state: req.planned_state,
            requires_replace: Vec::new(),
            planned_private: req.prior_private,
            diagnostics: Diagnostics::new(),
        }
    }
    async fn create(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse;
    async fn update(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse;
    /// On success `new_state` must be `Value::Null`.
    async fn delete(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse;
    async fn read(&self, ctx: &Ctx, req: ReadRequest) -> ReadResponse;
    async fn import(&self, _ctx: &Ctx, _id: &str) -> ImportResponse {
        ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::from_error(
                "Import not supported",
                format!("{} cannot be imported.", self.type_name()),
            ),
        }
    }
}

#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// `config` is wholly known here. Returns the full state object.
    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics);
}

#[async_trait]
pub trait Provider: Send + Sync {
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    /// Called once per provider process before any resource call. Must not
    /// call AWS: clients are built lazily on first use.
    async fn configure(&self, ctx: &Ctx, terraform_version: &str, config: Value) -> Diagnostics;
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
}
