//! The permission set and its policies in sso-admin: create, converge, read,
//! provision and delete. Writes go one at a time (Identity Center rejects
//! concurrent writes to one permission set) through the conflict retry.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssoadmin::Client;
use aws_sdk_ssoadmin::types::{
    CustomerManagedPolicyReference, PermissionsBoundary, ProvisionTargetType, StatusValues, Tag,
};
use futures_util::FutureExt;
use futures_util::stream::{self, StreamExt};
use tokio::time::Instant;

use super::in_flight;
use super::model::{BoundaryModel, PermissionSetModel, PolicyRef};
use super::schema::DEFAULT_SESSION_DURATION;
use super::validate::iso_duration_seconds;
use crate::aws::policy_json::semantically_equal;
use crate::aws::retry::retry_conflicts;
use crate::aws::tags::TagChanges;
use crate::aws::wait::{WaitError, poll};
use crate::aws::{AwsError, AwsResultExt, ErrorKind, SdkResultExt, Service};
use crate::tfplugin::framework::Ctx;

const SSO: Service = Service::SsoAdmin;

/// A permission set that exists: where it lives and how errors name it.
#[derive(Debug, Clone)]
pub struct PsRef<'a> {
    pub sso: &'a Client,
    pub instance: &'a str,
    pub arn: &'a str,
    pub name: &'a str,
}

impl PsRef<'_> {
    fn label(&self) -> String {
        format!("permission set {} ({})", self.name, self.arn)
    }
}

fn build_err(op: &'static str, e: impl std::fmt::Display) -> AwsError {
    AwsError::new(SSO, op, ErrorKind::Unexpected, e.to_string())
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| build_err("TagResource", e))
        })
        .collect()
}

fn policy_ref(r: &PolicyRef, op: &'static str) -> Result<CustomerManagedPolicyReference, AwsError> {
    CustomerManagedPolicyReference::builder()
        .name(&r.name)
        .path(r.path_or_default())
        .build()
        .map_err(|e| build_err(op, e))
}

/// Creates the permission set (without policies). A duplicate name comes
/// back as an error whose class is `AlreadyExists`, never retried.
pub async fn create(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    model: &PermissionSetModel,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let tag_list = tag_list(tags)?;
    let session = model
        .session_duration
        .as_deref()
        .unwrap_or(DEFAULT_SESSION_DURATION);
    let out = retry_conflicts(ctx, "CreatePermissionSet", || {
        sso.create_permission_set()
            .instance_arn(instance)
            .name(&model.name)
            .set_description(model.description.clone())
            .session_duration(session)
            .set_relay_state(model.relay_state.clone())
            .set_tags((!tag_list.is_empty()).then(|| tag_list.clone()))
            .send()
            .map(|r| r.aws(SSO, "CreatePermissionSet"))
    })
    .await;
    let out = match out {
        Ok(o) => o,
        Err(e) => return Err(e.about(format!("permission set {}", model.name))),
    };
    out.permission_set()
        .and_then(|p| p.permission_set_arn())
        .map(str::to_string)
        .ok_or_else(|| {
            build_err(
                "CreatePermissionSet",
                "the response has no PermissionSetArn",
            )
        })
}

/// Wraps an SDK send in the conflict retry and names the object.
macro_rules! write_op {
    ($ctx:expr, $ps:expr, $op:literal, $call:expr) => {
        retry_conflicts($ctx, $op, || $call.send().map(|r| r.aws(SSO, $op)))
            .await
            .about($ps.label())
    };
}

/// Every permission set ARN of the instance (ListPermissionSets, all pages).
async fn list_arns(ctx: &Ctx, sso: &Client, instance: &str) -> Result<Vec<String>, AwsError> {
    retry_conflicts(ctx, "ListPermissionSets", || async move {
        let mut pages = sso
            .list_permission_sets()
            .instance_arn(instance)
            .into_paginator()
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(arn) = pages.next().await {
            out.push(arn.aws(SSO, "ListPermissionSets")?);
        }
        Ok(out)
    })
    .await
}

/// Finds a permission set by name: lists the instance's sets and describes
/// them until one matches.
pub async fn find_by_name(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    name: &str,
) -> Result<Option<String>, AwsError> {
    for arn in list_arns(ctx, sso, instance).await? {
        if describe_name(ctx, sso, instance, &arn).await?.as_deref() == Some(name) {
            return Ok(Some(arn));
        }
    }
    Ok(None)
}

/// How many DescribePermissionSet calls [`name_index`] keeps in flight; the
/// shared Identity Center limiter paces them further.
const INDEX_CONCURRENCY: usize = 8;

/// Every permission set of the instance by name (name -> ARN): one
/// ListPermissionSets, then the sets described a few at a time. Read-only;
/// plans share it through [`crate::provider::AwsClients::permission_set_names`].
pub async fn name_index(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let arns = list_arns(ctx, sso, instance).await?;
    let named: Vec<Result<Option<(String, String)>, AwsError>> = stream::iter(arns)
        .map(|arn| async move {
            Ok(describe_name(ctx, sso, instance, &arn)
                .await?
                .map(|name| (name, arn)))
        })
        .buffer_unordered(INDEX_CONCURRENCY)
        .collect()
        .await;
    let mut out = BTreeMap::new();
    for entry in named {
        if let Some((name, arn)) = entry? {
            out.insert(name, arn);
        }
    }
    Ok(out)
}

/// The permission set that holds a name CreatePermissionSet found taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Existing {
    /// Made by an unfinished create of a grant in this account (its in-flight
    /// mark says so, see [`in_flight`]): the create adopts it and carries on.
    InFlight {
        arn: String,
        observed: Box<ObservedPs>,
    },
    /// Anyone else's. `arn` when it was found; `marked_for` when it carries
    /// the in-flight mark of a grant in another account.
    Foreign {
        arn: Option<String>,
        marked_for: Option<String>,
    },
}

/// Finds the set named `name` and decides whether an unfinished create of a
/// grant in `account` made it. Reads only: ListPermissionSets and
/// DescribePermissionSet until the name matches, its tags, and (for an
/// in-flight set only) the rest of it, so the create can converge it from
/// what it really holds.
pub async fn find_existing(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    name: &str,
    account: &str,
) -> Result<Existing, AwsError> {
    let Some(arn) = find_by_name(ctx, sso, instance, name).await? else {
        return Ok(Existing::Foreign {
            arn: None,
            marked_for: None,
        });
    };
    let tags = match list_tags(ctx, sso, instance, &arn).await {
        Ok(t) => t,
        Err(e) if e.is_not_found() => BTreeMap::new(),
        Err(e) => return Err(e.about(format!("permission set {name} ({arn})"))),
    };
    if !in_flight::permission_set_is_ours(&tags, account) {
        return Ok(Existing::Foreign {
            marked_for: in_flight::permission_set_mark(&tags).map(str::to_string),
            arn: Some(arn),
        });
    }
    match observe(ctx, sso, instance, &arn, ReadParts::all()).await? {
        Some(observed) => Ok(Existing::InFlight {
            arn,
            observed: Box::new(observed),
        }),
        // Deleted in between: nothing to adopt, and the name is free again.
        None => Ok(Existing::Foreign {
            arn: None,
            marked_for: None,
        }),
    }
}

/// The permission set's tags.
pub async fn list_tags(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    retry_conflicts(ctx, "ListTagsForResource", || async move {
        let mut pages = sso
            .list_tags_for_resource()
            .instance_arn(instance)
            .resource_arn(arn)
            .into_paginator()
            .items()
            .send();
        let mut out = BTreeMap::new();
        while let Some(t) = pages.next().await {
            let t = t.aws(SSO, "ListTagsForResource")?;
            out.insert(t.key().to_string(), t.value().to_string());
        }
        Ok(out)
    })
    .await
}

/// Removes the in-flight mark (one UntagResource): the last call of a create.
pub async fn remove_mark(ctx: &Ctx, ps: &PsRef<'_>) -> Result<(), AwsError> {
    write_op!(
        ctx,
        ps,
        "UntagResource",
        ps.sso
            .untag_resource()
            .instance_arn(ps.instance)
            .resource_arn(ps.arn)
            .tag_keys(in_flight::MARK_KEY)
    )?;
    Ok(())
}

/// What changed while converging a permission set; any policy or attribute
/// change needs a re-provisioning to reach the account's role.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub attributes: bool,
    pub policies: bool,
}

impl Changes {
    pub fn any(&self) -> bool {
        self.attributes || self.policies
    }
}

fn same_duration(a: Option<&str>, b: Option<&str>) -> bool {
    let a = a.unwrap_or(DEFAULT_SESSION_DURATION);
    let b = b.unwrap_or(DEFAULT_SESSION_DURATION);
    a == b
        || matches!((iso_duration_seconds(a), iso_duration_seconds(b)), (Some(x), Some(y)) if x == y)
}

/// Brings the permission set from `current` to `desired`, updating `current`
/// after each step that succeeds so a failure leaves an honest record.
/// `name` is immutable and not touched.
pub async fn converge(
    ctx: &Ctx,
    ps: &PsRef<'_>,
    current: &mut PermissionSetModel,
    desired: &PermissionSetModel,
) -> Result<Changes, AwsError> {
    let mut changes = Changes::default();
    let attrs_differ = current.description != desired.description
        || !same_duration(
            current.session_duration.as_deref(),
            desired.session_duration.as_deref(),
        )
        || current.relay_state != desired.relay_state;
    if attrs_differ {
        // Every field is sent: an omitted RelayState would be cleared.
        let session = desired
            .session_duration
            .as_deref()
            .unwrap_or(DEFAULT_SESSION_DURATION);
        write_op!(
            ctx,
            ps,
            "UpdatePermissionSet",
            ps.sso
                .update_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
                .set_description(desired.description.clone())
                .session_duration(session)
                .set_relay_state(desired.relay_state.clone())
        )?;
        current.description = desired.description.clone();
        current.session_duration = desired.session_duration.clone();
        current.relay_state = desired.relay_state.clone();
        changes.attributes = true;
    }

    match (&current.inline_policy, &desired.inline_policy) {
        (Some(a), Some(b)) if semantically_equal(a, b) => current.inline_policy = Some(b.clone()),
        (_, Some(doc)) => {
            write_op!(
                ctx,
                ps,
                "PutInlinePolicyToPermissionSet",
                ps.sso
                    .put_inline_policy_to_permission_set()
                    .instance_arn(ps.instance)
                    .permission_set_arn(ps.arn)
                    .inline_policy(doc)
            )?;
            current.inline_policy = Some(doc.clone());
            changes.policies = true;
        }
        (Some(_), None) => {
            let r = write_op!(
                ctx,
                ps,
                "DeleteInlinePolicyFromPermissionSet",
                ps.sso
                    .delete_inline_policy_from_permission_set()
                    .instance_arn(ps.instance)
                    .permission_set_arn(ps.arn)
            );
            ignore_not_found(r)?;
            current.inline_policy = None;
            changes.policies = true;
        }
        (None, None) => {}
    }

    let have: BTreeSet<String> = current.managed_policy_arns.clone().unwrap_or_default();
    let want: BTreeSet<String> = desired.managed_policy_arns.clone().unwrap_or_default();
    for arn in have.difference(&want) {
        let r = write_op!(
            ctx,
            ps,
            "DetachManagedPolicyFromPermissionSet",
            ps.sso
                .detach_managed_policy_from_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
                .managed_policy_arn(arn)
        );
        ignore_not_found(r)?;
        remove_from(&mut current.managed_policy_arns, arn);
        changes.policies = true;
    }
    for arn in want.difference(&have) {
        let r = write_op!(
            ctx,
            ps,
            "AttachManagedPolicyToPermissionSet",
            ps.sso
                .attach_managed_policy_to_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
                .managed_policy_arn(arn)
        );
        ignore_already_exists(r)?;
        current
            .managed_policy_arns
            .get_or_insert_with(BTreeSet::new)
            .insert(arn.clone());
        changes.policies = true;
    }
    if current.managed_policy_arns.is_some() || desired.managed_policy_arns.is_some() {
        current.managed_policy_arns =
            match (&current.managed_policy_arns, &desired.managed_policy_arns) {
                (Some(c), None) if c.is_empty() => None,
                (None, Some(d)) if d.is_empty() => Some(BTreeSet::new()),
                (c, _) => c.clone(),
            };
    }

    let have: BTreeMap<(String, String), PolicyRef> = current
        .customer_managed_policy
        .iter()
        .map(|r| (r.key(), r.clone()))
        .collect();
    let want: BTreeMap<(String, String), PolicyRef> = desired
        .customer_managed_policy
        .iter()
        .map(|r| (r.key(), r.clone()))
        .collect();
    for (key, r) in &have {
        if want.contains_key(key) {
            continue;
        }
        let reference = policy_ref(r, "DetachCustomerManagedPolicyReferenceFromPermissionSet")?;
        let res = write_op!(
            ctx,
            ps,
            "DetachCustomerManagedPolicyReferenceFromPermissionSet",
            ps.sso
                .detach_customer_managed_policy_reference_from_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
                .customer_managed_policy_reference(reference.clone())
        );
        ignore_not_found(res)?;
        current.customer_managed_policy.retain(|x| x.key() != *key);
        changes.policies = true;
    }
    for (key, r) in &want {
        if have.contains_key(key) {
            continue;
        }
        let reference = policy_ref(r, "AttachCustomerManagedPolicyReferenceToPermissionSet")?;
        let res = write_op!(
            ctx,
            ps,
            "AttachCustomerManagedPolicyReferenceToPermissionSet",
            ps.sso
                .attach_customer_managed_policy_reference_to_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
                .customer_managed_policy_reference(reference.clone())
        );
        ignore_already_exists(res)?;
        current.customer_managed_policy.push(r.clone());
        changes.policies = true;
    }
    // Keep the desired spelling (a null path) for references that match.
    current.customer_managed_policy = current
        .customer_managed_policy
        .iter()
        .map(|r| want.get(&r.key()).cloned().unwrap_or_else(|| r.clone()))
        .collect();

    let boundary_same = match (&current.permissions_boundary, &desired.permissions_boundary) {
        (Some(a), Some(b)) => a.same_as(b),
        (None, None) => true,
        _ => false,
    };
    if boundary_same {
        current.permissions_boundary = desired.permissions_boundary.clone();
    } else if let Some(b) = &desired.permissions_boundary {
        let mut boundary =
            PermissionsBoundary::builder().set_managed_policy_arn(b.managed_policy_arn.clone());
        if let Some(r) = &b.customer_managed_policy {
            boundary = boundary.customer_managed_policy_reference(policy_ref(
                r,
                "PutPermissionsBoundaryToPermissionSet",
            )?);
        }
        let boundary = boundary.build();
        write_op!(
            ctx,
            ps,
            "PutPermissionsBoundaryToPermissionSet",
            ps.sso
                .put_permissions_boundary_to_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
                .permissions_boundary(boundary.clone())
        )?;
        current.permissions_boundary = Some(b.clone());
        changes.policies = true;
    } else {
        let r = write_op!(
            ctx,
            ps,
            "DeletePermissionsBoundaryFromPermissionSet",
            ps.sso
                .delete_permissions_boundary_from_permission_set()
                .instance_arn(ps.instance)
                .permission_set_arn(ps.arn)
        );
        ignore_not_found(r)?;
        current.permissions_boundary = None;
        changes.policies = true;
    }
    Ok(changes)
}

fn remove_from(set: &mut Option<BTreeSet<String>>, item: &str) {
    if let Some(s) = set {
        s.remove(item);
    }
}

fn ignore_not_found<T>(r: Result<T, AwsError>) -> Result<(), AwsError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

fn ignore_already_exists<T>(r: Result<T, AwsError>) -> Result<(), AwsError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_already_exists() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Brings the permission set's tags from `current` to `desired`.
pub async fn converge_tags(
    ctx: &Ctx,
    ps: &PsRef<'_>,
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<bool, AwsError> {
    let TagChanges {
        removed,
        set: changed,
    } = TagChanges::between(current, desired);
    if !removed.is_empty() {
        write_op!(
            ctx,
            ps,
            "UntagResource",
            ps.sso
                .untag_resource()
                .instance_arn(ps.instance)
                .resource_arn(ps.arn)
                .set_tag_keys(Some(removed.clone()))
        )?;
    }
    if !changed.is_empty() {
        let tags = tag_list(&changed)?;
        write_op!(
            ctx,
            ps,
            "TagResource",
            ps.sso
                .tag_resource()
                .instance_arn(ps.instance)
                .resource_arn(ps.arn)
                .set_tags(Some(tags.clone()))
        )?;
    }
    Ok(!removed.is_empty() || !changed.is_empty())
}

/// Pushes the permission set's current definition to the role in one
/// account (`TargetType=AWS_ACCOUNT`) and waits for the outcome. A FAILED
/// status is an error carrying AWS's FailureReason verbatim.
pub async fn provision(
    ctx: &Ctx,
    ps: &PsRef<'_>,
    account: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let started = write_op!(
        ctx,
        ps,
        "ProvisionPermissionSet",
        ps.sso
            .provision_permission_set()
            .instance_arn(ps.instance)
            .permission_set_arn(ps.arn)
            .target_type(ProvisionTargetType::AwsAccount)
            .target_id(account)
    )?;
    let status = started.permission_set_provisioning_status().cloned();
    let request_id = status
        .as_ref()
        .and_then(|s| s.request_id())
        .map(str::to_string)
        .ok_or_else(|| build_err("ProvisionPermissionSet", "the response has no RequestId"))?;
    let fail = |reason: Option<&str>| {
        AwsError::new(
            SSO,
            "ProvisionPermissionSet",
            ErrorKind::Unexpected,
            format!(
                "provisioning to account {account} FAILED: {}",
                reason.unwrap_or("AWS gave no FailureReason")
            ),
        )
        .about(ps.label())
    };
    let mut first = status;
    let outcome = poll(ctx, deadline, || {
        let initial = first.take();
        let request_id = request_id.clone();
        async move {
            let s = match initial {
                Some(s) => s,
                None => retry_conflicts(ctx, "DescribePermissionSetProvisioningStatus", || {
                    ps.sso
                        .describe_permission_set_provisioning_status()
                        .instance_arn(ps.instance)
                        .provision_permission_set_request_id(&request_id)
                        .send()
                        .map(|r| r.aws(SSO, "DescribePermissionSetProvisioningStatus"))
                })
                .await?
                .permission_set_provisioning_status()
                .cloned()
                .ok_or_else(|| {
                    build_err(
                        "DescribePermissionSetProvisioningStatus",
                        "the response has no status",
                    )
                })?,
            };
            match s.status() {
                Some(StatusValues::Succeeded) => Ok(Some(())),
                Some(StatusValues::Failed) => Err(fail(s.failure_reason())),
                _ => Ok(None),
            }
        }
    })
    .await;
    outcome.map_err(|e| match e {
        WaitError::Failed(e) if !e.is_deadline() => e,
        other => other
            .into_aws(
                SSO,
                "DescribePermissionSetProvisioningStatus",
                &format!("provisioning to account {account} (request {request_id})"),
            )
            .about(ps.label()),
    })
}

/// The name of a permission set (for one this resource only references);
/// `Ok(None)` when it does not exist.
pub async fn describe_name(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    arn: &str,
) -> Result<Option<String>, AwsError> {
    let r = retry_conflicts(ctx, "DescribePermissionSet", || {
        sso.describe_permission_set()
            .instance_arn(instance)
            .permission_set_arn(arn)
            .send()
            .map(|r| r.aws(SSO, "DescribePermissionSet"))
    })
    .await;
    match r {
        Ok(o) => Ok(o
            .permission_set()
            .and_then(|p| p.name())
            .map(str::to_string)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.about(format!("permission set {arn}"))),
    }
}

/// Every account the permission set is provisioned to (an assignment
/// provisions it, so this includes every account with an assignment);
/// empty when the set is gone.
pub async fn provisioned_accounts(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    arn: &str,
) -> Result<BTreeSet<String>, AwsError> {
    let r = retry_conflicts(
        ctx,
        "ListAccountsForProvisionedPermissionSet",
        || async move {
            let mut pages = sso
                .list_accounts_for_provisioned_permission_set()
                .instance_arn(instance)
                .permission_set_arn(arn)
                .into_paginator()
                .items()
                .send();
            let mut out = BTreeSet::new();
            while let Some(a) = pages.next().await {
                out.insert(a.aws(SSO, "ListAccountsForProvisionedPermissionSet")?);
            }
            Ok(out)
        },
    )
    .await;
    match r {
        Ok(a) => Ok(a),
        Err(e) if e.is_not_found() => Ok(BTreeSet::new()),
        Err(e) => Err(e.about(format!("permission set {arn}"))),
    }
}

/// A permission set as AWS has it. Parts not requested are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedPs {
    pub name: String,
    pub description: Option<String>,
    pub session_duration: Option<String>,
    pub relay_state: Option<String>,
    pub inline_policy: Option<String>,
    pub managed_policy_arns: BTreeSet<String>,
    pub customer_managed_policy: Option<Vec<PolicyRef>>,
    pub permissions_boundary: Option<Option<BoundaryModel>>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// Which optional parts to read. Reading only what the state manages keeps a
/// refresh of a typical grant within a handful of calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadParts {
    /// The inline policy and the AWS-managed policies. Without them the
    /// observed set carries neither (the caller knows them another way).
    pub policies: bool,
    pub customer_managed: bool,
    pub boundary: bool,
    pub tags: bool,
}

impl ReadParts {
    pub fn all() -> ReadParts {
        ReadParts {
            policies: true,
            customer_managed: true,
            boundary: true,
            tags: true,
        }
    }
}

/// Reads the permission set; `Ok(None)` when it no longer exists.
pub async fn observe(
    ctx: &Ctx,
    sso: &Client,
    instance: &str,
    arn: &str,
    parts: ReadParts,
) -> Result<Option<ObservedPs>, AwsError> {
    // Reads are retried on ConflictException too: it costs nothing when AWS
    // does not send it, and a refresh must not fail because a write to the
    // same permission set was in flight.
    let describe = retry_conflicts(ctx, "DescribePermissionSet", || {
        sso.describe_permission_set()
            .instance_arn(instance)
            .permission_set_arn(arn)
            .send()
            .map(|r| r.aws(SSO, "DescribePermissionSet"))
    });
    let inline = async {
        if !parts.policies {
            return Ok(None);
        }
        retry_conflicts(ctx, "GetInlinePolicyForPermissionSet", || {
            sso.get_inline_policy_for_permission_set()
                .instance_arn(instance)
                .permission_set_arn(arn)
                .send()
                .map(|r| {
                    r.aws(SSO, "GetInlinePolicyForPermissionSet").map(|o| {
                        o.inline_policy()
                            .filter(|p| !p.is_empty())
                            .map(str::to_string)
                    })
                })
        })
        .await
    };
    let managed = async {
        if !parts.policies {
            return Ok(BTreeSet::new());
        }
        retry_conflicts(ctx, "ListManagedPoliciesInPermissionSet", || async move {
            let mut pages = sso
                .list_managed_policies_in_permission_set()
                .instance_arn(instance)
                .permission_set_arn(arn)
                .into_paginator()
                .items()
                .send();
            let mut out = BTreeSet::new();
            while let Some(p) = pages.next().await {
                if let Some(a) = p.aws(SSO, "ListManagedPoliciesInPermissionSet")?.arn() {
                    out.insert(a.to_string());
                }
            }
            Ok(out)
        })
        .await
    };
    let customer = async {
        if !parts.customer_managed {
            return Ok(None);
        }
        retry_conflicts(
            ctx,
            "ListCustomerManagedPolicyReferencesInPermissionSet",
            || async move {
                let mut pages = sso
                    .list_customer_managed_policy_references_in_permission_set()
                    .instance_arn(instance)
                    .permission_set_arn(arn)
                    .into_paginator()
                    .items()
                    .send();
                let mut out = Vec::new();
                while let Some(r) = pages.next().await {
                    let r = r.aws(SSO, "ListCustomerManagedPolicyReferencesInPermissionSet")?;
                    out.push(PolicyRef {
                        name: r.name().to_string(),
                        path: Some(r.path().unwrap_or("/").to_string()),
                    });
                }
                Ok(out)
            },
        )
        .await
        .map(Some)
    };
    let boundary = async {
        if !parts.boundary {
            return Ok(None);
        }
        let r = retry_conflicts(ctx, "GetPermissionsBoundaryForPermissionSet", || {
            sso.get_permissions_boundary_for_permission_set()
                .instance_arn(instance)
                .permission_set_arn(arn)
                .send()
                .map(|r| r.aws(SSO, "GetPermissionsBoundaryForPermissionSet"))
        })
        .await;
        match r {
            Ok(o) => Ok(Some(o.permissions_boundary().map(|b| BoundaryModel {
                managed_policy_arn: b.managed_policy_arn().map(str::to_string),
                customer_managed_policy: b.customer_managed_policy_reference().map(|c| PolicyRef {
                    name: c.name().to_string(),
                    path: Some(c.path().unwrap_or("/").to_string()),
                }),
            }))),
            // "No boundary" is a ResourceNotFound; a missing permission set
            // shows in DescribePermissionSet, read alongside.
            Err(e) if e.is_not_found() => Ok(Some(None)),
            Err(e) => Err(e),
        }
    };
    let tags = async {
        if !parts.tags {
            return Ok(None);
        }
        list_tags(ctx, sso, instance, arn).await.map(Some)
    };
    let results = tokio::join!(describe, inline, managed, customer, boundary, tags);
    let d = match results.0 {
        Ok(d) => d,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.about(format!("permission set {arn}"))),
    };
    let gone = |e: &AwsError| e.is_not_found();
    let inline = match results.1 {
        Err(e) if gone(&e) => return Ok(None),
        r => r?,
    };
    let managed = match results.2 {
        Err(e) if gone(&e) => return Ok(None),
        r => r?,
    };
    let (customer, boundary, tags) = (results.3?, results.4?, results.5?);
    let Some(p) = d.permission_set() else {
        return Ok(None);
    };
    Ok(Some(ObservedPs {
        name: p.name().unwrap_or_default().to_string(),
        description: p
            .description()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        session_duration: p.session_duration().map(str::to_string),
        relay_state: p
            .relay_state()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        inline_policy: inline,
        managed_policy_arns: managed,
        customer_managed_policy: customer,
        permissions_boundary: boundary,
        tags,
    }))
}

/// Deletes the permission set; gone already counts as done.
pub async fn delete(ctx: &Ctx, ps: &PsRef<'_>) -> Result<(), AwsError> {
    let r = write_op!(
        ctx,
        ps,
        "DeletePermissionSet",
        ps.sso
            .delete_permission_set()
            .instance_arn(ps.instance)
            .permission_set_arn(ps.arn)
    );
    ignore_not_found(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_compare_by_length() {
        assert!(same_duration(Some("PT1H"), None));
        assert!(same_duration(Some("PT60M"), Some("PT1H")));
        assert!(!same_duration(Some("PT2H"), Some("PT1H")));
    }
}
