//! Import by `<permission_set_arn>,<account_id>,<cluster>[+<cluster>...][,managed|referenced]`.
//!
//! Import checks what it is told before anything lands in state: the
//! permission set exists, it is assigned in the account, and every cluster
//! exists, accepts access entries and has an entry for the set's reserved
//! role. Any mistake is an error naming the thing, and state stays empty.
//!
//! Managed or referenced is decided from what AWS holds: the set comes in as
//! managed (a `permission_set` block, deleted on destroy) only when this
//! grant's account is the only one it is provisioned to; a set other
//! accounts use comes in as `permission_set_arn`, referenced and never
//! modified. A fourth ID part, `managed` or `referenced`, overrides the
//! choice. Even a set forced to managed is kept on destroy while other
//! accounts use it.
//!
//! The read that follows fills every attribute from AWS, naming groups and
//! users by display name and user name.

use futures_util::future::join_all;

use super::access_entries;
use super::assignments::{self, Target};
use super::model::{Grant, PermissionSetModel, TimeoutsModel};
use super::permission_set;
use super::private::Private;
use super::reserved_role;
use super::schema::DEFAULT_TIMEOUT;
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Ctx, ImportResponse};
use crate::tfplugin::value::Value;
use crate::validate;

/// Whether the imported grant manages its permission set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A `permission_set` block: the grant owns the set.
    Managed,
    /// `permission_set_arn`: the set is only used.
    Referenced,
}

/// The parts of an import ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportId {
    pub permission_set_arn: String,
    pub account_id: String,
    /// In the order given.
    pub clusters: Vec<String>,
    /// `None`: decided from what AWS holds.
    pub mode: Option<Mode>,
}

const FORMAT: &str = "<permission_set_arn>,<account_id>,<cluster>[+<cluster>...][,managed|referenced], for example \
                      'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef,111122223333,prod+staging'";

/// Parses an import ID, saying exactly which part is wrong.
pub fn parse(id: &str) -> Result<ImportId, String> {
    let parts: Vec<&str> = id.trim().split(',').map(str::trim).collect();
    if parts.len() != 3 && parts.len() != 4 {
        return Err(format!(
            "The import ID {id:?} has {} comma-separated part(s); it needs 3 (or 4): {FORMAT}.",
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
    let mode = match parts.get(3) {
        None => None,
        Some(&"managed") => Some(Mode::Managed),
        Some(&"referenced") => Some(Mode::Referenced),
        Some(other) => {
            return Err(format!(
                "Fourth part: {other:?} is neither \"managed\" nor \"referenced\". Leave it out to let the provider \
                 decide (managed only when no other account uses the permission set)."
            ));
        }
    };
    Ok(ImportId {
        permission_set_arn: parts[0].to_string(),
        account_id: parts[1].to_string(),
        clusters,
        mode,
    })
}

/// The instance a permission set ARN belongs to:
/// `arn:aws:sso:::permissionSet/ssoins-X/ps-Y` → `arn:aws:sso:::instance/ssoins-X`.
pub fn instance_of(ps_arn: &str) -> Option<String> {
    let (prefix, rest) = ps_arn.split_once(":permissionSet/")?;
    let instance = rest.split('/').next()?;
    Some(format!("{prefix}:instance/{instance}"))
}

fn failure(diagnostics: Diagnostics) -> ImportResponse {
    ImportResponse {
        state: Value::Null,
        private: Vec::new(),
        diagnostics,
    }
}

fn fail(summary: &str, detail: String) -> ImportResponse {
    failure(Diagnostics::from_error(summary, detail))
}

pub async fn import(state: &ProviderState, ctx: &Ctx, id: &str) -> ImportResponse {
    match parse(id) {
        Ok(parsed) => import_parsed(state, ctx, &parsed).await,
        Err(e) => fail("Invalid import ID", e),
    }
}

/// Import of a parsed ID; also the last step of import by identity and of a
/// `terraform query` result's full object.
pub async fn import_parsed(state: &ProviderState, ctx: &Ctx, parsed: &ImportId) -> ImportResponse {
    let clients = match state.clients().await {
        Ok(c) => c,
        Err(d) => return failure(d),
    };
    if let Err(d) = clients.check_account(&parsed.account_id).await {
        return failure(d);
    }
    let instance = match clients.sso_instance(ctx).await {
        Ok(i) => i,
        Err(e) => {
            return failure(e.to_diagnostics("Could not find the IAM Identity Center instance"));
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
    let mode = match check(ctx, clients, &instance.instance_arn, parsed).await {
        Ok(m) => m,
        Err(d) => return failure(d),
    };
    let skeleton = Grant {
        id: Some(format!(
            "{},{}",
            parsed.permission_set_arn, parsed.account_id
        )),
        account_id: Some(parsed.account_id.clone()),
        cluster_names: Some(parsed.clusters.clone()),
        permission_set: (mode == Mode::Managed).then(PermissionSetModel::default),
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
                importing: true,
                ..Private::default()
            }
            .encode(),
            diagnostics: Diagnostics::new(),
        },
        Err(e) => fail("Could not build the imported state", e.to_string()),
    }
}

/// Checks everything the ID names, reporting every mistake at once, and
/// decides the mode. Read-only.
async fn check(
    ctx: &Ctx,
    clients: &AwsClients,
    instance_arn: &str,
    id: &ImportId,
) -> Result<Mode, Diagnostics> {
    let ps_arn = id.permission_set_arn.as_str();
    let account = id.account_id.as_str();
    let target = Target {
        sso: &clients.ssoadmin,
        instance: instance_arn,
        permission_set_arn: ps_arn,
        account,
    };
    let clusters = join_all(id.clusters.iter().map(|c| async move {
        (
            c,
            access_entries::authentication_mode(&clients.eks, c).await,
        )
    }));
    let (name, assigned, accounts, modes) = tokio::join!(
        permission_set::describe_name(ctx, &clients.ssoadmin, instance_arn, ps_arn),
        assignments::list(ctx, target),
        permission_set::provisioned_accounts(ctx, &clients.ssoadmin, instance_arn, ps_arn),
        clusters
    );
    let mut diags = Diagnostics::new();
    let name = match name {
        Ok(Some(n)) => Some(n),
        Ok(None) => {
            diags.error(
                "Permission set not found",
                format!(
                    "Permission set {ps_arn} does not exist in IAM Identity Center instance {instance_arn}. Check \
                     the first part of the import ID (aws sso-admin list-permission-sets --instance-arn {instance_arn})."
                ),
            );
            None
        }
        Err(e) => return Err(e.to_diagnostics("Could not read the permission set")),
    };
    if let Some(n) = &name {
        match &assigned {
            Ok(a) if a.is_empty() => diags.error(
                "No assignment in the account",
                format!(
                    "Permission set {n} ({ps_arn}) is not assigned to any group or user in account {account}, so \
                     there is no grant to import there. Check the second part of the import ID (aws sso-admin \
                     list-account-assignments --instance-arn {instance_arn} --account-id {account} \
                     --permission-set-arn {ps_arn})."
                ),
            ),
            Ok(_) => {}
            Err(e) => diags.extend(e.to_diagnostics("Could not list the permission set's assignments")),
        }
    }
    let mut usable = Vec::new();
    for (cluster, mode) in modes {
        match mode {
            Ok(m) if m == "CONFIG_MAP" => diags.error(
                format!("Cluster {cluster} does not use access entries"),
                format!(
                    "EKS cluster {cluster} uses authentication mode CONFIG_MAP, so it has no access entries to \
                     import: its SSO access lives in the aws-auth ConfigMap. Leave it out of the import ID."
                ),
            ),
            Ok(_) => usable.push(cluster),
            Err(e) if e.is_not_found() => diags.error(
                format!("Cluster {cluster} not found"),
                format!(
                    "EKS cluster {cluster} does not exist in account {account}, region {} (the provider's region). \
                     Check the cluster names in the import ID and the provider's region.",
                    clients.region
                ),
            ),
            Err(e) => diags.extend(e.to_diagnostics(format!("Could not read cluster {cluster}"))),
        }
    }
    let Some(name) = name else {
        return Err(diags);
    };
    if matches!(&assigned, Ok(a) if a.is_empty()) {
        return Err(diags);
    }
    match reserved_role::lookup(&clients.iam, &name, account).await {
        Ok(Some(role)) => {
            let role_arn = role.arn.as_str();
            let entries = join_all(usable.iter().map(|c| async move {
                (c, access_entries::describe(&clients.eks, c, role_arn).await)
            }))
            .await;
            for (cluster, entry) in entries {
                match entry {
                    Ok(Some(_)) => {}
                    Ok(None) => diags.error(
                        format!("No access entry on cluster {cluster}"),
                        format!(
                            "EKS cluster {cluster} has no access entry for {role_arn}, the reserved role of permission \
                             set {name} in account {account}, so this grant does not reach it. Leave {cluster:?} out \
                             of the import ID, or add it to cluster_names after the import to create the entry."
                        ),
                    ),
                    Err(e) => diags.extend(
                        e.to_diagnostics(format!("Could not read the access entry on cluster {cluster}")),
                    ),
                }
            }
        }
        Ok(None) => diags.error(
            "Reserved role not found",
            format!(
                "Account {account} has no AWSReservedSSO_{name}_... role yet, although the permission set is assigned \
                 there; Identity Center may still be provisioning it. Try the import again in a minute."
            ),
        ),
        Err(e) => diags.extend(e.to_diagnostics("Could not look up the reserved role")),
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let accounts = accounts
        .map_err(|e| e.to_diagnostics("Could not list the accounts that use the permission set"))?;
    Ok(id.mode.unwrap_or(if accounts.iter().all(|a| a == account) {
        Mode::Managed
    } else {
        Mode::Referenced
    }))
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
        assert_eq!(p.mode, None);
        assert_eq!(
            parse(&format!("{PS},111122223333,prod,managed"))
                .unwrap()
                .mode,
            Some(Mode::Managed)
        );
        assert_eq!(
            parse(&format!("{PS},111122223333,prod,referenced"))
                .unwrap()
                .mode,
            Some(Mode::Referenced)
        );
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
            parse(&format!("{PS},111122223333,prod,owned"))
                .unwrap_err()
                .starts_with("Fourth part")
        );
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
