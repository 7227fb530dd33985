//! The steps create, update and delete share, each recording what it
//! achieved in the grant being built (`progress`), so a failure part-way
//! returns an honest state alongside the error.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use super::access_entries::{self, Association, EntrySpec, ObservedEntry};
use super::assignments::{self, Target};
use super::messages;
use super::model::{AccessEntryModel, AccessPolicyModel, Grant, PrincipalKind};
use super::permission_set::{self, PsRef};
use super::policy::access_policy_arn;
use super::principals::{self, Principal};
use super::private::Private;
use super::reserved_role;
use super::schema as s;
use crate::aws::AwsError;
use crate::aws::iam::ReservedRole;
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::Ctx;
use crate::validate::parse_go_duration;

/// Default for every operation's timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// An operation's time limit from the `timeouts` block.
pub fn timeout(value: Option<&str>) -> Duration {
    value
        .and_then(|t| parse_go_duration(t).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Everything an apply step needs.
pub struct Env<'a> {
    pub ctx: &'a Ctx,
    pub clients: &'a AwsClients,
    pub instance_arn: String,
    pub identity_store_id: String,
    pub account: String,
    pub partition: &'a str,
    pub deadline: Instant,
}

impl Env<'_> {
    pub fn target<'b>(&'b self, ps_arn: &'b str) -> Target<'b> {
        Target {
            sso: &self.clients.ssoadmin,
            instance: &self.instance_arn,
            permission_set_arn: ps_arn,
            account: &self.account,
        }
    }

    pub fn permission_set<'b>(&'b self, arn: &'b str, name: &'b str) -> PsRef<'b> {
        PsRef {
            sso: &self.clients.ssoadmin,
            instance: &self.instance_arn,
            arn,
            name,
        }
    }
}

/// The provider's AWS clients, once the credentials are known to act in
/// `account` (a mismatch is an error before anything is written).
pub async fn clients_for<'s>(
    state: &'s ProviderState,
    account: &str,
) -> Result<&'s AwsClients, Diagnostics> {
    let clients = state.clients().await?;
    clients.check_account(account).await?;
    Ok(clients)
}

/// The principals a grant wants, by kind and name.
pub fn wanted_principals(g: &Grant) -> Vec<(PrincipalKind, String)> {
    g.principal_names().map(|(k, n)| (k, n.clone())).collect()
}

/// Adds a principal to the grant's record of what is assigned.
fn record_principal(progress: &mut Grant, p: &Principal) {
    let set = match p.kind {
        PrincipalKind::Group => &mut progress.groups,
        PrincipalKind::User => &mut progress.users,
    };
    set.get_or_insert_with(BTreeSet::new).insert(p.name.clone());
    progress
        .principal_ids
        .get_or_insert_with(BTreeMap::new)
        .insert(p.name.clone(), p.id.clone());
}

/// Removes a principal from that record.
fn forget_principal(progress: &mut Grant, kind: PrincipalKind, name: &str) {
    let set = match kind {
        PrincipalKind::Group => &mut progress.groups,
        PrincipalKind::User => &mut progress.users,
    };
    if let Some(set) = set {
        set.remove(name);
    }
    if let Some(ids) = progress.principal_ids.as_mut() {
        ids.remove(name);
    }
}

/// Assigns every principal in `todo`, concurrently within the provider's
/// assignment permits. A principal AWS already lists is not assigned again
/// (the API accepts duplicates); it is recorded in the grant like the
/// others, and in `private.foreign_assignments`, because this resource did
/// not make that assignment and must never remove it.
pub async fn assign(
    env: &Env<'_>,
    ps_arn: &str,
    todo: &[Principal],
    progress: &mut Grant,
    private: &mut Private,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if todo.is_empty() {
        return diags;
    }
    let target = env.target(ps_arn);
    let existing = match assignments::list(env.ctx, target).await {
        Ok(e) => e,
        Err(e) => return e.to_diagnostics("Could not list the permission set's assignments"),
    };
    let existing = &existing;
    let results = join_all(todo.iter().map(|p| async move {
        if existing.contains(&(p.kind, p.id.clone())) {
            return (p, Ok(true));
        }
        let _permit = match env.clients.assignment_permit(env.ctx).await {
            Ok(permit) => permit,
            Err(e) => return (p, Err(e)),
        };
        let r = assignments::create(env.ctx, target, p.kind, &p.id, &p.name, env.deadline).await;
        (p, r.map(|()| false))
    }))
    .await;
    for (p, r) in results {
        match r {
            Ok(preexisting) => {
                record_principal(progress, p);
                if preexisting {
                    private.foreign_assignments.insert(p.id.clone());
                }
            }
            Err(e) => {
                let mut d = e.to_diagnostic(format!(
                    "Could not assign the permission set to {} {}",
                    p.kind.noun(),
                    p.name
                ));
                d.attribute = Some(AttributePath::attr(p.kind.attribute()));
                diags.0.push(d);
            }
        }
    }
    diags
}

/// Removes the assignments of `todo` (kind, name, id) from `target`, all at
/// once, and waits for each. Assignments in `private.foreign_assignments`
/// (made by someone else) only leave the grant's record; AWS keeps them.
pub async fn unassign(
    ctx: &Ctx,
    target: Target<'_>,
    deadline: Instant,
    todo: &[(PrincipalKind, String, String)],
    progress: &mut Grant,
    private: &mut Private,
) -> Diagnostics {
    let foreign = &private.foreign_assignments;
    let results = join_all(todo.iter().map(|(kind, name, id)| async move {
        let r = if foreign.contains(id) {
            Ok(())
        } else {
            assignments::delete(ctx, target, *kind, id, name, deadline).await
        };
        (kind, name, id, r)
    }))
    .await;
    let mut diags = Diagnostics::new();
    for (kind, name, id, r) in results {
        match r {
            Ok(()) => {
                forget_principal(progress, *kind, name);
                private.foreign_assignments.remove(id);
            }
            Err(e) => diags.0.push(e.to_diagnostic(format!(
                "Could not remove the assignment of {} {name}",
                kind.noun()
            ))),
        }
    }
    diags
}

/// Records the reserved role in the grant.
pub fn record_role(progress: &mut Grant, role: &ReservedRole) {
    progress.reserved_role_name = Some(role.name.clone());
    progress.reserved_role_arn = Some(role.arn.clone());
    progress.reserved_role_arn_without_path = Some(role.arn_without_path());
}

/// The permission set name inside a reserved role name
/// (`AWSReservedSSO_<name>_<16 hex>`).
pub fn permission_set_name_of_role(role_name: &str) -> Option<&str> {
    let rest = role_name.strip_prefix("AWSReservedSSO_")?;
    let (name, suffix) = rest.rsplit_once('_')?;
    (suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()) && !name.is_empty())
        .then_some(name)
}

/// Whose access entries a preflight looks for on the clusters it checks.
#[derive(Debug, Clone, Copy)]
pub enum EntryCheck<'a> {
    /// The permission set is created by this apply: its reserved role will be
    /// new, so no entry for it can exist yet.
    NewPermissionSet,
    /// A referenced permission set: its reserved role may already exist in
    /// the account (and have entries), so it is looked up first.
    LookUpRole { ps_arn: &'a str },
    /// The reserved role this grant already uses.
    Role { arn: &'a str, ps_arn: &'a str },
}

/// The checks that write nothing, run together before the first write: the
/// clusters accept access entries, none of them already has an entry for the
/// reserved role that this resource did not make, and the principals exist.
/// Every problem found is reported at once; without one, the resolved
/// principals.
pub async fn preflight(
    env: &Env<'_>,
    clusters: &[String],
    ps_name: &str,
    role_without_path: Option<&str>,
    entries: EntryCheck<'_>,
    principals: &[(PrincipalKind, String)],
) -> Result<Vec<Principal>, Diagnostics> {
    let (cluster_check, entry_check, resolved) = tokio::join!(
        check_clusters(env, clusters, ps_name, role_without_path),
        check_no_foreign_entries(env, clusters, ps_name, entries),
        resolve_principals(env, principals)
    );
    let mut diags = cluster_check;
    diags.extend(entry_check);
    let principals = match resolved {
        Ok(p) => p,
        Err(d) => {
            diags.extend(d);
            Vec::new()
        }
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(principals)
    }
}

/// Fails for every cluster that already holds an access entry for the
/// reserved role: this grant did not make it (its own entries are in state,
/// and these clusters are not), so adopting it would change someone else's
/// access. Read errors are left to [`check_clusters`], which reports a
/// missing or CONFIG_MAP cluster with better advice.
async fn check_no_foreign_entries(
    env: &Env<'_>,
    clusters: &[String],
    ps_name: &str,
    entries: EntryCheck<'_>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if clusters.is_empty() {
        return diags;
    }
    let (role_arn, ps_arn) = match entries {
        EntryCheck::NewPermissionSet => return diags,
        EntryCheck::Role { arn, ps_arn } => (arn.to_string(), ps_arn),
        EntryCheck::LookUpRole { ps_arn } => {
            match reserved_role::lookup(&env.clients.iam, ps_name, &env.account).await {
                Ok(Some(role)) => (role.arn, ps_arn),
                // No role yet: no entry can name it.
                Ok(None) => return diags,
                Err(e) => return e.to_diagnostics("Could not look up the reserved role"),
            }
        }
    };
    let found = join_all(clusters.iter().map(|c| {
        let role_arn = role_arn.as_str();
        async move {
            (
                c,
                access_entries::describe(&env.clients.eks, c, role_arn).await,
            )
        }
    }))
    .await;
    for (cluster, entry) in found {
        match entry {
            Ok(Some(e)) => diags.0.push(messages::entry_exists(
                cluster,
                &e.principal_arn,
                ps_name,
                ps_arn,
                &env.account,
            )),
            Ok(None) => {}
            Err(e) => tracing::debug!(cluster, "entry check skipped: {e}"),
        }
    }
    diags
}

/// Provisions the permission set to the grant's account, so the role there
/// carries the set's current policies.
pub async fn provision(env: &Env<'_>, ps_arn: &str, ps_name: &str) -> Result<(), Diagnostics> {
    let ps = env.permission_set(ps_arn, ps_name);
    permission_set::provision(env.ctx, &ps, &env.account, env.deadline)
        .await
        .map_err(|e| e.to_diagnostics("Could not provision the permission set to the account"))
}

/// Waits for the reserved role Identity Center creates for the assignment.
pub async fn wait_for_role(env: &Env<'_>, ps_name: &str) -> Result<ReservedRole, Diagnostics> {
    reserved_role::wait_for(
        env.ctx,
        &env.clients.iam,
        ps_name,
        &env.account,
        env.deadline,
    )
    .await
    .map_err(|e| e.to_diagnostics("The reserved role did not appear"))
}

/// Checks, before anything is written to them, that the clusters accept
/// access entries. `role_without_path` feeds the aws-auth advice when known.
async fn check_clusters(
    env: &Env<'_>,
    clusters: &[String],
    ps_name: &str,
    role_without_path: Option<&str>,
) -> Diagnostics {
    let modes = join_all(clusters.iter().map(|c| async move {
        (
            c,
            access_entries::authentication_mode(&env.clients.eks, c).await,
        )
    }))
    .await;
    let mut diags = Diagnostics::new();
    let mut refused = Vec::new();
    for (cluster, mode) in modes {
        match mode {
            Ok(m) if m == "CONFIG_MAP" => refused.push((cluster, m)),
            Ok(_) => {}
            Err(e) => {
                let mut d = e.to_diagnostic(format!("Could not read cluster {cluster}"));
                if e.is_not_found() {
                    d.detail.push_str(&format!(
                        "\n\nCheck the name and that the cluster is in account {} and region {} (the provider's region).",
                        env.account, env.clients.region
                    ));
                }
                d.attribute = Some(AttributePath::attr(s::CLUSTER_NAMES));
                diags.0.push(d);
            }
        }
    }
    if !refused.is_empty() {
        // One IAM call, only on this error path, so the advice can show the real ARN.
        let role = match role_without_path {
            Some(r) => Some(r.to_string()),
            None => reserved_role::lookup(&env.clients.iam, ps_name, &env.account)
                .await
                .ok()
                .flatten()
                .map(|r| r.arn_without_path()),
        };
        for (cluster, mode) in refused {
            diags.0.push(messages::config_map_cluster(
                cluster,
                &mode,
                role.as_deref(),
                &env.account,
                ps_name,
            ));
        }
    }
    diags
}

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

/// Resolves principals, reporting each failure at its attribute.
async fn resolve_principals(
    env: &Env<'_>,
    wanted: &[(PrincipalKind, String)],
) -> Result<Vec<Principal>, Diagnostics> {
    let results = join_all(wanted.iter().map(|(kind, name)| async move {
        let r = principals::resolve(
            &env.clients.identitystore,
            &env.identity_store_id,
            *kind,
            name,
        )
        .await;
        (kind, name, r)
    }))
    .await;
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    for (kind, name, r) in results {
        match r {
            Ok(id) => out.push(Principal {
                kind: *kind,
                name: name.clone(),
                id,
            }),
            Err(e) => {
                let mut d = e.to_diagnostic(format!("Could not find {} {name}", kind.noun()));
                d.attribute = Some(AttributePath::attr(kind.attribute()));
                diags.0.push(d);
            }
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_to_twenty_minutes() {
        assert_eq!(timeout(None), DEFAULT_TIMEOUT);
        assert_eq!(timeout(Some("90s")), Duration::from_secs(90));
        assert_eq!(timeout(Some("bogus")), DEFAULT_TIMEOUT);
    }

    #[test]
    fn permission_set_name_from_role_name() {
        assert_eq!(
            permission_set_name_of_role("AWSReservedSSO_EKS_Admin_0123456789abcdef"),
            Some("EKS_Admin")
        );
        assert_eq!(
            permission_set_name_of_role("AWSReservedSSO_Admin_xyz"),
            None
        );
        assert_eq!(permission_set_name_of_role("Other_0123456789abcdef"), None);
    }

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
