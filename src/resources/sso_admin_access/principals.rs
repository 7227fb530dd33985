//! Identity Center principals: names as users write them (group display
//! names, user names) to identity-store IDs and back.

use std::sync::LazyLock;

use aws_sdk_identitystore::Client;
use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
use aws_smithy_types::Document;
use regex::Regex;

use super::model::PrincipalKind;
use crate::aws::{AwsError, ErrorKind, SdkResultExt, Service};
use crate::provider::AwsClients;

/// The identity-store ID format (`PrincipalId` in sso-admin): a UUID,
/// optionally prefixed with ten hex digits and a dash.
static PRINCIPAL_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$")
        .expect("literal regex")
});

/// True when `s` is already an identity-store ID and needs no lookup.
pub fn is_principal_id(s: &str) -> bool {
    PRINCIPAL_ID.is_match(s)
}

/// One principal of a grant: how it was written and what it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The entry of `groups`/`users` as written.
    pub name: String,
    pub id: String,
}

/// Resolves one name (or passes an ID through) in `identity_store_id`, once
/// per provider process: grants naming the same group share the lookup
/// ([`AwsClients::principal_id`]).
pub async fn resolve(
    clients: &AwsClients,
    identity_store_id: &str,
    kind: PrincipalKind,
    name: &str,
) -> Result<String, AwsError> {
    if is_principal_id(name) {
        return Ok(name.to_string());
    }
    clients
        .principal_id(identity_store_id, kind.noun(), name, || {
            look_up(&clients.identitystore, identity_store_id, kind, name)
        })
        .await
}

/// One GetGroupId/GetUserId, with a not-found turned into the fix.
async fn look_up(
    client: &Client,
    identity_store_id: &str,
    kind: PrincipalKind,
    name: &str,
) -> Result<String, AwsError> {
    let (path, op) = match kind {
        PrincipalKind::Group => ("displayName", "GetGroupId"),
        PrincipalKind::User => ("userName", "GetUserId"),
    };
    let attr = UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(name.to_string()))
        .build()
        .map_err(|e| {
            AwsError::new(
                Service::IdentityStore,
                op,
                ErrorKind::Unexpected,
                e.to_string(),
            )
        })?;
    let ident = AlternateIdentifier::UniqueAttribute(attr);
    let result = match kind {
        PrincipalKind::Group => client
            .get_group_id()
            .identity_store_id(identity_store_id)
            .alternate_identifier(ident)
            .send()
            .await
            .aws(Service::IdentityStore, op)
            .map(|o| o.group_id().to_string()),
        PrincipalKind::User => client
            .get_user_id()
            .identity_store_id(identity_store_id)
            .alternate_identifier(ident)
            .send()
            .await
            .aws(Service::IdentityStore, op)
            .map(|o| o.user_id().to_string()),
    };
    result.map_err(|e| {
        if e.is_not_found() {
            let what = match kind {
                PrincipalKind::Group => "display name",
                PrincipalKind::User => "user name",
            };
            AwsError::new(
                Service::IdentityStore,
                op,
                ErrorKind::Unexpected,
                format!(
                    "no {} with {what} {name:?} exists in identity store {identity_store_id}. Check the spelling \
                     (names are case-sensitive), or give the {} ID from the IAM Identity Center console instead.",
                    kind.noun(),
                    kind.noun()
                ),
            )
        } else {
            e.about(format!("{} {name:?}", kind.noun()))
        }
    })
}

/// The name a principal is shown by (group display name, user name), for
/// import; the ID itself when the principal has none.
pub async fn display_name(
    client: &Client,
    identity_store_id: &str,
    kind: PrincipalKind,
    id: &str,
) -> Result<String, AwsError> {
    let name = match kind {
        PrincipalKind::Group => client
            .describe_group()
            .identity_store_id(identity_store_id)
            .group_id(id)
            .send()
            .await
            .aws(Service::IdentityStore, "DescribeGroup")?
            .display_name()
            .map(str::to_string),
        PrincipalKind::User => client
            .describe_user()
            .identity_store_id(identity_store_id)
            .user_id(id)
            .send()
            .await
            .aws(Service::IdentityStore, "DescribeUser")?
            .user_name()
            .map(str::to_string),
    };
    Ok(name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_identity_store_ids() {
        assert!(is_principal_id("9067d3e2-1234-4c3f-8a9b-0123456789ab"));
        assert!(is_principal_id(
            "906712345a-9067d3e2-1234-4c3f-8a9b-0123456789ab"
        ));
        assert!(!is_principal_id("EKS_Cluster_Admins"));
        assert!(!is_principal_id("9067d3e2-1234-4c3f-8a9b"));
        assert!(!is_principal_id("jane@example.com"));
    }
}
