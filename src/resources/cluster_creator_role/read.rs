//! Read: what exists in IAM, in this resource's terms.
//!
//! Inputs that only feed computed values (`trusted_*`, `permissions`,
//! `additional_policy_json`) keep their prior values: drift in what they
//! produce shows up in the computed `trust_policy`, `policy_document` and
//! `attached_policy_arns`, which plan re-derives from the configuration. On
//! import there is no prior value, so they are recovered from the documents,
//! and the documents themselves are kept exactly as IAM holds them.
//!
//! A role leaves state only when IAM says it is gone, in the account the
//! state names ([`verify_gone`]). Anything else (denied, throttled, other
//! credentials) is an error that keeps state.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;
use serde_json::{Value as Json, json};

use super::derive::{Context, policy_arn_for};
use super::iam_ops::{self, RoleInfo};
use super::model::CreatorRole;
use super::presets::{self, Preset};
use super::trust_grants;
use super::trust_policy::TrustContext;
use crate::aws::AwsError;
use crate::aws::arn::Arn;
use crate::aws::policy_json::{render_sorted, semantically_equal, statements_equal};

/// `arn:<partition>:iam::<account>:...` → (partition, account).
pub fn partition_and_account(arn: &str) -> Option<(String, String)> {
    Arn::parse(arn)
        .filter(|a| !a.account.is_empty())
        .map(|a| (a.partition.to_string(), a.account.to_string()))
}

/// Keeps `prior` text when it means the same as `remote`.
fn keep_equivalent(
    prior: &Option<String>,
    remote: Option<String>,
    same: fn(&str, &str) -> bool,
) -> Option<String> {
    match (prior, remote) {
        (Some(p), Some(r)) if same(p, &r) => Some(p.clone()),
        (_, r) => r,
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
    prior: &Option<BTreeMap<String, String>>,
    defaults: &BTreeMap<String, String>,
) -> Option<BTreeMap<String, String>> {
    let kept: BTreeMap<String, String> = remote
        .iter()
        .filter(|(k, v)| {
            prior.as_ref().is_some_and(|p| p.contains_key(*k)) || defaults.get(*k) != Some(*v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!kept.is_empty() || prior.is_some()).then_some(kept)
}

/// A set attribute: null stays null when nothing is there.
fn set_like_prior(
    prior: &Option<BTreeSet<String>>,
    items: BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    (!items.is_empty() || prior.is_some()).then_some(items)
}

/// Whether a role IAM did not find is really gone: only when the state says
/// it lived in the account the credentials are for. `state_arn` is None for
/// an import stub, which has nothing to compare yet.
pub fn verify_gone(state_arn: Option<&str>, caller_account: &str) -> Result<(), String> {
    match state_arn.and_then(partition_and_account) {
        Some((_, account)) if account != caller_account => Err(format!(
            "IAM has no role of that name in account {caller_account}, but the role in state is in account {account}. \
             The provider's credentials are for another account, so the role is kept in state; check `profile`, \
             `assume_role` and the AWS_* environment, then refresh again."
        )),
        _ => Ok(()),
    }
}

/// A role found under the state's name must be the state's role: a role of
/// the same name in another account is someone else's.
pub fn verify_same_account(state_arn: Option<&str>, found_arn: &str) -> Result<(), String> {
    let before = state_arn.and_then(partition_and_account);
    let now = partition_and_account(found_arn);
    match (before, now) {
        (Some((_, a)), Some((_, b))) if a != b => Err(format!(
            "The role in state is in account {a}, but the provider's credentials see {found_arn} in account {b}. \
             That is another account's role of the same name, so state is kept unchanged; check `profile`, \
             `assume_role` and the AWS_* environment."
        )),
        _ => Ok(()),
    }
}

/// What read found.
pub enum Found {
    Role(Box<CreatorRole>),
    /// IAM answered NoSuchEntity for the role's name (see [`verify_gone`]).
    Missing,
}

/// Reads the role named in `prior` (a full state, or an import stub with
/// only `id`/`name`).
pub async fn read(iam: &Client, ctx: &Context, prior: &CreatorRole) -> Result<Found, AwsError> {
    let Some(name) = prior.role_name().map(str::to_string) else {
        return Ok(Found::Missing);
    };
    let Some(role) = iam_ops::get_role(iam, &name).await? else {
        return Ok(Found::Missing);
    };
    let attached = iam_ops::list_attached(iam, &name).await?;
    let importing = prior.trust_policy.is_none() && prior.permissions.is_none();

    let (partition, account) = partition_and_account(&role.arn)
        .unwrap_or_else(|| (ctx.trust.partition.clone(), ctx.trust.account_id.clone()));
    let context = Context {
        trust: TrustContext {
            partition: partition.clone(),
            account_id: account.clone(),
            sso_region: ctx.trust.sso_region.clone(),
        },
        default_tags: ctx.default_tags.clone(),
    };
    let policy_name = prior
        .policy_name
        .clone()
        .unwrap_or_else(|| format!("{name}Policy"));
    // Look for the policy we manage: the one in state, or on import the
    // default name under the role's path.
    let policy_arn = match &prior.policy_arn {
        Some(a) => Some(a.clone()),
        None if importing => Some(policy_arn_for(&context, &role.path, &policy_name)),
        None => None,
    };
    let document = match &policy_arn {
        Some(arn) => iam_ops::get_policy_document(iam, arn).await?,
        None => None,
    };
    let policy_arn = policy_arn.filter(|_| document.is_some());

    Ok(Found::Role(Box::new(build_state(
        prior,
        &context,
        &role,
        attached,
        Policy {
            name: policy_name,
            arn: policy_arn,
            document,
        },
        importing,
    ))))
}

/// The customer-managed policy as found.
pub struct Policy {
    pub name: String,
    pub arn: Option<String>,
    pub document: Option<String>,
}

/// The state for what IAM holds. `ctx` carries the role's own account and
/// partition.
pub fn build_state(
    prior: &CreatorRole,
    ctx: &Context,
    role: &RoleInfo,
    attached: BTreeSet<String>,
    policy: Policy,
    importing: bool,
) -> CreatorRole {
    let (partition, account) = (&ctx.trust.partition, &ctx.trust.account_id);
    let mut out = CreatorRole {
        id: Some(role.name.clone()),
        name: Some(role.name.clone()),
        path: Some(role.path.clone()),
        description: match (&role.description, &prior.description) {
            // IAM reports an empty description as absent.
            (None, Some(p)) if p.is_empty() => Some(String::new()),
            (d, _) => d.clone(),
        },
        max_session_duration: Some(role.max_session_duration),
        permissions_boundary: role.permissions_boundary.clone(),
        tags_all: Some(role.tags.clone()),
        tags: split_tags(&role.tags, &prior.tags, &ctx.default_tags),
        arn: Some(role.arn.clone()),
        unique_id: Some(role.unique_id.clone()),
        policy_name: Some(policy.name.clone()),
        policy_arn: policy.arn.clone(),
        trust_policy: keep_equivalent(
            &prior.trust_policy,
            Some(role.trust_policy.clone()),
            trust_grants::same_trust,
        ),
        policy_document: keep_equivalent(
            &prior.policy_document,
            policy.document.clone(),
            semantically_equal,
        ),
        attached_policy_arns: Some(attached.clone()),
        ..CreatorRole::default()
    };

    // Inputs that only shape computed values.
    let preset = if importing {
        let statements = policy
            .document
            .as_deref()
            .map(super::derive::statements_of)
            .unwrap_or_default();
        let (preset, rest) = recognise(&statements, partition, account);
        out.additional_policy_json = (!rest.is_empty())
            .then(|| render_sorted(&json!({"Version": "2012-10-17", "Statement": rest})));
        let recovered = serde_json::from_str::<Json>(&role.trust_policy)
            .map(|d| trust_grants::recover(&d, &ctx.trust))
            .unwrap_or_default();
        out.trusted_permission_sets = set_like_prior(&None, recovered.permission_sets);
        out.trusted_role_arns = set_like_prior(&None, recovered.role_arns);
        out.trusted_principal_arn_patterns = set_like_prior(&None, recovered.patterns);
        preset
    } else {
        out.additional_policy_json = prior.additional_policy_json.clone();
        out.trusted_permission_sets = prior.trusted_permission_sets.clone();
        out.trusted_role_arns = prior.trusted_role_arns.clone();
        out.trusted_principal_arn_patterns = prior.trusted_principal_arn_patterns.clone();
        prior
            .permissions
            .as_deref()
            .and_then(Preset::parse)
            .unwrap_or(presets::DEFAULT)
    };
    out.permissions = Some(preset.as_str().to_string());

    // The user's extra attachments: what they had that is still attached,
    // plus anything attached that neither our policy nor the preset explains.
    let prior_managed = prior.managed_policy_arns.clone().unwrap_or_default();
    let preset_arns: BTreeSet<String> = preset.managed_policy_arns(partition).into_iter().collect();
    let managed: BTreeSet<String> = attached
        .iter()
        .filter(|a| {
            prior_managed.contains(*a)
                || (Some(*a) != policy.arn.as_ref() && !preset_arns.contains(*a))
        })
        .cloned()
        .collect();
    out.managed_policy_arns = set_like_prior(&prior.managed_policy_arns, managed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn stub() -> CreatorRole {
        CreatorRole {
            id: Some("EKSClusterCreator".into()),
            name: Some("EKSClusterCreator".into()),
            ..CreatorRole::default()
        }
    }

    fn names(items: &[&str]) -> Option<BTreeSet<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
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
        let trust = super::super::trust_policy::render(
            &c.trust,
            &super::super::trust_policy::Trusted {
                permission_sets: ["EKSClusterAdminAccess".to_string()].into(),
                ..Default::default()
            },
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
        let s = build_state(
            &stub(),
            &c,
            &role(&trust),
            attached,
            Policy {
                name: "EKSClusterCreatorPolicy".into(),
                arn: Some(policy_arn),
                document: Some(doc),
            },
            true,
        );
        assert_eq!(s.permissions.as_deref(), Some("service_wide"));
        assert_eq!(s.additional_policy_json, None);
        assert_eq!(s.trusted_permission_sets, names(&["EKSClusterAdminAccess"]));
        assert_eq!(s.trusted_role_arns, None);
        assert_eq!(
            s.managed_policy_arns,
            names(&["arn:aws:iam::aws:policy/ReadOnlyAccess"])
        );
        // The default tag is not reported as a resource tag.
        assert_eq!(s.tags, Some([("x".to_string(), "y".to_string())].into()));
        assert_eq!(s.trust_policy.as_deref(), Some(trust.as_str()));
    }

    #[test]
    fn import_keeps_a_hand_written_trust_exactly() {
        let blog = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admins_0123456789abcdef"},"Action":"sts:AssumeRole","Condition":{}}]}"#;
        let s = build_state(
            &stub(),
            &ctx(),
            &role(blog),
            BTreeSet::new(),
            Policy {
                name: "EKSClusterCreatorPolicy".into(),
                arn: None,
                document: None,
            },
            true,
        );
        assert_eq!(s.trust_policy.as_deref(), Some(blog));
        assert_eq!(
            s.trusted_role_arns,
            names(&[
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admins_0123456789abcdef"
            ])
        );
        assert_eq!(s.trusted_permission_sets, None);
        assert_eq!(s.permissions.as_deref(), Some("none"));
        assert_eq!(s.managed_policy_arns, None);
    }

    #[test]
    fn equivalent_remote_text_keeps_prior_text() {
        let prior =
            Some(r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#.to_string());
        let remote =
            r#"{"Statement":{"Resource":["*"],"Action":["a:b"],"Effect":"Allow"}}"#.to_string();
        assert_eq!(
            keep_equivalent(&prior, Some(remote.clone()), semantically_equal),
            prior
        );
        let changed = remote.replace("a:b", "a:c");
        assert_eq!(
            keep_equivalent(&prior, Some(changed.clone()), semantically_equal),
            Some(changed)
        );
        assert_eq!(keep_equivalent(&prior, None, semantically_equal), None);
    }

    #[test]
    fn a_missing_role_is_gone_only_in_its_own_account() {
        let arn = Some("arn:aws:iam::111122223333:role/EKSClusterCreator");
        assert!(verify_gone(arn, "111122223333").is_ok());
        let e = verify_gone(arn, "999988887777").unwrap_err();
        assert!(
            e.contains("account 999988887777") && e.contains("account 111122223333"),
            "{e}"
        );
        assert!(e.contains("kept in state"));
        // An import stub has no account yet: NoSuchEntity means no such role.
        assert!(verify_gone(None, "999988887777").is_ok());
    }

    #[test]
    fn a_same_named_role_elsewhere_is_not_ours() {
        let arn = Some("arn:aws:iam::111122223333:role/EKSClusterCreator");
        assert!(
            verify_same_account(arn, "arn:aws:iam::111122223333:role/EKSClusterCreator").is_ok()
        );
        let e = verify_same_account(arn, "arn:aws:iam::999988887777:role/EKSClusterCreator")
            .unwrap_err();
        assert!(e.contains("another account's role"), "{e}");
        assert!(verify_same_account(None, "arn:aws:iam::999988887777:role/x").is_ok());
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
