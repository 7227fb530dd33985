//! Bringing each cluster's access entry and policy associations to what the
//! grant wants, all clusters at once, recording each outcome in the grant
//! being built. Only entries this resource made (recorded in state) are ever
//! changed or deleted; a foreign entry stops the cluster with an import hint.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::access_entries::{self, Association, EntrySpec, ObservedEntry};
use super::apply_env::Env;
use super::in_flight;
use super::messages;
use super::model::{AccessEntryModel, AccessPolicyModel, Grant};
use super::policy::access_policy_arn;
use super::reserved_role;
use crate::aws::AwsError;
use crate::aws::iam::ReservedRole;
use crate::provider::AwsClients;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::Ctx;

/// The permission set a grant's entries belong to: for messages and for
/// the in-flight mark.
#[derive(Debug, Clone, Copy)]
pub struct GrantSet<'a> {
    pub arn: &'a str,
    pub name: &'a str,
    /// This create adopted the set in flight, so an entry for its reserved
    /// role is the grant's even without a mark.
    pub adopted: bool,
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

impl Known {
    /// An entry an unfinished apply of this grant left (found with its
    /// in-flight mark): read, then converged like one in state.
    pub fn in_flight(e: &ObservedEntry) -> Known {
        Known::Unsure(model_of(e))
    }
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
    /// The entry still carries the in-flight mark.
    pub marked: bool,
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

/// The settings an observed entry has, in the form converging compares.
fn settings_of(o: &ObservedEntry, desired: &DesiredEntry) -> DesiredEntry {
    DesiredEntry {
        groups: o.kubernetes_groups.clone(),
        username: Some(o.username.clone()),
        tags: desired.tags.clone(),
        associations: o.associations.clone(),
    }
}

/// True when the grant wants EKS's default username but the entry has
/// another one: only a new entry gets the default back.
fn needs_default_username(
    role: &ReservedRole,
    desired: &DesiredEntry,
    current: Option<&DesiredEntry>,
) -> bool {
    desired.username.is_none()
        && current
            .and_then(|c| c.username.as_deref())
            .is_some_and(|u| Some(u) != reserved_role::default_username(&role.arn).as_deref())
}

/// The entry CreateAccessEntry found in its way, when it is this grant's to
/// adopt: it carries the in-flight mark of this permission set, or the set
/// itself was just adopted in flight (its reserved role exists only because
/// of the interrupted create). `Ok(None)`: someone else's, or gone again.
async fn adoptable(
    env: &Env<'_>,
    cluster: &str,
    role: &ReservedRole,
    ps: GrantSet<'_>,
) -> Result<Option<ObservedEntry>, AwsError> {
    let found = access_entries::observe(&env.clients.eks, cluster, &role.arn).await?;
    Ok(found.filter(|o| ps.adopted || in_flight::entry_is_ours(&o.tags, ps.arn)))
}

/// Brings one cluster's access entry to `desired` for `role`: creates it
/// (with the in-flight mark), moves it from an old role (deleting the old
/// entry first, since that role no longer exists), adopts one an unfinished
/// apply of this grant left, updates groups and username, and converges the
/// policy associations. The mark stays on; [`converge_clusters`] removes it
/// once every cluster is done.
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
        marked: false,
        result: Ok(()),
    };
    let (mut current_assocs, mut entry) = match known {
        Known::Nothing => (None, None),
        Known::InLine(e, settings) => (Some(settings), Some(e)),
        Known::Unsure(e) => {
            match access_entries::observe(&env.clients.eks, cluster, &e.principal_arn).await {
                Ok(Some(o)) => {
                    outcome.marked = in_flight::is_marked(&o.tags);
                    (Some(settings_of(&o, desired)), Some(model_of(&o)))
                }
                Ok(None) => (None, None),
                Err(e) => {
                    outcome.result = Err(err(e, "read the access entry"));
                    return outcome;
                }
            }
        }
    };
    // Settle which entry the cluster has: drop a wrong one, create one, or
    // adopt the one an unfinished apply of this grant left (at most once; an
    // adopted entry gets the same checks as one known beforehand).
    let mut adopted_once = false;
    let (mut entry, cur) = loop {
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
            (entry, current_assocs) = (None, None);
        }
        // Back to EKS's default username needs a new entry.
        if let Some(e) = &entry
            && needs_default_username(role, desired, current_assocs.as_ref())
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
            (entry, current_assocs) = (None, None);
        }
        if let (Some(e), Some(c)) = (entry.take(), current_assocs.take()) {
            break (e, c);
        }
        let tags = in_flight::entry_tags(&desired.tags, ps.arn);
        let spec = EntrySpec {
            principal_arn: &role.arn,
            kubernetes_groups: &desired.groups,
            username: desired.username.as_deref(),
            tags: &tags,
        };
        let found =
            match access_entries::create(env.ctx, &env.clients.eks, cluster, spec, env.deadline)
                .await
            {
                Ok(o) => {
                    // New, exactly as asked.
                    outcome.marked = true;
                    break (model_of(&o), settings_of(&o, desired));
                }
                Err(x) if x.is_already_exists() && !adopted_once => {
                    adoptable(env, cluster, role, ps).await
                }
                Err(x) if x.is_already_exists() => Ok(None),
                Err(x) => {
                    // Any earlier entry of this cluster was deleted above.
                    outcome.entry = EntryAfter::Gone;
                    outcome.result = Err(err(x, "create the access entry"));
                    return outcome;
                }
            };
        match found {
            Ok(Some(o)) => {
                adopted_once = true;
                outcome.marked = in_flight::is_marked(&o.tags);
                current_assocs = Some(settings_of(&o, desired));
                entry = Some(model_of(&o));
            }
            Ok(None) => {
                // Made by someone else: leave it exactly as it is.
                outcome.entry = EntryAfter::Gone;
                outcome.result = Err(Diagnostics(vec![messages::entry_exists(
                    cluster,
                    &role.arn,
                    ps.name,
                    ps.arn,
                    &env.account,
                )]));
                return outcome;
            }
            Err(x) => {
                outcome.entry = EntryAfter::Gone;
                outcome.result = Err(err(x, "read the access entry in the way"));
                return outcome;
            }
        }
    };
    outcome.entry = EntryAfter::Exists(entry.clone());
    let groups_differ = cur.groups != desired.groups;
    let username_differs = desired.username.is_some() && desired.username != cur.username;
    if groups_differ || username_differs {
        match access_entries::update(
            env.ctx,
            &env.clients.eks,
            cluster,
            &entry.principal_arn,
            &desired.groups,
            desired.username.as_deref(),
            env.deadline,
        )
        .await
        {
            Ok(o) => {
                entry = model_of(&o);
                outcome.entry = EntryAfter::Exists(entry.clone());
            }
            Err(x) => {
                outcome.result = Err(err(x, "update the access entry"));
                return outcome;
            }
        }
    }
    let mut assocs = cur.associations;
    if let Err(x) = access_entries::converge_associations(
        env.ctx,
        &env.clients.eks,
        cluster,
        &entry.principal_arn,
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

/// Converges every cluster of `work` at once (see [`converge_cluster`]),
/// then removes the in-flight mark from every entry that carries it and
/// that the state being returned records, and records each outcome in
/// `progress`. Removing the marks is the last thing done to the clusters, so
/// an apply killed before it still finds its entries marked.
pub async fn converge_clusters(
    env: &Env<'_>,
    work: Vec<(&str, Known)>,
    role: &ReservedRole,
    ps: GrantSet<'_>,
    desired: &DesiredEntry,
    progress: &mut Grant,
) -> Diagnostics {
    let mut outcomes = join_all(
        work.into_iter()
            .map(|(c, known)| converge_cluster(env, c, role, ps, known, desired)),
    )
    .await;
    seal(env, &mut outcomes).await;
    let mut diags = Diagnostics::new();
    for o in &outcomes {
        if let Some(d) = record_cluster(progress, o) {
            diags.extend(d);
        }
    }
    diags
}

/// Removes the in-flight mark from the entries of `outcomes` that carry it,
/// all at once. A cluster whose mark could not be removed is not finished:
/// it fails, so the next apply converges (and seals) it again.
async fn seal(env: &Env<'_>, outcomes: &mut [ClusterOutcome]) {
    let results = join_all(outcomes.iter().map(|o| async move {
        match &o.entry {
            EntryAfter::Exists(e) if o.marked => Some(
                access_entries::remove_mark(env.ctx, &env.clients.eks, &e.access_entry_arn).await,
            ),
            _ => None,
        }
    }))
    .await;
    for (o, r) in outcomes.iter_mut().zip(results) {
        match r {
            Some(Ok(())) => o.marked = false,
            Some(Err(e)) => {
                let d = e.to_diagnostics(format!(
                    "Could not finish the access entry on cluster {}",
                    o.cluster
                ));
                match &mut o.result {
                    Ok(()) => o.result = Err(d),
                    Err(prev) => prev.extend(d),
                }
            }
            None => {}
        }
    }
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
            marked: false,
            result: Ok(()),
        };
        assert!(record_cluster(&mut g, &ok).is_none());
        let half = ClusterOutcome {
            cluster: "b".into(),
            entry: EntryAfter::Exists(entry.clone()),
            marked: false,
            result: Err(Diagnostics::from_error("x", "y")),
        };
        assert!(record_cluster(&mut g, &half).is_some());
        assert_eq!(g.cluster_names, Some(["a".to_string()].into()));
        assert_eq!(g.access_entries.as_ref().unwrap().len(), 2);
        let unchanged = ClusterOutcome {
            cluster: "b".into(),
            entry: EntryAfter::Unchanged,
            marked: false,
            result: Err(Diagnostics::from_error("x", "y")),
        };
        record_cluster(&mut g, &unchanged);
        assert!(g.access_entries.as_ref().unwrap().contains_key("b"));
        let gone = ClusterOutcome {
            cluster: "a".into(),
            entry: EntryAfter::Gone,
            marked: false,
            result: Err(Diagnostics::from_error("x", "y")),
        };
        record_cluster(&mut g, &gone);
        assert!(!g.access_entries.as_ref().unwrap().contains_key("a"));
        assert_eq!(g.cluster_names, Some(Vec::new()));
    }
}
