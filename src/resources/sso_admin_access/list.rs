//! `list "eks_sso_admin_access"` (`terraform query`): every IAM Identity
//! Center permission set whose AWSReservedSSO role has an access entry on an
//! EKS cluster of the account, as one grant per permission set, so an
//! existing setup (console, eksctl, hashicorp/aws) can be imported in one go.
//! An entry for any other principal is not a grant and is never listed.
//!
//! Finding grants is [`discover::find_grants`]. With `include_resource` (and
//! always for `-generate-config-out`) each result carries the state an
//! import would read: the same checks and the same managed/referenced rule
//! as `terraform import`, then a refresh.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::discover::{self, Filter, FoundGrant};
use super::identity;
use super::import::{ImportId, import_parsed};
use super::read;
use super::schema::{ACCOUNT_ID, CLUSTER_NAMES};
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::tfplugin::framework::{Ctx, ReadRequest};
use crate::tfplugin::list::{ListRequest, ListResult, ListSink};
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;
use crate::validate;

pub const PERMISSION_SET_NAMES: &str = "permission_set_names";

/// The `config { ... }` of a `list` block.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListConfig {
    account_id: Option<String>,
    cluster_names: Option<Vec<String>>,
    permission_set_names: Option<BTreeSet<String>>,
}

pub fn config_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::optional(
                    ACCOUNT_ID,
                    CtyType::String,
                    "The account to search. Default: the account of the provider's cluster-side credentials, \
                     which is the only one it can search (use an aliased provider with `assume_role` for others).",
                ),
                Attribute::optional(
                    CLUSTER_NAMES,
                    CtyType::list(CtyType::String),
                    "Only these clusters. Default: every EKS cluster in the provider's region.",
                ),
                Attribute::optional(
                    PERMISSION_SET_NAMES,
                    CtyType::set(CtyType::String),
                    "Only these permission sets, by name. Default: every permission set with an access entry.",
                ),
            ],
            description: "Finds grants that already exist: permission sets whose AWSReservedSSO role has an EKS \
                          access entry on a cluster of the account."
                .to_string(),
            ..Block::default()
        },
    }
}

/// Offline checks; unknown values pass.
pub fn validate_config(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    validate::check_str(
        &mut d,
        config.attr(ACCOUNT_ID),
        AttributePath::attr(ACCOUNT_ID),
        "Invalid account_id",
        validate::account_id,
    );
    for (i, c) in config.attr(CLUSTER_NAMES).elements().iter().enumerate() {
        validate::check_str(
            &mut d,
            c,
            AttributePath::attr(CLUSTER_NAMES).then_index(i),
            "Invalid cluster name",
            validate::eks_cluster_name,
        );
    }
    for name in config.attr(PERMISSION_SET_NAMES).elements() {
        validate::check_str(
            &mut d,
            name,
            AttributePath::attr(PERMISSION_SET_NAMES),
            "Invalid permission set name",
            validate::permission_set_name,
        );
    }
    d
}

/// What `terraform query` prints for a grant.
pub fn display_name(g: &FoundGrant) -> String {
    format!(
        "{}: access entries on {}",
        g.permission_set_name,
        g.clusters.join(", ")
    )
}

fn warning(summary: String, detail: String) -> Diagnostics {
    Diagnostics(vec![Diagnostic {
        severity: Severity::Warning,
        summary,
        detail,
        attribute: None,
    }])
}

fn cancelled() -> Diagnostics {
    Diagnostics::from_error(
        "Listing cancelled",
        "Terraform asked the provider to stop, so the list of grants is incomplete.",
    )
}

/// Lists the grants `req.config` asks for into `results`.
pub async fn list(
    state: &ProviderState,
    ctx: &Ctx,
    req: ListRequest,
    results: &mut ListSink,
) -> Diagnostics {
    let config = match req.config_as::<ListConfig>() {
        Ok(c) => c,
        Err(d) => return d,
    };
    let clients = match state.clients().await {
        Ok(c) => c,
        Err(d) => return d,
    };
    let account = match &config.account_id {
        Some(a) => {
            if let Err(d) = clients.check_account(a).await {
                return d;
            }
            a.clone()
        }
        None => match clients.cluster_account_id().await {
            Ok(a) => a,
            Err(e) => return e.to_diagnostics("Could not determine the provider's AWS account"),
        },
    };
    let instance = match clients.sso_instance(ctx).await {
        Ok(i) => i,
        Err(e) => return e.to_diagnostics("Could not find the IAM Identity Center instance"),
    };
    let filter = Filter {
        clusters: config.cluster_names.clone(),
        permission_set_names: config.permission_set_names.clone(),
    };
    let found = tokio::select! {
        _ = ctx.cancel.cancelled() => return cancelled(),
        f = discover::find_grants(ctx, clients, &instance.instance_arn, &account, &filter) => f,
    };
    let (grants, skipped) = match found {
        Ok(f) => f,
        Err(e) => return e.to_diagnostics("Could not look for existing grants"),
    };
    for s in skipped {
        let d = warning(
            format!("Cluster {} was not searched", s.cluster),
            format!(
                "{}. Grants on it are not listed; the other clusters were searched.",
                s.error
            ),
        );
        if !results.diagnostics(d).await {
            return Diagnostics::new();
        }
    }
    for g in grants {
        let id = identity::schema().value([
            (ACCOUNT_ID, Value::string(&account)),
            (
                super::schema::PERMISSION_SET_ARN,
                Value::string(&g.permission_set_arn),
            ),
        ]);
        let mut result = ListResult::new(id, display_name(&g));
        if req.include_resource {
            let full = tokio::select! {
                _ = ctx.cancel.cancelled() => return cancelled(),
                r = full_object(state, ctx, &account, &g) => r,
            };
            match full {
                Ok(v) => result = result.with_resource(v),
                Err(d) => {
                    // One grant that cannot be read (changed meanwhile, or
                    // not importable as found) must not hide the others.
                    let summary = format!("Grant {} left out", g.permission_set_name);
                    let detail =
                        d.0.iter()
                            .map(|x| format!("{}: {}", x.summary, x.detail))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    if !results.diagnostics(warning(summary, detail)).await {
                        return Diagnostics::new();
                    }
                    continue;
                }
            }
        }
        if !results.send(result).await {
            return Diagnostics::new();
        }
    }
    Diagnostics::new()
}

/// The state an import of `g` reads: the import's checks and stub, then a
/// refresh.
async fn full_object(
    state: &ProviderState,
    ctx: &Ctx,
    account: &str,
    g: &FoundGrant,
) -> Result<Value, Diagnostics> {
    let id = ImportId {
        permission_set_arn: g.permission_set_arn.clone(),
        account_id: account.to_string(),
        clusters: g.clusters.clone(),
        mode: None,
    };
    let imported = import_parsed(state, ctx, &id).await;
    if imported.diagnostics.has_errors() {
        return Err(imported.diagnostics);
    }
    let read = read::read(
        state,
        ctx,
        ReadRequest {
            current_state: imported.state,
            private: imported.private,
            current_identity: Value::Null,
        },
    )
    .await;
    if read.diagnostics.has_errors() {
        return Err(read.diagnostics);
    }
    if read.new_state.is_null() {
        return Err(Diagnostics::from_error(
            "Grant gone",
            "The grant disappeared while it was being read.".to_string(),
        ));
    }
    Ok(read.new_state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(account: Value, clusters: Value, names: Value) -> Value {
        Value::Object(
            [
                (ACCOUNT_ID.to_string(), account),
                (CLUSTER_NAMES.to_string(), clusters),
                (PERMISSION_SET_NAMES.to_string(), names),
            ]
            .into(),
        )
    }

    #[test]
    fn list_config_is_checked_offline() {
        let ok = cfg(
            Value::string("111122223333"),
            Value::List(vec![Value::string("prod")]),
            Value::Set(vec![Value::string("EKSAdmins")]),
        );
        assert!(validate_config(&ok).0.is_empty());
        let bad = cfg(
            Value::string("1234"),
            Value::List(vec![Value::string("-bad")]),
            Value::Set(vec![Value::string("no spaces allowed")]),
        );
        let paths = validate_config(&bad).attribute_paths();
        assert_eq!(paths.len(), 3, "{paths:?}");
        assert!(
            paths.iter().any(|p| p.starts_with("cluster_names")),
            "{paths:?}"
        );
        assert!(
            validate_config(&cfg(Value::Unknown(None), Value::Null, Value::Null))
                .0
                .is_empty()
        );
    }

    #[test]
    fn display_names_say_where_the_grant_reaches() {
        let g = FoundGrant {
            permission_set_arn: "arn:ps".into(),
            permission_set_name: "LegacyAdmins".into(),
            role_arn: "arn:role".into(),
            clusters: vec!["prod".into(), "staging".into()],
        };
        assert_eq!(
            display_name(&g),
            "LegacyAdmins: access entries on prod, staging"
        );
    }
}
