//! Create, update and delete against IAM.
//!
//! Every step's result goes into the state as soon as it exists, so a failure
//! part-way returns what was created alongside the error: Terraform saves it,
//! and the next apply (or destroy) continues from there.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;

use super::derive::{Context, Inputs};
use super::iam_ops::{self, NewRole};
use super::model::{self, Field, v_map, v_opt_str, v_set, v_str};
use super::schema::*;
use crate::aws::AwsError;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::value::Value;

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

fn known_str(v: &Value) -> Option<Option<String>> {
    model::string(v).known()
}

impl Target {
    pub fn from_planned(planned: &Value, ctx: &Context) -> Result<Target, Diagnostics> {
        let inputs = Inputs::from_value(planned);
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
        let trust_policy = match known_str(planned.attr(TRUST_POLICY)) {
            Some(Some(t)) => t,
            _ => inputs
                .trust_policy(ctx)
                .ok_or_else(|| missing(TRUST_POLICY))?,
        };
        let policy_document = match known_str(planned.attr(POLICY_DOCUMENT)) {
            Some(d) => d,
            None => inputs
                .policy_document(ctx)
                .ok_or_else(|| missing(POLICY_DOCUMENT))?,
        };
        let policy_arn = match known_str(planned.attr(POLICY_ARN)) {
            Some(a) => a,
            None => inputs.policy_arn(ctx).ok_or_else(|| missing(POLICY_ARN))?,
        };
        let attached = match model::string_set(planned.attr(ATTACHED_POLICY_ARNS)) {
            Field::Known(s) => s,
            Field::Null => BTreeSet::new(),
            Field::Unknown => inputs
                .attached_policy_arns(ctx)
                .ok_or_else(|| missing(ATTACHED_POLICY_ARNS))?,
        };
        let tags_all = match model::string_map(planned.attr(TAGS_ALL)) {
            Field::Known(t) => t,
            Field::Null => BTreeMap::new(),
            Field::Unknown => inputs.tags_all(ctx).ok_or_else(|| missing(TAGS_ALL))?,
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
    fn state(&self, planned: &Value, arn: &str, unique_id: &str) -> Value {
        let mut out = match planned {
            Value::Object(m) => m.clone(),
            _ => model::empty_object(),
        };
        out.insert(ARN.into(), v_str(arn));
        out.insert(UNIQUE_ID.into(), v_str(unique_id));
        out.insert(TRUST_POLICY.into(), v_str(&self.trust_policy));
        out.insert(
            POLICY_DOCUMENT.into(),
            v_opt_str(self.policy_document.clone()),
        );
        out.insert(POLICY_ARN.into(), v_opt_str(self.policy_arn.clone()));
        out.insert(
            ATTACHED_POLICY_ARNS.into(),
            v_set(self.attached.iter().cloned()),
        );
        out.insert(TAGS_ALL.into(), v_map(&self.tags_all));
        Value::Object(out)
    }
}

/// A partial state after a failure: what exists now. Values we cannot vouch
/// for are replaced by what is known to be true (nothing attached yet, no
/// policy), so the next plan shows the remaining work.
fn partial(state: Value, policy_arn: Option<&str>, attached: &BTreeSet<String>) -> Value {
    let Value::Object(mut m) = state else {
        return state;
    };
    if policy_arn.is_none() {
        m.insert(POLICY_ARN.into(), Value::Null);
        m.insert(POLICY_DOCUMENT.into(), Value::Null);
    }
    m.insert(ATTACHED_POLICY_ARNS.into(), v_set(attached.iter().cloned()));
    Value::Object(m)
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
/// partial) and any error.
pub async fn create(
    ctx: &Ctx,
    iam: &Client,
    target: &Target,
    planned: &Value,
) -> (Value, Diagnostics) {
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
            return (
                Value::Null,
                fail(e, "Could not create the cluster creator role"),
            );
        }
    };
    let full = target.state(planned, &arn, &unique_id);
    let mut attached = BTreeSet::new();

    if let (Some(doc), Some(_)) = (&target.policy_document, &target.policy_arn)
        && let Err(e) = iam_ops::create_policy(
            iam,
            &target.policy_name,
            &target.path,
            doc,
            &target.tags_all,
        )
        .await
    {
        return (
            partial(full, None, &attached),
            fail(e, "Could not create the creator role's policy"),
        );
    }
    for policy in &target.attached {
        if let Err(e) = iam_ops::attach(ctx, iam, &target.name, policy).await {
            return (
                partial(full, target.policy_arn.as_deref(), &attached),
                fail(e, "Could not attach a policy to the creator role"),
            );
        }
        attached.insert(policy.clone());
    }
    (full, Diagnostics::new())
}

fn prior_target_str(prior: &Value, name: &str) -> Option<String> {
    prior.attr(name).as_str().map(str::to_string)
}

/// Brings an existing role from `prior` to `target`, in place. On failure
/// the returned state records the steps that did happen, so the next apply
/// neither repeats nor loses them.
pub async fn update(
    ctx: &Ctx,
    iam: &Client,
    prior: &Value,
    target: &Target,
    planned: &Value,
) -> (Value, Diagnostics) {
    let name = &target.name;
    let arn = prior_target_str(prior, ARN).unwrap_or_default();
    let unique_id = prior_target_str(prior, UNIQUE_ID).unwrap_or_default();
    let done = target.state(planned, &arn, &unique_id);
    let mut cur = match prior {
        Value::Object(m) => m.clone(),
        _ => model::empty_object(),
    };
    let failed =
        |cur: BTreeMap<String, Value>, e: AwsError, what: &str| (Value::Object(cur), fail(e, what));

    if prior_target_str(prior, TRUST_POLICY).as_deref() != Some(target.trust_policy.as_str()) {
        if let Err(e) = iam_ops::update_trust(ctx, iam, name, &target.trust_policy).await {
            return failed(cur, e, "Could not update the creator role's trust policy");
        }
        cur.insert(TRUST_POLICY.into(), v_str(&target.trust_policy));
    }

    let prior_description = prior_target_str(prior, DESCRIPTION).filter(|d| !d.is_empty());
    let prior_session = prior.attr(MAX_SESSION_DURATION).as_i64();
    if prior_description != target.description.clone().filter(|d| !d.is_empty())
        || prior_session != Some(target.max_session_duration)
    {
        if let Err(e) = iam_ops::update_role(
            iam,
            name,
            target.description.as_deref(),
            target.max_session_duration,
        )
        .await
        {
            return failed(cur, e, "Could not update the creator role");
        }
        cur.insert(DESCRIPTION.into(), planned.attr(DESCRIPTION).clone());
        cur.insert(
            MAX_SESSION_DURATION.into(),
            planned.attr(MAX_SESSION_DURATION).clone(),
        );
    }

    if prior_target_str(prior, PERMISSIONS_BOUNDARY) != target.permissions_boundary {
        if let Err(e) =
            iam_ops::set_boundary(iam, name, target.permissions_boundary.as_deref()).await
        {
            return failed(
                cur,
                e,
                "Could not change the creator role's permissions boundary",
            );
        }
        cur.insert(
            PERMISSIONS_BOUNDARY.into(),
            v_opt_str(target.permissions_boundary.clone()),
        );
    }

    let prior_tags = match model::string_map(prior.attr(TAGS_ALL)) {
        Field::Known(t) => t,
        _ => BTreeMap::new(),
    };
    if prior_tags != target.tags_all {
        if let Err(e) = iam_ops::sync_role_tags(iam, name, &prior_tags, &target.tags_all).await {
            return failed(cur, e, "Could not update the creator role's tags");
        }
        cur.insert(TAGS_ALL.into(), v_map(&target.tags_all));
        cur.insert(TAGS.into(), planned.attr(TAGS).clone());
        if let Some(policy) = prior_target_str(prior, POLICY_ARN)
            && let Err(e) = iam_ops::sync_policy_tags(iam, &policy, &target.tags_all).await
        {
            return failed(cur, e, "Could not update the creator policy's tags");
        }
    }

    // The customer-managed policy: create, new version, or (below) delete.
    let prior_policy = prior_target_str(prior, POLICY_ARN);
    match (&prior_policy, &target.policy_arn, &target.policy_document) {
        (None, Some(new_arn), Some(doc)) => {
            if let Err(e) = iam_ops::create_policy(
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
            cur.insert(POLICY_ARN.into(), v_str(new_arn));
            cur.insert(POLICY_DOCUMENT.into(), v_str(doc));
        }
        (Some(old), Some(_), Some(doc))
            if prior_target_str(prior, POLICY_DOCUMENT).as_deref() != Some(doc.as_str()) =>
        {
            if let Err(e) = iam_ops::set_policy_document(iam, old, doc).await {
                return failed(cur, e, "Could not update the creator role's policy");
            }
            cur.insert(POLICY_DOCUMENT.into(), v_str(doc));
        }
        _ => {}
    }

    // Attach what is new before detaching what is gone, so the role never
    // has fewer permissions than both versions agree on.
    let mut attached = match model::string_set(prior.attr(ATTACHED_POLICY_ARNS)) {
        Field::Known(s) => s,
        _ => BTreeSet::new(),
    };
    let to_attach: Vec<String> = target.attached.difference(&attached).cloned().collect();
    let to_detach: Vec<String> = attached.difference(&target.attached).cloned().collect();
    for policy in to_attach {
        if let Err(e) = iam_ops::attach(ctx, iam, name, &policy).await {
            cur.insert(ATTACHED_POLICY_ARNS.into(), v_set(attached.iter().cloned()));
            return failed(cur, e, "Could not attach a policy to the creator role");
        }
        attached.insert(policy);
    }
    for policy in to_detach {
        if let Err(e) = iam_ops::detach(iam, name, &policy).await {
            cur.insert(ATTACHED_POLICY_ARNS.into(), v_set(attached.iter().cloned()));
            return failed(cur, e, "Could not detach a policy from the creator role");
        }
        attached.remove(&policy);
    }
    cur.insert(ATTACHED_POLICY_ARNS.into(), v_set(attached.iter().cloned()));
    if let (Some(old), None) = (&prior_policy, &target.policy_arn)
        && let Err(e) = iam_ops::delete_policy(iam, old).await
    {
        return failed(cur, e, "Could not delete the creator role's policy");
    }
    (done, Diagnostics::new())
}

/// Detaches everything, deletes the policy (all versions), then the role.
/// Objects already gone count as deleted.
pub async fn delete(iam: &Client, prior: &Value) -> Diagnostics {
    let Some(name) = prior_target_str(prior, NAME).or_else(|| prior_target_str(prior, ID)) else {
        return Diagnostics::new();
    };
    let attached = match iam_ops::list_attached(iam, &name).await {
        Ok(a) => a,
        Err(e) if e.is_not_found() => BTreeSet::new(),
        Err(e) => return fail(e, "Could not delete the cluster creator role"),
    };
    for policy in &attached {
        if let Err(e) = iam_ops::detach(iam, &name, policy).await {
            return fail(e, "Could not detach a policy from the creator role");
        }
    }
    // Only the policy recorded in state: a same-named policy we did not
    // create (for example one that made our create fail) is left alone.
    if let Some(policy) = prior_target_str(prior, POLICY_ARN)
        && let Err(e) = iam_ops::delete_policy(iam, &policy).await
    {
        return fail(e, "Could not delete the creator role's policy");
    }
    match iam_ops::delete_role(iam, &name).await {
        Ok(()) => Diagnostics::new(),
        Err(e) => fail(e, "Could not delete the cluster creator role"),
    }
}
