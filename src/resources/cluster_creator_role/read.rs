//! Read: what exists in IAM, in this resource's terms.
//!
//! Inputs that only feed computed values (`trusted_permission_sets`,
//! `permissions`, `additional_policy_json`) keep their prior values: drift in
//! what they produce shows up in the computed `trust_policy`,
//! `policy_document` and `attached_policy_arns`, which plan re-derives from
//! the configuration. On import there is no prior value, so they are
//! recovered from the documents.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;
use serde_json::{Value as Json, json};

use super::derive::{Context, policy_arn_for};
use super::iam_ops::{self, RoleInfo};
use super::model::{self, Field, v_int, v_map, v_opt_str, v_set, v_str};
use super::presets::{self, Preset};
use super::schema::*;
use super::trust_policy;
use crate::aws::AwsError;
use crate::aws::arn::Arn;
use crate::aws::policy_json::{render_sorted, semantically_equal, statements_equal};
use crate::tfplugin::value::Value;

/// `arn:<partition>:iam::<account>:...` → (partition, account).
pub fn partition_and_account(arn: &str) -> Option<(String, String)> {
    Arn::parse(arn)
        .filter(|a| !a.account.is_empty())
        .map(|a| (a.partition.to_string(), a.account.to_string()))
}

/// Keeps `prior` text when it means the same as `remote`.
fn keep_equivalent(prior: &Value, remote: Option<String>) -> Value {
    match (prior, remote) {
        (Value::String(p), Some(r)) if semantically_equal(p, &r) => prior.clone(),
        (_, r) => v_opt_str(r),
    }
}

/// The preset whose statements all appear in `statements`, and the
/// statements left over. With no match: `none` and everything left over.
pub fn recognise(statements: &[Json], partition: &str, account: &str) -> (Preset, Vec<Json>) {
    let mut best: Option<(Preset, Vec<usize>)> = None;
    for preset in presets::ALL {
        let wanted = preset.statements(partition, account);
        if wanted.is_empty() {
            continue;
        }
        let mut used = Vec::new();
        let all_found = wanted.iter().all(|w| {
            let hit = statements
                .iter()
                .enumerate()
                .find(|(i, s)| !used.contains(i) && statements_equal(w, s));
            hit.map(|(i, _)| used.push(i)).is_some()
        });
        if all_found && best.as_ref().is_none_or(|(_, b)| used.len() > b.len()) {
            best = Some((preset, used));
        }
    }
    let (preset, used) = best.unwrap_or((Preset::None, Vec::new()));
    let rest = statements
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, s)| s.clone())
        .collect();
    (preset, rest)
}

/// `tags` from what IAM has: every tag the configuration had, plus any that
/// is not simply a provider default tag (those live in `tags_all` only).
fn split_tags(
    remote: &BTreeMap<String, String>,
    prior: &Value,
    defaults: &BTreeMap<String, String>,
) -> Value {
    let prior_tags = match model::string_map(prior) {
        Field::Known(t) => Some(t),
        _ => None,
    };
    let kept: BTreeMap<String, String> = remote
        .iter()
        .filter(|(k, v)| {
            prior_tags.as_ref().is_some_and(|p| p.contains_key(*k)) || defaults.get(*k) != Some(*v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if kept.is_empty() && prior_tags.is_none() {
        Value::Null
    } else {
        v_map(&kept)
    }
}

/// A set attribute: null stays null when nothing is there.
fn set_like_prior(prior: &Value, items: BTreeSet<String>) -> Value {
    if items.is_empty() && prior.is_null() {
        Value::Null
    } else {
        v_set(items)
    }
}

/// Reads the role named in `prior` (a full state, or an import stub with only
/// `name`). `Ok(Value::Null)` when the role is gone.
pub async fn read(iam: &Client, ctx: &Context, prior: &Value) -> Result<Value, AwsError> {
    let name = match (prior.attr(NAME), prior.attr(ID)) {
        (Value::String(n), _) | (_, Value::String(n)) => n.clone(),
        _ => return Ok(Value::Null),
    };
    let Some(role) = iam_ops::get_role(iam, &name).await? else {
        return Ok(Value::Null);
    };
    let attached = iam_ops::list_attached(iam, &name).await?;
    let importing = prior.attr(TRUST_POLICY).is_null() && prior.attr(PERMISSIONS).is_null();

    let (partition, account) = partition_and_account(&role.arn)
        .unwrap_or_else(|| (ctx.trust.partition.clone(), ctx.trust.account_id.clone()));
    let policy_name = match prior.attr(POLICY_NAME) {
        Value::String(p) => p.clone(),
        _ => format!("{name}Policy"),
    };
    // Look for the policy we manage: the one in state, or on import the
    // default name under the role's path.
    let policy_arn = match prior.attr(POLICY_ARN) {
        Value::String(a) => Some(a.clone()),
        _ if importing => {
            let c = Context {
                trust: trust_policy::TrustContext {
                    partition: partition.clone(),
                    account_id: account.clone(),
                    sso_region: ctx.trust.sso_region.clone(),
                },
                default_tags: BTreeMap::new(),
            };
            Some(policy_arn_for(&c, &role.path, &policy_name))
        }
        _ => None,
    };
    let document = match &policy_arn {
        Some(arn) => iam_ops::get_policy_document(iam, arn).await?,
        None => None,
    };
    let policy_arn = policy_arn.filter(|_| document.is_some());

    Ok(build_state(
        prior,
        ctx,
        &role,
        attached,
        policy_name,
        policy_arn,
        document,
        importing,
        &partition,
        &account,
    ))
}

#[allow(clippy::too_many_arguments)]
fn build_state(
    prior: &Value,
    ctx: &Context,
    role: &RoleInfo,
    attached: BTreeSet<String>,
    policy_name: String,
    policy_arn: Option<String>,
    document: Option<String>,
    importing: bool,
    partition: &str,
    account: &str,
) -> Value {
    let mut out = model::empty_object();
    out.insert(ID.into(), v_str(&role.name));
    out.insert(NAME.into(), v_str(&role.name));
    out.insert(PATH.into(), v_str(&role.path));
    out.insert(
        DESCRIPTION.into(),
        match (&role.description, prior.attr(DESCRIPTION)) {
            // IAM reports an empty description as absent.
            (None, Value::String(p)) if p.is_empty() => prior.attr(DESCRIPTION).clone(),
            (d, _) => v_opt_str(d.clone()),
        },
    );
    out.insert(
        MAX_SESSION_DURATION.into(),
        v_int(role.max_session_duration),
    );
    out.insert(
        PERMISSIONS_BOUNDARY.into(),
        v_opt_str(role.permissions_boundary.clone()),
    );
    out.insert(TAGS_ALL.into(), v_map(&role.tags));
    out.insert(
        TAGS.into(),
        split_tags(&role.tags, prior.attr(TAGS), &ctx.default_tags),
    );
    out.insert(ARN.into(), v_str(&role.arn));
    out.insert(UNIQUE_ID.into(), v_str(&role.unique_id));
    out.insert(POLICY_NAME.into(), v_str(&policy_name));
    out.insert(POLICY_ARN.into(), v_opt_str(policy_arn.clone()));
    out.insert(
        TRUST_POLICY.into(),
        keep_equivalent(prior.attr(TRUST_POLICY), Some(role.trust_policy.clone())),
    );
    out.insert(
        POLICY_DOCUMENT.into(),
        keep_equivalent(prior.attr(POLICY_DOCUMENT), document.clone()),
    );
    out.insert(ATTACHED_POLICY_ARNS.into(), v_set(attached.iter().cloned()));

    // Inputs that only shape computed values.
    let (preset, additional) = if importing {
        let statements = document
            .as_deref()
            .map(super::derive::statements_of)
            .unwrap_or_default();
        let (preset, rest) = recognise(&statements, partition, account);
        let additional = (!rest.is_empty())
            .then(|| render_sorted(&json!({"Version": "2012-10-17", "Statement": rest})));
        (preset, additional)
    } else {
        let preset = prior
            .attr(PERMISSIONS)
            .as_str()
            .and_then(Preset::parse)
            .unwrap_or(presets::DEFAULT);
        (
            preset,
            prior
                .attr(ADDITIONAL_POLICY_JSON)
                .as_str()
                .map(str::to_string),
        )
    };
    out.insert(PERMISSIONS.into(), v_str(preset.as_str()));
    out.insert(ADDITIONAL_POLICY_JSON.into(), v_opt_str(additional));

    if importing {
        let recovered = serde_json::from_str::<Json>(&role.trust_policy)
            .map(|d| trust_policy::recover(&d))
            .unwrap_or_default();
        out.insert(
            TRUSTED_PERMISSION_SETS.into(),
            set_like_prior(&Value::Null, recovered.permission_sets),
        );
        out.insert(
            TRUSTED_ROLE_ARNS.into(),
            set_like_prior(&Value::Null, recovered.role_arns),
        );
    } else {
        out.insert(
            TRUSTED_PERMISSION_SETS.into(),
            prior.attr(TRUSTED_PERMISSION_SETS).clone(),
        );
        out.insert(
            TRUSTED_ROLE_ARNS.into(),
            prior.attr(TRUSTED_ROLE_ARNS).clone(),
        );
    }

    // The user's extra attachments: what they had that is still attached,
    // plus anything attached that neither our policy nor the preset explains.
    let prior_managed = match model::string_set(prior.attr(MANAGED_POLICY_ARNS)) {
        Field::Known(s) => s,
        _ => BTreeSet::new(),
    };
    let preset_arns: BTreeSet<String> = preset.managed_policy_arns(partition).into_iter().collect();
    let managed: BTreeSet<String> = attached
        .iter()
        .filter(|a| {
            prior_managed.contains(*a)
                || (Some(*a) != policy_arn.as_ref() && !preset_arns.contains(*a))
        })
        .cloned()
        .collect();
    out.insert(
        MANAGED_POLICY_ARNS.into(),
        set_like_prior(prior.attr(MANAGED_POLICY_ARNS), managed),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::cluster_creator_role::trust_policy::TrustContext;

    fn ctx() -> Context {
        Context {
            trust: TrustContext {
                partition: "aws".into(),
                account_id: "111122223333".into(),
                sso_region: "eu-west-1".into(),
            },
            default_tags: [("team".to_string(), "platform".to_string())]
                .into_iter()
                .collect(),
        }
    }

    fn role(trust: &str) -> RoleInfo {
        RoleInfo {
            name: "EKSClusterCreator".into(),
            arn: "arn:aws:iam::111122223333:role/EKSClusterCreator".into(),
            unique_id: "AROAEXAMPLE".into(),
            path: "/".into(),
            description: None,
            max_session_duration: 3600,
            permissions_boundary: None,
            trust_policy: trust.into(),
            tags: [
                ("team".to_string(), "platform".to_string()),
                ("x".to_string(), "y".to_string()),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn recognises_presets_and_leftovers() {
        let mut sts = Preset::ServiceWide.statements("aws", "111122223333");
        sts.push(json!({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}));
        let (p, rest) = recognise(&sts, "aws", "111122223333");
        assert_eq!(p, Preset::ServiceWide);
        assert_eq!(rest.len(), 1);

        let sts = Preset::EksctlMinimum.statements("aws", "111122223333");
        let (p, rest) = recognise(&sts, "aws", "111122223333");
        assert_eq!(p, Preset::EksctlMinimum);
        assert!(rest.is_empty());

        // Another account's rendering does not count as the preset.
        let sts = Preset::EksctlMinimum.statements("aws", "999988887777");
        let (p, rest) = recognise(&sts, "aws", "111122223333");
        assert_eq!(p, Preset::None);
        assert_eq!(rest.len(), sts.len());
    }

    #[test]
    fn import_recovers_inputs() {
        let c = ctx();
        let trust = trust_policy::render(
            &c.trust,
            &["EKSClusterAdminAccess".to_string()].into_iter().collect(),
            &BTreeSet::new(),
        );
        let doc = json!({"Version": "2012-10-17", "Statement": Preset::ServiceWide.statements("aws", "111122223333")})
            .to_string();
        let policy_arn = "arn:aws:iam::111122223333:policy/EKSClusterCreatorPolicy".to_string();
        let attached: BTreeSet<String> = [
            policy_arn.clone(),
            "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string(),
        ]
        .into_iter()
        .collect();
        let mut stub = model::empty_object();
        stub.insert(ID.into(), v_str("EKSClusterCreator"));
        let s = build_state(
            &Value::Object(stub),
            &c,
            &role(&trust),
            attached,
            "EKSClusterCreatorPolicy".into(),
            Some(policy_arn),
            Some(doc),
            true,
            "aws",
            "111122223333",
        );
        assert_eq!(s.attr(PERMISSIONS), &v_str("service_wide"));
        assert_eq!(s.attr(ADDITIONAL_POLICY_JSON), &Value::Null);
        assert_eq!(
            s.attr(TRUSTED_PERMISSION_SETS),
            &v_set(["EKSClusterAdminAccess"])
        );
        assert_eq!(s.attr(TRUSTED_ROLE_ARNS), &Value::Null);
        assert_eq!(
            s.attr(MANAGED_POLICY_ARNS),
            &v_set(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
        );
        // The default tag is not reported as a resource tag.
        let mut want = BTreeMap::new();
        want.insert("x".to_string(), "y".to_string());
        assert_eq!(s.attr(TAGS), &v_map(&want));
    }

    #[test]
    fn equivalent_remote_text_keeps_prior_text() {
        let prior = v_str(r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#);
        let remote =
            r#"{"Statement":{"Resource":["*"],"Action":["a:b"],"Effect":"Allow"}}"#.to_string();
        assert_eq!(keep_equivalent(&prior, Some(remote.clone())), prior);
        let changed = remote.replace("a:b", "a:c");
        assert_eq!(
            keep_equivalent(&prior, Some(changed.clone())),
            v_str(changed)
        );
        assert_eq!(keep_equivalent(&prior, None), Value::Null);
    }

    #[test]
    fn parses_partition_and_account() {
        assert_eq!(
            partition_and_account("arn:aws-cn:iam::111122223333:role/x"),
            Some(("aws-cn".to_string(), "111122223333".to_string()))
        );
        assert_eq!(partition_and_account("nope"), None);
    }
}
