//! The checks that write nothing, made together before an apply's first
//! write, so a mistake costs no half-built grant: the clusters exist and
//! accept access entries, none already has an entry for the reserved role
//! that this resource did not make, and the principals resolve. The cluster
//! and principal checks are shared with the plan (`plan_checks`), which makes
//! them earlier when the values are known; the apply still makes them, for
//! values a plan could not see and for `plan_checks = false`.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use super::access_entries::{self, ObservedEntry};
use super::apply_env::Env;
use super::in_flight;
use super::messages;
use super::model::PrincipalKind;
use super::principals::{self, Principal};
use super::reserved_role;
use super::schema as s;
use crate::provider::AwsClients;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};

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

/// What the checks found when nothing was wrong.
#[derive(Debug, Default)]
pub struct Checked {
    pub principals: Vec<Principal>,
    /// Entries for the reserved role, by cluster, that an unfinished apply of
    /// this grant left (they carry its in-flight mark): the apply adopts them.
    pub in_flight: BTreeMap<String, ObservedEntry>,
}

/// The checks that write nothing, run together before the first write: the
/// clusters accept access entries, none of them already has an entry for the
/// reserved role that this resource did not make, and the principals exist.
/// Every problem found is reported at once.
pub async fn preflight(
    env: &Env<'_>,
    clusters: &[String],
    ps_name: &str,
    role_without_path: Option<&str>,
    entries: EntryCheck<'_>,
    principals: &[(PrincipalKind, String)],
) -> Result<Checked, Diagnostics> {
    let (cluster_check, entry_check, resolved) = tokio::join!(
        check_clusters(env, clusters, ps_name, role_without_path),
        check_no_foreign_entries(env, clusters, ps_name, entries),
        resolve_principals(env.clients, &env.identity_store_id, principals)
    );
    let mut diags = cluster_check;
    let (entry_diags, in_flight) = entry_check;
    diags.extend(entry_diags);
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
        Ok(Checked {
            principals,
            in_flight,
        })
    }
}

/// Fails for every cluster that already holds an access entry for the
/// reserved role that this grant did not make: its own entries are in state
/// (and these clusters are not), so adopting it would change someone else's
/// access. The one exception is an entry carrying this grant's in-flight
/// mark: an unfinished apply made it, and it is returned for adoption. Read
/// errors are left to [`check_clusters`], which reports a missing or
/// CONFIG_MAP cluster with better advice.
async fn check_no_foreign_entries(
    env: &Env<'_>,
    clusters: &[String],
    ps_name: &str,
    entries: EntryCheck<'_>,
) -> (Diagnostics, BTreeMap<String, ObservedEntry>) {
    let mut diags = Diagnostics::new();
    let mut ours = BTreeMap::new();
    if clusters.is_empty() {
        return (diags, ours);
    }
    let (role_arn, ps_arn) = match entries {
        EntryCheck::NewPermissionSet => return (diags, ours),
        EntryCheck::Role { arn, ps_arn } => (arn.to_string(), ps_arn),
        EntryCheck::LookUpRole { ps_arn } => {
            match reserved_role::lookup(&env.clients.iam, ps_name, &env.account).await {
                Ok(Some(role)) => (role.arn, ps_arn),
                // No role yet: no entry can name it.
                Ok(None) => return (diags, ours),
                Err(e) => {
                    return (
                        e.to_diagnostics("Could not look up the reserved role"),
                        ours,
                    );
                }
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
            Ok(Some(e)) if in_flight::entry_is_ours(&e.tags, ps_arn) => {
                ours.insert(cluster.clone(), e);
            }
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
    (diags, ours)
}

/// Checks, before anything is written to them, that the clusters accept
/// access entries. `role_without_path` feeds the aws-auth advice when known.
async fn check_clusters(
    env: &Env<'_>,
    clusters: &[String],
    ps_name: &str,
    role_without_path: Option<&str>,
) -> Diagnostics {
    let found = cluster_problems(
        env.clients,
        &env.account,
        clusters,
        ps_name,
        role_without_path,
    )
    .await;
    Diagnostics(found.into_iter().map(|(_, d)| d).collect())
}

/// The clusters (by index into `clusters`) that do not exist or do not
/// accept access entries, each with its diagnostic (at `cluster_names`).
/// Read-only: one DescribeCluster per cluster, in parallel, and one IAM
/// lookup of the reserved role only when a cluster is CONFIG_MAP-only, so
/// the aws-auth advice can show the real ARN. Plans use it too.
pub async fn cluster_problems(
    clients: &AwsClients,
    account: &str,
    clusters: &[String],
    ps_name: &str,
    role_without_path: Option<&str>,
) -> Vec<(usize, Diagnostic)> {
    let modes = join_all(clusters.iter().enumerate().map(|(i, c)| async move {
        (
            i,
            c,
            access_entries::authentication_mode(&clients.eks, c).await,
        )
    }))
    .await;
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for (i, cluster, mode) in modes {
        match mode {
            Ok(m) if m == "CONFIG_MAP" => refused.push((i, cluster, m)),
            Ok(_) => {}
            Err(e) => {
                let mut d = e.to_diagnostic(format!("Could not read cluster {cluster}"));
                if e.is_not_found() {
                    d.detail.push_str(&format!(
                        "\n\nCheck the name and that the cluster is in account {account} and region {} (the provider's region).",
                        clients.region
                    ));
                }
                d.attribute = Some(AttributePath::attr(s::CLUSTER_NAMES));
                out.push((i, d));
            }
        }
    }
    if !refused.is_empty() {
        let role = match role_without_path {
            Some(r) => Some(r.to_string()),
            None => reserved_role::lookup(&clients.iam, ps_name, account)
                .await
                .ok()
                .flatten()
                .map(|r| r.arn_without_path()),
        };
        for (i, cluster, mode) in refused {
            out.push((
                i,
                messages::config_map_cluster(cluster, &mode, role.as_deref(), account, ps_name),
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// Resolves principals (GetGroupId/GetUserId, once per process and name),
/// reporting each failure at its attribute. Plans use it too.
pub async fn resolve_principals(
    clients: &AwsClients,
    identity_store_id: &str,
    wanted: &[(PrincipalKind, String)],
) -> Result<Vec<Principal>, Diagnostics> {
    let results = join_all(wanted.iter().map(|(kind, name)| async move {
        let r = principals::resolve(clients, identity_store_id, *kind, name).await;
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
