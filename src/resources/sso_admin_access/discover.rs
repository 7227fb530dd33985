//! Finding grants that already exist in AWS, for `terraform query` (list
//! resources) and for import by identity.
//!
//! A grant is a permission set whose AWSReservedSSO role has an access entry
//! on an EKS cluster of the account. hashicorp/aws lists assignments and
//! access entries separately; here they are joined through the reserved
//! role's name, which carries the permission set's name. An entry for any
//! other principal (a plain IAM role or user) is not a grant.
//!
//! Cost, for C clusters and P permission sets provisioned to the account:
//! ListClusters (unless the clusters are given), one ListAccessEntries per
//! cluster (all pages), one ListPermissionSetsProvisionedToAccount, and one
//! DescribePermissionSet per provisioned set whose name could match an entry
//! (sets whose role has no entry are never described). Identity Center calls
//! go through the provider's rate limiter like every other.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_eks::Client as Eks;
use futures_util::future::join_all;

use super::permission_set;
use super::reserved_role::permission_set_name_of_role;
use crate::aws::iam::{RESERVED_SSO_PATH_PREFIX, RoleArn};
use crate::aws::retry::retry_conflicts;
use crate::aws::{AwsError, AwsResultExt, SdkResultExt, Service};
use crate::provider::AwsClients;
use crate::tfplugin::framework::Ctx;

/// One grant found in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundGrant {
    pub permission_set_arn: String,
    pub permission_set_name: String,
    /// The reserved role the entries name (full ARN, path included).
    pub role_arn: String,
    /// Clusters with an entry for that role, sorted.
    pub clusters: Vec<String>,
}

/// What to look for; `None` means "all".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub clusters: Option<Vec<String>>,
    pub permission_set_names: Option<BTreeSet<String>>,
}

/// Something that stopped one cluster from being searched, reported as a
/// warning while the rest of the listing goes on.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub cluster: String,
    pub error: AwsError,
}

/// Every grant in `account` (the cluster-side credentials' account) that
/// `filter` lets through, sorted by permission set name.
pub async fn find_grants(
    ctx: &Ctx,
    clients: &AwsClients,
    instance_arn: &str,
    account: &str,
    filter: &Filter,
) -> Result<(Vec<FoundGrant>, Vec<Skipped>), AwsError> {
    let clusters = match &filter.clusters {
        Some(c) => c.clone(),
        None => list_clusters(&clients.eks).await?,
    };
    let listed = join_all(
        clusters
            .iter()
            .map(|c| async move { (c, reserved_entries(&clients.eks, c, account).await) }),
    )
    .await;
    // Permission set name -> (role ARN -> clusters).
    let mut by_name: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for (cluster, entries) in listed {
        match entries {
            Ok(roles) => {
                for (name, role_arn) in roles {
                    by_name
                        .entry(name)
                        .or_default()
                        .entry(role_arn)
                        .or_default()
                        .insert(cluster.clone());
                }
            }
            Err(error) => skipped.push(Skipped {
                cluster: cluster.clone(),
                error,
            }),
        }
    }
    if let Some(names) = &filter.permission_set_names {
        by_name.retain(|n, _| names.contains(n));
    }
    if by_name.is_empty() {
        return Ok((Vec::new(), skipped));
    }
    let sets = names_of_provisioned_sets(ctx, clients, instance_arn, account).await?;
    let mut out = Vec::new();
    for (arn, name) in sets {
        let Some(roles) = by_name.get(&name) else {
            continue;
        };
        let (role_arn, clusters) = match current_role(clients, &name, account, roles).await? {
            Some(found) => found,
            None => continue,
        };
        out.push(FoundGrant {
            permission_set_arn: arn,
            permission_set_name: name,
            role_arn,
            clusters: clusters.into_iter().collect(),
        });
    }
    out.sort_by(|a, b| a.permission_set_name.cmp(&b.permission_set_name));
    Ok((out, skipped))
}

/// The role (and its clusters) a grant consists of. Identity Center keeps
/// one reserved role per set and account, so entries for two roles of one
/// set mean an old role's entries outlived it: only then is IAM asked which
/// role is current, and the stale entries are not part of the grant.
async fn current_role(
    clients: &AwsClients,
    name: &str,
    account: &str,
    roles: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Option<(String, BTreeSet<String>)>, AwsError> {
    if roles.len() == 1 {
        return Ok(roles.iter().next().map(|(r, c)| (r.clone(), c.clone())));
    }
    let current = super::reserved_role::lookup(&clients.iam, name, account).await?;
    Ok(current.and_then(|role| roles.get(&role.arn).map(|c| (role.arn.clone(), c.clone()))))
}

/// The clusters (of `role_arn`'s account, in the provider's region) that have
/// an access entry for `role_arn`: what import by identity needs. One
/// DescribeAccessEntry per cluster; clusters that cannot hold entries
/// (CONFIG_MAP) simply have none.
pub async fn clusters_with_entry_for(eks: &Eks, role_arn: &str) -> Result<Vec<String>, AwsError> {
    let clusters = list_clusters(eks).await?;
    let found = join_all(clusters.iter().map(|c| async move {
        let r = super::access_entries::describe(eks, c, role_arn).await;
        (c, r)
    }))
    .await;
    let mut out = Vec::new();
    for (cluster, r) in found {
        match r {
            Ok(Some(_)) => out.push(cluster.clone()),
            Ok(None) => {}
            Err(e) if super::access_entries::is_config_map_refusal(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Every cluster in the region (all pages), sorted.
async fn list_clusters(eks: &Eks) -> Result<Vec<String>, AwsError> {
    let mut pages = eks.list_clusters().into_paginator().items().send();
    let mut out = Vec::new();
    while let Some(name) = pages.next().await {
        out.push(name.aws(Service::Eks, "ListClusters")?);
    }
    out.sort();
    Ok(out)
}

/// The reserved roles of `account` that have an entry on `cluster`, as
/// (permission set name, role ARN).
async fn reserved_entries(
    eks: &Eks,
    cluster: &str,
    account: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut pages = eks
        .list_access_entries()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send();
    let mut out = Vec::new();
    while let Some(principal) = pages.next().await {
        let principal = principal
            .aws(Service::Eks, "ListAccessEntries")
            .about(format!("cluster {cluster}"))?;
        if let Some(name) = reserved_set_name(&principal, account) {
            out.push((name.to_string(), principal.clone()));
        }
    }
    Ok(out)
}

/// The permission set name of a reserved-role principal ARN in `account`;
/// `None` for any other principal.
pub fn reserved_set_name<'a>(principal_arn: &'a str, account: &str) -> Option<&'a str> {
    let role = RoleArn::parse(principal_arn)?;
    let in_reserved_path = principal_arn
        .split_once(":role")
        .is_some_and(|(_, path)| path.starts_with(RESERVED_SSO_PATH_PREFIX));
    if role.account != account || !in_reserved_path {
        return None;
    }
    permission_set_name_of_role(role.name)
}

/// ARN -> name of every permission set provisioned to `account`.
async fn names_of_provisioned_sets(
    ctx: &Ctx,
    clients: &AwsClients,
    instance_arn: &str,
    account: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let sso = &clients.ssoadmin;
    let arns: Vec<String> =
        retry_conflicts(ctx, "ListPermissionSetsProvisionedToAccount", || async {
            let mut pages = sso
                .list_permission_sets_provisioned_to_account()
                .instance_arn(instance_arn)
                .account_id(account)
                .into_paginator()
                .items()
                .send();
            let mut out = Vec::new();
            while let Some(arn) = pages.next().await {
                out.push(arn.aws(Service::SsoAdmin, "ListPermissionSetsProvisionedToAccount")?);
            }
            Ok(out)
        })
        .await?;
    let described = join_all(arns.iter().map(|arn| async move {
        let name = permission_set::describe_name(ctx, sso, instance_arn, arn).await;
        (arn, name)
    }))
    .await;
    let mut out = Vec::new();
    for (arn, name) in described {
        // A set deleted between the two calls is simply not there.
        if let Some(name) = name? {
            out.push((arn.clone(), name));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reserved_roles_of_the_account_are_grants() {
        let a = "111122223333";
        assert_eq!(
            reserved_set_name(
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKS_Admin_0123456789abcdef",
                a
            ),
            Some("EKS_Admin")
        );
        assert_eq!(
            reserved_set_name(
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_View_0123456789abcdef",
                a
            ),
            Some("View")
        );
        for other in [
            // a plain role, even one named like a reserved role
            "arn:aws:iam::111122223333:role/AWSReservedSSO_EKS_Admin_0123456789abcdef",
            "arn:aws:iam::111122223333:role/ci-deployer",
            // another account
            "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_0123456789abcdef",
            // not a role
            "arn:aws:iam::111122223333:user/jane",
            // no 16-hex suffix
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_abc",
        ] {
            assert_eq!(reserved_set_name(other, a), None, "{other}");
        }
    }
}
