//! The identity of a grant: `{account_id, permission_set_arn}`, version 0.
//!
//! One permission set in one account is one grant: its assignments there,
//! the reserved role Identity Center made for them, and that role's access
//! entries. The clusters are not part of the identity, because adding or
//! removing one is an in-place update of the same grant; import by identity
//! finds them (the clusters whose access entries name the set's role).

use super::discover;
use super::import::{ImportId, import_parsed};
use super::permission_set;
use super::reserved_role;
use super::schema::{ACCOUNT_ID, PERMISSION_SET_ARN};
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Ctx, ImportResponse};
use crate::tfplugin::identity::{IdentityAttribute, IdentitySchema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;
use crate::validate;

pub fn schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::required_for_import(
                ACCOUNT_ID,
                CtyType::String,
                "The AWS account (12 digits) the permission set is assigned in, which holds the clusters.",
            ),
            IdentityAttribute::required_for_import(
                PERMISSION_SET_ARN,
                CtyType::String,
                "The permission set's ARN (`arn:aws:sso:::permissionSet/ssoins-.../ps-...`).",
            ),
        ],
    }
}

/// The identity of the grant `state` describes: both attributes straight
/// from it (unknown while a create's plan does not know the new set's ARN).
pub fn of(state: &Value) -> Value {
    let pick = |name: &str| match state.attr(name) {
        v @ (Value::String(_) | Value::Unknown(_)) => v.clone(),
        _ => Value::Null,
    };
    schema().value([
        (ACCOUNT_ID, pick(ACCOUNT_ID)),
        (PERMISSION_SET_ARN, pick(PERMISSION_SET_ARN)),
    ])
}

fn fail(summary: &str, detail: String) -> ImportResponse {
    ImportResponse {
        state: Value::Null,
        private: Vec::new(),
        diagnostics: Diagnostics::from_error(summary, detail),
    }
}

/// `import { to = ..., identity = { account_id = ..., permission_set_arn = ... } }`:
/// finds the grant's clusters (every cluster in the provider's region with an
/// access entry for the set's reserved role), then imports like an import ID
/// naming them, with the same checks and the same managed/referenced rule.
pub async fn import_by_identity(
    state: &ProviderState,
    ctx: &Ctx,
    identity: &Value,
) -> ImportResponse {
    let account = identity.attr(ACCOUNT_ID).as_str().unwrap_or_default();
    let ps_arn = identity
        .attr(PERMISSION_SET_ARN)
        .as_str()
        .unwrap_or_default();
    if let Err(e) = validate::account_id(account) {
        return fail("Invalid identity", format!("account_id: {e}"));
    }
    if let Err(e) = validate::permission_set_arn(ps_arn) {
        return fail("Invalid identity", format!("permission_set_arn: {e}"));
    }
    let clients = match state.clients().await {
        Ok(c) => c,
        Err(d) => {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: d,
            };
        }
    };
    if let Err(d) = clients.check_account(account).await {
        return ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: d,
        };
    }
    let instance = match clients.sso_instance(ctx).await {
        Ok(i) => i,
        Err(e) => {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: e.to_diagnostics("Could not find the IAM Identity Center instance"),
            };
        }
    };
    let name = match permission_set::describe_name(
        ctx,
        &clients.ssoadmin,
        &instance.instance_arn,
        ps_arn,
    )
    .await
    {
        Ok(Some(n)) => n,
        Ok(None) => {
            return fail(
                "Permission set not found",
                format!(
                    "Permission set {ps_arn} does not exist in IAM Identity Center instance {}. Check \
                     permission_set_arn in the identity.",
                    instance.instance_arn
                ),
            );
        }
        Err(e) => {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: e.to_diagnostics("Could not read the permission set"),
            };
        }
    };
    let role = match reserved_role::lookup(&clients.iam, &name, account).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return fail(
                "No assignment in the account",
                format!(
                    "Account {account} has no AWSReservedSSO_{name}_... role, so permission set {name} ({ps_arn}) is \
                     not assigned there and there is no grant to import."
                ),
            );
        }
        Err(e) => {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: e.to_diagnostics("Could not look up the reserved role"),
            };
        }
    };
    let clusters = match discover::clusters_with_entry_for(&clients.eks, &role.arn).await {
        Ok(c) => c,
        Err(e) => {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: e.to_diagnostics("Could not look for the grant's access entries"),
            };
        }
    };
    if clusters.is_empty() {
        return fail(
            "No access entry for the permission set",
            format!(
                "No EKS cluster in account {account}, region {} has an access entry for {}, the reserved role of \
                 permission set {name}, so there is no grant to import. Check the provider's region.",
                clients.region, role.arn
            ),
        );
    }
    let id = ImportId {
        permission_set_arn: ps_arn.to_string(),
        account_id: account.to_string(),
        clusters,
        mode: None,
    };
    import_parsed(state, ctx, &id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::sso_admin_access::model::Grant;

    const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

    #[test]
    fn identity_is_the_account_and_the_permission_set() {
        let g = Grant {
            account_id: Some("111122223333".into()),
            permission_set_arn: Some(PS.into()),
            cluster_names: Some(vec!["prod".into()]),
            ..Grant::default()
        };
        let v = g.to_value().unwrap();
        assert_eq!(
            of(&v),
            schema().value([
                (ACCOUNT_ID, Value::string("111122223333")),
                (PERMISSION_SET_ARN, Value::string(PS)),
            ])
        );
        // A create's plan does not know a new set's ARN yet.
        let mut planned = v.clone();
        crate::tfplugin::plan::set_attr(&mut planned, PERMISSION_SET_ARN, Value::Unknown(None));
        assert!(of(&planned).attr(PERMISSION_SET_ARN).is_unknown());
        assert!(schema().problems().is_empty());
    }
}
