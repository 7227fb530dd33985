//! EKS access entries for the reserved role and their access-policy
//! associations, one cluster at a time.
//!
//! Calls that name a role created moments ago retry while EKS cannot see it
//! yet ("invalid principal", "principalArn could not be found"): IAM is
//! eventually consistent.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_eks::Client;
use aws_sdk_eks::types::{AccessScope, AccessScopeType, AuthenticationMode};
use futures_util::FutureExt;
use tokio::time::Instant;

use super::in_flight;
use crate::aws::retry::retry_eks_propagation;
use crate::aws::wait::cancellable;
use crate::aws::{AwsError, AwsResultExt, ErrorKind, SdkResultExt, Service};
use crate::tfplugin::framework::Ctx;

const EKS: Service = Service::Eks;

/// One access-policy association: the policy's full ARN and its scope
/// (`None` = cluster-wide).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Association {
    pub policy_arn: String,
    pub namespaces: Option<BTreeSet<String>>,
}

/// An access entry as EKS has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedEntry {
    pub access_entry_arn: String,
    pub principal_arn: String,
    pub username: String,
    pub kubernetes_groups: BTreeSet<String>,
    /// By policy ARN.
    pub associations: BTreeMap<String, Association>,
    /// The entry's tags, where the in-flight mark lives (see `in_flight`).
    pub tags: BTreeMap<String, String>,
}

/// What an entry should look like.
#[derive(Debug, Clone, Copy)]
pub struct EntrySpec<'a> {
    pub principal_arn: &'a str,
    pub kubernetes_groups: &'a BTreeSet<String>,
    /// `None`: EKS's default username.
    pub username: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

fn entry_label(cluster: &str, principal: &str) -> String {
    format!("access entry for {principal} on cluster {cluster}")
}

/// The cluster's authentication mode (`CONFIG_MAP`, `API_AND_CONFIG_MAP`,
/// `API`), from DescribeCluster.
pub async fn authentication_mode(eks: &Client, cluster: &str) -> Result<String, AwsError> {
    let out = eks
        .describe_cluster()
        .name(cluster)
        .send()
        .await
        .aws(EKS, "DescribeCluster")
        .about(format!("cluster {cluster}"))?;
    let mode = out
        .cluster()
        .and_then(|c| c.access_config())
        .and_then(|a| a.authentication_mode())
        .map(|m| m.as_str().to_string())
        // The API default for clusters that predate access entries.
        .unwrap_or_else(|| AuthenticationMode::ConfigMap.as_str().to_string());
    Ok(mode)
}

/// True for EKS's refusal to use access entries on a CONFIG_MAP cluster.
pub fn is_config_map_refusal(e: &AwsError) -> bool {
    e.service == EKS
        && e.code() == Some("InvalidRequestException")
        && e.message
            .to_ascii_lowercase()
            .contains("authentication mode")
}

fn observed_from(entry: &aws_sdk_eks::types::AccessEntry) -> ObservedEntry {
    ObservedEntry {
        access_entry_arn: entry.access_entry_arn().unwrap_or_default().to_string(),
        principal_arn: entry.principal_arn().unwrap_or_default().to_string(),
        username: entry.username().unwrap_or_default().to_string(),
        kubernetes_groups: entry.kubernetes_groups().iter().cloned().collect(),
        associations: BTreeMap::new(),
        tags: entry
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

/// Creates the entry, retrying while EKS cannot see the role yet. The SDK
/// sends one `clientRequestToken` for all its attempts, so its retry after a
/// lost response gets the entry it created rather than a duplicate error.
///
/// An entry that already exists for the principal comes back as the
/// AlreadyExists error. The caller adopts it only when the in-flight mark
/// says an unfinished apply of this grant made it; otherwise it reports it
/// with an import hint and leaves it exactly as it is, because taking it over
/// would silently widen whatever access its owner gave.
pub async fn create(
    ctx: &Ctx,
    eks: &Client,
    cluster: &str,
    spec: EntrySpec<'_>,
    deadline: Instant,
) -> Result<ObservedEntry, AwsError> {
    let label = entry_label(cluster, spec.principal_arn);
    let groups: Vec<String> = spec.kubernetes_groups.iter().cloned().collect();
    let tags: std::collections::HashMap<String, String> = spec
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let out = retry_eks_propagation(ctx, "CreateAccessEntry", deadline, || {
        eks.create_access_entry()
            .cluster_name(cluster)
            .principal_arn(spec.principal_arn)
            .set_kubernetes_groups((!groups.is_empty()).then(|| groups.clone()))
            .set_username(spec.username.map(str::to_string))
            .set_tags((!tags.is_empty()).then(|| tags.clone()))
            .send()
            .map(|r| r.aws(EKS, "CreateAccessEntry"))
    })
    .await
    .about(label.clone())?;
    out.access_entry().map(observed_from).ok_or_else(|| {
        AwsError::new(
            EKS,
            "CreateAccessEntry",
            ErrorKind::Unexpected,
            "the response has no accessEntry",
        )
        .about(label)
    })
}

/// Sets Kubernetes groups (always sent, so removals apply) and, when given,
/// the username.
pub async fn update(
    ctx: &Ctx,
    eks: &Client,
    cluster: &str,
    principal: &str,
    groups: &BTreeSet<String>,
    username: Option<&str>,
    deadline: Instant,
) -> Result<ObservedEntry, AwsError> {
    let groups: Vec<String> = groups.iter().cloned().collect();
    let out = retry_eks_propagation(ctx, "UpdateAccessEntry", deadline, || {
        eks.update_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .set_kubernetes_groups(Some(groups.clone()))
            .set_username(username.map(str::to_string))
            .send()
            .map(|r| r.aws(EKS, "UpdateAccessEntry"))
    })
    .await
    .about(entry_label(cluster, principal))?;
    out.access_entry().map(observed_from).ok_or_else(|| {
        AwsError::new(
            EKS,
            "UpdateAccessEntry",
            ErrorKind::Unexpected,
            "the response has no accessEntry",
        )
    })
}

/// Removes the in-flight mark from the entry (EKS UntagResource on its
/// ARN); an entry already gone counts as done.
pub async fn remove_mark(ctx: &Ctx, eks: &Client, entry_arn: &str) -> Result<(), AwsError> {
    let r = cancellable(
        ctx,
        EKS,
        "UntagResource",
        eks.untag_resource()
            .resource_arn(entry_arn)
            .tag_keys(in_flight::MARK_KEY)
            .send()
            .map(|r| r.aws(EKS, "UntagResource")),
    )
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.about(format!("access entry {entry_arn}"))),
    }
}

/// Deletes the entry (EKS drops its associations with it); gone counts as done.
pub async fn delete(
    ctx: &Ctx,
    eks: &Client,
    cluster: &str,
    principal: &str,
) -> Result<(), AwsError> {
    let r = cancellable(
        ctx,
        EKS,
        "DeleteAccessEntry",
        eks.delete_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .map(|r| r.aws(EKS, "DeleteAccessEntry")),
    )
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.about(entry_label(cluster, principal))),
    }
}

fn scope_of(a: &Association) -> AccessScope {
    match &a.namespaces {
        None => AccessScope::builder()
            .r#type(AccessScopeType::Cluster)
            .build(),
        Some(ns) => AccessScope::builder()
            .r#type(AccessScopeType::Namespace)
            .set_namespaces(Some(ns.iter().cloned().collect()))
            .build(),
    }
}

/// Associates a policy, or changes its scope (EKS replaces the scope of an
/// existing association).
pub async fn associate(
    ctx: &Ctx,
    eks: &Client,
    cluster: &str,
    principal: &str,
    a: &Association,
    deadline: Instant,
) -> Result<(), AwsError> {
    let scope = scope_of(a);
    retry_eks_propagation(ctx, "AssociateAccessPolicy", deadline, || {
        eks.associate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal)
            .policy_arn(&a.policy_arn)
            .access_scope(scope.clone())
            .send()
            .map(|r| r.aws(EKS, "AssociateAccessPolicy"))
    })
    .await
    .about(format!(
        "policy {} on the {}",
        a.policy_arn,
        entry_label(cluster, principal)
    ))?;
    Ok(())
}

/// Removes a policy association; gone counts as done.
pub async fn disassociate(
    ctx: &Ctx,
    eks: &Client,
    cluster: &str,
    principal: &str,
    policy_arn: &str,
) -> Result<(), AwsError> {
    let r = cancellable(
        ctx,
        EKS,
        "DisassociateAccessPolicy",
        eks.disassociate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal)
            .policy_arn(policy_arn)
            .send()
            .map(|r| r.aws(EKS, "DisassociateAccessPolicy")),
    )
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.about(format!(
            "policy {policy_arn} on the {}",
            entry_label(cluster, principal)
        ))),
    }
}

/// Converges the entry's associations from `current` to `desired`: new and
/// re-scoped policies are associated (an upsert), removed ones disassociated.
/// `current` is updated after each success.
pub async fn converge_associations(
    ctx: &Ctx,
    eks: &Client,
    cluster: &str,
    principal: &str,
    current: &mut BTreeMap<String, Association>,
    desired: &BTreeMap<String, Association>,
    deadline: Instant,
) -> Result<(), AwsError> {
    let stale: Vec<String> = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    for arn in stale {
        disassociate(ctx, eks, cluster, principal, &arn).await?;
        current.remove(&arn);
    }
    for (arn, want) in desired {
        if current.get(arn) != Some(want) {
            associate(ctx, eks, cluster, principal, want, deadline).await?;
            current.insert(arn.clone(), want.clone());
        }
    }
    Ok(())
}

fn describe_result(
    r: Result<aws_sdk_eks::operation::describe_access_entry::DescribeAccessEntryOutput, AwsError>,
) -> Result<Option<ObservedEntry>, AwsError> {
    match r {
        Ok(o) => Ok(o.access_entry().map(observed_from)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The entry for `principal` on `cluster` without its associations;
/// `Ok(None)` when there is none.
pub async fn describe(
    eks: &Client,
    cluster: &str,
    principal: &str,
) -> Result<Option<ObservedEntry>, AwsError> {
    let r = eks
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
        .aws(EKS, "DescribeAccessEntry");
    describe_result(r).map_err(|e| e.about(entry_label(cluster, principal)))
}

async fn list_associations(
    eks: &Client,
    cluster: &str,
    principal: &str,
) -> Result<Option<BTreeMap<String, Association>>, AwsError> {
    let mut pages = eks
        .list_associated_access_policies()
        .cluster_name(cluster)
        .principal_arn(principal)
        .into_paginator()
        .items()
        .send();
    let mut out = BTreeMap::new();
    while let Some(p) = pages.next().await {
        let p = match p.aws(EKS, "ListAssociatedAccessPolicies") {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.about(entry_label(cluster, principal))),
        };
        let Some(arn) = p.policy_arn() else { continue };
        let namespaces = p.access_scope().and_then(|s| match s.r#type() {
            Some(AccessScopeType::Namespace) => Some(s.namespaces().iter().cloned().collect()),
            _ => None,
        });
        out.insert(
            arn.to_string(),
            Association {
                policy_arn: arn.to_string(),
                namespaces,
            },
        );
    }
    Ok(Some(out))
}

/// Reads the entry and its associations (two calls, made together);
/// `Ok(None)` when the cluster is there but has no entry for `principal`.
///
/// EKS answers ResourceNotFoundException both for a missing entry and for a
/// missing cluster. Only the first means the entry is gone: a missing
/// cluster is just as likely the provider pointing at the wrong region or
/// account, and treating it as "deleted" would drop the grant from state and
/// orphan everything in AWS. So on that path alone one DescribeCluster tells
/// the two apart, and a missing cluster is an error.
pub async fn observe(
    eks: &Client,
    cluster: &str,
    principal: &str,
) -> Result<Option<ObservedEntry>, AwsError> {
    let (entry, assocs) = tokio::join!(
        describe(eks, cluster, principal),
        list_associations(eks, cluster, principal)
    );
    let Some(mut entry) = entry? else {
        cluster_must_exist(eks, cluster).await?;
        return Ok(None);
    };
    entry.associations = assocs?.unwrap_or_default();
    Ok(Some(entry))
}

/// Succeeds when `cluster` exists; a missing cluster is a NotFound error
/// that says where the provider looked.
pub async fn cluster_must_exist(eks: &Client, cluster: &str) -> Result<(), AwsError> {
    let region = eks
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    match eks
        .describe_cluster()
        .name(cluster)
        .send()
        .await
        .aws(EKS, "DescribeCluster")
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Err(AwsError {
            message: format!(
                "{} The provider looked in region {region}: if that is the wrong region or account, fix the provider's \
                 `region`/`assume_role`; if the cluster was deleted, remove it from cluster_names and apply with \
                 -refresh=false.",
                e.message
            ),
            ..e
        }
        .about(format!("cluster {cluster}"))),
        Err(e) => Err(e.about(format!("cluster {cluster}"))),
    }
}
