//! The planned state: configuration with defaults, plus every computed value
//! that can be known before apply. Computed values are derived from inputs
//! rather than copied from prior state, so drift found by Read (a trust policy
//! edited by hand, a detached policy) shows up as a planned change and one
//! apply repairs it.
//!
//! Replacement (`name`, `path`, `policy_name`) and keeping the unique id
//! across in-place updates are declared in the schema and applied by the
//! server; Terraform plans a replacement again as a create.

use super::derive::{Context, Inputs};
use super::model::{CreatorRole, Field, Partial};
use super::schema::*;
use super::trust_grants;
use crate::aws::policy_json;

/// Keeps the prior text of a JSON attribute when `same` says it means what
/// the new one means, so formatting (or, for trust policies, Sids and
/// statement grouping) never shows up as a change.
fn keep_equivalent(
    prior: Option<&String>,
    new: Option<String>,
    same: fn(&str, &str) -> bool,
) -> Option<String> {
    match (prior, new) {
        (Some(p), Some(n)) if same(p, &n) => Some(p.clone()),
        (_, n) => n,
    }
}

/// Writes a plan-time value: known, or unknown until apply.
fn put<T>(
    out: &mut Partial,
    name: &'static str,
    value: Option<T>,
    slot: fn(&mut CreatorRole) -> &mut Option<T>,
) {
    match value {
        Some(v) => *slot(&mut out.known) = Some(v),
        None => out.set_unknown(name),
    }
}

/// Copies a configured attribute as is (unknown stays unknown).
fn copy<T: Clone>(
    out: &mut Partial,
    config: &Partial,
    name: &'static str,
    slot: fn(&mut CreatorRole) -> &mut Option<T>,
    value: &Option<T>,
) {
    match config.field(name, value) {
        Field::Unknown => out.set_unknown(name),
        Field::Null => {}
        Field::Known(v) => *slot(&mut out.known) = Some(v),
    }
}

/// Plans a create (`prior` None) or an update. `unique_id` is what the
/// server's plan holds for it: the prior id on in-place updates, `None`
/// (unknown) otherwise.
pub fn plan(
    prior: Option<&CreatorRole>,
    config: &Partial,
    unique_id: Option<String>,
    ctx: &Context,
) -> Partial {
    let inputs = Inputs::from_partial(config);
    let c = &config.known;
    let mut out = Partial::default();

    // Inputs: configured values exactly as given; defaults for the
    // optional+computed ones left null.
    put(&mut out, NAME, inputs.name.clone(), |m| &mut m.name);
    put(&mut out, ID, inputs.name.clone(), |m| &mut m.id);
    put(&mut out, PATH, inputs.path.clone(), |m| &mut m.path);
    put(&mut out, POLICY_NAME, inputs.policy_name.clone(), |m| {
        &mut m.policy_name
    });
    put(
        &mut out,
        PERMISSIONS,
        inputs.preset.map(|p| p.as_str().to_string()),
        |m| &mut m.permissions,
    );
    put(
        &mut out,
        MAX_SESSION_DURATION,
        inputs.max_session_duration,
        |m| &mut m.max_session_duration,
    );
    copy(
        &mut out,
        config,
        DESCRIPTION,
        |m| &mut m.description,
        &c.description,
    );
    copy(
        &mut out,
        config,
        TRUSTED_PERMISSION_SETS,
        |m| &mut m.trusted_permission_sets,
        &c.trusted_permission_sets,
    );
    copy(
        &mut out,
        config,
        TRUSTED_ROLE_ARNS,
        |m| &mut m.trusted_role_arns,
        &c.trusted_role_arns,
    );
    copy(
        &mut out,
        config,
        TRUSTED_PRINCIPAL_ARN_PATTERNS,
        |m| &mut m.trusted_principal_arn_patterns,
        &c.trusted_principal_arn_patterns,
    );
    copy(
        &mut out,
        config,
        MANAGED_POLICY_ARNS,
        |m| &mut m.managed_policy_arns,
        &c.managed_policy_arns,
    );
    copy(
        &mut out,
        config,
        PERMISSIONS_BOUNDARY,
        |m| &mut m.permissions_boundary,
        &c.permissions_boundary,
    );
    copy(&mut out, config, TAGS, |m| &mut m.tags, &c.tags);
    match config.field(ADDITIONAL_POLICY_JSON, &c.additional_policy_json) {
        Field::Unknown => out.set_unknown(ADDITIONAL_POLICY_JSON),
        Field::Null => {}
        Field::Known(text) => {
            out.known.additional_policy_json = keep_equivalent(
                prior.and_then(|p| p.additional_policy_json.as_ref()),
                Some(text),
                policy_json::semantically_equal,
            )
        }
    }

    // Computed values.
    put(&mut out, ARN, inputs.role_arn(ctx), |m| &mut m.arn);
    put(&mut out, UNIQUE_ID, unique_id, |m| &mut m.unique_id);
    let trust = inputs.trust_policy(ctx).map(|t| {
        keep_equivalent(
            prior.and_then(|p| p.trust_policy.as_ref()),
            Some(t),
            trust_grants::same_trust,
        )
    });
    put(&mut out, TRUST_POLICY, trust.flatten(), |m| {
        &mut m.trust_policy
    });
    match inputs.policy_document(ctx) {
        None => out.set_unknown(POLICY_DOCUMENT),
        Some(doc) => {
            out.known.policy_document = keep_equivalent(
                prior.and_then(|p| p.policy_document.as_ref()),
                doc,
                policy_json::semantically_equal,
            )
        }
    }
    match inputs.policy_arn(ctx) {
        None => out.set_unknown(POLICY_ARN),
        Some(arn) => out.known.policy_arn = arn,
    }
    put(
        &mut out,
        ATTACHED_POLICY_ARNS,
        inputs.attached_policy_arns(ctx),
        |m| &mut m.attached_policy_arns,
    );
    put(&mut out, TAGS_ALL, inputs.tags_all(ctx), |m| {
        &mut m.tags_all
    });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::super::derive::Context;
    use super::super::trust_policy::TrustContext;
    use super::*;

    fn ctx() -> Context {
        Context {
            trust: TrustContext {
                partition: "aws".into(),
                account_id: "111122223333".into(),
                sso_region: "us-east-1".into(),
            },
            default_tags: BTreeMap::new(),
        }
    }

    fn names(items: &[&str]) -> Option<BTreeSet<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    fn config(edit: impl FnOnce(&mut CreatorRole)) -> Partial {
        let mut m = CreatorRole {
            trusted_permission_sets: names(&["EKSClusterAdminAccess"]),
            ..CreatorRole::default()
        };
        edit(&mut m);
        Partial::known(m)
    }

    /// Simulates apply: the planned state with unknowns filled as AWS would.
    fn applied(planned: &Partial) -> CreatorRole {
        assert_eq!(
            planned.unknown,
            [UNIQUE_ID].into(),
            "only the unique id waits for AWS"
        );
        CreatorRole {
            unique_id: Some("AROAEXAMPLE".into()),
            ..planned.known.clone()
        }
    }

    #[test]
    fn create_plan_is_fully_known_except_unique_id() {
        let p = plan(None, &config(|_| {}), None, &ctx());
        let s = &p.known;
        assert_eq!(
            s.arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/EKSClusterCreator")
        );
        assert!(p.is_unknown(UNIQUE_ID));
        assert!(
            s.trust_policy
                .as_deref()
                .unwrap()
                .contains("AWSReservedSSO_EKSClusterAdminAccess_")
        );
        assert!(s.policy_document.is_some());
        assert_eq!(s.permissions.as_deref(), Some("eksctl_minimum"));
        assert_eq!(s.max_session_duration, Some(3600));
        assert_eq!(p.unknown.len(), 1);
    }

    #[test]
    fn replan_after_apply_is_identical() {
        let c = config(|m| m.permissions = Some("service_wide".into()));
        let first = plan(None, &c, None, &ctx());
        let state = applied(&first);
        let second = plan(Some(&state), &c, state.unique_id.clone(), &ctx());
        assert_eq!(second, Partial::known(state));
    }

    #[test]
    fn changing_the_trust_is_in_place_and_keeps_the_unique_id() {
        let state = applied(&plan(None, &config(|_| {}), None, &ctx()));
        let p = plan(
            Some(&state),
            &config(|m| m.trusted_permission_sets = names(&["A", "B"])),
            state.unique_id.clone(),
            &ctx(),
        );
        assert_eq!(p.known.unique_id.as_deref(), Some("AROAEXAMPLE"));
        assert_ne!(p.known.trust_policy, state.trust_policy);
        assert_eq!(p.known.arn, state.arn);
    }

    #[test]
    fn drifted_computed_values_are_planned_back() {
        let c = config(|_| {});
        let mut state = applied(&plan(None, &c, None, &ctx()));
        let good = state.clone();
        state.trust_policy = Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into());
        state.attached_policy_arns = names(&["arn:aws:iam::aws:policy/AmazonEC2FullAccess"]);
        let p = plan(Some(&state), &c, state.unique_id.clone(), &ctx());
        assert_eq!(p.known.trust_policy, good.trust_policy);
        assert_eq!(
            p.known.attached_policy_arns.as_ref().map(BTreeSet::len),
            Some(3)
        );
    }

    #[test]
    fn equivalent_json_keeps_prior_text() {
        let text = r#"{"Statement":[{"Action":"logs:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#;
        let c1 = config(|m| m.additional_policy_json = Some(text.into()));
        let state = applied(&plan(None, &c1, None, &ctx()));
        let reformatted = r#"{ "Version": "2012-10-17", "Statement": { "Effect": "Allow", "Action": ["logs:*"], "Resource": "*" } }"#;
        let p = plan(
            Some(&state),
            &config(|m| m.additional_policy_json = Some(reformatted.into())),
            state.unique_id.clone(),
            &ctx(),
        );
        assert_eq!(p, Partial::known(state));
    }

    #[test]
    fn a_trust_with_the_same_grants_keeps_its_text() {
        let blog = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admins_0123456789abcdef"},"Action":"sts:AssumeRole","Condition":{}}]}"#;
        let c = config(|m| {
            m.trusted_permission_sets = None;
            m.trusted_role_arns = names(&[
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admins_0123456789abcdef",
            ]);
        });
        let mut state = applied(&plan(None, &c, None, &ctx()));
        state.trust_policy = Some(blog.into());
        let p = plan(Some(&state), &c, state.unique_id.clone(), &ctx());
        assert_eq!(p.known.trust_policy.as_deref(), Some(blog));
        // The documented migration: the permission set instead of its role.
        let migrated = config(|m| m.trusted_permission_sets = names(&["Admins"]));
        let p = plan(Some(&state), &migrated, state.unique_id.clone(), &ctx());
        let trust = p.known.trust_policy.unwrap();
        assert!(
            trust.contains("AWSReservedSSO_Admins_????????????????"),
            "{trust}"
        );
    }

    #[test]
    fn unknown_inputs_are_unknown_downstream() {
        let mut c = config(|_| {});
        c.set_unknown(NAME);
        let p = plan(None, &c, None, &ctx());
        assert!(p.is_unknown(ARN) && p.is_unknown(POLICY_ARN) && p.is_unknown(ID));
        assert!(p.known.trust_policy.is_some());
        let mut c = config(|_| {});
        c.set_unknown(TRUSTED_PRINCIPAL_ARN_PATTERNS);
        let p = plan(None, &c, None, &ctx());
        assert!(p.is_unknown(TRUST_POLICY));
        assert!(p.is_unknown(TRUSTED_PRINCIPAL_ARN_PATTERNS));
    }
}
