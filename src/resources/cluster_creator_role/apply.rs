//! Create, update and delete against IAM.
//!
//! Every step's result goes into the state as soon as it exists, so a failure
//! part-way returns what was created alongside the error: Terraform saves it,
//! and the next apply (or destroy) continues from there.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;

use super::derive::{Context, Inputs};
use super::iam_ops::{self, NewRole};
use super::model::{CreatorRole, Field, Partial};
use super::schema::*;
use crate::aws::retry::cancellable;
use crate::aws::{AwsError, Service};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::Ctx;

/// Everything apply needs, fully known: planned values where plan knew them,
/// derived now where it did not.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<String>,
    pub tags_all: BTreeMap<String, String>,
    pub policy_name: String,
    pub trust_policy: String,
    pub policy_document: Option<String>,
    pub policy_arn: Option<String>,
    pub attached: BTreeSet<String>,
}

impl Target {
    pub fn from_planned(planned: &Partial, ctx: &Context) -> Result<Target, Diagnostics> {
        let inputs = Inputs::from_partial(planned);
        let p = &planned.known;
        let missing = |what: &str| {
            Diagnostics::from_error(
                "Incomplete plan",
                format!(
                    "The planned `{what}` is still unknown at apply time. This is a provider bug; please report it."
                ),
            )
        };
        let name = inputs.name.clone().ok_or_else(|| missing(NAME))?;
        let path = inputs.path.clone().ok_or_else(|| missing(PATH))?;
        let policy_name = inputs
            .policy_name
            .clone()
            .ok_or_else(|| missing(POLICY_NAME))?;
        // Planned values where plan knew them, derived now where it did not.
        let trust_policy = match planned.field(TRUST_POLICY, &p.trust_policy) {
            Field::Known(t) => t,
            _ => inputs
                .trust_policy(ctx)
                .ok_or_else(|| missing(TRUST_POLICY))?,
        };
        let policy_document = match planned.field(POLICY_DOCUMENT, &p.policy_document) {
            Field::Unknown => inputs
                .policy_document(ctx)
                .ok_or_else(|| missing(POLICY_DOCUMENT))?,
            f => f.known().flatten(),
        };
        let policy_arn = match planned.field(POLICY_ARN, &p.policy_arn) {
            Field::Unknown => inputs.policy_arn(ctx).ok_or_else(|| missing(POLICY_ARN))?,
            f => f.known().flatten(),
        };
        let attached = match planned.field(ATTACHED_POLICY_ARNS, &p.attached_policy_arns) {
            Field::Unknown => inputs
                .attached_policy_arns(ctx)
                .ok_or_else(|| missing(ATTACHED_POLICY_ARNS))?,
            f => f.known().flatten().unwrap_or_default(),
        };
        let tags_all = match planned.field(TAGS_ALL, &p.tags_all) {
            Field::Unknown => inputs.tags_all(ctx).ok_or_else(|| missing(TAGS_ALL))?,
            f => f.known().flatten().unwrap_or_default(),
        };
        Ok(Target {
            description: inputs
                .description
                .clone()
                .known()
                .ok_or_else(|| missing(DESCRIPTION))?,
            max_session_duration: inputs
                .max_session_duration
                .ok_or_else(|| missing(MAX_SESSION_DURATION))?,
            permissions_boundary: inputs
                .permissions_boundary
                .clone()
                .known()
                .ok_or_else(|| missing(PERMISSIONS_BOUNDARY))?,
            name,
            path,
            tags_all,
            policy_name,
            trust_policy,
            policy_document,
            policy_arn,
            attached,
        })
    }

    /// The state once everything in this target exists.
    fn state(&self, planned: &CreatorRole, arn: &str, unique_id: &str) -> CreatorRole {
        CreatorRole {
            arn: Some(arn.to_string()),
            unique_id: Some(unique_id.to_string()),
            trust_policy: Some(self.trust_policy.clone()),
            policy_document: self.policy_document.clone(),
            policy_arn: self.policy_arn.clone(),
            attached_policy_arns: Some(self.attached.clone()),
            tags_all: Some(self.tags_all.clone()),
            ..planned.clone()
        }
    }
}

/// A partial state after a failure: what exists now. Values we cannot vouch
/// for are replaced by what is known to be true (nothing attached yet, no
/// policy), so the next plan shows the remaining work.
fn partial(
    mut state: CreatorRole,
    policy_arn: Option<&str>,
    attached: &BTreeSet<String>,
) -> CreatorRole {
    if policy_arn.is_none() {
        state.policy_arn = None;
        state.policy_document = None;
    }
    state.attached_policy_arns = Some(attached.clone());
    state
}

fn fail(e: AwsError, what: &str) -> Diagnostics {
    let mut d = e.to_diagnostic(what.to_string());
    if e.is_already_exists() {
        d.detail.push_str(
            "\n\nAn object with this name already exists. If it is the creator role you want to manage, import it: \
             terraform import <address> <role name>. Otherwise choose another `name` or `policy_name`.",
        );
    }
    Diagnostics(vec![d])
}

/// Creates role, policy and attachments. Returns the new state (possibly
/// partial; `None` when nothing was created) and any error.
pub async fn create(
    ctx: &Ctx,
    iam: &Client,
    target: &Target,
    planned: &CreatorRole,
) -> (Option<CreatorRole>, Diagnostics) {
    let (arn, unique_id) = match iam_ops::create_role(
        ctx,
        iam,
        &NewRole {
            name: &target.name,
            path: &target.path,
            description: target.description.as_deref(),
            trust_policy: &target.trust_policy,
            max_session_duration: target.max_session_duration,
            permissions_boundary: target.permissions_boundary.as_deref(),
            tags: &target.tags_all,
        },
    )
    .await
    {
        Ok(ids) => ids,
        Err(e) => {
            return (None, fail(e, "Could not create the cluster creator role"));
        }
    };
    let full = target.state(planned, &arn, &unique_id);
    let mut attached = BTreeSet::new();

    if let (Some(doc), Some(_)) = (&target.policy_document, &target.policy_arn)
        && let Err(e) = iam_ops::create_policy(
            ctx,
            iam,
            &target.policy_name,
            &target.path,
            doc,
            &target.tags_all,
        )
        .await
    {
        return (
            Some(partial(full, None, &attached)),
            fail(e, "Could not create the creator role's policy"),
        );
    }
    for policy in &target.attached {
        if let Err(e) = iam_ops::attach(ctx, iam, &target.name, policy).await {
            return (
                Some(partial(full, target.policy_arn.as_deref(), &attached)),
                fail(e, "Could not attach a policy to the creator role"),
            );
        }
        attached.insert(policy.clone());
    }
    (Some(full), Diagnostics::new())
}

/// Brings an existing role from `prior` to `target`, in place. On failure
/// the returned state records the steps that did happen, so the next apply
/// neither repeats nor loses them.
pub async fn update(
    ctx: &Ctx,
    iam: &Client,
    prior: &CreatorRole,
    target: &Target,
    planned: &CreatorRole,
) -> (CreatorRole, Diagnostics) {
    let name = &target.name;
    let arn = prior.arn.clone().unwrap_or_default();
    let unique_id = prior.unique_id.clone().unwrap_or_default();
    let done = target.state(planned, &arn, &unique_id);
    let mut cur = prior.clone();
    let failed = |cur: CreatorRole, e: AwsError, what: &str| (cur, fail(e, what));

    if prior.trust_policy.as_deref() != Some(target.trust_policy.as_str()) {
        if let Err(e) = iam_ops::update_trust(ctx, iam, name, &target.trust_policy).await {
            return failed(cur, e, "Could not update the creator role's trust policy");
        }
        cur.trust_policy = Some(target.trust_policy.clone());
    }

    let prior_description = prior.description.clone().filter(|d| !d.is_empty());
    if prior_description != target.description.clone().filter(|d| !d.is_empty())
        || prior.max_session_duration != Some(target.max_session_duration)
    {
        if let Err(e) = iam_ops::update_role(
            ctx,
            iam,
            name,
            target.description.as_deref(),
            target.max_session_duration,
        )
        .await
        {
            return failed(cur, e, "Could not update the creator role");
        }
        cur.description = planned.description.clone();
        cur.max_session_duration = planned.max_session_duration;
    }

    if prior.permissions_boundary != target.permissions_boundary {
        if let Err(e) =
            iam_ops::set_boundary(ctx, iam, name, target.permissions_boundary.as_deref()).await
        {
            return failed(
                cur,
                e,
                "Could not change the creator role's permissions boundary",
            );
        }
        cur.permissions_boundary = target.permissions_boundary.clone();
    }

    let prior_tags = prior.tags_all.clone().unwrap_or_default();
    if prior_tags != target.tags_all {
        if let Err(e) = iam_ops::sync_role_tags(ctx, iam, name, &prior_tags, &target.tags_all).await
        {
            return failed(cur, e, "Could not update the creator role's tags");
        }
        cur.tags_all = Some(target.tags_all.clone());
        cur.tags = planned.tags.clone();
        if let Some(policy) = &prior.policy_arn
            && let Err(e) = iam_ops::sync_policy_tags(ctx, iam, policy, &target.tags_all).await
        {
            return failed(cur, e, "Could not update the creator policy's tags");
        }
    }

    // The customer-managed policy: create, new version, or (below) delete.
    match (
        &prior.policy_arn,
        &target.policy_arn,
        &target.policy_document,
    ) {
        (None, Some(new_arn), Some(doc)) => {
            if let Err(e) = iam_ops::create_policy(
                ctx,
                iam,
                &target.policy_name,
                &target.path,
                doc,
                &target.tags_all,
            )
            .await
            {
                return failed(cur, e, "Could not create the creator role's policy");
            }
            cur.policy_arn = Some(new_arn.clone());
            cur.policy_document = Some(doc.clone());
        }
        (Some(old), Some(_), Some(doc))
            if prior.policy_document.as_deref() != Some(doc.as_str()) =>
        {
            if let Err(e) = iam_ops::set_policy_document(ctx, iam, old, doc).await {
                return failed(cur, e, "Could not update the creator role's policy");
            }
            cur.policy_document = Some(doc.clone());
        }
        _ => {}
    }

    // Attach what is new before detaching what is gone, so the role never
    // has fewer permissions than both versions agree on.
    let mut attached = prior.attached_policy_arns.clone().unwrap_or_default();
    let to_attach: Vec<String> = target.attached.difference(&attached).cloned().collect();
    let to_detach: Vec<String> = attached.difference(&target.attached).cloned().collect();
    for policy in to_attach {
        if let Err(e) = iam_ops::attach(ctx, iam, name, &policy).await {
            cur.attached_policy_arns = Some(attached);
            return failed(cur, e, "Could not attach a policy to the creator role");
        }
        attached.insert(policy);
    }
    for policy in to_detach {
        if let Err(e) = iam_ops::detach(ctx, iam, name, &policy).await {
            cur.attached_policy_arns = Some(attached);
            return failed(cur, e, "Could not detach a policy from the creator role");
        }
        attached.remove(&policy);
    }
    cur.attached_policy_arns = Some(attached);
    if let (Some(old), None) = (&prior.policy_arn, &target.policy_arn)
        && let Err(e) = iam_ops::delete_policy(ctx, iam, old).await
    {
        return failed(cur, e, "Could not delete the creator role's policy");
    }
    (done, Diagnostics::new())
}

/// Detaches everything, deletes the policy (all versions), then the role.
/// Objects already gone count as deleted.
pub async fn delete(ctx: &Ctx, iam: &Client, prior: &CreatorRole) -> Diagnostics {
    let Some(name) = prior.role_name().map(str::to_string) else {
        return Diagnostics::new();
    };
    let attached = match cancellable(
        ctx,
        Service::Iam,
        "ListAttachedRolePolicies",
        iam_ops::list_attached(iam, &name),
    )
    .await
    {
        Ok(a) => a,
        Err(e) if e.is_not_found() => BTreeSet::new(),
        Err(e) => return fail(e, "Could not delete the cluster creator role"),
    };
    for policy in &attached {
        if let Err(e) = iam_ops::detach(ctx, iam, &name, policy).await {
            return fail(e, "Could not detach a policy from the creator role");
        }
    }
    // Only the policy recorded in state: a same-named policy we did not
    // create (for example one that made our create fail) is left alone.
    if let Some(policy) = &prior.policy_arn
        && let Err(e) = iam_ops::delete_policy(ctx, iam, policy).await
    {
        return fail(e, "Could not delete the creator role's policy");
    }
    match iam_ops::delete_role(ctx, iam, &name).await {
        Ok(()) => Diagnostics::new(),
        Err(e) => fail(e, "Could not delete the cluster creator role"),
    }
}
