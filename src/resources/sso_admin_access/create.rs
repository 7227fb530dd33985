//! Create, in one apply: checks that cost no writes first (account, cluster
//! modes, principal names), then the permission set and its policies, the
//! assignments, provisioning to the account, the reserved role, and an
//! access entry with policy associations on every cluster.

use std::collections::{BTreeMap, BTreeSet};

use tokio::time::Instant;

use super::apply_env::{self, Env};
use super::assign;
use super::converge::{self, DesiredEntry, GrantSet, Known};
use super::messages;
use super::model::{Grant, PermissionSetModel};
use super::permission_set;
use super::preflight::{self, EntryCheck};
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
    let deadline = Instant::now()
        + apply_env::timeout(planned.timeouts.as_ref().and_then(|t| t.create.as_deref()));
    let account = planned.account_id.clone().unwrap_or_default();
    let clients = match apply_env::clients_for(state, &account).await {
        Ok(c) => c,
        Err(d) => return Outcome::nothing(d),
    };
    let instance = match clients.sso_instance().await {
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
    let principals =
        match preflight::preflight(&env, &clusters, &ps_name, None, entry_check, &wanted).await {
            Ok(p) => p,
            Err(d) => return Outcome::nothing(d),
        };

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

    // 1. The permission set and its policies.
    let ps_arn = match &planned.permission_set {
        Some(desired) => {
            let tags = planned.tags_all_map();
            let arn = match permission_set::create(
                ctx,
                &clients.ssoadmin,
                &env.instance_arn,
                desired,
                &tags,
            )
            .await
            {
                Ok(arn) => arn,
                Err(e) if e.is_already_exists() => {
                    let existing = permission_set::find_by_name(
                        ctx,
                        &clients.ssoadmin,
                        &env.instance_arn,
                        &desired.name,
                    )
                    .await
                    .ok()
                    .flatten();
                    return Outcome::nothing(messages::duplicate_permission_set(
                        &desired.name,
                        &env.instance_arn,
                        existing.as_deref(),
                        &account,
                        &clusters,
                    ));
                }
                Err(e) => {
                    return Outcome::nothing(
                        e.to_diagnostics("Could not create the permission set"),
                    );
                }
            };
            progress.permission_set_arn = Some(arn.clone());
            progress.id = Some(format!("{arn},{account}"));
            let mut current = PermissionSetModel {
                name: desired.name.clone(),
                description: desired.description.clone(),
                session_duration: desired.session_duration.clone(),
                relay_state: desired.relay_state.clone(),
                managed_policy_arns: desired
                    .managed_policy_arns
                    .as_ref()
                    .map(|_| BTreeSet::new()),
                ..Default::default()
            };
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
            arn
        }
        None => {
            let arn = planned.permission_set_arn.clone().unwrap_or_default();
            progress.permission_set_arn = Some(arn.clone());
            progress.id = Some(format!("{arn},{account}"));
            arn
        }
    };

    // 2. Assignments.
    let d = assign::assign(&env, &ps_arn, &principals, &mut progress, &mut private).await;
    if d.has_errors() {
        return Outcome::partial(progress, private, d);
    }

    // 3. Provisioning to this account only (a referenced set is never touched;
    //    its assignment provisions it).
    if let Some(ps_model) = &planned.permission_set {
        private.needs_provision = true;
        if let Err(d) = apply_env::provision(&env, &ps_arn, &ps_model.name).await {
            return Outcome::partial(progress, private, d);
        }
        private.needs_provision = false;
    }

    // 4. The reserved role.
    let role = match apply_env::wait_for_role(&env, &ps_name).await {
        Ok(r) => r,
        Err(d) => return Outcome::partial(progress, private, d),
    };
    reserved_role::record_role(&mut progress, &role);

    // 5 and 6. Entries and policy associations, all clusters at once.
    let desired = DesiredEntry::of(&planned, env.partition);
    let grant_set = GrantSet {
        arn: &ps_arn,
        name: &ps_name,
    };
    let work = clusters
        .iter()
        .map(|c| (c.as_str(), Known::Nothing))
        .collect();
    let diags =
        converge::converge_clusters(&env, work, &role, grant_set, &desired, &mut progress).await;
    progress.order_clusters_like(&clusters);
    Outcome::partial(progress, private, diags)
}
