//! Create, in one apply: checks that cost no writes first (account, cluster
//! modes, principal names), then the permission set and its policies, the
//! assignments, provisioning to the account, the reserved role, and an
//! access entry with policy associations on every cluster.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use tokio::time::Instant;

use super::messages;
use super::model::{Grant, PermissionSetModel};
use super::permission_set::{self, PsRef};
use super::policy::partition_of_region;
use super::private::Private;
use super::reserved_role;
use super::steps::{self, DesiredEntry, Env, Known};
use super::{Outcome, failed};
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{ApplyRequest, Ctx};

pub async fn create(state: &ProviderState, ctx: &Ctx, req: &ApplyRequest) -> Outcome {
    let planned = match Grant::from_value_lossy(&req.planned_state) {
        Ok(g) => g,
        Err(e) => return failed("Invalid planned state", e.to_string()),
    };
    let deadline = Instant::now()
        + steps::timeout(planned.timeouts.as_ref().and_then(|t| t.create.as_deref()));
    let clients = match state.clients().await {
        Ok(c) => c,
        Err(d) => return Outcome::nothing(d),
    };
    let account = planned.account_id.clone().unwrap_or_default();
    if let Err(d) = clients.check_account(&account).await {
        return Outcome::nothing(d);
    }
    let instance = match clients.sso_instance().await {
        Ok(i) => i,
        Err(e) => {
            return Outcome::nothing(
                e.to_diagnostics("Could not find the IAM Identity Center instance"),
            );
        }
    };
    let env = Env {
        ctx,
        clients,
        instance_arn: instance.instance_arn.clone(),
        identity_store_id: instance.identity_store_id.clone(),
        account: account.clone(),
        partition: partition_of_region(&clients.region),
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
    let wanted = steps::wanted_principals(&planned);
    let (cluster_check, resolved) = tokio::join!(
        steps::check_clusters(&env, &clusters, &ps_name, None),
        steps::resolve_principals(&env, &wanted)
    );
    let mut diags = cluster_check;
    let principals = match resolved {
        Ok(p) => p,
        Err(d) => {
            diags.extend(d);
            Vec::new()
        }
    };
    if diags.has_errors() {
        return Outcome::nothing(diags);
    }

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
            let ps = PsRef {
                sso: &clients.ssoadmin,
                instance: &env.instance_arn,
                arn: &arn,
                name: &desired.name,
            };
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
    let d = steps::assign(&env, &ps_arn, &principals, &mut progress).await;
    if d.has_errors() {
        return Outcome::partial(progress, private, d);
    }

    // 3. Provisioning to this account only (a referenced set is never touched;
    //    its assignment provisions it).
    if let Some(ps_model) = &planned.permission_set {
        private.needs_provision = true;
        let ps = PsRef {
            sso: &clients.ssoadmin,
            instance: &env.instance_arn,
            arn: &ps_arn,
            name: &ps_model.name,
        };
        if let Err(e) = permission_set::provision(ctx, &ps, &account, deadline).await {
            return Outcome::partial(
                progress,
                private,
                e.to_diagnostics("Could not provision the permission set to the account"),
            );
        }
        private.needs_provision = false;
    }

    // 4. The reserved role.
    let role = match reserved_role::wait_for(ctx, &clients.iam, &ps_name, &account, deadline).await
    {
        Ok(r) => r,
        Err(e) => {
            return Outcome::partial(
                progress,
                private,
                e.to_diagnostics("The reserved role did not appear"),
            );
        }
    };
    steps::record_role(&mut progress, &role);

    // 5 and 6. Entries and policy associations, all clusters at once.
    let desired = DesiredEntry::of(&planned, env.partition);
    let outcomes = join_all(
        clusters
            .iter()
            .map(|c| steps::converge_cluster(&env, c, &role, &ps_name, Known::Nothing, &desired)),
    )
    .await;
    let mut diags = Diagnostics::new();
    for o in &outcomes {
        if let Some(d) = steps::record_cluster(&mut progress, o) {
            diags.extend(d);
        }
    }
    progress.order_clusters_like(&clusters);
    Outcome::partial(progress, private, diags)
}
