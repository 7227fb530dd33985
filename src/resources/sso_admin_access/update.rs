//! Update in place: the permission set and its policies (then provisioning),
//! tags, principals (new ones assigned before old ones are removed, so the
//! reserved role survives), the role when it changed, and each cluster's
//! entry and policy associations.

use std::collections::BTreeSet;

use super::apply_env::{self, Env};
use super::assign;
use super::converge::{self, DesiredEntry, GrantSet, Known};
use super::model::Grant;
use super::permission_set;
use super::preflight::{self, EntryCheck};
use super::private::Private;
use super::reserved_role;
use super::{Outcome, failed};
use crate::aws::iam::ReservedRole;
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{ApplyRequest, Ctx};

pub async fn update(state: &ProviderState, ctx: &Ctx, req: &ApplyRequest) -> Outcome {
    let (prior, planned) = match (
        Grant::from_value(&req.prior_state),
        Grant::from_value_lossy(&req.planned_state),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return failed("Invalid state", e.to_string()),
    };
    let mut private = Private::decode(&req.planned_private);
    private.importing = false;
    let (limited, deadline) = apply_env::limited(
        ctx,
        "update",
        planned.timeouts.as_ref().and_then(|t| t.update.as_deref()),
    );
    let ctx = &limited;
    let account = prior.account_id.clone().unwrap_or_default();
    let clients = match apply_env::clients_for(state, ctx, &account).await {
        Ok(c) => c,
        Err(d) => return Outcome::unchanged(&prior, private, d),
    };
    let (instance_arn, identity_store_id) = match (&prior.instance_arn, &prior.identity_store_id) {
        (Some(i), Some(s)) => (i.clone(), s.clone()),
        _ => match clients.sso_instance(ctx).await {
            Ok(i) => (i.instance_arn, i.identity_store_id),
            Err(e) => {
                return Outcome::unchanged(
                    &prior,
                    private,
                    e.to_diagnostics("Could not find the IAM Identity Center instance"),
                );
            }
        },
    };
    // Already cached by the account check above: no extra AWS call.
    let partition = match clients.caller_partition().await {
        Ok(p) => p,
        Err(e) => {
            return Outcome::unchanged(
                &prior,
                private,
                e.to_diagnostics("Could not identify the caller's AWS partition"),
            );
        }
    };
    let env = Env {
        ctx,
        clients,
        instance_arn,
        identity_store_id,
        account: account.clone(),
        partition,
        deadline,
    };
    let ps_arn = prior.permission_set_arn.clone().unwrap_or_default();
    let known_name = planned
        .permission_set
        .as_ref()
        .or(prior.permission_set.as_ref())
        .map(|p| p.name.clone())
        .or_else(|| {
            prior
                .reserved_role_name
                .as_deref()
                .and_then(reserved_role::permission_set_name_of_role)
                .map(str::to_string)
        });
    let ps_name = match known_name {
        Some(n) => n,
        None => {
            match permission_set::describe_name(ctx, &clients.ssoadmin, &env.instance_arn, &ps_arn)
                .await
            {
                Ok(Some(n)) => n,
                Ok(None) => {
                    return Outcome::unchanged(
                        &prior,
                        private,
                        Diagnostics::from_error(
                            "Permission set not found",
                            format!(
                                "permission set {ps_arn} no longer exists in {}.",
                                env.instance_arn
                            ),
                        ),
                    );
                }
                Err(e) => {
                    return Outcome::unchanged(
                        &prior,
                        private,
                        e.to_diagnostics("Could not read the permission set"),
                    );
                }
            }
        }
    };

    let mut progress = prior.clone();
    progress.timeouts = planned.timeouts.clone();

    // Checks that write nothing: new principals exist, new clusters take entries.
    let prior_principals: BTreeSet<_> = prior
        .principal_names()
        .map(|(k, n)| (k, n.clone()))
        .collect();
    let wanted = assign::wanted_principals(&planned);
    let new_principals: Vec<_> = wanted
        .iter()
        .filter(|p| !prior_principals.contains(*p))
        .cloned()
        .collect();
    let prior_entries = prior.access_entries.clone().unwrap_or_default();
    let planned_clusters: Vec<String> = planned.clusters().cloned().collect();
    let new_clusters: Vec<String> = planned_clusters
        .iter()
        .filter(|c| !prior_entries.contains_key(*c))
        .cloned()
        .collect();
    let entry_check = match &prior.reserved_role_arn {
        Some(arn) => EntryCheck::Role {
            arn,
            ps_arn: &ps_arn,
        },
        None => EntryCheck::LookUpRole { ps_arn: &ps_arn },
    };
    let checked = match preflight::preflight(
        &env,
        &new_clusters,
        &ps_name,
        prior.reserved_role_arn_without_path.as_deref(),
        entry_check,
        &new_principals,
    )
    .await
    {
        Ok(r) => r,
        Err(d) => return Outcome::partial(progress, private, d),
    };

    // 1. The permission set, when managed here.
    match (&planned.permission_set, &prior.permission_set) {
        (Some(desired), Some(before)) => {
            let ps = env.permission_set(&ps_arn, &desired.name);
            let mut current = before.clone();
            if current != *desired {
                private.needs_provision = true;
            }
            let result = permission_set::converge(ctx, &ps, &mut current, desired).await;
            progress.permission_set = Some(current);
            if let Err(e) = result {
                return Outcome::partial(
                    progress,
                    private,
                    e.to_diagnostics("Could not update the permission set"),
                );
            }
            progress.permission_set = Some(desired.clone());
            let (have, want) = (prior.tags_all_map(), planned.tags_all_map());
            if have != want
                && let Err(e) = permission_set::converge_tags(ctx, &ps, &have, &want).await
            {
                return Outcome::partial(
                    progress,
                    private,
                    e.to_diagnostics("Could not update the permission set's tags"),
                );
            }
        }
        // Now only referenced: stop managing it, leave it as it is.
        (None, Some(_)) => {
            progress.permission_set = None;
            private.needs_provision = false;
        }
        _ => {}
    }
    progress.tags = planned.tags.clone();
    progress.tags_all = planned.tags_all.clone();

    // 2. New principals first, so the account keeps an assignment (and the role).
    let existing_are = match &planned.permission_set {
        Some(_) => assign::Existing::Ours,
        None => assign::Existing::Foreign,
    };
    let d = assign::assign(
        &env,
        (&ps_arn, &ps_name),
        &checked.principals,
        existing_are,
        &mut progress,
        &mut private,
    )
    .await;
    if d.has_errors() {
        return Outcome::partial(progress, private, d);
    }

    // 3. Push permission set changes to the account's role.
    if private.needs_provision && planned.permission_set.is_some() {
        if let Err(d) = apply_env::provision(&env, &ps_arn, &ps_name).await {
            return Outcome::partial(progress, private, d);
        }
        private.needs_provision = false;
    }

    // 4. Principals no longer wanted.
    let wanted_set: BTreeSet<_> = wanted.iter().cloned().collect();
    let prior_ids = prior.principal_ids.clone().unwrap_or_default();
    let gone: Vec<_> = prior_principals
        .iter()
        .filter(|p| !wanted_set.contains(*p))
        .filter_map(|(k, n)| prior_ids.get(n).map(|id| (*k, n.clone(), id.clone())))
        .collect();
    let d = assign::unassign(
        ctx,
        env.target(&ps_arn),
        deadline,
        &gone,
        None,
        &mut progress,
        &mut private,
    )
    .await;
    if d.has_errors() {
        return Outcome::partial(progress, private, d);
    }
    progress.groups = planned.groups.clone();
    progress.users = planned.users.clone();

    // 5. The reserved role: the one in state when the plan promised it stays
    //    (only its name and ARN are used below), otherwise looked up again.
    let role = match (
        &planned.reserved_role_arn,
        &prior.reserved_role_arn,
        &prior.reserved_role_name,
    ) {
        (Some(arn), Some(prior_arn), Some(name)) if arn == prior_arn => ReservedRole {
            name: name.clone(),
            arn: arn.clone(),
            path: String::new(),
            unique_id: String::new(),
        },
        _ => match apply_env::wait_for_role(&env, &ps_name).await {
            Ok(r) => r,
            Err(d) => return Outcome::partial(progress, private, d),
        },
    };
    reserved_role::record_role(&mut progress, &role);

    // 6. Clusters: removed ones lose their entry; the rest converge.
    let prior_clusters: BTreeSet<String> = prior.clusters().cloned().collect();
    let planned_set: BTreeSet<&String> = planned_clusters.iter().collect();
    let removed: Vec<(String, String)> = prior_entries
        .iter()
        .filter(|(c, _)| !planned_set.contains(c))
        .map(|(c, e)| (c.clone(), e.principal_arn.clone()))
        .collect();
    let mut diags = converge::delete_entries(ctx, clients, &removed, &mut progress).await;
    for c in prior_clusters
        .iter()
        .filter(|c| !planned_set.contains(c) && !prior_entries.contains_key(*c))
    {
        progress.remove_cluster(c);
    }

    let before = DesiredEntry::of(&prior, env.partition);
    let desired = DesiredEntry::of(&planned, env.partition);
    progress.kubernetes_groups = planned.kubernetes_groups.clone();
    progress.kubernetes_username = planned.kubernetes_username.clone();
    progress.access_policy = planned.access_policy.clone();
    let settings_same = before.groups == desired.groups
        && before.username == desired.username
        && before.associations == desired.associations;
    let work: Vec<(&str, Known)> = planned_clusters
        .iter()
        .filter_map(|c| {
            let known = match prior_entries.get(c) {
                // An entry an interrupted update of this grant left (marked).
                None if checked.in_flight.contains_key(c) => {
                    Known::in_flight(&checked.in_flight[c])
                }
                None => Known::Nothing,
                Some(e) if prior_clusters.contains(c) => {
                    if settings_same && e.principal_arn == role.arn {
                        return None; // already exactly as wanted
                    }
                    Known::InLine(e.clone(), before.clone())
                }
                Some(e) => Known::Unsure(e.clone()),
            };
            Some((c.as_str(), known))
        })
        .collect();
    diags.extend(
        converge::converge_clusters(
            &env,
            work,
            &role,
            GrantSet {
                arn: &ps_arn,
                name: &ps_name,
                adopted: false,
            },
            &desired,
            &mut progress,
        )
        .await,
    );
    progress.order_clusters_like(&planned_clusters);
    Outcome::partial(progress, private, diags)
}
