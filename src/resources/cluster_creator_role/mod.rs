//! Resource `eks_cluster_creator_role`: the IAM role (plus a customer-managed
//! policy) that IAM Identity Center admins assume to create EKS clusters, as
//! in the AWS blog's EKSClusterCreator step, without its brittleness.
//!
//! Module map:
//! - [`schema`]: attributes; [`model`]: the typed state;
//! - [`validation`]: offline checks; [`derive`] + [`planning`]: what plan
//!   promises; [`apply`] + [`iam_ops`]: making it so; [`read`]: what exists;
//! - adopting what exists: [`identity`] (`{account_id, name}`), [`list`]
//!   (`terraform query`), [`generate`] (the configuration to import with);
//! - [`trust_policy`] renders the trust, [`trust_grants`] reads trusts back
//!   (by meaning, for import and for listing); [`presets`]: the
//!   permissions documents (checked by [`crate::aws::policy_grammar`], whose
//!   meaning [`crate::aws::policy_json`] compares).
//!
//! Whether a rendered trust admits the intended principals is IAM's
//! evaluation, which the provider never needs: the tests ask the emulator's
//! STS (tests/emulator/emu_trust.py).

pub mod apply;
pub mod derive;
pub mod generate;
pub mod iam_ops;
pub mod identity;
pub mod list;
pub mod model;
pub mod planning;
pub mod presets;
pub mod read;
pub mod schema;
pub mod trust_grants;
pub mod trust_policy;
pub mod validation;

use std::sync::Arc;

use async_trait::async_trait;

use self::derive::Context;
use self::model::{CreatorRole, Partial};
use self::read::{Found, partition_and_account};
use self::schema::*;
use self::trust_policy::TrustContext;
use crate::aws::Service;
use crate::aws::policy_grammar::{
    MANAGED_POLICY_MAX_CHARS, TRUST_POLICY_DEFAULT_MAX_CHARS, counted_len,
};
use crate::aws::retry::cancellable;
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::tfplugin::framework::{
    ApplyRequest, ApplyResponse, Ctx, IdentitySchema, ImportResponse, ListRequest, ListResource,
    ListSink, PlanRequest, PlanResponse, ReadRequest, ReadResponse, Resource, ResourceIdentity,
};
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

pub const TYPE_NAME: &str = "eks_cluster_creator_role";

pub struct ClusterCreatorRole {
    state: Arc<ProviderState>,
}

impl ClusterCreatorRole {
    pub fn new(state: Arc<ProviderState>) -> ClusterCreatorRole {
        ClusterCreatorRole { state }
    }

    async fn clients(&self) -> Result<&AwsClients, Diagnostics> {
        self.state.clients().await
    }

    /// Account, partition, SSO region and default tags. Account and
    /// partition come from the role's ARN when there is one, so only creates
    /// need STS GetCallerIdentity, which the provider caches per process.
    /// Without an ARN and `need_account` (a read after import, a listing)
    /// both stay empty: read takes them from the ARN of the role it finds.
    async fn context(
        &self,
        clients: &AwsClients,
        arn: Option<&str>,
        need_account: bool,
    ) -> Result<Context, Diagnostics> {
        let (partition, account_id) = match arn.and_then(partition_and_account) {
            Some(pa) => pa,
            None if need_account => {
                let caller = clients.caller_identity().await.map_err(|e| {
                    e.to_diagnostics("Could not determine the AWS account for the creator role")
                })?;
                (caller.partition().to_string(), caller.account.clone())
            }
            None => (String::new(), String::new()),
        };
        Ok(Context {
            trust: TrustContext {
                partition,
                account_id,
                sso_region: clients.sso_region.clone(),
            },
            default_tags: clients.default_tags.clone(),
        })
    }
}

/// A model error is a provider bug: the server decoded the value with this
/// resource's own schema.
fn model_error(e: model::ModelError) -> Diagnostics {
    Diagnostics::from_error(
        "Could not read the creator role's values",
        format!("{e}. This is a provider bug; please report it."),
    )
}

fn to_value(role: &CreatorRole, diags: &mut Diagnostics) -> Value {
    match role.to_value() {
        Ok(v) => v,
        Err(e) => {
            diags.extend(model_error(e));
            Value::Null
        }
    }
}

/// Size checks IAM would otherwise fail at apply time.
fn check_sizes(planned: &CreatorRole, config: &CreatorRole) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(doc) = &planned.policy_document {
        let n = counted_len(doc);
        if n > MANAGED_POLICY_MAX_CHARS {
            let at = if config.additional_policy_json.is_none() {
                PERMISSIONS
            } else {
                ADDITIONAL_POLICY_JSON
            };
            d.attribute_error(
                AttributePath::attr(at),
                "Creator policy too large",
                format!(
                    "The merged customer-managed policy would have {n} characters (whitespace excluded); IAM allows {MANAGED_POLICY_MAX_CHARS}. \
                     Move some statements into a separate policy and list it in `managed_policy_arns`."
                ),
            );
        }
    }
    if let Some(trust) = &planned.trust_policy {
        let n = counted_len(trust);
        if n > TRUST_POLICY_DEFAULT_MAX_CHARS {
            d.0.push(Diagnostic {
                severity: Severity::Warning,
                summary: "Trust policy exceeds IAM's default size quota".to_string(),
                detail: format!(
                    "The trust policy has {n} characters; IAM's default quota is {TRUST_POLICY_DEFAULT_MAX_CHARS} (raisable to 4096 through Service Quotas). \
                     The apply fails unless the account's quota was raised; trust fewer permission sets or roles otherwise."
                ),
                attribute: Some(AttributePath::attr(TRUSTED_PERMISSION_SETS)),
            });
        }
    }
    d
}

/// Patterns are admitted through this account's root, which admits only
/// this account's principals: a pattern naming another account can never
/// match. Checked at plan, once the account is known.
fn check_pattern_accounts(config: &CreatorRole, ctx: &Context) -> Diagnostics {
    let mut d = Diagnostics::new();
    for p in config.trusted_principal_arn_patterns.iter().flatten() {
        if let Some((_, account)) = partition_and_account(p)
            && account != ctx.trust.account_id
        {
            d.attribute_error(
                AttributePath::attr(TRUSTED_PRINCIPAL_ARN_PATTERNS),
                "Pattern can never match",
                format!(
                    "{p:?} names account {account}, but the role is in account {} and trusts patterns through that account's root, \
                     which admits only its own principals. Use the role's account in the pattern.",
                    ctx.trust.account_id
                ),
            );
        }
    }
    d
}

#[async_trait]
impl Resource for ClusterCreatorRole {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validation::validate(config)
    }

    async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let respond = |planned_state: Value, diagnostics| PlanResponse {
            planned_state,
            requires_replace: Vec::new(),
            planned_private: req.prior_private.clone(),
            diagnostics,
        };
        // Validation first: invalid input never costs an AWS call.
        let mut diags = validation::validate(&req.config);
        if diags.has_errors() {
            return respond(req.planned_state.clone(), diags);
        }
        let (config, prior) = match (
            Partial::from_value(&req.config),
            CreatorRole::from_value(&req.prior_state),
        ) {
            (Ok(c), Ok(p)) => (c, p),
            (Err(e), _) | (_, Err(e)) => return respond(req.planned_state.clone(), model_error(e)),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(req.planned_state.clone(), d),
        };
        let ctx = match self.context(clients, prior.arn.as_deref(), true).await {
            Ok(c) => c,
            Err(d) => return respond(req.planned_state.clone(), d),
        };
        diags.extend(check_pattern_accounts(&config.known, &ctx));
        // The server's plan holds the prior unique id on in-place updates
        // (UseStateForUnknown) and an unknown otherwise.
        let unique_id = req
            .planned_state
            .attr(UNIQUE_ID)
            .as_str()
            .map(str::to_string);
        let prior = (!req.prior_state.is_null()).then_some(&prior);
        let planned = planning::plan(prior, &config, unique_id, &ctx);
        diags.extend(check_sizes(&planned.known, &config.known));
        match planned.to_value() {
            Ok(v) => respond(v, diags),
            Err(e) => respond(req.planned_state.clone(), model_error(e)),
        }
    }

    async fn create(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let respond = |new_state, diagnostics| ApplyResponse {
            new_state,
            private: Vec::new(),
            diagnostics,
        };
        let planned = match Partial::from_value(&req.planned_state) {
            Ok(p) => p,
            Err(e) => return respond(Value::Null, model_error(e)),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(Value::Null, d),
        };
        let context = match self
            .context(clients, planned.known.arn.as_deref(), true)
            .await
        {
            Ok(c) => c,
            Err(d) => return respond(Value::Null, d),
        };
        let target = match apply::Target::from_planned(&planned, &context) {
            Ok(t) => t,
            Err(d) => return respond(Value::Null, d),
        };
        let (state, mut diags) = apply::create(ctx, &clients.iam, &target, &planned.known).await;
        let value = match state {
            Some(s) => to_value(&s, &mut diags),
            None => Value::Null,
        };
        respond(value, diags)
    }

    async fn update(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let respond = |new_state, diagnostics| ApplyResponse {
            new_state,
            private: req.planned_private.clone(),
            diagnostics,
        };
        let (prior, planned) = match (
            CreatorRole::from_value(&req.prior_state),
            Partial::from_value(&req.planned_state),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return respond(req.prior_state.clone(), model_error(e)),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(req.prior_state.clone(), d),
        };
        let context = match self.context(clients, prior.arn.as_deref(), true).await {
            Ok(c) => c,
            Err(d) => return respond(req.prior_state.clone(), d),
        };
        let target = match apply::Target::from_planned(&planned, &context) {
            Ok(t) => t,
            Err(d) => return respond(req.prior_state.clone(), d),
        };
        let (state, mut diags) =
            apply::update(ctx, &clients.iam, &prior, &target, &planned.known).await;
        let value = to_value(&state, &mut diags);
        respond(value, diags)
    }

    async fn delete(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let keep = |diagnostics| ApplyResponse {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            diagnostics,
        };
        let prior = match CreatorRole::from_value(&req.prior_state) {
            Ok(p) => p,
            Err(e) => return keep(model_error(e)),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        let diags = apply::delete(ctx, &clients.iam, &prior).await;
        if diags.has_errors() {
            return keep(diags);
        }
        ApplyResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: diags,
        }
    }

    /// Refresh. The role leaves state only when IAM says it does not exist
    /// in the account the state names; a denied or failed call, or
    /// credentials for another account, keep state and say why.
    async fn read(&self, ctx: &Ctx, req: ReadRequest) -> ReadResponse {
        let respond = |new_state, diagnostics| ReadResponse {
            new_state,
            private: req.private.clone(),
            diagnostics,
        };
        let keep = |d| respond(req.current_state.clone(), d);
        let prior = match CreatorRole::from_value(&req.current_state) {
            Ok(p) => p,
            Err(e) => return keep(model_error(e)),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        let context = match self.context(clients, prior.arn.as_deref(), false).await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        let summary = "Could not read the cluster creator role";
        let found = cancellable(
            ctx,
            Service::Iam,
            "GetRole",
            read::read(&clients.iam, &context, &prior),
        )
        .await;
        match found {
            Ok(Found::Role(role)) => {
                if let Err(detail) = read::verify_same_account(
                    prior.arn.as_deref(),
                    role.arn.as_deref().unwrap_or_default(),
                ) {
                    return keep(Diagnostics::from_error(summary, detail));
                }
                let mut d = Diagnostics::new();
                let v = to_value(&role, &mut d);
                if d.has_errors() {
                    return keep(d);
                }
                respond(v, d)
            }
            Ok(Found::Missing) => {
                if prior.arn.is_some() {
                    let caller = match clients.caller_identity().await {
                        Ok(c) => c.account.clone(),
                        Err(e) => return keep(e.to_diagnostics(summary)),
                    };
                    if let Err(detail) = read::verify_gone(prior.arn.as_deref(), &caller) {
                        return keep(Diagnostics::from_error(summary, detail));
                    }
                }
                tracing::debug!(role = ?prior.role_name(), "creator role is gone");
                respond(Value::Null, Diagnostics::new())
            }
            Err(e) => keep(e.to_diagnostics(summary)),
        }
    }

    async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
        import_stub(id)
    }

    fn identity(&self) -> Option<&dyn ResourceIdentity> {
        Some(self)
    }

    fn list_resource(&self) -> Option<&dyn ListResource> {
        Some(self)
    }

    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        if state.is_null() {
            return Ok(Value::Null);
        }
        let role = CreatorRole::from_value(state).map_err(model_error)?;
        generate::config_for(&role).to_value().map_err(model_error)
    }
}

/// The state an import starts from: the role name, which Read fills out.
fn import_stub(name: &str) -> ImportResponse {
    if let Err(detail) = crate::validate::iam_role_name(name) {
        return ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::from_error(
                "Invalid import ID",
                format!(
                    "Import {TYPE_NAME} by its IAM role name, e.g. `terraform import <address> EKSClusterCreator` \
                     or `import {{ identity = {{ name = \"EKSClusterCreator\" }} }}`. {detail}"
                ),
            ),
        };
    }
    let stub = CreatorRole {
        id: Some(name.to_string()),
        name: Some(name.to_string()),
        ..CreatorRole::default()
    };
    match stub.to_value() {
        Ok(state) => ImportResponse {
            state,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        },
        Err(e) => ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: model_error(e),
        },
    }
}

#[async_trait]
impl ResourceIdentity for ClusterCreatorRole {
    fn identity_schema(&self) -> IdentitySchema {
        identity::schema()
    }

    fn identity_of(&self, state: &Value) -> Value {
        identity::of(state)
    }

    /// `{name}` alone imports from the credentials' account; with
    /// `account_id`, that must be the credentials' account (IAM shows only
    /// its own roles), or the import fails saying so.
    async fn import_by_identity(&self, _ctx: &Ctx, id: &Value) -> ImportResponse {
        let fail = |d| ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: d,
        };
        let name = id.attr(NAME).as_str().unwrap_or_default().to_string();
        if let Some(account) = id.attr(identity::ACCOUNT_ID).as_str() {
            if let Err(detail) = crate::validate::account_id(account) {
                return fail(Diagnostics::from_error(
                    "Invalid identity",
                    format!("account_id: {detail}"),
                ));
            }
            let clients = match self.clients().await {
                Ok(c) => c,
                Err(d) => return fail(d),
            };
            let caller = match clients.caller_identity().await {
                Ok(c) => c.account.clone(),
                Err(e) => {
                    return fail(
                        e.to_diagnostics("Could not determine the provider's AWS account"),
                    );
                }
            };
            if caller != account {
                return fail(Diagnostics::from_error(
                    "Wrong account",
                    format!(
                        "The identity names role {name:?} in account {account}, but the provider's credentials are for account {caller}, \
                         and IAM shows each account only its own roles. Configure the provider for account {account} \
                         (`profile` or `assume_role`), or fix `account_id`."
                    ),
                ));
            }
        }
        import_stub(&name)
    }
}

#[async_trait]
impl ListResource for ClusterCreatorRole {
    fn list_config_schema(&self) -> Schema {
        list::config_schema()
    }

    fn validate_list_config(&self, config: &Value) -> Diagnostics {
        list::validate_config(config)
    }

    async fn list(&self, ctx: &Ctx, req: ListRequest, results: &mut ListSink) -> Diagnostics {
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return d,
        };
        // Each role's own ARN gives account and partition.
        let context = match self.context(clients, None, false).await {
            Ok(c) => c,
            Err(d) => return d,
        };
        list::list(ctx, clients, &context, req, results).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_policies_are_reported_at_plan() {
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{}"}}]}}"#,
            "x".repeat(7000)
        );
        let planned = CreatorRole {
            policy_document: Some(big),
            ..CreatorRole::default()
        };
        let d = check_sizes(&planned, &CreatorRole::default());
        assert!(d.has_errors());
        assert_eq!(d.attribute_paths(), vec![PERMISSIONS]);
    }

    #[test]
    fn patterns_must_name_the_roles_account() {
        let ctx = Context {
            trust: TrustContext {
                partition: "aws".into(),
                account_id: "111122223333".into(),
                sso_region: "us-east-1".into(),
            },
            default_tags: Default::default(),
        };
        let with = |p: &str| CreatorRole {
            trusted_principal_arn_patterns: Some([p.to_string()].into()),
            ..CreatorRole::default()
        };
        assert!(
            check_pattern_accounts(&with("arn:aws:iam::111122223333:role/a*"), &ctx)
                .0
                .is_empty()
        );
        let d = check_pattern_accounts(&with("arn:aws:iam::999988887777:role/a*"), &ctx);
        assert_eq!(d.attribute_paths(), vec![TRUSTED_PRINCIPAL_ARN_PATTERNS]);
    }

    #[test]
    fn import_ids_are_role_names() {
        let ok = import_stub("EKSClusterCreator");
        assert!(ok.diagnostics.0.is_empty());
        assert_eq!(ok.state.attr(NAME), &Value::string("EKSClusterCreator"));
        let bad = import_stub("not a name");
        assert!(bad.diagnostics.has_errors() && bad.state.is_null());
    }
}
