//! Data source `eks_sso_reserved_role`: the IAM role IAM Identity Center
//! created for a permission set in the provider's (cluster) account.
//!
//! Unlike `data "aws_iam_roles"` with a name regex, this insists on exactly
//! one match of the exact name, and can wait for a role that a fresh
//! assignment is about to create.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::aws::iam::{RESERVED_SSO_PATH_PREFIX, ReservedRole, find_reserved_roles};
use crate::aws::wait::{WaitError, cancellable, poll};
use crate::aws::{AwsError, Service};
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;
use crate::validate::{self, format_duration, parse_go_duration};

use super::common::{check_args, object, read_response};

pub const TYPE_NAME: &str = "eks_sso_reserved_role";

pub struct SsoReservedRole {
    state: Arc<ProviderState>,
}

impl SsoReservedRole {
    pub fn new(state: Arc<ProviderState>) -> SsoReservedRole {
        SsoReservedRole { state }
    }
}

fn schema() -> Schema {
    let s = CtyType::String;
    Schema {
        version: 0,
        block: Block {
            description: format!(
                "Finds the IAM role that IAM Identity Center creates in an account when a permission set is assigned there: `AWSReservedSSO_<permission set>_<16 hex>` under `{RESERVED_SSO_PATH_PREFIX}` (plus the Identity Center region, except us-east-1). Matches the exact name, so `Admin` never matches `Admin_Prod`, and fails clearly on zero or several matches. Looks in the provider's cluster account."
            ),
            attributes: vec![
                Attribute::required(
                    "permission_set_name",
                    s.clone(),
                    "Name of the permission set, e.g. `EKSClusterAdminAccess` (1–32 characters of `[\\w+=,.@-]`, case-sensitive).",
                ),
                Attribute::optional(
                    "wait",
                    s.clone(),
                    "How long to wait for the role to appear, as a duration such as `\"2m\"`; useful right after an assignment, since Identity Center creates the role asynchronously. Default: no wait.",
                ),
                Attribute::computed(
                    "id",
                    s.clone(),
                    "Same as `arn`: the role's full ARN, path included.",
                ),
                Attribute::computed(
                    "name",
                    s.clone(),
                    "Role name, e.g. `AWSReservedSSO_EKSClusterAdminAccess_0123456789abcdef`.",
                ),
                Attribute::computed(
                    "arn",
                    s.clone(),
                    "Full role ARN including its path: what EKS access entries and IAM trust policies need.",
                ),
                Attribute::computed(
                    "arn_without_path",
                    s.clone(),
                    "`arn:aws:iam::<account>:role/<name>`: what the aws-auth ConfigMap's `mapRoles` needs (it must not contain a path).",
                ),
                Attribute::computed(
                    "path",
                    s.clone(),
                    "Role path, e.g. `/aws-reserved/sso.amazonaws.com/eu-west-1/`.",
                ),
                Attribute::computed(
                    "unique_id",
                    s,
                    "IAM's stable role ID (`AROA...`); changes when Identity Center re-creates the role.",
                ),
            ],
            ..Block::default()
        },
    }
}

fn validate_config(config: &Value) -> Diagnostics {
    check_args(
        config,
        &[
            (
                "permission_set_name",
                "Invalid permission set name",
                validate::permission_set_name,
            ),
            ("wait", "Invalid wait duration", |s| {
                parse_go_duration(s).map(|_| ())
            }),
        ],
    )
}

fn state_value(role: &ReservedRole, config: &Value) -> Value {
    let s = |v: &str| Value::string(v);
    object([
        (
            "permission_set_name",
            config.attr("permission_set_name").clone(),
        ),
        ("wait", config.attr("wait").clone()),
        ("id", s(&role.arn)),
        ("name", s(&role.name)),
        ("arn", s(&role.arn)),
        ("arn_without_path", s(&role.arn_without_path())),
        ("path", s(&role.path)),
        ("unique_id", s(&role.unique_id)),
    ])
}

/// The error for zero matches; `waited` is set when `wait` ran out.
fn not_found(permission_set: &str, account: Option<&str>, waited: Option<Duration>) -> Diagnostics {
    let account = account.map_or_else(
        || "the provider's cluster account".to_string(),
        |a| format!("account {a}"),
    );
    let mut detail = format!(
        "No IAM role named AWSReservedSSO_{permission_set}_<16 hex> exists under {RESERVED_SSO_PATH_PREFIX} in {account}."
    );
    if let Some(w) = waited {
        detail.push_str(&format!(" Waited {} for it to appear.", format_duration(w)));
    }
    detail.push_str(&format!(
        "\n\nIAM Identity Center creates this role only once permission set \"{permission_set}\" is assigned (or provisioned) to {account}, and deletes it with the last assignment. Check that:\n- the permission set name is spelled exactly, including case;\n- it is assigned to {account} (for example with eks_sso_admin_access);\n- the provider's credentials point at that account (an aliased provider with assume_role if not).\nRight after a new assignment, set wait = \"2m\" so the lookup waits for the role."
    ));
    let mut d = Diagnostics::new();
    d.attribute_error(
        AttributePath::attr("permission_set_name"),
        "AWSReservedSSO role not found",
        detail,
    );
    d
}

fn several(permission_set: &str, roles: &[ReservedRole]) -> Diagnostics {
    let list: Vec<String> = roles.iter().map(|r| format!("- {}", r.arn)).collect();
    let mut d = Diagnostics::new();
    d.attribute_error(
        AttributePath::attr("permission_set_name"),
        "Several AWSReservedSSO roles match",
        format!(
            "Expected one role for permission set \"{permission_set}\", found {}:\n{}\n\nThis happens when more than one Identity Center instance (or home region) provisions the permission set into this account. Remove the stale role or assignment in IAM, then retry.",
            roles.len(),
            list.join("\n")
        ),
    );
    d
}

impl SsoReservedRole {
    async fn lookup(&self, ctx: &Ctx, config: &Value) -> Result<ReservedRole, Diagnostics> {
        let Some(ps) = config.attr("permission_set_name").as_str() else {
            return Err(Diagnostics::from_error(
                "Missing permission_set_name",
                "permission_set_name is required.",
            ));
        };
        let wait = match config.attr("wait").as_str() {
            Some(w) => Some(parse_go_duration(w).map_err(|e| {
                let mut d = Diagnostics::new();
                d.attribute_error(AttributePath::attr("wait"), "Invalid wait duration", e);
                d
            })?),
            None => None,
        };
        let clients = self.state.clients().await?;
        let on_err = |e: AwsError| {
            e.about(format!("roles of permission set {ps}"))
                .to_diagnostics("Could not look up the AWSReservedSSO role")
        };

        let (roles, waited) = match wait.filter(|w| !w.is_zero()) {
            None => (
                cancellable(
                    ctx,
                    Service::Iam,
                    "ListRoles",
                    find_reserved_roles(&clients.iam, ps),
                )
                .await
                .map_err(on_err)?,
                None,
            ),
            Some(w) => {
                let found = poll(ctx, Instant::now() + w, || async {
                    let roles = find_reserved_roles(&clients.iam, ps).await?;
                    Ok::<_, AwsError>((!roles.is_empty()).then_some(roles))
                })
                .await;
                match found {
                    Ok(roles) => (roles, None),
                    // Report the configured wait ("2m"), not the measured 2m0.3s.
                    Err(WaitError::TimedOut { .. }) => (Vec::new(), Some(w)),
                    Err(e) => {
                        return Err(on_err(e.into_aws(
                            Service::Iam,
                            "ListRoles",
                            "the role to appear",
                        )));
                    }
                }
            }
        };
        match <[ReservedRole; 1]>::try_from(roles) {
            Ok([role]) => Ok(role),
            Err(none) if none.is_empty() => {
                let account = clients.cluster_account_id().await.ok();
                Err(not_found(ps, account.as_deref(), waited))
            }
            Err(many) => Err(several(ps, &many)),
        }
    }
}

#[async_trait]
impl DataSource for SsoReservedRole {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics) {
        let result = self.lookup(ctx, &config).await;
        read_response(result.map(|role| state_value(&role, &config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> ReservedRole {
        ReservedRole {
            name: "AWSReservedSSO_Admin_0123456789abcdef".into(),
            arn: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef".into(),
            path: "/aws-reserved/sso.amazonaws.com/eu-west-1/".into(),
            unique_id: "AROAEXAMPLE".into(),
        }
    }

    #[test]
    fn state_has_every_schema_attribute() {
        let config =
            Value::Object([("permission_set_name".to_string(), Value::string("Admin"))].into());
        let v = state_value(&role(), &config);
        for a in schema().block.attributes {
            assert!(
                matches!(&v, Value::Object(m) if m.contains_key(&a.name)),
                "{}",
                a.name
            );
        }
        assert_eq!(
            v.attr("arn_without_path").as_str(),
            Some("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef")
        );
        assert_eq!(v.attr("id"), v.attr("arn"));
        assert_eq!(v.attr("wait"), &Value::Null);
    }

    #[test]
    fn validation_points_at_the_attribute() {
        let bad = Value::Object(
            [
                (
                    "permission_set_name".to_string(),
                    Value::string("has space"),
                ),
                ("wait".to_string(), Value::string("2 minutes")),
            ]
            .into(),
        );
        let d = validate_config(&bad);
        let paths: Vec<String> =
            d.0.iter()
                .map(|x| x.attribute.as_ref().unwrap().to_string())
                .collect();
        assert_eq!(paths, vec!["permission_set_name", "wait"]);
        let unknown =
            Value::Object([("permission_set_name".to_string(), Value::Unknown(None))].into());
        assert!(validate_config(&unknown).0.is_empty());
    }

    #[test]
    fn not_found_names_permission_set_account_and_wait() {
        let d = not_found(
            "EKSAdmin",
            Some("111122223333"),
            Some(Duration::from_secs(120)),
        );
        let detail = &d.0[0].detail;
        assert!(detail.contains("\"EKSAdmin\""), "{detail}");
        assert!(detail.contains("account 111122223333"), "{detail}");
        assert!(detail.contains("Waited 2m"), "{detail}");
        assert!(detail.contains("wait = \"2m\""), "{detail}");
        assert_eq!(
            d.0[0].attribute,
            Some(AttributePath::attr("permission_set_name"))
        );
    }

    #[test]
    fn several_lists_every_match() {
        let mut other = role();
        other.arn = other.arn.replace("eu-west-1/", "");
        let d = several("Admin", &[role(), other.clone()]);
        assert!(d.0[0].detail.contains(&role().arn) && d.0[0].detail.contains(&other.arn));
    }
}
