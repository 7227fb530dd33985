//! Import by `<permission_set_arn>,<account_id>,<cluster>[+<cluster>...]`.
//! The imported grant manages the permission set (the `permission_set`
//! block); the read that follows fills every attribute from AWS, naming
//! groups and users by display name and user name.

use super::model::{Grant, PermissionSetModel, TimeoutsModel};
use super::private::Private;
use super::schema::DEFAULT_TIMEOUT;
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::ImportResponse;
use crate::tfplugin::value::Value;
use crate::validate;

/// The parts of an import ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportId {
    pub permission_set_arn: String,
    pub account_id: String,
    /// In the order given.
    pub clusters: Vec<String>,
}

const FORMAT: &str = "<permission_set_arn>,<account_id>,<cluster>[+<cluster>...], for example \
                      'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef,111122223333,prod+staging'";

/// Parses an import ID, saying exactly which part is wrong.
pub fn parse(id: &str) -> Result<ImportId, String> {
    let parts: Vec<&str> = id.trim().split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(format!(
            "The import ID {id:?} has {} comma-separated part(s); it needs 3: {FORMAT}.",
            parts.len()
        ));
    }
    validate::permission_set_arn(parts[0]).map_err(|e| format!("First part: {e}"))?;
    validate::account_id(parts[1]).map_err(|e| format!("Second part: {e}"))?;
    let mut clusters: Vec<String> = Vec::new();
    for c in parts[2].split('+').map(str::trim) {
        if c.is_empty() {
            return Err(format!(
                "Third part: an empty cluster name in {:?}; separate clusters with '+', as in prod+staging.",
                parts[2]
            ));
        }
        validate::eks_cluster_name(c).map_err(|e| format!("Third part: {e}"))?;
        if clusters.iter().any(|x| x == c) {
            return Err(format!("Third part: cluster {c:?} is listed twice."));
        }
        clusters.push(c.to_string());
    }
    Ok(ImportId {
        permission_set_arn: parts[0].to_string(),
        account_id: parts[1].to_string(),
        clusters,
    })
}

/// The instance a permission set ARN belongs to:
/// `arn:aws:sso:::permissionSet/ssoins-X/ps-Y` → `arn:aws:sso:::instance/ssoins-X`.
pub fn instance_of(ps_arn: &str) -> Option<String> {
    let (prefix, rest) = ps_arn.split_once(":permissionSet/")?;
    let instance = rest.split('/').next()?;
    Some(format!("{prefix}:instance/{instance}"))
}

fn fail(summary: &str, detail: String) -> ImportResponse {
    ImportResponse {
        state: Value::Null,
        private: Vec::new(),
        diagnostics: Diagnostics::from_error(summary, detail),
    }
}

pub async fn import(state: &ProviderState, id: &str) -> ImportResponse {
    let parsed = match parse(id) {
        Ok(p) => p,
        Err(e) => return fail("Invalid import ID", e),
    };
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
    let instance = match clients.sso_instance().await {
        Ok(i) => i,
        Err(e) => {
            return ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: e.to_diagnostics("Could not find the IAM Identity Center instance"),
            };
        }
    };
    if instance_of(&parsed.permission_set_arn).as_deref() != Some(instance.instance_arn.as_str()) {
        return fail(
            "Permission set of another instance",
            format!(
                "{} belongs to another IAM Identity Center instance than the provider's ({}). Set the provider's \
                 sso.instance_arn (and sso.region) to that instance.",
                parsed.permission_set_arn, instance.instance_arn
            ),
        );
    }
    let skeleton = Grant {
        id: Some(format!(
            "{},{}",
            parsed.permission_set_arn, parsed.account_id
        )),
        account_id: Some(parsed.account_id.clone()),
        cluster_names: Some(parsed.clusters.clone()),
        permission_set: Some(PermissionSetModel::default()),
        permission_set_arn: Some(parsed.permission_set_arn.clone()),
        instance_arn: Some(instance.instance_arn.clone()),
        identity_store_id: Some(instance.identity_store_id.clone()),
        timeouts: Some(TimeoutsModel {
            create: Some(DEFAULT_TIMEOUT.to_string()),
            update: Some(DEFAULT_TIMEOUT.to_string()),
            delete: Some(DEFAULT_TIMEOUT.to_string()),
        }),
        ..Default::default()
    };
    match skeleton.to_value() {
        Ok(v) => ImportResponse {
            state: v,
            private: Private {
                needs_provision: false,
                importing: true,
            }
            .encode(),
            diagnostics: Diagnostics::new(),
        },
        Err(e) => fail("Could not build the imported state", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

    #[test]
    fn parses_valid_ids() {
        let p = parse(&format!("{PS},111122223333,prod+staging")).unwrap();
        assert_eq!(p.permission_set_arn, PS);
        assert_eq!(p.account_id, "111122223333");
        assert_eq!(p.clusters, vec!["prod".to_string(), "staging".to_string()]);
        assert_eq!(
            parse(&format!("{PS},111122223333,prod"))
                .unwrap()
                .clusters
                .len(),
            1
        );
    }

    #[test]
    fn explains_bad_ids() {
        assert!(parse("nope").unwrap_err().contains("needs 3"));
        assert!(
            parse(&format!("{PS},111122223333"))
                .unwrap_err()
                .contains("needs 3")
        );
        assert!(
            parse("arn:aws:sso:::permissionSet/x,111122223333,prod")
                .unwrap_err()
                .starts_with("First part")
        );
        assert!(
            parse(&format!("{PS},1111,prod"))
                .unwrap_err()
                .starts_with("Second part")
        );
        assert!(
            parse(&format!("{PS},111122223333,prod++staging"))
                .unwrap_err()
                .contains("empty cluster")
        );
        assert!(
            parse(&format!("{PS},111122223333,prod+prod"))
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse(&format!("{PS},111122223333,-bad"))
                .unwrap_err()
                .starts_with("Third part")
        );
    }

    #[test]
    fn instance_from_permission_set_arn() {
        assert_eq!(
            instance_of(PS).as_deref(),
            Some("arn:aws:sso:::instance/ssoins-1234567890abcdef")
        );
        assert_eq!(instance_of("arn:aws:iam::1:role/x"), None);
    }
}
