//! `list "eks_cluster_creator_role"` (`terraform query`): the IAM roles whose
//! trust policy lets IAM Identity Center's reserved roles assume them, so a
//! setup made by hand, by eksctl or by the AWS blog can be imported.
//!
//! Every ListRoles page is read (optionally under a `path_prefix`), and a
//! role is a result only when [`trust_grants::sso_trust`] recognises its
//! trust: the reserved role named exactly (the blog's form), or reserved
//! roles admitted by an `aws:PrincipalArn` pattern through the account root
//! or a `*` principal. A role for a service, for CI, or one that trusts the
//! whole account is never listed. With `include_resource` (and always for
//! `-generate-config-out`) each result carries the state an import would
//! read, which costs the same calls as a refresh of that role.

use serde::Deserialize;

use super::derive::Context;
use super::iam_ops;
use super::identity::{self, ACCOUNT_ID};
use super::model::CreatorRole;
use super::read::{self, Found, partition_and_account};
use super::schema::NAME;
use super::trust_grants::{self, SsoTrust};
use crate::aws::{SdkResultExt, Service};
use crate::provider::AwsClients;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::list::{ListRequest, ListResult, ListSink};
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;
use crate::validate;

pub const PATH_PREFIX: &str = "path_prefix";
pub const NAME_PREFIX: &str = "name_prefix";

/// The `config { ... }` of a `list` block.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListConfig {
    path_prefix: Option<String>,
    name_prefix: Option<String>,
}

pub fn config_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::optional(
                    PATH_PREFIX,
                    CtyType::String,
                    "Only roles under this IAM path (ListRoles' `PathPrefix`), such as `/eks/`. Default: every role.",
                ),
                Attribute::optional(
                    NAME_PREFIX,
                    CtyType::String,
                    "Only roles whose name starts with this, such as `EKS`.",
                ),
            ],
            description: "Finds IAM roles that IAM Identity Center users can assume through their \
                          AWSReservedSSO roles, by exact role ARN or by `aws:PrincipalArn` pattern."
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
        config.attr(PATH_PREFIX),
        AttributePath::attr(PATH_PREFIX),
        "Invalid path_prefix",
        validate::iam_path,
    );
    validate::check_str(
        &mut d,
        config.attr(NAME_PREFIX),
        AttributePath::attr(NAME_PREFIX),
        "Invalid name_prefix",
        |s| {
            if s.is_empty() {
                return Err(
                    "An empty prefix matches every role; leave `name_prefix` out instead."
                        .to_string(),
                );
            }
            validate::iam_name(s, 64)
        },
    );
    d
}

/// What `terraform query` prints for a role.
pub fn display_name(role: &str, how: &[SsoTrust]) -> String {
    let Some(first) = how.first() else {
        return role.to_string();
    };
    let mut out = match first {
        SsoTrust::ExactArn(arn) => format!(
            "{role}: trusts {} by exact ARN",
            arn.rsplit('/').next().unwrap_or(arn)
        ),
        SsoTrust::Pattern(p) => format!("{role}: trusts aws:PrincipalArn like {p}"),
    };
    if how.len() > 1 {
        out.push_str(&format!(" (and {} more)", how.len() - 1));
    }
    out
}

fn cancelled() -> Diagnostics {
    Diagnostics::from_error(
        "Listing cancelled",
        "Terraform asked the provider to stop, so the list of creator roles is incomplete.",
    )
}

/// Lists the creator roles `req.config` asks for into `results`.
/// `context` gives the SSO region (for recognising exact permission-set
/// patterns on import) and the default tags.
pub async fn list(
    ctx: &Ctx,
    clients: &AwsClients,
    context: &Context,
    req: ListRequest,
    results: &mut ListSink,
) -> Diagnostics {
    let config = match req.config_as::<ListConfig>() {
        Ok(c) => c,
        Err(d) => return d,
    };
    let iam = &clients.iam;
    let mut pages = iam
        .list_roles()
        .set_path_prefix(config.path_prefix.clone())
        .into_paginator()
        .send();
    loop {
        let page = tokio::select! {
            _ = ctx.cancel.cancelled() => return cancelled(),
            p = pages.next() => p,
        };
        let Some(page) = page else {
            return Diagnostics::new();
        };
        let page = match page.aws(Service::Iam, "ListRoles") {
            Ok(p) => p,
            Err(e) => return e.to_diagnostics("Could not list IAM roles"),
        };
        for role in page.roles() {
            let info = iam_ops::role_info(role);
            if config
                .name_prefix
                .as_deref()
                .is_some_and(|p| !info.name.starts_with(p))
            {
                continue;
            }
            let Ok(doc) = serde_json::from_str::<serde_json::Value>(&info.trust_policy) else {
                continue;
            };
            let how = trust_grants::sso_trust(&doc);
            if how.is_empty() {
                continue;
            }
            let account = partition_and_account(&info.arn).map(|(_, a)| a);
            let id = identity::schema().value([
                (ACCOUNT_ID, account.map_or(Value::Null, Value::String)),
                (NAME, Value::string(&info.name)),
            ]);
            let mut result = ListResult::new(id, display_name(&info.name, &how));
            if req.include_resource {
                let stub = CreatorRole {
                    id: Some(info.name.clone()),
                    name: Some(info.name.clone()),
                    ..CreatorRole::default()
                };
                let found = tokio::select! {
                    _ = ctx.cancel.cancelled() => return cancelled(),
                    f = read::read(iam, context, &stub) => f,
                };
                match found {
                    Ok(Found::Role(state)) => match state.to_value() {
                        Ok(v) => result = result.with_resource(v),
                        Err(e) => {
                            return Diagnostics::from_error(
                                "Could not record a creator role",
                                format!(
                                    "{}: {e}. This is a provider bug; please report it.",
                                    info.name
                                ),
                            );
                        }
                    },
                    // Deleted between the two calls: not there to import.
                    Ok(Found::Missing) => continue,
                    Err(e) => {
                        return e.to_diagnostics(format!(
                            "Could not read the creator role {}",
                            info.name
                        ));
                    }
                }
            }
            if !results.send(result).await {
                return Diagnostics::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_say_how_the_role_trusts_sso() {
        let exact = SsoTrust::ExactArn(
            "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_0123456789abcdef"
                .into(),
        );
        assert_eq!(
            display_name("EKSClusterCreator", std::slice::from_ref(&exact)),
            "EKSClusterCreator: trusts AWSReservedSSO_A_0123456789abcdef by exact ARN"
        );
        let pattern = SsoTrust::Pattern("arn:aws:iam::1:role/aws-reserved/*".into());
        assert_eq!(
            display_name("Ops", &[exact, pattern]),
            "Ops: trusts AWSReservedSSO_A_0123456789abcdef by exact ARN (and 1 more)"
        );
    }

    #[test]
    fn list_config_is_checked_offline() {
        let cfg = |path: Value, name: Value| {
            Value::Object(
                [
                    (PATH_PREFIX.to_string(), path),
                    (NAME_PREFIX.to_string(), name),
                ]
                .into(),
            )
        };
        assert!(
            validate_config(&cfg(Value::string("/eks/"), Value::string("EKS")))
                .0
                .is_empty()
        );
        let d = validate_config(&cfg(Value::string("eks"), Value::string("")));
        assert_eq!(d.attribute_paths(), vec![PATH_PREFIX, NAME_PREFIX]);
        assert!(
            validate_config(&cfg(Value::Unknown(None), Value::Null))
                .0
                .is_empty()
        );
        let no_block = ListRequest {
            config: Value::Null,
            include_resource: false,
            limit: 1,
        };
        let read: ListConfig = no_block.config_as().expect("a list block without config");
        assert!(read.path_prefix.is_none() && read.name_prefix.is_none());
    }
}
