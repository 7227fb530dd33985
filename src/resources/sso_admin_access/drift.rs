//! Turning what AWS reports into state: the prior state, corrected wherever
//! AWS disagrees, keeping the prior spelling wherever it means the same thing
//! (policy JSON, ISO durations, short policy names, null paths).
//!
//! `cluster_names` lists the clusters whose entry matches the grant-wide
//! settings (Kubernetes groups, username, access policies). When every
//! cluster agrees, a change made out of band shows as a change of those
//! settings; when clusters disagree, the odd ones drop out of
//! `cluster_names` (their entries stay in `access_entries`), so the next plan
//! shows them being brought back into line.

use std::collections::{BTreeMap, BTreeSet};

use super::access_entries::{Association, ObservedEntry};
use super::converge::desired_associations;
use super::model::{
    AccessEntryModel, AccessPolicyModel, BoundaryModel, Grant, PermissionSetModel, PolicyRef,
    PrincipalKind,
};
use super::permission_set::ObservedPs;
use super::policy::{access_policy_arn, access_policy_display};
use super::principals::is_principal_id;
use super::reserved_role::default_username;
use super::validate::iso_duration_seconds;
use crate::aws::iam::ReservedRole;
use crate::aws::policy_json::semantically_equal;

/// Everything one refresh learned.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Managed mode only: the permission set as AWS has it.
    pub permission_set: Option<ObservedPs>,
    /// Principals assigned in the account, by kind and identity-store ID.
    pub assigned: BTreeSet<(PrincipalKind, String)>,
    pub role: Option<ReservedRole>,
    /// Every cluster looked at; `None` where there is no entry.
    pub clusters: BTreeMap<String, Option<ObservedEntry>>,
    /// The partition, for expanding policy short names. Identity Center and
    /// the clusters of one organization share it, so the permission set's
    /// ARN tells it without a call.
    pub partition: String,
}

/// Import has no prior settings: principals come from the assignments (named
/// by `names`), and the Kubernetes settings from the first cluster.
#[derive(Debug, Clone, Default)]
pub struct ImportNames {
    /// Identity-store ID to display name / user name.
    pub names: BTreeMap<(PrincipalKind, String), String>,
}

/// The grant-wide settings one entry carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntrySettings {
    groups: BTreeSet<String>,
    /// `None`: EKS's default username.
    username: Option<String>,
    associations: BTreeMap<String, Association>,
}

fn settings_of(entry: &ObservedEntry) -> EntrySettings {
    let is_default =
        default_username(&entry.principal_arn).as_deref() == Some(entry.username.as_str());
    EntrySettings {
        groups: entry.kubernetes_groups.clone(),
        username: (!is_default).then(|| entry.username.clone()),
        associations: entry.associations.clone(),
    }
}

/// The grant's `access_policy` blocks for observed associations, in the prior
/// order and spelling where they match.
pub fn policies_from_observed(
    prior: &[AccessPolicyModel],
    observed: &BTreeMap<String, Association>,
    partition: &str,
) -> Vec<AccessPolicyModel> {
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for p in prior {
        let arn = access_policy_arn(&p.policy, partition);
        if let Some(a) = observed.get(&arn) {
            used.insert(arn);
            out.push(AccessPolicyModel {
                policy: p.policy.clone(),
                namespaces: a.namespaces.clone(),
            });
        }
    }
    for (arn, a) in observed {
        if !used.contains(arn) {
            out.push(AccessPolicyModel {
                policy: access_policy_display(arn),
                namespaces: a.namespaces.clone(),
            });
        }
    }
    out
}

/// The permission set as AWS has it, in the spelling of `prior` wherever
/// the two mean the same (policy JSON, durations, default paths). Also what
/// a create converges from when it adopts an in-flight set.
pub fn permission_set_from(
    prior: Option<&PermissionSetModel>,
    obs: &ObservedPs,
) -> PermissionSetModel {
    let empty = PermissionSetModel::default();
    let prior = prior.unwrap_or(&empty);
    let session_duration = match (&prior.session_duration, &obs.session_duration) {
        (Some(p), Some(o))
            if iso_duration_seconds(p).is_some()
                && iso_duration_seconds(p) == iso_duration_seconds(o) =>
        {
            Some(p.clone())
        }
        (p, None) => p.clone(),
        (_, o) => o.clone(),
    };
    let inline_policy = match (&prior.inline_policy, &obs.inline_policy) {
        (Some(p), Some(o)) if semantically_equal(p, o) => Some(p.clone()),
        (_, o) => o.clone(),
    };
    let managed_policy_arns = Some(obs.managed_policy_arns.clone());
    let customer_managed_policy = match &obs.customer_managed_policy {
        None => prior.customer_managed_policy.clone(),
        Some(refs) => refs
            .iter()
            .map(|r| {
                prior
                    .customer_managed_policy
                    .iter()
                    .find(|p| p.key() == r.key())
                    .cloned()
                    .unwrap_or_else(|| r.clone())
            })
            .collect(),
    };
    let permissions_boundary = match &obs.permissions_boundary {
        None => prior.permissions_boundary.clone(),
        Some(None) => None,
        Some(Some(b)) => match &prior.permissions_boundary {
            Some(p) if p.same_as(b) => Some(p.clone()),
            _ => Some(BoundaryModel {
                managed_policy_arn: b.managed_policy_arn.clone(),
                customer_managed_policy: b.customer_managed_policy.clone().map(|r| PolicyRef {
                    path: Some(r.path_or_default().to_string()),
                    ..r
                }),
            }),
        },
    };
    PermissionSetModel {
        name: obs.name.clone(),
        description: obs.description.clone(),
        session_duration,
        relay_state: obs.relay_state.clone(),
        managed_policy_arns,
        inline_policy,
        customer_managed_policy,
        permissions_boundary,
    }
}

/// `tags` as the user wrote them: AWS's tags minus the provider defaults
/// (unless the resource set the same key itself).
fn own_tags(
    aws: &BTreeMap<String, String>,
    prior: Option<&BTreeMap<String, String>>,
    defaults: &BTreeMap<String, String>,
) -> Option<BTreeMap<String, String>> {
    let own: BTreeMap<String, String> = aws
        .iter()
        .filter(|(k, v)| {
            let from_defaults = defaults.get(*k) == Some(*v);
            !from_defaults || prior.is_some_and(|p| p.contains_key(*k))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(own)
}

/// The new state for `prior` given `obs`. `import` is set when the prior
/// state is only the skeleton an import produced.
pub fn apply_drift(
    prior: &Grant,
    obs: &Observed,
    defaults: &BTreeMap<String, String>,
    import: Option<&ImportNames>,
) -> Grant {
    let mut g = prior.clone();

    if let Some(ps) = &obs.permission_set {
        g.permission_set = Some(permission_set_from(prior.permission_set.as_ref(), ps));
        if let Some(tags) = &ps.tags {
            g.tags = own_tags(tags, prior.tags.as_ref(), defaults);
            g.tags_all = Some(tags.clone());
        }
    }

    // Principals.
    match import {
        Some(names) => {
            let mut groups = BTreeSet::new();
            let mut users = BTreeSet::new();
            let mut ids = BTreeMap::new();
            for (kind, id) in &obs.assigned {
                let name = names
                    .names
                    .get(&(*kind, id.clone()))
                    .cloned()
                    .unwrap_or_else(|| id.clone());
                match kind {
                    PrincipalKind::Group => groups.insert(name.clone()),
                    PrincipalKind::User => users.insert(name.clone()),
                };
                ids.insert(name, id.clone());
            }
            g.groups = Some(groups);
            g.users = Some(users);
            g.principal_ids = Some(ids);
        }
        None => {
            let prior_ids = prior.principal_ids.clone().unwrap_or_default();
            let id_of = |name: &String| {
                prior_ids
                    .get(name)
                    .cloned()
                    .or_else(|| is_principal_id(name).then(|| name.clone()))
            };
            let keep = |kind: PrincipalKind, set: &Option<BTreeSet<String>>| {
                set.as_ref().map(|names| {
                    names
                        .iter()
                        .filter(|n| id_of(n).is_some_and(|id| obs.assigned.contains(&(kind, id))))
                        .cloned()
                        .collect::<BTreeSet<String>>()
                })
            };
            g.groups = keep(PrincipalKind::Group, &prior.groups);
            g.users = keep(PrincipalKind::User, &prior.users);
            let kept: BTreeSet<&String> = g
                .groups
                .iter()
                .flatten()
                .chain(g.users.iter().flatten())
                .collect();
            g.principal_ids = Some(
                prior_ids
                    .iter()
                    .filter(|(k, _)| kept.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
        }
    }

    // The reserved role.
    g.reserved_role_name = obs.role.as_ref().map(|r| r.name.clone());
    g.reserved_role_arn = obs.role.as_ref().map(|r| r.arn.clone());
    g.reserved_role_arn_without_path = obs.role.as_ref().map(|r| r.arn_without_path());

    // Access entries.
    let mut entries = BTreeMap::new();
    for (cluster, entry) in &obs.clusters {
        if let Some(e) = entry {
            entries.insert(
                cluster.clone(),
                AccessEntryModel {
                    access_entry_arn: e.access_entry_arn.clone(),
                    kubernetes_username: e.username.clone(),
                    principal_arn: e.principal_arn.clone(),
                },
            );
        }
    }
    let prior_clusters: BTreeSet<String> = prior.clusters().cloned().collect();
    let settled: Vec<(&String, EntrySettings)> = obs
        .clusters
        .iter()
        .filter(|(c, _)| prior_clusters.contains(*c))
        .filter_map(|(c, e)| e.as_ref().map(|e| (c, settings_of(e))))
        .collect();
    let desired = EntrySettings {
        groups: prior.kubernetes_groups_set(),
        username: prior.kubernetes_username.clone(),
        associations: desired_associations(&prior.access_policy, &obs.partition),
    };
    let all_agree = settled.windows(2).all(|w| w[0].1 == w[1].1);
    let reference = match (settled.first(), all_agree, import.is_some()) {
        (Some((_, s)), true, _) | (Some((_, s)), false, true) => s.clone(),
        _ => desired.clone(),
    };
    let in_line: BTreeSet<String> = settled
        .iter()
        .filter(|(_, s)| *s == reference)
        .map(|(c, _)| (*c).clone())
        .collect();
    if !settled.is_empty() && (all_agree || import.is_some()) {
        if reference.groups != desired.groups || import.is_some() {
            g.kubernetes_groups = Some(reference.groups.clone());
        }
        g.kubernetes_username = reference.username.clone();
        if reference.associations != desired.associations || import.is_some() {
            g.access_policy = policies_from_observed(
                &prior.access_policy,
                &reference.associations,
                &obs.partition,
            );
        }
    }
    g.cluster_names = Some(
        prior
            .clusters()
            .filter(|c| in_line.contains(*c))
            .cloned()
            .collect(),
    );
    g.access_entries = Some(entries);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSAdmin_0123456789abcdef";
    const GID: &str = "9067d3e2-1234-4c3f-8a9b-0123456789ab";
    const ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
    const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#;

    fn role() -> ReservedRole {
        ReservedRole {
            name: "AWSReservedSSO_EKSAdmin_0123456789abcdef".into(),
            arn: ROLE.into(),
            path: "/aws-reserved/sso.amazonaws.com/eu-west-1/".into(),
            unique_id: "AROA1".into(),
        }
    }

    fn entry(principal: &str, assocs: &[(&str, Option<&[&str]>)]) -> ObservedEntry {
        ObservedEntry {
            access_entry_arn: "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/role/x/1"
                .into(),
            principal_arn: principal.into(),
            username: default_username(principal).unwrap(),
            kubernetes_groups: BTreeSet::new(),
            associations: assocs
                .iter()
                .map(|(arn, ns)| {
                    (
                        arn.to_string(),
                        Association {
                            policy_arn: arn.to_string(),
                            namespaces: ns.map(|n| n.iter().map(|s| s.to_string()).collect()),
                        },
                    )
                })
                .collect(),
            tags: BTreeMap::new(),
        }
    }

    fn prior() -> Grant {
        Grant {
            account_id: Some("111122223333".into()),
            cluster_names: Some(["prod".to_string()].into()),
            groups: Some(["Admins".to_string()].into()),
            permission_set: Some(PermissionSetModel {
                name: "EKSAdmin".into(),
                session_duration: Some("PT1H".into()),
                inline_policy: Some(POLICY.into()),
                managed_policy_arns: Some(
                    ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess".to_string()].into(),
                ),
                ..Default::default()
            }),
            access_policy: vec![AccessPolicyModel {
                policy: "AmazonEKSClusterAdminPolicy".into(),
                namespaces: None,
            }],
            principal_ids: Some(BTreeMap::from([("Admins".to_string(), GID.to_string())])),
            reserved_role_arn: Some(ROLE.into()),
            ..Default::default()
        }
    }

    fn in_sync() -> Observed {
        Observed {
            permission_set: Some(ObservedPs {
                name: "EKSAdmin".into(),
                session_duration: Some("PT1H".into()),
                inline_policy: Some(r#"{"Statement":[{"Resource":"*","Effect":"Allow","Action":"eks:*"}],"Version":"2012-10-17"}"#.into()),
                managed_policy_arns: ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess".to_string()].into(),
                ..Default::default()
            }),
            assigned: [(PrincipalKind::Group, GID.to_string())].into(),
            role: Some(role()),
            clusters: BTreeMap::from([("prod".to_string(), Some(entry(ROLE, &[(ADMIN, None)])))]),
            partition: "aws".into(),
        }
    }

    #[test]
    fn no_drift_keeps_prior_spelling() {
        let g = apply_drift(&prior(), &in_sync(), &BTreeMap::new(), None);
        let ps = g.permission_set.as_ref().unwrap();
        assert_eq!(ps.inline_policy.as_deref(), Some(POLICY));
        assert_eq!(g.access_policy, prior().access_policy);
        assert_eq!(g.cluster_names, prior().cluster_names);
        assert_eq!(g.groups, prior().groups);
        assert_eq!(g.kubernetes_username, None);
        assert_eq!(
            g.reserved_role_arn_without_path.as_deref(),
            Some("arn:aws:iam::111122223333:role/AWSReservedSSO_EKSAdmin_0123456789abcdef")
        );
    }

    #[test]
    fn a_detached_managed_policy_and_changed_inline_policy_show() {
        let mut obs = in_sync();
        let ps = obs.permission_set.as_mut().unwrap();
        ps.managed_policy_arns.clear();
        ps.inline_policy = Some(POLICY.replace("eks:*", "s3:*"));
        let g = apply_drift(&prior(), &obs, &BTreeMap::new(), None);
        let ps = g.permission_set.unwrap();
        assert_eq!(ps.managed_policy_arns, Some(BTreeSet::new()));
        assert!(ps.inline_policy.unwrap().contains("s3:*"));
    }

    #[test]
    fn a_missing_assignment_drops_the_principal() {
        let mut obs = in_sync();
        obs.assigned.clear();
        obs.role = None;
        let g = apply_drift(&prior(), &obs, &BTreeMap::new(), None);
        assert_eq!(g.groups, Some(BTreeSet::new()));
        assert_eq!(g.principal_ids, Some(BTreeMap::new()));
        assert_eq!(g.reserved_role_arn, None);
    }

    #[test]
    fn a_missing_entry_drops_the_cluster() {
        let mut obs = in_sync();
        obs.clusters.insert("prod".into(), None);
        let g = apply_drift(&prior(), &obs, &BTreeMap::new(), None);
        assert_eq!(g.cluster_names, Some(Vec::new()));
        assert_eq!(g.access_entries, Some(BTreeMap::new()));
    }

    #[test]
    fn a_changed_scope_shows_in_access_policy() {
        let mut obs = in_sync();
        obs.clusters
            .insert("prod".into(), Some(entry(ROLE, &[(ADMIN, Some(&["dev"]))])));
        let g = apply_drift(&prior(), &obs, &BTreeMap::new(), None);
        assert_eq!(g.access_policy[0].policy, "AmazonEKSClusterAdminPolicy");
        assert_eq!(
            g.access_policy[0].namespaces,
            Some(["dev".to_string()].into())
        );
        assert_eq!(g.cluster_names, prior().cluster_names);
    }

    #[test]
    fn an_extra_association_shows_as_an_extra_policy() {
        let mut obs = in_sync();
        obs.clusters.insert(
            "prod".into(),
            Some(entry(ROLE, &[(ADMIN, None), (VIEW, Some(&["qa"]))])),
        );
        let g = apply_drift(&prior(), &obs, &BTreeMap::new(), None);
        assert_eq!(g.access_policy.len(), 2);
        assert_eq!(g.access_policy[1].policy, "AmazonEKSViewPolicy");
    }

    #[test]
    fn a_cluster_out_of_line_with_the_others_leaves_cluster_names() {
        let mut p = prior();
        p.cluster_names = Some(["prod".to_string(), "staging".to_string()].into());
        let mut obs = in_sync();
        obs.clusters
            .insert("staging".into(), Some(entry(ROLE, &[])));
        let g = apply_drift(&p, &obs, &BTreeMap::new(), None);
        assert_eq!(g.cluster_names, Some(["prod".to_string()].into()));
        assert_eq!(g.access_policy, p.access_policy);
        assert!(g.access_entries.unwrap().contains_key("staging"));
    }

    #[test]
    fn a_new_role_suffix_is_reported_while_entries_keep_the_old_principal() {
        let mut obs = in_sync();
        let mut r = role();
        r.arn = ROLE.replace("0123456789abcdef", "fedcba9876543210");
        r.name = r.name.replace("0123456789abcdef", "fedcba9876543210");
        obs.role = Some(r.clone());
        let g = apply_drift(&prior(), &obs, &BTreeMap::new(), None);
        assert_eq!(g.reserved_role_arn.as_deref(), Some(r.arn.as_str()));
        assert_eq!(g.access_entries.unwrap()["prod"].principal_arn, ROLE);
    }

    #[test]
    fn import_names_principals_and_takes_settings_from_aws() {
        let skeleton = Grant {
            account_id: Some("111122223333".into()),
            cluster_names: Some(["prod".to_string()].into()),
            ..Default::default()
        };
        let mut obs = in_sync();
        obs.clusters.insert(
            "prod".into(),
            Some(entry(ROLE, &[(ADMIN, None), (VIEW, Some(&["dev"]))])),
        );
        let names = ImportNames {
            names: BTreeMap::from([(
                (PrincipalKind::Group, GID.to_string()),
                "Admins".to_string(),
            )]),
        };
        let g = apply_drift(&skeleton, &obs, &BTreeMap::new(), Some(&names));
        assert_eq!(g.groups, Some(["Admins".to_string()].into()));
        assert_eq!(g.users, Some(BTreeSet::new()));
        assert_eq!(g.principal_ids.unwrap()["Admins"], GID);
        let names: Vec<&str> = g.access_policy.iter().map(|p| p.policy.as_str()).collect();
        assert_eq!(
            names,
            vec!["AmazonEKSClusterAdminPolicy", "AmazonEKSViewPolicy"]
        );
        assert_eq!(g.kubernetes_groups, Some(BTreeSet::new()));
        assert_eq!(g.cluster_names, Some(["prod".to_string()].into()));
        assert_eq!(g.permission_set.unwrap().name, "EKSAdmin");
    }

    #[test]
    fn default_tags_are_not_own_tags() {
        let defaults = BTreeMap::from([("team".to_string(), "platform".to_string())]);
        let aws = BTreeMap::from([
            ("team".to_string(), "platform".to_string()),
            ("app".to_string(), "eks".to_string()),
        ]);
        assert_eq!(
            own_tags(&aws, None, &defaults),
            Some(BTreeMap::from([("app".to_string(), "eks".to_string())]))
        );
        let aws = defaults.clone();
        assert_eq!(own_tags(&aws, None, &defaults), Some(BTreeMap::new()));
    }
}
