//! The IAM calls this resource makes, one small function each, with errors
//! that name the role or policy they were about. Every write takes the
//! request's [`Ctx`] and stops on Ctrl-C (through a retry loop, or
//! [`cancellable`] around the SDK's own retries), so apply and destroy
//! never outlive StopProvider.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{Role, Tag};
use tokio::time::Instant;

use crate::aws::iam::decode_policy_document;
use crate::aws::retry::{RetryPolicy, cancellable, retry_while};
use crate::aws::tags::TagChanges;
use crate::aws::{AwsError, AwsResultExt, Class, ErrorKind, SdkResultExt, Service};
use crate::tfplugin::framework::Ctx;

/// IAM keeps at most this many versions of a managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// How long to retry when IAM has not yet propagated a principal or policy
/// created moments ago (by us, or by another resource in the same apply).
const PROPAGATION_BUDGET: Duration = Duration::from_secs(60);

fn role_obj(name: &str) -> String {
    format!("IAM role {name}")
}

fn policy_obj(arn: &str) -> String {
    format!("IAM policy {arn}")
}

/// The role as IAM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    pub unique_id: String,
    pub path: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<String>,
    /// Decoded trust policy text.
    pub trust_policy: String,
    pub tags: BTreeMap<String, String>,
}

/// `None` when IAM says the role does not exist (`NoSuchEntity`, and only
/// that: a denied or failed call is an error, never "gone").
pub async fn get_role(iam: &Client, name: &str) -> Result<Option<RoleInfo>, AwsError> {
    let out = match iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .aws(Service::Iam, "GetRole")
    {
        Ok(o) => o,
        Err(e) if role_missing(&e) => return Ok(None),
        Err(e) => return Err(e.about(role_obj(name))),
    };
    let Some(role) = out.role() else {
        return Err(AwsError::new(
            Service::Iam,
            "GetRole",
            ErrorKind::Unexpected,
            "response has no Role",
        )
        .about(role_obj(name)));
    };
    Ok(Some(role_info(role)))
}

/// IAM's own word that a role does not exist. Nothing else counts: not a
/// denied call, not a 404 from something in between, not a throttle.
pub fn role_missing(e: &AwsError) -> bool {
    e.service == Service::Iam && e.code() == Some("NoSuchEntity")
}

/// A role as IAM returned it. ListRoles leaves out tags and the boundary;
/// GetRole has them.
pub fn role_info(role: &Role) -> RoleInfo {
    RoleInfo {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        unique_id: role.role_id().to_string(),
        path: role.path().to_string(),
        description: role
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        max_session_duration: role.max_session_duration().map_or(3600, i64::from),
        permissions_boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        trust_policy: role
            .assume_role_policy_document()
            .map(decode_policy_document)
            .unwrap_or_default(),
        tags: role
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    }
}

pub async fn list_attached(iam: &Client, role: &str) -> Result<BTreeSet<String>, AwsError> {
    let mut pages = iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send();
    let mut out = BTreeSet::new();
    while let Some(p) = pages.next().await {
        let p = p
            .aws(Service::Iam, "ListAttachedRolePolicies")
            .about(role_obj(role))?;
        if let Some(arn) = p.policy_arn() {
            out.insert(arn.to_string());
        }
    }
    Ok(out)
}

/// The default version's document of a managed policy; `None` if the policy
/// does not exist.
pub async fn get_policy_document(iam: &Client, arn: &str) -> Result<Option<String>, AwsError> {
    let policy = match iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .aws(Service::Iam, "GetPolicy")
    {
        Ok(o) => o,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.about(policy_obj(arn))),
    };
    let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
        return Ok(None);
    };
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .aws(Service::Iam, "GetPolicyVersion")
        .about(policy_obj(arn))?;
    Ok(out
        .policy_version()
        .and_then(|v| v.document())
        .map(decode_policy_document))
}

fn tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// IAM checks principals when a trust policy is saved; a role created moments
/// ago (for example by another resource in this apply) may not be visible yet.
fn is_invalid_principal(e: &AwsError) -> bool {
    e.code() == Some("MalformedPolicyDocument")
        && e.message.to_ascii_lowercase().contains("invalid principal")
}

fn propagation_policy() -> (RetryPolicy, Instant) {
    let policy = RetryPolicy {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(5),
        budget: PROPAGATION_BUDGET,
    };
    (policy, Instant::now() + PROPAGATION_BUDGET)
}

pub struct NewRole<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub description: Option<&'a str>,
    pub trust_policy: &'a str,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates the role; returns (arn, unique id).
pub async fn create_role(
    ctx: &Ctx,
    iam: &Client,
    r: &NewRole<'_>,
) -> Result<(String, String), AwsError> {
    let (policy, deadline) = propagation_policy();
    let out = retry_while(
        ctx,
        Service::Iam,
        "CreateRole",
        policy,
        deadline,
        is_invalid_principal,
        || async {
            iam.create_role()
                .role_name(r.name)
                .path(r.path)
                .assume_role_policy_document(r.trust_policy)
                .set_description(r.description.map(str::to_string))
                .max_session_duration(r.max_session_duration as i32)
                .set_permissions_boundary(r.permissions_boundary.map(str::to_string))
                .set_tags((!r.tags.is_empty()).then(|| tags(r.tags)))
                .send()
                .await
                .aws(Service::Iam, "CreateRole")
        },
    )
    .await
    .about(role_obj(r.name))?;
    let role = out.role();
    Ok((
        role.map(|r| r.arn().to_string()).unwrap_or_default(),
        role.map(|r| r.role_id().to_string()).unwrap_or_default(),
    ))
}

pub async fn update_trust(ctx: &Ctx, iam: &Client, name: &str, doc: &str) -> Result<(), AwsError> {
    let (policy, deadline) = propagation_policy();
    retry_while(
        ctx,
        Service::Iam,
        "UpdateAssumeRolePolicy",
        policy,
        deadline,
        is_invalid_principal,
        || async {
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(doc)
                .send()
                .await
                .aws(Service::Iam, "UpdateAssumeRolePolicy")
        },
    )
    .await
    .about(role_obj(name))?;
    Ok(())
}

/// Sets description and maximum session duration; an absent description is
/// cleared by sending an empty one.
pub async fn update_role(
    ctx: &Ctx,
    iam: &Client,
    name: &str,
    description: Option<&str>,
    max_session: i64,
) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "UpdateRole", async {
        iam.update_role()
            .role_name(name)
            .description(description.unwrap_or(""))
            .max_session_duration(max_session as i32)
            .send()
            .await
            .aws(Service::Iam, "UpdateRole")
            .about(role_obj(name))?;
        Ok(())
    })
    .await
}

pub async fn set_boundary(
    ctx: &Ctx,
    iam: &Client,
    name: &str,
    boundary: Option<&str>,
) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "PutRolePermissionsBoundary", async {
        match boundary {
            Some(arn) => {
                iam.put_role_permissions_boundary()
                    .role_name(name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .aws(Service::Iam, "PutRolePermissionsBoundary")
                    .about(role_obj(name))?;
            }
            None => match iam
                .delete_role_permissions_boundary()
                .role_name(name)
                .send()
                .await
                .aws(Service::Iam, "DeleteRolePermissionsBoundary")
            {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.about(role_obj(name))),
            },
        }
        Ok(())
    })
    .await
}

/// Brings the role's tags from `old` to `new`.
pub async fn sync_role_tags(
    ctx: &Ctx,
    iam: &Client,
    name: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "TagRole", async {
        let TagChanges {
            removed,
            set: changed,
        } = TagChanges::between(old, new);
        if !removed.is_empty() {
            iam.untag_role()
                .role_name(name)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .aws(Service::Iam, "UntagRole")
                .about(role_obj(name))?;
        }
        if !changed.is_empty() {
            iam.tag_role()
                .role_name(name)
                .set_tags(Some(tags(&changed)))
                .send()
                .await
                .aws(Service::Iam, "TagRole")
                .about(role_obj(name))?;
        }
        Ok(())
    })
    .await
}

/// Brings the policy's tags to `new`, reading the current ones first.
pub async fn sync_policy_tags(
    ctx: &Ctx,
    iam: &Client,
    arn: &str,
    new: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "TagPolicy", async {
        let current = iam
            .list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .aws(Service::Iam, "ListPolicyTags")
            .about(policy_obj(arn))?;
        let old: BTreeMap<String, String> = current
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let TagChanges {
            removed,
            set: changed,
        } = TagChanges::between(&old, new);
        if !removed.is_empty() {
            iam.untag_policy()
                .policy_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .aws(Service::Iam, "UntagPolicy")
                .about(policy_obj(arn))?;
        }
        if !changed.is_empty() {
            iam.tag_policy()
                .policy_arn(arn)
                .set_tags(Some(tags(&changed)))
                .send()
                .await
                .aws(Service::Iam, "TagPolicy")
                .about(policy_obj(arn))?;
        }
        Ok(())
    })
    .await
}

/// Creates the customer-managed policy; returns its ARN.
pub async fn create_policy(
    ctx: &Ctx,
    iam: &Client,
    name: &str,
    path: &str,
    doc: &str,
    tag_map: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    cancellable(ctx, Service::Iam, "CreatePolicy", async {
        let out = iam
            .create_policy()
            .policy_name(name)
            .path(path)
            .policy_document(doc)
            .description(
                "Permissions of the EKS cluster creator role (managed by terraform-provider-eks).",
            )
            .set_tags((!tag_map.is_empty()).then(|| tags(tag_map)))
            .send()
            .await
            .aws(Service::Iam, "CreatePolicy")
            .about(format!("IAM policy {path}{name}"))?;
        Ok(out
            .policy()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_string())
    })
    .await
}

/// A version of a managed policy, for pruning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: String,
    pub is_default: bool,
    /// Seconds since the epoch; versions without a date sort first.
    pub created: i64,
}

impl Version {
    /// `v12` → 12: IAM numbers versions in creation order.
    fn number(&self) -> u64 {
        self.id.trim_start_matches('v').parse().unwrap_or(0)
    }
}

pub async fn list_versions(iam: &Client, arn: &str) -> Result<Vec<Version>, AwsError> {
    let mut pages = iam
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .aws(Service::Iam, "ListPolicyVersions")
            .about(policy_obj(arn))?;
        for v in page.versions() {
            out.push(Version {
                id: v.version_id().unwrap_or_default().to_string(),
                is_default: v.is_default_version(),
                created: v.create_date().map_or(0, |d| d.secs()),
            });
        }
    }
    Ok(out)
}

/// The non-default versions to delete so that `keep` versions remain,
/// oldest first.
pub fn versions_to_prune(versions: &[Version], keep: usize) -> Vec<String> {
    let mut old: Vec<&Version> = versions.iter().filter(|v| !v.is_default).collect();
    old.sort_by_key(|v| (v.created, v.number()));
    let excess = versions.len().saturating_sub(keep);
    old.into_iter().take(excess).map(|v| v.id.clone()).collect()
}

async fn delete_version(iam: &Client, arn: &str, id: &str) -> Result<(), AwsError> {
    match iam
        .delete_policy_version()
        .policy_arn(arn)
        .version_id(id)
        .send()
        .await
        .aws(Service::Iam, "DeletePolicyVersion")
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.about(format!("version {id} of {}", policy_obj(arn)))),
    }
}

/// Makes `doc` the policy's default version, first deleting the oldest
/// non-default versions so the new one fits under IAM's limit of five.
pub async fn set_policy_document(
    ctx: &Ctx,
    iam: &Client,
    arn: &str,
    doc: &str,
) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "CreatePolicyVersion", async {
        let versions = list_versions(iam, arn).await?;
        for id in versions_to_prune(&versions, MAX_POLICY_VERSIONS - 1) {
            delete_version(iam, arn, &id).await?;
        }
        iam.create_policy_version()
            .policy_arn(arn)
            .policy_document(doc)
            .set_as_default(true)
            .send()
            .await
            .aws(Service::Iam, "CreatePolicyVersion")
            .about(policy_obj(arn))?;
        Ok(())
    })
    .await
}

/// Deletes a managed policy with all its versions, detaching it from every
/// role, user and group first. Gone already is fine.
pub async fn delete_policy(ctx: &Ctx, iam: &Client, arn: &str) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "DeletePolicy", async {
        let versions = match list_versions(iam, arn).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        let entities = iam
            .list_entities_for_policy()
            .policy_arn(arn)
            .send()
            .await
            .aws(Service::Iam, "ListEntitiesForPolicy")
            .about(policy_obj(arn));
        match entities {
            Ok(e) => {
                for r in e.policy_roles() {
                    if let Some(name) = r.role_name() {
                        detach(ctx, iam, name, arn).await?;
                    }
                }
                for u in e.policy_users() {
                    if let Some(name) = u.user_name() {
                        let _ = iam
                            .detach_user_policy()
                            .user_name(name)
                            .policy_arn(arn)
                            .send()
                            .await;
                    }
                }
                for g in e.policy_groups() {
                    if let Some(name) = g.group_name() {
                        let _ = iam
                            .detach_group_policy()
                            .group_name(name)
                            .policy_arn(arn)
                            .send()
                            .await;
                    }
                }
            }
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
        for v in versions.iter().filter(|v| !v.is_default) {
            delete_version(iam, arn, &v.id).await?;
        }
        match iam
            .delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .aws(Service::Iam, "DeletePolicy")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.about(policy_obj(arn))),
        }
    })
    .await
}

/// Attaches a managed policy, retrying briefly while IAM has not yet
/// propagated a policy created moments ago.
pub async fn attach(ctx: &Ctx, iam: &Client, role: &str, arn: &str) -> Result<(), AwsError> {
    let (policy, deadline) = propagation_policy();
    let fresh_customer_policy = !arn.contains(":iam::aws:policy/");
    retry_while(
        ctx,
        Service::Iam,
        "AttachRolePolicy",
        policy,
        deadline,
        |e| fresh_customer_policy && e.class() == Class::NotFound,
        || async {
            iam.attach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .aws(Service::Iam, "AttachRolePolicy")
        },
    )
    .await
    .about(format!("{} on {}", policy_obj(arn), role_obj(role)))?;
    Ok(())
}

/// Detaches a managed policy; not attached (or gone) is fine.
pub async fn detach(ctx: &Ctx, iam: &Client, role: &str, arn: &str) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "DetachRolePolicy", async {
        match iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .aws(Service::Iam, "DetachRolePolicy")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.about(format!("{} on {}", policy_obj(arn), role_obj(role)))),
        }
    })
    .await
}

/// Deletes the role after removing what IAM requires gone first: managed
/// policy attachments, inline policies and instance-profile memberships.
/// A role that no longer exists is fine.
pub async fn delete_role(ctx: &Ctx, iam: &Client, name: &str) -> Result<(), AwsError> {
    cancellable(ctx, Service::Iam, "DeleteRole", async {
        let attached = match list_attached(iam, name).await {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        for arn in &attached {
            detach(ctx, iam, name, arn).await?;
        }
        let mut inline = iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send();
        let mut inline_names = Vec::new();
        while let Some(p) = inline.next().await {
            match p.aws(Service::Iam, "ListRolePolicies") {
                Ok(n) => inline_names.push(n),
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(e.about(role_obj(name))),
            }
        }
        for policy in inline_names {
            match iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
                .await
                .aws(Service::Iam, "DeleteRolePolicy")
            {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    return Err(e.about(format!("inline policy {policy} of {}", role_obj(name))));
                }
            }
        }
        let profiles = iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .send()
            .await
            .aws(Service::Iam, "ListInstanceProfilesForRole");
        match profiles {
            Ok(p) => {
                for profile in p.instance_profiles() {
                    match iam
                        .remove_role_from_instance_profile()
                        .role_name(name)
                        .instance_profile_name(profile.instance_profile_name())
                        .send()
                        .await
                        .aws(Service::Iam, "RemoveRoleFromInstanceProfile")
                    {
                        Ok(_) => {}
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e.about(role_obj(name))),
                    }
                }
            }
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.about(role_obj(name))),
        }
        match iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .aws(Service::Iam, "DeleteRole")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.about(role_obj(name))),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iam_error(code: &str, status: u16) -> AwsError {
        AwsError {
            service: Service::Iam,
            operation: "GetRole",
            kind: ErrorKind::Service { status },
            code: Some(code.to_string()),
            message: "x".to_string(),
            object: None,
            request_id: None,
        }
    }

    #[test]
    fn only_no_such_entity_means_the_role_is_gone() {
        assert!(role_missing(&iam_error("NoSuchEntity", 404)));
        for (code, status) in [
            ("AccessDenied", 403),
            ("NotFound", 404),
            ("ServiceFailure", 500),
            ("Throttling", 400),
            ("InvalidClientTokenId", 403),
        ] {
            assert!(!role_missing(&iam_error(code, status)), "{code}");
        }
        let mut sts = iam_error("NoSuchEntity", 404);
        sts.service = Service::Sts;
        assert!(!role_missing(&sts));
    }

    fn v(id: &str, is_default: bool, created: i64) -> Version {
        Version {
            id: id.into(),
            is_default,
            created,
        }
    }

    #[test]
    fn prunes_oldest_non_default_versions() {
        let versions = vec![
            v("v3", false, 30),
            v("v1", false, 10),
            v("v5", true, 50),
            v("v2", false, 20),
            v("v4", false, 40),
        ];
        assert_eq!(versions_to_prune(&versions, 4), vec!["v1".to_string()]);
        assert_eq!(versions_to_prune(&versions, 2), vec!["v1", "v2", "v3"]);
        assert!(versions_to_prune(&versions[..3], 4).is_empty());
    }

    #[test]
    fn never_prunes_the_default_even_if_oldest() {
        let versions = vec![
            v("v1", true, 1),
            v("v2", false, 2),
            v("v3", false, 3),
            v("v4", false, 4),
            v("v5", false, 5),
        ];
        assert_eq!(versions_to_prune(&versions, 4), vec!["v2".to_string()]);
    }

    #[test]
    fn equal_dates_fall_back_to_version_numbers() {
        let versions = vec![
            v("v10", false, 7),
            v("v9", false, 7),
            v("v11", true, 7),
            v("v8", false, 7),
            v("v7", false, 7),
        ];
        assert_eq!(versions_to_prune(&versions, 4), vec!["v7".to_string()]);
    }
}
