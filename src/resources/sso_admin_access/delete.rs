//! Delete, in reverse order of creation: access entries (EKS drops their
//! policy associations with them), then assignments (waiting for each), then
//! the permission set when this resource manages it and no other account
//! still uses it. Anything already gone counts as deleted; a failure returns
//! what is left.
//!
//! Only what this grant made goes: the entries recorded in state, and the
//! assignments it created (not ones that existed before it, see
//! `Private::foreign_assignments`). A managed permission set still assigned
//! in another account is kept, with a warning naming the accounts that use
//! it, because deleting it would cut their access. AWS itself refuses to
//! delete a set that is still assigned anywhere; that refusal is what makes
//! the provider ask who else uses it, so a plain destroy costs no extra
//! Identity Center call. (A copy provisioned to another account with no
//! assignment there, which nobody can sign in to, goes with the set if AWS
//! allows it.)
//!
//! Policies are not detached before DeletePermissionSet, and never were. The
//! API reference says only "Deletes the specified permission set." and does
//! not promise that the inline policy, managed policies, customer-managed
//! references and boundary go with it; it lists no error for a set that
//! still has them, and they are parts of the set rather than objects of
//! their own, so nothing can be left behind to orphan. Detaching first
//! would cost one call per policy per grant for no documented gain.

use std::collections::BTreeSet;

use super::Outcome;
use super::apply_env;
use super::assign::{self, RoleGone};
use super::assignments::{self, Settled, Target};
use super::converge;
use super::model::{Grant, PrincipalKind};
use super::permission_set::{self, PsRef};
use super::private::Private;
use crate::aws::Class;
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{ApplyRequest, Ctx};

pub async fn delete(state: &ProviderState, ctx: &Ctx, req: &ApplyRequest) -> Outcome {
    let prior = match Grant::from_value(&req.prior_state) {
        Ok(g) => g,
        Err(e) => return super::failed("Invalid state", e.to_string()),
    };
    let mut private = Private::decode(&req.planned_private);
    let (limited, deadline) = apply_env::limited(
        ctx,
        "delete",
        prior.timeouts.as_ref().and_then(|t| t.delete.as_deref()),
    );
    let ctx = &limited;
    let account = prior.account_id.clone().unwrap_or_default();
    let clients = match apply_env::clients_for(state, ctx, &account).await {
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

    // 2. The grant's own assignments in this account, as the state records
    //    them: a destroy is planned on a refresh that has just confirmed them,
    //    so listing them again would only spend Identity Center calls. For a
    //    managed set these are every assignment the account has, so the
    //    reserved role going (AWS deletes it with the last assignment) is the
    //    sign they are done, and their statuses need not be polled.
    let managed = prior.permission_set.is_some();
    let ids = prior.principal_ids.clone().unwrap_or_default();
    let todo: Vec<(PrincipalKind, String, String)> = prior
        .principal_names()
        .filter_map(|(k, n)| ids.get(n).map(|id| (k, n.clone(), id.clone())))
        .collect();
    let role_gone = match (managed, prior.reserved_role_name.as_deref()) {
        (true, Some(role_name)) => Some(RoleGone {
            iam: &clients.iam,
            role_name,
        }),
        _ => None,
    };
    let sign = role_gone.as_ref().map(|s| s as &dyn Settled);
    let diags = assign::unassign(
        ctx,
        target,
        deadline,
        &todo,
        sign,
        &mut progress,
        &mut private,
    )
    .await;
    if diags.has_errors() {
        return Outcome::partial(progress, private, diags);
    }

    // 3. The permission set, only when managed here and used nowhere else.
    //    AWS refuses to delete a set that still has assignments anywhere (a
    //    ConflictException; AWS's samples team: "AWS SSO admin API does not
    //    allow deleting a permission set that already has account
    //    assignments"), so the common case costs one call, and only a refusal
    //    asks who still uses it: other accounts keep it (with a warning); in
    //    this account alone, assignments the state did not know (made out of
    //    band, or by an apply that never recorded them) go, and the delete is
    //    tried once more.
    let Some(ps_model) = &prior.permission_set else {
        return Outcome::gone();
    };
    let ps = PsRef {
        sso: &clients.ssoadmin,
        instance: &instance,
        arn: &ps_arn,
        name: &ps_model.name,
    };
    let refused = match permission_set::delete(ctx, &ps).await {
        Ok(()) => return Outcome::gone(),
        Err(e) if e.class() == Class::Conflict => e,
        Err(e) => {
            return Outcome::partial(
                progress,
                private,
                e.to_diagnostics("Could not delete the permission set"),
            );
        }
    };
    let others: BTreeSet<String> = match permission_set::provisioned_accounts(
        ctx,
        &clients.ssoadmin,
        &instance,
        &ps_arn,
    )
    .await
    {
        Ok(accounts) => accounts.into_iter().filter(|a| *a != account).collect(),
        Err(e) => {
            return Outcome::partial(
                progress,
                private,
                e.to_diagnostics("Could not list the accounts that use the permission set"),
            );
        }
    };
    if !others.is_empty() {
        return Outcome::nothing(kept_warning(&ps_model.name, &ps_arn, &account, &others));
    }
    let assigned = match assignments::list(ctx, target).await {
        Ok(a) => a,
        Err(e) => {
            return Outcome::partial(
                progress,
                private,
                e.to_diagnostics("Could not list the permission set's assignments"),
            );
        }
    };
    if assigned.is_empty() {
        return Outcome::partial(
            progress,
            private,
            refused.to_diagnostics("Could not delete the permission set"),
        );
    }
    // The set is the grant's and used by this account alone: every one of
    // its assignments here goes with it.
    private.foreign_assignments.clear();
    let rest: Vec<(PrincipalKind, String, String)> = assigned
        .iter()
        .map(|(k, id)| (*k, id.clone(), id.clone()))
        .collect();
    let diags = assign::unassign(
        ctx,
        target,
        deadline,
        &rest,
        sign,
        &mut progress,
        &mut private,
    )
    .await;
    if diags.has_errors() {
        return Outcome::partial(progress, private, diags);
    }
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
