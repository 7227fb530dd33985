//! The contract between the protocol server and the product: a provider, its
//! resources and its data sources, in the shape terraform-plugin-framework made
//! familiar (schema, validate, plan, apply, read, import).
//!
//! The server owns wire concerns (decoding values, the two plan calls, destroy
//! plans, private state bytes); implementations only see [`Value`]s.
//!
//! A resource opts into more with small traits of its own, each handed out by
//! a default method of [`Resource`] that says "not offered":
//! - [`ResourceIdentity`] (Terraform 1.12+), from [`Resource::identity`]:
//!   an identity schema, the identity of a state, import by identity, and
//!   upgrades of stored identities;
//! - [`ListResource`] (`terraform query`, Terraform 1.14+), from
//!   [`Resource::list_resource`]: a `list` block's config schema and the
//!   listing itself, streamed through a [`ListSink`];
//! - [`Resource::generate_config`] (Terraform 1.14+), which has a default.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnostics::AttributePath;
use super::diagnostics::Diagnostics;
pub use super::identity::{ForImport, IdentityAttribute, IdentitySchema};
pub use super::list::{ListRequest, ListResult, ListSink};
use super::schema::Schema;
use super::value::Value;

/// Per-call context. `cancel` fires when Terraform sends StopProvider (for
/// example on Ctrl-C); long waits must select on it and return promptly.
/// `deadline`, when set, is the operation's time limit (a resource's
/// `timeouts`): every retry and wait under this context stops there.
#[derive(Clone, Default)]
pub struct Ctx {
    pub cancel: CancellationToken,
    pub deadline: Option<Deadline>,
}

/// An operation's time limit and the words that name it to the user, such as
/// `timeouts.create = "20s"`, so a message can say which setting ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    pub label: String,
}

/// Why [`Ctx::bounded`] gave up on a future.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interrupted {
    Cancelled,
    /// The context's deadline passed; carries it for the message.
    DeadlineExceeded(Deadline),
}

impl Ctx {
    /// A context cancelled by `cancel`, without a deadline.
    pub fn with_cancel(cancel: CancellationToken) -> Ctx {
        Ctx {
            cancel,
            deadline: None,
        }
    }

    /// This context with the time limit `at`, named `label` in messages. An
    /// earlier deadline already in force is kept.
    pub fn with_deadline(&self, at: tokio::time::Instant, label: impl Into<String>) -> Ctx {
        let keep = self.deadline.as_ref().is_some_and(|d| d.at <= at);
        Ctx {
            cancel: self.cancel.clone(),
            deadline: if keep {
                self.deadline.clone()
            } else {
                Some(Deadline {
                    at,
                    label: label.into(),
                })
            },
        }
    }

    /// The earlier of `at` and this context's deadline.
    pub fn cap(&self, at: tokio::time::Instant) -> tokio::time::Instant {
        match &self.deadline {
            Some(d) => d.at.min(at),
            None => at,
        }
    }

    /// Runs `fut` unless Terraform cancels or the deadline passes first; the
    /// future is dropped then (an AWS request in flight may still complete on
    /// AWS's side, which every create already tolerates as a lost response).
    pub async fn bounded<F: std::future::Future>(&self, fut: F) -> Result<F::Output, Interrupted> {
        let deadline = self.deadline.clone();
        let until = async {
            match &deadline {
                Some(d) => tokio::time::sleep_until(d.at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Interrupted::Cancelled),
            _ = until => Err(Interrupted::DeadlineExceeded(deadline.unwrap_or_else(|| Deadline {
                at: tokio::time::Instant::now(),
                label: String::new(),
            }))),
            out = fut => Ok(out),
        }
    }
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
    /// changed, and the attributes' declared `UseStateForUnknown` applied.
    /// Implementations refine it.
    pub planned_state: Value,
    /// The identity Terraform holds for the prior state; `Value::Null` on
    /// create, for resources without identity, and before Terraform 1.12.
    pub prior_identity: Value,
}

pub struct PlanResponse {
    pub planned_state: Value,
    /// Replacements beyond the attributes declared `RequiresReplace`, which
    /// the server adds itself.
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
    /// The identity the plan promised (`Value::Null` as in [`PlanRequest`]).
    pub planned_identity: Value,
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
    /// The identity Terraform holds (`Value::Null` when it holds none). After
    /// an import by identity it may name more than the state does yet.
    pub current_identity: Value,
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

    /// Resource identity, when this type has one: implement
    /// [`ResourceIdentity`] and return `Some(self)`.
    fn identity(&self) -> Option<&dyn ResourceIdentity> {
        None
    }

    /// `terraform query` support: implement [`ListResource`] and return
    /// `Some(self)`. A list resource needs an identity too.
    fn list_resource(&self) -> Option<&dyn ListResource> {
        None
    }

    /// The configuration a person would write to get `state` (after an
    /// import, or for a `terraform query` result): Terraform writes it out
    /// as HCL for `-generate-config-out`. Never called with unknowns; `state`
    /// may be null, and the answer may then be null too.
    ///
    /// The server nulls computed-only and deprecated attributes of whatever
    /// this returns. The default is what Terraform itself writes for
    /// providers without GenerateResourceConfig
    /// ([`genconfig::as_terraform_would`](super::genconfig::as_terraform_would));
    /// override it to leave out defaults and empty collections, and to
    /// choose between alternative spellings.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        Ok(super::genconfig::as_terraform_would(
            &self.schema().block,
            state,
        ))
    }
}

/// Resource identity (Terraform 1.12+): the attributes that name one remote
/// object, stored by Terraform beside the state.
///
/// The identity is a pure function of the state ([`Self::identity_of`]), so
/// the server can attach it to every state a resource returns (read, plan,
/// apply, import) and enforce the protocol's rule for every resource: once
/// an identity attribute is known it never changes while the object lives.
/// An implementation that breaks the rule gets a provider-bug error instead
/// of a silently different identity.
#[async_trait]
pub trait ResourceIdentity: Send + Sync {
    /// Checked when the catalog is built: primitives and lists of primitives
    /// only (a problem is reported as a provider bug in the schema call).
    fn identity_schema(&self) -> IdentitySchema;

    /// The identity of the object `state` describes: an object with the
    /// identity schema's attributes. No AWS calls. Attributes the state does
    /// not hold yet (an import stub) are null; attributes a planned state
    /// leaves unknown are unknown, which Terraform allows only for creates
    /// and replacements.
    fn identity_of(&self, state: &Value) -> Value;

    /// `import { to = ..., identity = { ... } }`. `identity` fits the schema
    /// and holds every `ForImport::Required` attribute (the server checks).
    /// Like [`Resource::import`], returns the state Read starts from. The
    /// identity sent back is [`Self::identity_of`] that state, with the
    /// attributes it leaves null taken from `identity`.
    async fn import_by_identity(&self, ctx: &Ctx, identity: &Value) -> ImportResponse;

    /// Converts an identity stored at an older schema `version` (as JSON)
    /// into the current shape. The server handles the current version
    /// itself, and refuses newer ones.
    fn upgrade_identity(
        &self,
        version: i64,
        _stored: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::from_error(
            "Identity upgrade not supported",
            format!(
                "The stored identity has version {version}, which this provider cannot convert. \
                 This is a provider bug; please report it."
            ),
        ))
    }
}

/// `terraform query` (Terraform 1.14+): find existing objects of a resource
/// type so they can be imported. Terraform asks for the matching managed
/// resource's identity with every result, so the resource must also
/// implement [`ResourceIdentity`].
#[async_trait]
pub trait ListResource: Send + Sync {
    /// The schema of the `config { ... }` block inside `list "<type>" "x"`.
    /// Its version is not used.
    fn list_config_schema(&self) -> Schema;

    /// Static checks of the list config; it may hold unknowns. No AWS calls.
    fn validate_list_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Finds the objects `req.config` asks for and sends each to `results`
    /// as it is found, stopping as soon as [`ListSink::send`] returns false
    /// (the limit was reached, Terraform went away or asked to stop).
    /// `req.config` is wholly known (null attributes where the user set
    /// nothing). The diagnostics returned go out after the last result; an
    /// error there ends the listing for Terraform.
    async fn list(&self, ctx: &Ctx, req: ListRequest, results: &mut ListSink) -> Diagnostics;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;

    #[tokio::test]
    async fn bounded_stops_at_the_deadline_and_on_cancel() {
        let ctx = Ctx::default().with_deadline(Instant::now() + Duration::from_millis(50), "t");
        let started = Instant::now();
        let r = ctx.bounded(std::future::pending::<()>()).await;
        assert!(
            matches!(r, Err(Interrupted::DeadlineExceeded(ref d)) if d.label == "t"),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));

        let ctx = Ctx::default();
        ctx.cancel.cancel();
        assert_eq!(
            ctx.bounded(std::future::pending::<()>()).await,
            Err(Interrupted::Cancelled)
        );
        assert_eq!(Ctx::default().bounded(async { 7 }).await, Ok(7));
    }

    #[tokio::test]
    async fn the_earlier_deadline_wins() {
        let soon = Instant::now() + Duration::from_secs(1);
        let ctx = Ctx::default().with_deadline(soon, "soon");
        let later = ctx.with_deadline(soon + Duration::from_secs(60), "later");
        assert_eq!(
            later.deadline.as_ref().map(|d| d.label.as_str()),
            Some("soon")
        );
        let sooner = ctx.with_deadline(soon - Duration::from_millis(500), "sooner");
        assert_eq!(
            sooner.deadline.as_ref().map(|d| d.label.as_str()),
            Some("sooner")
        );
        assert_eq!(ctx.cap(soon + Duration::from_secs(5)), soon);
        assert_eq!(Ctx::default().cap(soon), soon);
    }
}
