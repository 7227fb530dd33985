//! Bringing each cluster's access entry and policy associations to what the
//! grant wants, all clusters at once, recording each outcome in the grant
//! being built. Only entries this resource made (recorded in state) are ever
//! changed or deleted; a foreign entry stops the cluster with an import hint.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::access_entries::{self, Association, EntrySpec, ObservedEntry};
use super::apply_env::Env;
use super::messages;
use super::model::{AccessEntryModel, AccessPolicyModel, Grant};
use super::policy::access_policy_arn;
use super::reserved_role;
use crate::aws::AwsError;
use crate::aws::iam::ReservedRole;
use crate::provider::AwsClients;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::Ctx;

/// The permission set a grant's entries belong to, for messages.
#[derive(Debug, Clone, Copy)]
pub struct GrantSet<'a> {
    pub arn: &'a str,
    pub name: &'a str,
}

/// What every entry of a grant should look like.
#[derive(Debug, Clone)]
pub struct DesiredEntry {
    pub groups: BTreeSet<String>,
    pub username: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub associations: BTreeMap<String, Association>,
}

impl DesiredEntry {
    pub fn of(g: &Grant, partition: &str) -> DesiredEntry {
        DesiredEntry {
            groups: g.kubernetes_groups_set(),
            username: g.kubernetes_username.clone(),
            tags: g.tags_all_map(),
            associations: desired_associations(&g.access_policy, partition),
        }
    }
}

/// The associations `access_policy` blocks ask for, by full policy ARN.
pub fn desired_associations(
    policies: &[AccessPolicyModel],
    partition: &str,
) -> BTreeMap<String, Association> {
    policies
        .iter()
        .map(|p| {
            let arn = access_policy_arn(&p.policy, partition);
            (
                arn.clone(),
                Association {
                    policy_arn: arn,
                    namespaces: p.namespaces.clone(),
                },
            )
        })
        .collect()
}

/// What a cluster's entry is known to look like before converging it.
#[derive(Debug, Clone)]
pub enum Known {
    /// No entry recorded.
    Nothing,
    /// An entry, with settings as the prior state says (the cluster was in
    /// `cluster_names`, so a refresh confirmed them).
    InLine(AccessEntryModel, DesiredEntry),
    /// An entry whose settings are not known; read them first.
    Unsure(AccessEntryModel),
}

fn model_of(e: &ObservedEntry) -> AccessEntryModel {
    AccessEntryModel {
        access_entry_arn: e.access_entry_arn.clone(),
        kubernetes_username: e.username.clone(),
        principal_arn: e.principal_arn.clone(),
    }
}

/// What is known about a cluster's entry after converging it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryAfter {
    /// Nothing was changed (a read failed first).
    Unchanged,
    Exists(AccessEntryModel),
    Gone,
}

/// The outcome for one cluster: its entry afterwards and whether the
/// cluster now matches the grant.
pub struct ClusterOutcome {
    pub cluster: String,
    pub entry: EntryAfter,
    pub result: Result<(), Diagnostics>,
}

fn fail(
    e: AwsError,
    summary: String,
    role_without_path: Option<&str>,
    env: &Env<'_>,
    cluster: &str,
    ps_name: &str,
) -> Diagnostics {
    if access_entries::is_config_map_refusal(&e) {
        return Diagnostics(vec![messages::config_map_cluster(
            cluster,
            "CONFIG_MAP",
            role_without_path,
            &env.account,
            ps_name,
        )]);
    }
    e.to_diagnostics(summary)
}

/// Brings one cluster's access entry to `desired` for `role`: creates it,
/// moves it from an old role (deleting the old entry first, since that role
/// no longer exists), updates groups and username, and converges the policy
/// associations.
async fn converge_cluster(
    env: &Env<'_>,
    cluster: &str,
    role: &ReservedRole,
    ps: GrantSet<'_>,
    known: Known,
    desired: &DesiredEntry,
) -> ClusterOutcome {
    let role_np = role.arn_without_path();
    let err = |e: AwsError, what: &str| {
        fail(
            e,
            format!("Could not {what} on cluster {cluster}"),
            Some(&role_np),
            env,
            cluster,
            ps.name,
        )
    };
    let mut outcome = ClusterOutcome {
        cluster: cluster.to_string(),
        entry: EntryAfter::Unchanged,
        result: Ok(()),
    };
    let (mut current_assocs, mut entry) = match known {
        Known::Nothing => (None, None),
        Known::InLine(e, settings) => (Some(settings), Some(e)),
        Known::Unsure(e) => {
            match access_entries::observe(&env.clients.eks, cluster, &e.principal_arn).await {
                Ok(Some(o)) => (
                    Some(DesiredEntry {
                        groups: o.kubernetes_groups.clone(),
                        username: Some(o.username.clone()),
                        tags: desired.tags.clone(),
                        associations: o.associations.clone(),
                    }),
                    Some(model_of(&o)),
                ),
                Ok(None) => (None, None),
                Err(e) => {
                    outcome.result = Err(err(e, "read the access entry"));
                    return outcome;
                }
            }
        }
    };
    // An entry for another (deleted) role: remove it, then start afresh.
    if let Some(e) = &entry
        && e.principal_arn != role.arn
    {
        if let Err(x) =
            access_entries::delete(env.ctx, &env.clients.eks, cluster, &e.principal_arn).await
        {
            outcome.result = Err(err(
                x,
                "delete the access entry of the previous reserved role",
            ));
            return outcome;
        }
        entry = None;
        current_assocs = None;
    }
    // Back to EKS's default username needs a new entry.
    if let (Some(e), Some(cur)) = (&entry, &current_assocs)
        && desired.username.is_none()
        && cur
            .username
            .as_deref()
            .is_some_and(|u| Some(u) != reserved_role::default_username(&role.arn).as_deref())
    {
        if let Err(x) =
            access_entries::delete(env.ctx, &env.clients.eks, cluster, &e.principal_arn).await
        {
            outcome.result = Err(err(
                x,
                "re-create the access entry with the default username",
            ));
            return outcome;
        }
        entry = None;
        current_assocs = None;
    }
    let mut assocs = match (&entry, &current_assocs) {
        (Some(e), Some(cur)) => {
            let groups_differ = cur.groups != desired.groups;
            let username_differs = desired.username.is_some() && desired.username != cur.username;
            if groups_differ || username_differs {
                match access_entries::update(
                    env.ctx,
                    &env.clients.eks,
                    cluster,
                    &e.principal_arn,
                    &desired.groups,
                    desired.username.as_deref(),
                    env.deadline,
                )
                .await
                {
                    Ok(o) => entry = Some(model_of(&o)),
                    Err(x) => {
                        outcome.result = Err(err(x, "update the access entry"));
                        return outcome;
                    }
                }
            }
            cur.associations.clone()
        }
        _ => {
            let spec = EntrySpec {
                principal_arn: &role.arn,
                kubernetes_groups: &desired.groups,
                username: desired.username.as_deref(),
                tags: &desired.tags,
            };
            match access_entries::create(env.ctx, &env.clients.eks, cluster, spec, env.deadline)
                .await
            {
                Ok(o) => {
                    entry = Some(model_of(&o));
                    o.associations
                }
                Err(x) => {
                    // Any earlier entry of this cluster was deleted above.
                    outcome.entry = EntryAfter::Gone;
                    outcome.result = Err(if x.is_already_exists() {
                        // Made by someone else since the preflight: leave it.
                        Diagnostics(vec![messages::entry_exists(
                            cluster,
                            &role.arn,
                            ps.name,
                            ps.arn,
                            &env.account,
                        )])
                    } else {
                        err(x, "create the access entry")
                    });
                    return outcome;
                }
            }
        }
    };
    outcome.entry = entry.clone().map_or(EntryAfter::Gone, EntryAfter::Exists);
    let principal = entry
        .as_ref()
        .map(|e| e.principal_arn.clone())
        .unwrap_or_else(|| role.arn.clone());
    if let Err(x) = access_entries::converge_associations(
        env.ctx,
        &env.clients.eks,
        cluster,
        &principal,
        &mut assocs,
        &desired.associations,
        env.deadline,
    )
    .await
    {
        outcome.result = Err(err(x, "associate the access policies"));
    }
    outcome
}

/// Converges every cluster of `work` at once (see [`converge_cluster`]) and
/// records each outcome in `progress`.
pub async fn converge_clusters(
    env: &Env<'_>,
    work: Vec<(&str, Known)>,
    role: &ReservedRole,
    ps: GrantSet<'_>,
    desired: &DesiredEntry,
    progress: &mut Grant,
) -> Diagnostics {
    let outcomes = join_all(
        work.into_iter()
            .map(|(c, known)| converge_cluster(env, c, role, ps, known, desired)),
    )
    .await;
    let mut diags = Diagnostics::new();
    for o in &outcomes {
        if let Some(d) = record_cluster(progress, o) {
            diags.extend(d);
        }
    }
    diags
}

/// Deletes the access entries of `targets` (cluster, principal ARN), all at
/// once. Each deleted (or already gone) entry leaves `access_entries`, and
/// its cluster leaves `cluster_names`.
pub async fn delete_entries(
    ctx: &Ctx,
    clients: &AwsClients,
    targets: &[(String, String)],
    progress: &mut Grant,
) -> Diagnostics {
    let results = join_all(targets.iter().map(|(c, principal)| async move {
        (
            c,
            access_entries::delete(ctx, &clients.eks, c, principal).await,
        )
    }))
    .await;
    let mut diags = Diagnostics::new();
    for (c, r) in results {
        match r {
            Ok(()) => {
                if let Some(e) = progress.access_entries.as_mut() {
                    e.remove(c);
                }
                progress.remove_cluster(c);
            }
            Err(e) => diags.extend(
                e.to_diagnostics(format!("Could not delete the access entry on cluster {c}")),
            ),
        }
    }
    diags
}

/// Records a cluster outcome: the entry in `access_entries`, and the cluster
/// in `cluster_names` only when it fully matches the grant.
fn record_cluster(progress: &mut Grant, outcome: &ClusterOutcome) -> Option<Diagnostics> {
    let entries = progress.access_entries.get_or_insert_with(BTreeMap::new);
    match &outcome.entry {
        EntryAfter::Exists(e) => {
            entries.insert(outcome.cluster.clone(), e.clone());
        }
        EntryAfter::Gone => {
            entries.remove(&outcome.cluster);
        }
        EntryAfter::Unchanged => {}
    }
    match &outcome.result {
        Ok(()) => {
            progress.add_cluster(&outcome.cluster);
            None
        }
        Err(d) => {
            progress.remove_cluster(&outcome.cluster);
            Some(d.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_clusters_follows_outcomes() {
        let mut g = Grant::default();
        let entry = AccessEntryModel {
            access_entry_arn: "arn:e".into(),
            kubernetes_username: "u".into(),
            principal_arn: "arn:r".into(),
        };
        let ok = ClusterOutcome {
            cluster: "a".into(),
            entry: EntryAfter::Exists(entry.clone()),
            result: Ok(()),
        };
        assert!(record_cluster(&mut g, &ok).is_none());
        let half = ClusterOutcome {
            cluster: "b".into(),
            entry: EntryAfter::Exists(entry.clone()),
            result: Err(Diagnostics::from_error("x", "y")),
        };
        assert!(record_cluster(&mut g, &half).is_some());
        assert_eq!(g.cluster_names, Some(["a".to_string()].into()));
        assert_eq!(g.access_entries.as_ref().unwrap().len(), 2);
        let unchanged = ClusterOutcome {
            cluster: "b".into(),
            entry: EntryAfter::Unchanged,
            result: Err(Diagnostics::from_error("x", "y")),
        };
        record_cluster(&mut g, &unchanged);
        assert!(g.access_entries.as_ref().unwrap().contains_key("b"));
        let gone = ClusterOutcome {
            cluster: "a".into(),
            entry: EntryAfter::Gone,
            result: Err(Diagnostics::from_error("x", "y")),
        };
        record_cluster(&mut g, &gone);
        assert!(!g.access_entries.as_ref().unwrap().contains_key("a"));
        assert_eq!(g.cluster_names, Some(Vec::new()));
    }
}
