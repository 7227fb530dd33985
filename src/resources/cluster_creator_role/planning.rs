//! The planned state: configuration with defaults, plus every computed value
//! that can be known before apply. Computed values are derived from inputs
//! rather than copied from prior state, so drift found by Read (a trust policy
//! edited by hand, a detached policy) shows up as a planned change and one
//! apply repairs it.

use std::collections::BTreeMap;

use super::derive::{Context, Inputs};
use super::model::{self, unknown, v_field, v_int, v_map, v_opt_str, v_set, v_str};
use super::schema::*;
use crate::aws::policy_json;
use crate::tfplugin::diagnostics::AttributePath;
use crate::tfplugin::value::Value;

/// Attributes whose change replaces the role (IAM cannot rename a role or
/// move it to another path, nor rename a managed policy).
const REPLACE_ON_CHANGE: [&str; 3] = [NAME, PATH, POLICY_NAME];

fn known_or_unknown(v: Option<Value>) -> Value {
    v.unwrap_or_else(unknown)
}

/// Keeps the prior text of a JSON attribute when it means the same as the
/// new one, so formatting differences never show up as changes.
fn keep_equivalent(prior: &Value, new: Value) -> Value {
    match (prior, &new) {
        (Value::String(p), Value::String(n)) if policy_json::semantically_equal(p, n) => {
            prior.clone()
        }
        _ => new,
    }
}

pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a create (`prior` null) or an update.
pub fn plan(prior: &Value, config: &Value, ctx: &Context) -> Planned {
    let inputs = Inputs::from_value(config);
    let mut out: BTreeMap<String, Value> = model::empty_object();

    // Inputs: configured values exactly as given; defaults for the
    // optional+computed ones left null.
    let or_default = |name: &str, default: Option<Value>| match config.attr(name) {
        Value::Null => known_or_unknown(default),
        v => v.clone(),
    };
    out.insert(
        NAME.into(),
        or_default(NAME, inputs.name.clone().map(v_str)),
    );
    out.insert(ID.into(), out[NAME].clone());
    out.insert(
        PATH.into(),
        or_default(PATH, inputs.path.clone().map(v_str)),
    );
    out.insert(
        POLICY_NAME.into(),
        or_default(POLICY_NAME, inputs.policy_name.clone().map(v_str)),
    );
    out.insert(
        PERMISSIONS.into(),
        or_default(PERMISSIONS, inputs.preset.map(|p| v_str(p.as_str()))),
    );
    out.insert(
        MAX_SESSION_DURATION.into(),
        or_default(MAX_SESSION_DURATION, inputs.max_session_duration.map(v_int)),
    );
    for name in [
        DESCRIPTION,
        TRUSTED_PERMISSION_SETS,
        TRUSTED_ROLE_ARNS,
        MANAGED_POLICY_ARNS,
        PERMISSIONS_BOUNDARY,
        TAGS,
    ] {
        out.insert(name.into(), config.attr(name).clone());
    }
    out.insert(
        ADDITIONAL_POLICY_JSON.into(),
        keep_equivalent(
            prior.attr(ADDITIONAL_POLICY_JSON),
            config.attr(ADDITIONAL_POLICY_JSON).clone(),
        ),
    );

    // Replacement: a changed (or not yet known) name, path or policy name.
    let mut requires_replace = Vec::new();
    if !prior.is_null() {
        for name in REPLACE_ON_CHANGE {
            let planned = &out[name];
            let before = prior.attr(name);
            if planned.is_unknown() || (!before.is_null() && planned != before) {
                requires_replace.push(AttributePath::attr(name));
            }
        }
    }
    let keep_identity = !prior.is_null() && requires_replace.is_empty();

    // Computed values.
    let arn = if keep_identity && !prior.attr(ARN).is_null() {
        prior.attr(ARN).clone()
    } else {
        known_or_unknown(inputs.role_arn(ctx).map(v_str))
    };
    out.insert(ARN.into(), arn);
    out.insert(
        UNIQUE_ID.into(),
        if keep_identity && !prior.attr(UNIQUE_ID).is_null() {
            prior.attr(UNIQUE_ID).clone()
        } else {
            unknown()
        },
    );
    let prior_or_null = |name: &str| {
        if keep_identity {
            prior.attr(name).clone()
        } else {
            Value::Null
        }
    };
    out.insert(
        TRUST_POLICY.into(),
        match inputs.trust_policy(ctx) {
            Some(text) => keep_equivalent(&prior_or_null(TRUST_POLICY), v_str(text)),
            None => unknown(),
        },
    );
    out.insert(
        POLICY_DOCUMENT.into(),
        match inputs.policy_document(ctx) {
            Some(doc) => keep_equivalent(&prior_or_null(POLICY_DOCUMENT), v_opt_str(doc)),
            None => unknown(),
        },
    );
    out.insert(
        POLICY_ARN.into(),
        known_or_unknown(inputs.policy_arn(ctx).map(v_opt_str)),
    );
    out.insert(
        ATTACHED_POLICY_ARNS.into(),
        known_or_unknown(inputs.attached_policy_arns(ctx).map(v_set)),
    );
    out.insert(
        TAGS_ALL.into(),
        v_field(
            match inputs.tags_all(ctx) {
                Some(t) => model::Field::Known(t),
                None => model::Field::Unknown,
            },
            |t| v_map(&t),
        ),
    );

    Planned {
        state: Value::Object(out),
        requires_replace,
    }
}

#[cfg(test)]
mod tests {
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

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut m = model::empty_object();
        m.insert(
            TRUSTED_PERMISSION_SETS.into(),
            v_set(["EKSClusterAdminAccess"]),
        );
        for (k, v) in pairs {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    /// Simulates apply: the planned state with unknowns filled as AWS would.
    fn applied(planned: &Value) -> Value {
        let mut m = match planned {
            Value::Object(m) => m.clone(),
            _ => unreachable!(),
        };
        m.insert(UNIQUE_ID.into(), v_str("AROAEXAMPLE"));
        Value::Object(m)
    }

    #[test]
    fn create_plan_is_fully_known_except_unique_id() {
        let p = plan(&Value::Null, &config(&[]), &ctx());
        assert!(p.requires_replace.is_empty());
        let s = &p.state;
        assert_eq!(
            s.attr(ARN),
            &v_str("arn:aws:iam::111122223333:role/EKSClusterCreator")
        );
        assert!(s.attr(UNIQUE_ID).is_unknown());
        assert!(
            s.attr(TRUST_POLICY)
                .as_str()
                .unwrap()
                .contains("AWSReservedSSO_EKSClusterAdminAccess_")
        );
        assert!(s.attr(POLICY_DOCUMENT).as_str().is_some());
        assert_eq!(s.attr(PERMISSIONS), &v_str("eksctl_minimum"));
        assert_eq!(s.attr(MAX_SESSION_DURATION), &v_int(3600));
        for name in ALL {
            if name != UNIQUE_ID {
                assert!(s.attr(name).is_wholly_known(), "{name}");
            }
        }
    }

    #[test]
    fn replan_after_apply_is_identical() {
        let c = config(&[(PERMISSIONS, v_str("service_wide"))]);
        let first = plan(&Value::Null, &c, &ctx());
        let state = applied(&first.state);
        let second = plan(&state, &c, &ctx());
        assert!(second.requires_replace.is_empty());
        assert_eq!(second.state, state);
    }

    #[test]
    fn renaming_or_moving_replaces() {
        let c = config(&[]);
        let state = applied(&plan(&Value::Null, &c, &ctx()).state);
        for (attr_name, value) in [(NAME, "Other"), (PATH, "/eks/"), (POLICY_NAME, "P")] {
            let p = plan(&state, &config(&[(attr_name, v_str(value))]), &ctx());
            assert!(
                p.requires_replace.contains(&AttributePath::attr(attr_name)),
                "{attr_name}"
            );
            assert!(p.state.attr(UNIQUE_ID).is_unknown());
        }
        // Changing the trust is in place.
        let p = plan(
            &state,
            &config(&[(TRUSTED_PERMISSION_SETS, v_set(["A", "B"]))]),
            &ctx(),
        );
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.state.attr(UNIQUE_ID), &v_str("AROAEXAMPLE"));
        assert_ne!(p.state.attr(TRUST_POLICY), state.attr(TRUST_POLICY));
    }

    #[test]
    fn drifted_computed_values_are_planned_back() {
        let c = config(&[]);
        let mut state = applied(&plan(&Value::Null, &c, &ctx()).state);
        if let Value::Object(m) = &mut state {
            m.insert(
                TRUST_POLICY.into(),
                v_str(r#"{"Version":"2012-10-17","Statement":[]}"#),
            );
            m.insert(
                ATTACHED_POLICY_ARNS.into(),
                v_set(["arn:aws:iam::aws:policy/AmazonEC2FullAccess"]),
            );
        }
        let p = plan(&state, &c, &ctx());
        assert_ne!(p.state.attr(TRUST_POLICY), state.attr(TRUST_POLICY));
        assert_eq!(p.state.attr(ATTACHED_POLICY_ARNS).elements().len(), 3);
    }

    #[test]
    fn equivalent_json_keeps_prior_text() {
        let text = r#"{"Statement":[{"Action":"logs:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#;
        let c1 = config(&[(ADDITIONAL_POLICY_JSON, v_str(text))]);
        let state = applied(&plan(&Value::Null, &c1, &ctx()).state);
        let reformatted = r#"{ "Version": "2012-10-17", "Statement": { "Effect": "Allow", "Action": ["logs:*"], "Resource": "*" } }"#;
        let p = plan(
            &state,
            &config(&[(ADDITIONAL_POLICY_JSON, v_str(reformatted))]),
            &ctx(),
        );
        assert_eq!(p.state, state);
    }

    #[test]
    fn unknown_name_is_unknown_downstream() {
        let p = plan(&Value::Null, &config(&[(NAME, unknown())]), &ctx());
        assert!(p.state.attr(ARN).is_unknown());
        assert!(p.state.attr(POLICY_ARN).is_unknown());
        assert!(p.state.attr(TRUST_POLICY).is_wholly_known());
    }
}
