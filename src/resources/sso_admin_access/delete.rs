//! Delete, in reverse order of creation: access entries (EKS drops their
//! policy associations with them), then assignments (waiting for each), then
//! the permission set when this resource manages it and no other account
//! still uses it. Anything already gone counts as deleted; a failure returns
//! what is left.
//!
//! Only what this grant made goes: the entries recorded in state, and the
//! assignments it created (not ones that existed before it, see
//! `Private::foreign_assignments`). A managed permission set still
//! provisioned to another account is kept, with a warning naming those
//! accounts, because deleting it would cut their access (AWS refuses anyway
//! while it is provisioned).

use std::collections::BTreeSet;

use tokio::time::Instant;

use super::Outcome;
use super::apply_env;
use super::assign;
use super::assignments::{self, Target};
use super::converge;
use super::model::{Grant, PrincipalKind};
use super::permission_set::{self, PsRef};
use super::private::Private;
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{ApplyRequest, Ctx};

pub async fn delete(state: &ProviderState, ctx: &Ctx, req: &ApplyRequest) -> Outcome {
    let prior = match Grant::from_value(&req.prior_state) {
        Ok(g) => g,
        Err(e) => return super::failed("Invalid state", e.to_string()),
    };
    let mut private = Private::decode(&req.planned_private);
    let deadline = Instant::now()
        + apply_env::timeout(prior.timeouts.as_ref().and_then(|t| t.delete.as_deref()));
    let account = prior.account_id.clone().unwrap_or_default();
    let clients = match apply_env::clients_for(state, &account).await {
        Ok(c) => c,
        Err(d) => return Outcome::unchanged(&prior, private, d),
    };
    let mut progress = prior.clone();

    // 1. The access entries this grant recorded, on every cluster at once.
    let targets: Vec<(String, String)> = prior
        .access_entries
        .iter()
        .flatten()
        .map(|(c, e)| (c.clone(), e.principal_arn.clone()))
        .collect();
    let diags = converge::delete_entries(ctx, clients, &targets, &mut progress).await;
    if diags.has_errors() {
        return Outcome::partial(progress, private, diags);
    }

    let (Some(instance), Some(ps_arn)) =
        (prior.instance_arn.clone(), prior.permission_set_arn.clone())
    else {
        return Outcome::gone();
    };
    let target = Target {
        sso: &clients.ssoadmin,
        instance: &instance,
        permission_set_arn: &ps_arn,
        account: &account,
    };

    // 2. Who else uses a managed permission set decides whether it goes.
    let managed = prior.permission_set.is_some();
    let other_accounts: BTreeSet<String> = if managed {
        match permission_set::provisioned_accounts(ctx, &clients.ssoadmin, &instance, &ps_arn).await
        {
            Ok(accounts) => accounts.into_iter().filter(|a| *a != account).collect(),
            Err(e) => {
                return Outcome::partial(
                    progress,
                    private,
                    e.to_diagnostics("Could not list the accounts that use the permission set"),
                );
            }
        }
    } else {
        BTreeSet::new()
    };
    let delete_set = managed && other_accounts.is_empty();

    // 3. Assignments in this account. When the set goes, every assignment of
    //    it must go first (AWS refuses to delete an assigned set), including
    //    one left by an interrupted apply; otherwise only the grant's own.
    let assigned = match assignments::list(ctx, target).await {
        Ok(a) => a,
        Err(e) if e.is_not_found() => Default::default(),
        Err(e) => {
            return Outcome::partial(
                progress,
                private,
                e.to_diagnostics("Could not list the permission set's assignments"),
            );
        }
    };
    if delete_set {
        private.foreign_assignments.clear();
    }
    let ids = prior.principal_ids.clone().unwrap_or_default();
    let name_of = |kind: PrincipalKind, id: &str| -> String {
        ids.iter()
            .find(|(n, v)| {
                v.as_str() == id && prior.principal_names().any(|(k, pn)| k == kind && pn == *n)
            })
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let todo: Vec<(PrincipalKind, String, String)> = assigned
        .iter()
        .filter(|(_, id)| delete_set || ids.values().any(|v| v == id))
        .map(|(k, id)| (*k, name_of(*k, id), id.clone()))
        .collect();
    let diags = assign::unassign(ctx, target, deadline, &todo, &mut progress, &mut private).await;
    if diags.has_errors() {
        return Outcome::partial(progress, private, diags);
    }

    // 4. The permission set, only when managed here and used nowhere else.
    let Some(ps_model) = &prior.permission_set else {
        return Outcome::gone();
    };
    if !delete_set {
        return Outcome::nothing(kept_warning(
            &ps_model.name,
            &ps_arn,
            &account,
            &other_accounts,
        ));
    }
    let ps = PsRef {
        sso: &clients.ssoadmin,
        instance: &instance,
        arn: &ps_arn,
        name: &ps_model.name,
    };
    if let Err(e) = permission_set::delete(ctx, &ps).await {
        return Outcome::partial(
            progress,
            private,
            e.to_diagnostics("Could not delete the permission set"),
        );
    }
    Outcome::gone()
}

/// The warning a destroy gives when it keeps a managed permission set that
/// other accounts still use.
fn kept_warning(name: &str, arn: &str, account: &str, others: &BTreeSet<String>) -> Diagnostics {
    let list: Vec<&str> = others.iter().map(String::as_str).collect();
    let mut d = Diagnostics::new();
    d.warning(
        format!("Permission set {name} kept: other accounts still use it"),
        format!(
            "Permission set {name} ({arn}) is still provisioned to account(s) {}, so it was not deleted: that would \
             cut their access. Only this grant's part in account {account} was removed (its access entries and \
             assignments). The permission set stays in IAM Identity Center and is no longer managed by Terraform here.",
            list.join(", ")
        ),
    );
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_warning_names_the_other_accounts() {
        let d = kept_warning(
            "Shared",
            "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
            "111122223333",
            &["444455556666".to_string()].into(),
        );
        assert!(!d.has_errors());
        let w = &d.0[0];
        assert!(w.summary.contains("Shared"));
        assert!(w.detail.contains("444455556666") && w.detail.contains("111122223333"));
    }
}
