//! Create, in one apply: checks that cost no writes first (account, cluster
//! modes, principal names, policies), then the permission set and its policies, the
//! assignments (which provision the set to the account), the reserved role,
//! and an access entry with policy associations on every cluster.
//!
//! Everything it creates carries the in-flight mark until its last calls
//! (see `in_flight`), so after a kill or a lost response the next plain
//! apply adopts what this create left and finishes it.

use std::collections::{BTreeMap, BTreeSet};

use super::apply_env::{self, Env};
use super::assign;
use super::converge::{self, DesiredEntry, GrantSet, Known};
use super::drift;
use super::in_flight;
use super::messages;
use super::model::{Grant, PermissionSetModel};
use super::permission_set::{self, Existing};
use super::plan_checks;
use super::preflight::{self, Checked, EntryCheck};
use super::private::Private;
use super::reserved_role;
use super::{Outcome, failed};
use crate::provider::ProviderState;
use crate::tfplugin::framework::{ApplyRequest, Ctx};

pub async fn create(state: &ProviderState, ctx: &Ctx, req: &ApplyRequest) -> Outcome {
    let planned = match Grant::from_value_lossy(&req.planned_state) {
        Ok(g) => g,
        Err(e) => return failed("Invalid planned state", e.to_string()),
    };
    let (limited, deadline) = apply_env::limited(
        ctx,
        "create",
        planned.timeouts.as_ref().and_then(|t| t.create.as_deref()),
    );
    let ctx = &limited;
    let account = planned.account_id.clone().unwrap_or_default();
    let clients = match apply_env::clients_for(state, ctx, &account).await {
        Ok(c) => c,
        Err(d) => return Outcome::nothing(d),
    };
    let instance = match clients.sso_instance(ctx).await {
        Ok(i) => i,
        Err(e) => {
            return Outcome::nothing(
                e.to_diagnostics("Could not find the IAM Identity Center instance"),
            );
        }
    };
    // Already cached by the account check above: no extra AWS call.
    let partition = match clients.caller_partition().await {
        Ok(p) => p,
        Err(e) => {
            return Outcome::nothing(
                e.to_diagnostics("Could not identify the caller's AWS partition"),
            );
        }
    };
    let env = Env {
        ctx,
        clients,
        instance_arn: instance.instance_arn.clone(),
        identity_store_id: instance.identity_store_id.clone(),
        account: account.clone(),
        partition,
        deadline,
    };

    // Permission set name: configured, or read from the referenced set.
    let ps_name = match &planned.permission_set {
        Some(ps) => ps.name.clone(),
        None => {
            let arn = planned.permission_set_arn.clone().unwrap_or_default();
            match permission_set::describe_name(ctx, &clients.ssoadmin, &env.instance_arn, &arn)
                .await
            {
                Ok(Some(name)) => name,
                Ok(None) => {
                    return failed(
                        "Permission set not found",
                        format!(
                            "permission_set_arn {arn} does not exist in IAM Identity Center instance {}. Check the ARN \
                             (`aws sso-admin list-permission-sets`).",
                            env.instance_arn
                        ),
                    );
                }
                Err(e) => {
                    return Outcome::nothing(
                        e.to_diagnostics("Could not read the referenced permission set"),
                    );
                }
            }
        }
    };

    // Checks that write nothing, together.
    let clusters: Vec<String> = planned.clusters().cloned().collect();
    let wanted = assign::wanted_principals(&planned);
    let referenced_arn = planned.permission_set_arn.clone().unwrap_or_default();
    let entry_check = match &planned.permission_set {
        Some(_) => EntryCheck::NewPermissionSet,
        None => EntryCheck::LookUpRole {
            ps_arn: &referenced_arn,
        },
    };
    let checked =
        match preflight::preflight(&env, &clusters, &ps_name, None, entry_check, &wanted).await {
            Ok(c) => c,
            Err(d) => return Outcome::nothing(d),
        };
    let policies = plan_checks::policies_exist(clients, &account, &req.planned_state).await;
    if policies.has_errors() {
        return Outcome::nothing(policies);
    }

    let mut marked = None;
    let outcome = build(&env, &planned, &ps_name, &clusters, checked, &mut marked).await;
    seal_permission_set(&env, outcome, marked.as_deref(), &ps_name).await
}

/// The writes of a create, in order. `marked` receives the ARN of the
/// permission set once it carries this create's in-flight mark.
async fn build(
    env: &Env<'_>,
    planned: &Grant,
    ps_name: &str,
    clusters: &[String],
    checked: Checked,
    marked: &mut Option<String>,
) -> Outcome {
    let ctx = env.ctx;
    let clients = env.clients;
    let account = env.account.clone();
    let mut progress = Grant {
        account_id: planned.account_id.clone(),
        timeouts: planned.timeouts.clone(),
        tags: planned.tags.clone(),
        tags_all: planned.tags_all.clone(),
        kubernetes_groups: planned.kubernetes_groups.clone(),
        kubernetes_username: planned.kubernetes_username.clone(),
        access_policy: planned.access_policy.clone(),
        instance_arn: Some(env.instance_arn.clone()),
        identity_store_id: Some(env.identity_store_id.clone()),
        groups: planned.groups.as_ref().map(|_| BTreeSet::new()),
        users: planned.users.as_ref().map(|_| BTreeSet::new()),
        principal_ids: Some(BTreeMap::new()),
        cluster_names: Some(Vec::new()),
        access_entries: Some(BTreeMap::new()),
        ..Default::default()
    };
    let mut private = Private::default();
    let mut adopted = false;

    // 1. The permission set and its policies: created with the in-flight
    //    mark, or adopted when an unfinished create of this grant left it.
    let ps_arn = match &planned.permission_set {
        Some(desired) => {
            let tags_all = planned.tags_all_map();
            let tags = in_flight::permission_set_tags(&tags_all, &account);
            let created =
                permission_set::create(ctx, &clients.ssoadmin, &env.instance_arn, desired, &tags)
                    .await;
            let (arn, mut current, have_tags) = match created {
                Ok(arn) => (arn, fresh_model(desired), tags_all.clone()),
                Err(e) if e.is_already_exists() => {
                    let existing = permission_set::find_existing(
                        ctx,
                        &clients.ssoadmin,
                        &env.instance_arn,
                        &desired.name,
                        &account,
                    )
                    .await;
                    match existing {
                        Ok(Existing::InFlight { arn, observed }) => {
                            tracing::info!(
                                permission_set = %arn,
                                "adopting the permission set an unfinished create of this grant left"
                            );
                            adopted = true;
                            let mut have = observed.tags.clone().unwrap_or_default();
                            have.remove(in_flight::MARK_KEY);
                            let current = drift::permission_set_from(Some(desired), &observed);
                            (arn, current, have)
                        }
                        Ok(Existing::Foreign { arn, marked_for }) => {
                            return Outcome::nothing(messages::duplicate_permission_set(
                                &desired.name,
                                &env.instance_arn,
                                arn.as_deref(),
                                marked_for.as_deref(),
                                &account,
                                clusters,
                            ));
                        }
                        Err(e) => {
                            return Outcome::nothing(e.to_diagnostics(format!(
                                "Could not read the permission set that already holds the name {:?}",
                                desired.name
                            )));
                        }
                    }
                }
                Err(e) => {
                    return Outcome::nothing(
                        e.to_diagnostics("Could not create the permission set"),
                    );
                }
            };
            *marked = Some(arn.clone());
            progress.permission_set_arn = Some(arn.clone());
            progress.id = Some(format!("{arn},{account}"));
            let ps = env.permission_set(&arn, &desired.name);
            let result = permission_set::converge(ctx, &ps, &mut current, desired).await;
            progress.permission_set = Some(current);
            if let Err(e) = result {
                return Outcome::partial(
                    progress,
                    private,
                    e.to_diagnostics("Could not attach the permission set's policies"),
                );
            }
            if have_tags != tags_all
                && let Err(e) = permission_set::converge_tags(ctx, &ps, &have_tags, &tags_all).await
            {
                return Outcome::partial(
                    progress,
                    private,
                    e.to_diagnostics("Could not update the permission set's tags"),
                );
            }
            arn
        }
        None => {
            let arn = planned.permission_set_arn.clone().unwrap_or_default();
            progress.permission_set_arn = Some(arn.clone());
            progress.id = Some(format!("{arn},{account}"));
            arn
        }
    };

    // 2. Assignments. Those of a managed set in this account are the grant's
    //    (an adopted set's included); a referenced set's may be anyone's; a
    //    set created a moment ago has none yet.
    let existing_are = match &planned.permission_set {
        Some(_) if !adopted => assign::Existing::NoneYet,
        Some(_) => assign::Existing::Ours,
        None => assign::Existing::Foreign,
    };
    let d = assign::assign(
        env,
        (&ps_arn, ps_name),
        &checked.principals,
        existing_are,
        &mut progress,
        &mut private,
    )
    .await;
    if d.has_errors() {
        return Outcome::partial(progress, private, d);
    }

    // 3. Provisioning. CreateAccountAssignment provisions the permission set
    //    to the account as it is at that moment (API_CreateAccountAssignment:
    //    "the permission set is provisioned to the account"), and a set
    //    created by this apply already held all its policies then, so only an
    //    adopted set (whose assignments an earlier, interrupted apply may have
    //    made before its policies were complete) is provisioned again. A
    //    referenced set is never touched; its assignment provisions it.
    if adopted && let Some(ps_model) = &planned.permission_set {
        private.needs_provision = true;
        if let Err(d) = apply_env::provision(env, &ps_arn, &ps_model.name).await {
            return Outcome::partial(progress, private, d);
        }
        private.needs_provision = false;
    }

    // 4. The reserved role.
    let role = match apply_env::wait_for_role(env, ps_name).await {
        Ok(r) => r,
        Err(d) => return Outcome::partial(progress, private, d),
    };
    reserved_role::record_role(&mut progress, &role);

    // 5 and 6. Entries and policy associations, all clusters at once; an
    //    entry an unfinished create of this grant left is adopted.
    let desired = DesiredEntry::of(planned, env.partition);
    let grant_set = GrantSet {
        arn: &ps_arn,
        name: ps_name,
        adopted,
    };
    let work = clusters
        .iter()
        .map(|c| {
            let known = match checked.in_flight.get(c) {
                Some(e) => Known::in_flight(e),
                None => Known::Nothing,
            };
            (c.as_str(), known)
        })
        .collect();
    let diags =
        converge::converge_clusters(env, work, &role, grant_set, &desired, &mut progress).await;
    progress.order_clusters_like(clusters);
    Outcome::partial(progress, private, diags)
}

/// What a new permission set holds right after CreatePermissionSet (no
/// policies yet).
fn fresh_model(desired: &PermissionSetModel) -> PermissionSetModel {
    PermissionSetModel {
        name: desired.name.clone(),
        description: desired.description.clone(),
        session_duration: desired.session_duration.clone(),
        relay_state: desired.relay_state.clone(),
        managed_policy_arns: desired
            .managed_policy_arns
            .as_ref()
            .map(|_| BTreeSet::new()),
        ..Default::default()
    }
}

/// The create's last call: once the state about to be returned records the
/// permission set, its in-flight mark goes (the entries' marks went first,
/// in `converge_clusters`). If the mark stays (a failed call), the create
/// fails, so Terraform keeps the grant tainted and replaces it.
async fn seal_permission_set(
    env: &Env<'_>,
    mut outcome: Outcome,
    marked: Option<&str>,
    name: &str,
) -> Outcome {
    let Some(arn) = marked else {
        return outcome;
    };
    if outcome.state.is_null() {
        return outcome;
    }
    let ps = env.permission_set(arn, name);
    if let Err(e) = permission_set::remove_mark(env.ctx, &ps).await {
        // Stopped by Ctrl-C or the create's timeout after another step had
        // already failed: that failure is the news. The mark stays, which
        // only means the next apply resumes from this set.
        if outcome.diagnostics.has_errors() && (e.is_cancelled() || e.is_deadline()) {
            tracing::debug!("in-flight mark left on {arn}: {e}");
            return outcome;
        }
        outcome.diagnostics.extend(
            e.to_diagnostics("Could not remove the in-flight mark from the permission set"),
        );
    }
    outcome
}
