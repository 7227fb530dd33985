//! Resource `eks_cluster_creator_role`: the IAM role (plus a customer-managed
//! policy) that IAM Identity Center admins assume to create EKS clusters, as
//! in the AWS blog's EKSClusterCreator step, without its brittleness.
//!
//! Module map:
//! - [`schema`]: attributes; [`model`]: reading/writing Terraform values;
//! - [`validation`]: offline checks; [`derive`] + [`planning`]: what plan
//!   promises; [`apply`] + [`iam_ops`]: making it so; [`read`]: what exists;
//! - [`trust_policy`], [`presets`], [`policy_doc`]: the documents (whose
//!   meaning [`crate::aws::policy_json`] compares);
//! - [`arn_like`]: an `ArnLike` evaluator that proves the trust policy admits
//!   exactly the intended reserved roles.

pub mod apply;
pub mod arn_like;
pub mod derive;
pub mod iam_ops;
pub mod model;
pub mod planning;
pub mod policy_doc;
pub mod presets;
pub mod read;
pub mod schema;
pub mod trust_policy;
pub mod validation;

use std::sync::Arc;

use async_trait::async_trait;

use self::derive::Context;
use self::policy_doc::{MANAGED_POLICY_MAX_CHARS, TRUST_POLICY_DEFAULT_MAX_CHARS, counted_len};
use self::schema::*;
use self::trust_policy::TrustContext;
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::{
    ApplyRequest, ApplyResponse, Ctx, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
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
}

impl ClusterCreatorRole {
    async fn clients(&self) -> Result<&AwsClients, Diagnostics> {
        self.state.clients().await
    }

    /// Account, partition, SSO region and default tags. Account and
    /// partition come from the role's ARN when there is one, so only creates
    /// need STS GetCallerIdentity, which the provider caches per process.
    /// Without an ARN and `need_account` (a read after import) both stay
    /// empty: read takes them from the ARN of the role it finds.
    async fn context(
        &self,
        clients: &AwsClients,
        prior: &Value,
        need_account: bool,
    ) -> Result<Context, Diagnostics> {
        let from_arn = prior
            .attr(ARN)
            .as_str()
            .and_then(read::partition_and_account);
        let (partition, account_id) = match from_arn {
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

/// Size checks IAM would otherwise fail at apply time.
fn check_sizes(planned: &Value, config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(doc) = planned.attr(POLICY_DOCUMENT).as_str() {
        let n = counted_len(doc);
        if n > MANAGED_POLICY_MAX_CHARS {
            let at = if config.attr(ADDITIONAL_POLICY_JSON).is_null() {
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
    if let Some(trust) = planned.attr(TRUST_POLICY).as_str() {
        let n = counted_len(trust);
        if n > TRUST_POLICY_DEFAULT_MAX_CHARS {
            d.0.push(crate::tfplugin::diagnostics::Diagnostic {
                severity: crate::tfplugin::diagnostics::Severity::Warning,
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
        let respond = |planned_state: Value, requires_replace, diagnostics| PlanResponse {
            planned_state,
            requires_replace,
            planned_private: req.prior_private.clone(),
            diagnostics,
        };
        // Validation first: invalid input never costs an AWS call.
        let mut diags = validation::validate(&req.config);
        if diags.has_errors() {
            return respond(req.planned_state.clone(), Vec::new(), diags);
        }
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(req.planned_state.clone(), Vec::new(), d),
        };
        let ctx = match self.context(clients, &req.prior_state, true).await {
            Ok(c) => c,
            Err(d) => return respond(req.planned_state.clone(), Vec::new(), d),
        };
        let planned = planning::plan(&req.prior_state, &req.config, &ctx);
        diags.extend(check_sizes(&planned.state, &req.config));
        respond(planned.state, planned.requires_replace, diags)
    }

    async fn create(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let respond = |new_state, diagnostics| ApplyResponse {
            new_state,
            private: Vec::new(),
            diagnostics,
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(Value::Null, d),
        };
        let context = match self.context(clients, &req.planned_state, true).await {
            Ok(c) => c,
            Err(d) => return respond(Value::Null, d),
        };
        let target = match apply::Target::from_planned(&req.planned_state, &context) {
            Ok(t) => t,
            Err(d) => return respond(Value::Null, d),
        };
        let (state, diags) = apply::create(ctx, &clients.iam, &target, &req.planned_state).await;
        respond(state, diags)
    }

    async fn update(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let respond = |new_state, diagnostics| ApplyResponse {
            new_state,
            private: req.planned_private.clone(),
            diagnostics,
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(req.prior_state.clone(), d),
        };
        let context = match self.context(clients, &req.prior_state, true).await {
            Ok(c) => c,
            Err(d) => return respond(req.prior_state.clone(), d),
        };
        let target = match apply::Target::from_planned(&req.planned_state, &context) {
            Ok(t) => t,
            Err(d) => return respond(req.prior_state.clone(), d),
        };
        let (state, diags) = apply::update(
            ctx,
            &clients.iam,
            &req.prior_state,
            &target,
            &req.planned_state,
        )
        .await;
        respond(state, diags)
    }

    async fn delete(&self, _ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => {
                return ApplyResponse {
                    new_state: req.prior_state,
                    private: req.planned_private,
                    diagnostics: d,
                };
            }
        };
        let diags = apply::delete(&clients.iam, &req.prior_state).await;
        ApplyResponse {
            new_state: if diags.has_errors() {
                req.prior_state
            } else {
                Value::Null
            },
            private: Vec::new(),
            diagnostics: diags,
        }
    }

    async fn read(&self, _ctx: &Ctx, req: ReadRequest) -> ReadResponse {
        let respond = |new_state, diagnostics| ReadResponse {
            new_state,
            private: req.private.clone(),
            diagnostics,
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return respond(req.current_state.clone(), d),
        };
        let context = match self.context(clients, &req.current_state, false).await {
            Ok(c) => c,
            Err(d) => return respond(req.current_state.clone(), d),
        };
        match read::read(&clients.iam, &context, &req.current_state).await {
            Ok(state) => respond(state, Diagnostics::new()),
            Err(e) => respond(
                req.current_state.clone(),
                e.to_diagnostics("Could not read the cluster creator role"),
            ),
        }
    }

    async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
        if let Err(detail) = crate::validate::iam_role_name(id) {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostics::from_error(
                    "Invalid import ID",
                    format!(
                        "Import {TYPE_NAME} by its IAM role name, e.g. `terraform import <address> EKSClusterCreator`. {detail}"
                    ),
                ),
            };
        }
        let mut stub = model::empty_object();
        stub.insert(ID.into(), model::v_str(id));
        stub.insert(NAME.into(), model::v_str(id));
        ImportResponse {
            state: Value::Object(stub),
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_policies_are_reported_at_plan() {
        let mut m = model::empty_object();
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{}"}}]}}"#,
            "x".repeat(7000)
        );
        m.insert(POLICY_DOCUMENT.into(), model::v_str(big));
        let d = check_sizes(&Value::Object(m), &Value::Null);
        assert!(d.has_errors());
    }
}
