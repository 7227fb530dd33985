//! Offline checks of the configuration: everything IAM would reject, caught
//! before any AWS call and pinned to the attribute that needs fixing. Unknown
//! values pass; Terraform validates again once they are known, and plan
//! re-runs these checks.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value as Json;

use super::TYPE_NAME;
use super::model::Partial;
use super::presets::{self, Preset};
use super::schema::*;
use crate::aws::policy_grammar::{self, MANAGED_POLICY_MAX_CHARS, PolicyKind, counted_len};
use crate::aws::tags::check_tags;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::value::Value;
use crate::validate;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("literal regex {pattern}: {e}"))
}

/// An exact IAM principal: a role, a user or an account root. No wildcards:
/// IAM does not allow them in principals, and we never want one.
static PRINCIPAL_ARN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^arn:aws(-[a-z]+)*:iam::\d{12}:(root|(role|user)/(?:[\x21-\x7E]+/)?[A-Za-z0-9_+=,.@-]{1,64})$",
    )
});
/// A managed policy: AWS-managed (`iam::aws:`) or customer-managed.
static POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^arn:aws(-[a-z]+)*:iam::(aws|\d{12}):policy/(?:[\x21-\x7E]+/)?[A-Za-z0-9_+=,.@-]{1,128}$")
});

const MAX_TAGS: usize = 50;

fn principal_arn(s: &str) -> Result<(), String> {
    if s.contains('*') || s.contains('?') {
        return Err(format!(
            "{s:?} contains a wildcard. Trusted principals must be exact; to trust Identity Center users, list their permission set in `trusted_permission_sets` instead."
        ));
    }
    if PRINCIPAL_ARN.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM principal ARN. Use a role, user or account root ARN such as arn:aws:iam::111122223333:role/ci-deployer."
        ))
    }
}

fn policy_arn(s: &str) -> Result<(), String> {
    if POLICY_ARN.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a managed policy ARN. Use the form arn:aws:iam::aws:policy/ReadOnlyAccess (AWS-managed) or arn:aws:iam::111122223333:policy/MyPolicy."
        ))
    }
}

/// IAM's character set for role descriptions.
fn description(s: &str) -> Result<(), String> {
    if s.chars().count() > 1000 {
        return Err(
            "The description is longer than IAM's limit of 1000 characters; shorten it."
                .to_string(),
        );
    }
    let ok = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{A1}'..='\u{FF}');
    match s.chars().find(|c| !ok(*c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "The description contains {c:?}, which IAM does not accept. Use printable ASCII or Latin-1 characters."
        )),
    }
}

/// The statements of `additional_policy_json`, or everything wrong with it:
/// IAM's grammar for an identity policy (shared with every resource), plus
/// two rules of the merge into the preset's policy.
pub fn additional_statements(text: &str) -> Result<Vec<Json>, Vec<String>> {
    let statements = policy_grammar::check(text, PolicyKind::Identity)
        .map_err(|errs| errs.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let mut problems = Vec::new();
    // The merged document is 2012-10-17, where `${...}` are policy
    // variables; in a 2008-10-17 document they were plain text.
    let version = serde_json::from_str::<Json>(text)
        .ok()
        .and_then(|d| d.get("Version").and_then(Json::as_str).map(str::to_string));
    if version.as_deref() == Some("2008-10-17") {
        problems.push(
            "Version: the statements are merged into a \"2012-10-17\" policy, where ${...} are policy variables; use \"2012-10-17\" (or omit it)."
                .to_string(),
        );
    }
    let reserved: BTreeSet<String> = presets::reserved_sids().into_iter().collect();
    for (i, st) in statements.iter().enumerate() {
        if let Some(sid) = st.get("Sid").and_then(Json::as_str)
            && reserved.contains(sid)
        {
            problems.push(format!(
                "Statement[{i}].Sid: {sid:?} is used by a permissions preset; rename it."
            ));
        }
    }
    if problems.is_empty() {
        Ok(statements)
    } else {
        Err(problems)
    }
}

fn attr(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// An `ArnLike` pattern for `trusted_principal_arn_patterns`: an IAM ARN of
/// one account (`*` and `?` only in the resource part, so `ArnLike` means
/// what it says and the account root can admit it).
pub fn principal_pattern(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let example = "Use the form arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admins_*.";
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].is_empty() {
        return Err(format!("{s:?} is not an IAM ARN pattern. {example}"));
    }
    if !PARTITION.is_match(parts[1]) || !ACCOUNT.is_match(parts[4]) {
        return Err(format!(
            "{s:?} must name its partition and its 12-digit account without wildcards: the account root admits only principals of its own account. {example}"
        ));
    }
    if parts[5].is_empty()
        || parts[5]
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("{s:?} has no resource part to match. {example}"));
    }
    if parts[5] == "*" {
        return Err(format!(
            "{s:?} admits every principal of the account; trust the account root itself with `trusted_role_arns` if that is really meant."
        ));
    }
    Ok(())
}

static PARTITION: LazyLock<Regex> = LazyLock::new(|| re(r"^aws(-[a-z]+)*$"));
static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{12}$"));

fn check_each(
    d: &mut Diagnostics,
    name: &str,
    items: &Option<BTreeSet<String>>,
    summary: &str,
    check: fn(&str) -> Result<(), String>,
) {
    for s in items.iter().flatten() {
        if let Err(detail) = check(s) {
            d.attribute_error(attr(name), summary, detail);
        }
    }
}

fn check_one(
    d: &mut Diagnostics,
    name: &str,
    value: &Option<String>,
    summary: &str,
    check: impl FnOnce(&str) -> Result<(), String>,
) {
    if let Some(s) = value
        && let Err(detail) = check(s)
    {
        d.attribute_error(attr(name), summary, detail);
    }
}

/// Validates a configuration (or a planned state's input attributes).
/// Unknown values pass.
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let partial = match Partial::from_value(config) {
        Ok(p) => p,
        Err(e) => {
            d.error(
                "Invalid configuration",
                format!(
                    "The configuration of {TYPE_NAME} could not be read: {e}. This is a provider bug; please report it."
                ),
            );
            return d;
        }
    };
    let m = &partial.known;

    check_one(
        &mut d,
        NAME,
        &m.name,
        "Invalid role name",
        validate::iam_role_name,
    );
    check_one(
        &mut d,
        PATH,
        &m.path,
        "Invalid role path",
        validate::iam_path,
    );
    check_one(
        &mut d,
        DESCRIPTION,
        &m.description,
        "Invalid description",
        description,
    );
    check_one(
        &mut d,
        POLICY_NAME,
        &m.policy_name,
        "Invalid policy name",
        |s| validate::iam_name(s, 128),
    );
    check_one(
        &mut d,
        PERMISSIONS_BOUNDARY,
        &m.permissions_boundary,
        "Invalid permissions boundary",
        policy_arn,
    );
    check_one(
        &mut d,
        PERMISSIONS,
        &m.permissions,
        "Unknown permissions preset",
        |s| match Preset::parse(s) {
            Some(_) => Ok(()),
            None => Err(format!(
                "{s:?} is not a preset. Use one of \"eksctl_minimum\" (default), \"service_wide\" or \"none\"."
            )),
        },
    );

    // The raw number: a fraction does not even reach the model.
    if let Value::Number(n) = config.attr(MAX_SESSION_DURATION)
        && n.as_i64()
            .filter(|v| (MIN_SESSION..=MAX_SESSION).contains(v))
            .is_none()
    {
        d.attribute_error(
            attr(MAX_SESSION_DURATION),
            "Invalid max_session_duration",
            format!(
                "{} is not a whole number of seconds between {MIN_SESSION} (1 hour) and {MAX_SESSION} (12 hours), IAM's allowed range.",
                n.as_str()
            ),
        );
    }

    check_each(
        &mut d,
        TRUSTED_PERMISSION_SETS,
        &m.trusted_permission_sets,
        "Invalid permission set name",
        validate::permission_set_name,
    );
    check_each(
        &mut d,
        TRUSTED_ROLE_ARNS,
        &m.trusted_role_arns,
        "Invalid trusted principal ARN",
        principal_arn,
    );
    check_each(
        &mut d,
        TRUSTED_PRINCIPAL_ARN_PATTERNS,
        &m.trusted_principal_arn_patterns,
        "Invalid trusted principal pattern",
        principal_pattern,
    );
    check_each(
        &mut d,
        MANAGED_POLICY_ARNS,
        &m.managed_policy_arns,
        "Invalid managed policy ARN",
        policy_arn,
    );

    // An empty trust: nobody could ever assume the role.
    let trust = [
        (TRUSTED_PERMISSION_SETS, &m.trusted_permission_sets),
        (TRUSTED_ROLE_ARNS, &m.trusted_role_arns),
        (
            TRUSTED_PRINCIPAL_ARN_PATTERNS,
            &m.trusted_principal_arn_patterns,
        ),
    ];
    let empty = trust
        .iter()
        .all(|(name, v)| !partial.is_unknown(name) && v.as_ref().is_none_or(BTreeSet::is_empty));
    if empty {
        d.attribute_error(
            attr(TRUSTED_PERMISSION_SETS),
            "No trusted principal",
            "Nobody could assume this role. Set `trusted_permission_sets` (for example [\"EKSClusterAdminAccess\"]), `trusted_role_arns` and/or `trusted_principal_arn_patterns`.",
        );
    }

    if let Some(text) = &m.additional_policy_json {
        match additional_statements(text) {
            Err(problems) => {
                for detail in problems {
                    d.attribute_error(
                        attr(ADDITIONAL_POLICY_JSON),
                        "Invalid additional_policy_json",
                        detail,
                    );
                }
            }
            Ok(_) if counted_len(text) > MANAGED_POLICY_MAX_CHARS => d.attribute_error(
                attr(ADDITIONAL_POLICY_JSON),
                "additional_policy_json is too large",
                format!(
                    "It has {} characters (whitespace excluded); a managed policy holds at most {MANAGED_POLICY_MAX_CHARS}. Attach a separate policy with `managed_policy_arns` instead.",
                    counted_len(text)
                ),
            ),
            Ok(_) => {}
        }
    }

    // IAM's limit per role (reference_iam-quotas.html).
    check_tags(&mut d, config.attr(TAGS), attr(TAGS), Some(MAX_TAGS));
    d
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::tfplugin::diagnostics::PathStep;

    mod model {
        //! Raw values, as Terraform sends configurations.
        use crate::tfplugin::value::{Number, Value};
        pub fn v_str(s: &str) -> Value {
            Value::string(s)
        }
        pub fn v_int(n: i64) -> Value {
            Value::Number(Number::from_i64(n))
        }
        pub fn v_set<const N: usize>(items: [&str; N]) -> Value {
            Value::Set(items.iter().map(|s| Value::string(*s)).collect())
        }
        pub fn unknown() -> Value {
            Value::Unknown(None)
        }
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut m: BTreeMap<String, Value> =
            ALL.iter().map(|k| (k.to_string(), Value::Null)).collect();
        m.insert(
            TRUSTED_PERMISSION_SETS.into(),
            model::v_set(["EKSClusterAdminAccess"]),
        );
        for (k, v) in pairs {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    fn first_path(d: &Diagnostics) -> String {
        match &d.0.first().and_then(|x| x.attribute.clone()).map(|p| p.0) {
            Some(steps) => match steps.first() {
                Some(PathStep::Attribute(a)) => a.clone(),
                _ => String::new(),
            },
            None => String::new(),
        }
    }

    #[test]
    fn minimal_config_is_valid() {
        assert!(!validate(&config(&[])).has_errors());
    }

    #[test]
    fn bad_inputs_point_at_their_attribute() {
        let s = |x: &str| model::v_str(x);
        let cases: Vec<(&str, Value)> = vec![
            (NAME, s("has space")),
            (NAME, s(&"x".repeat(65))),
            (PATH, s("no-slashes")),
            (MAX_SESSION_DURATION, model::v_int(60)),
            (MAX_SESSION_DURATION, model::v_int(43201)),
            (ADDITIONAL_POLICY_JSON, s("{not json")),
            (
                ADDITIONAL_POLICY_JSON,
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#,
                ),
            ),
            (
                ADDITIONAL_POLICY_JSON,
                s(
                    r#"{"Statement":[{"Sid":"EksctlKms","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                ),
            ),
            (
                TRUSTED_ROLE_ARNS,
                model::v_set(["arn:aws:iam::111122223333:role/*"]),
            ),
            (TRUSTED_ROLE_ARNS, model::v_set(["not-an-arn"])),
            (
                MANAGED_POLICY_ARNS,
                model::v_set(["arn:aws:iam::aws:role/ReadOnlyAccess"]),
            ),
            (PERMISSIONS_BOUNDARY, s("arn:aws:s3:::bucket")),
            (PERMISSIONS, s("admin")),
            (
                TRUSTED_PERMISSION_SETS,
                Value::Set(vec![Value::string("x".repeat(33))]),
            ),
            (
                TRUSTED_PRINCIPAL_ARN_PATTERNS,
                model::v_set(["arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*"]),
            ),
            (
                TRUSTED_PRINCIPAL_ARN_PATTERNS,
                model::v_set(["arn:aws:iam::111122223333:*"]),
            ),
            (
                TRUSTED_PRINCIPAL_ARN_PATTERNS,
                model::v_set(["AWSReservedSSO_*"]),
            ),
            (
                ADDITIONAL_POLICY_JSON,
                s(r#"{"Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#),
            ),
            (
                ADDITIONAL_POLICY_JSON,
                s(
                    r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                ),
            ),
            (
                TAGS,
                Value::Map([("AWS:owner".to_string(), s("me"))].into()),
            ),
            (POLICY_NAME, s(&"p".repeat(129))),
            (DESCRIPTION, s("emoji \u{1F600}")),
        ];
        for (name, value) in cases {
            let d = validate(&config(&[(name, value.clone())]));
            assert!(d.has_errors(), "{name} = {value:?} accepted");
            assert_eq!(first_path(&d), name, "{name} = {value:?}");
            assert!(!d.0[0].detail.is_empty());
        }
    }

    #[test]
    fn empty_trust_is_rejected_but_unknown_trust_is_not() {
        let d = validate(&config(&[(TRUSTED_PERMISSION_SETS, Value::Set(vec![]))]));
        assert_eq!(first_path(&d), TRUSTED_PERMISSION_SETS);
        let d = validate(&config(&[(TRUSTED_PERMISSION_SETS, model::unknown())]));
        assert!(!d.has_errors());
        let d = validate(&config(&[
            (TRUSTED_PERMISSION_SETS, Value::Null),
            (
                TRUSTED_ROLE_ARNS,
                model::v_set(["arn:aws:iam::111122223333:root"]),
            ),
        ]));
        assert!(!d.has_errors());
    }

    #[test]
    fn hand_written_patterns_are_accepted_and_count_as_trust() {
        let d = validate(&config(&[
            (TRUSTED_PERMISSION_SETS, Value::Null),
            (
                TRUSTED_PRINCIPAL_ARN_PATTERNS,
                model::v_set([
                    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Ops_*",
                ]),
            ),
        ]));
        assert!(!d.has_errors(), "{d:?}");
        let d = validate(&config(&[(
            MAX_SESSION_DURATION,
            Value::Number(crate::tfplugin::value::Number::parse("3600.5").unwrap()),
        )]));
        assert_eq!(first_path(&d), MAX_SESSION_DURATION);
    }

    #[test]
    fn unknowns_pass() {
        let d = validate(&config(&[
            (NAME, model::unknown()),
            (ADDITIONAL_POLICY_JSON, model::unknown()),
            (MAX_SESSION_DURATION, model::unknown()),
        ]));
        assert!(!d.has_errors());
    }

    #[test]
    fn good_additional_policy_is_accepted() {
        let st = additional_statements(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"Logs","Effect":"Allow","Action":"logs:*","Resource":"*"}}"#,
        )
        .unwrap();
        assert_eq!(st.len(), 1);
    }
}
