//! Delete, in reverse order of creation: access entries (EKS drops their
//! policy associations with them), then assignments (waiting for each), then
//! the permission set when this resource manages it. Anything already gone
//! counts as deleted; a failure returns what is left.

use tokio::time::Instant;

use super::Outcome;
use super::assignments::{self, Target};
use super::model::{Grant, PrincipalKind};
use super::permission_set::{self, PsRef};
use super::private::Private;
use super::steps;
use crate::provider::ProviderState;
use crate::tfplugin::framework::{ApplyRequest, Ctx};

pub async fn delete(state: &ProviderState, ctx: &Ctx, req: &ApplyRequest) -> Outcome {
    let prior = match Grant::from_value(&req.prior_state) {
        Ok(g) => g,
        Err(e) => return super::failed("Invalid state", e.to_string()),
    };
    let private = Private::decode(&req.planned_private);
    let deadline =
        Instant::now() + steps::timeout(prior.timeouts.as_ref().and_then(|t| t.delete.as_deref()));
    let account = prior.account_id.clone().unwrap_or_default();
    let clients = match steps::clients_for(state, &account).await {
        Ok(c) => c,
        Err(d) => return Outcome::unchanged(&prior, private, d),
    };
    let mut progress = prior.clone();

    // 1. Access entries, on every cluster at once.
    let mut targets: Vec<(String, String)> = prior
        .access_entries
        .iter()
        .flatten()
        .map(|(c, e)| (c.clone(), e.principal_arn.clone()))
        .collect();
    if let Some(role) = &prior.reserved_role_arn {
        for c in prior.clusters() {
            if !targets.iter().any(|(t, _)| t == c) {
                targets.push((c.clone(), role.clone()));
            }
        }
    }
    let diags = steps::delete_entries(ctx, clients, &targets, &mut progress).await;
    if diags.has_errors() {
        return Outcome::partial(progress, private, diags);
    }

    // 2. Assignments. A managed permission set is ours, so every assignment of
    //    it in the account goes (including one left by an interrupted apply);
    //    a referenced one keeps assignments this resource did not make.
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
    let ids = prior.principal_ids.clone().unwrap_or_default();
    let name_of = |kind: PrincipalKind, id: &str| -> String {
        ids.iter()
            .find(|(n, v)| {
                v.as_str() == id && prior.principal_names().any(|(k, pn)| k == kind && pn == *n)
            })
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let managed = prior.permission_set.is_some();
    let todo: Vec<(PrincipalKind, String, String)> = assigned
        .iter()
        .filter(|(_, id)| managed || ids.values().any(|v| v == id))
        .map(|(k, id)| (*k, name_of(*k, id), id.clone()))
        .collect();
    let diags = steps::unassign(ctx, target, deadline, &todo, &mut progress).await;
    if diags.has_errors() {
        return Outcome::partial(progress, private, diags);
    }

    // 3. The permission set, only when managed here.
    if let Some(ps_model) = &prior.permission_set {
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
    }
    Outcome::gone()
}
