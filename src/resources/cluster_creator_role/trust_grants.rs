//! Trust policies read back: what a document grants, whether two documents
//! grant the same, what inputs reproduce a document, and whether it lets
//! Identity Center's reserved roles in.
//!
//! A trust policy here grants `sts:AssumeRole` in two ways, the only two
//! this resource renders ([`super::trust_policy::render`]):
//! - to a principal outright ([`Grant::Principal`]): the AWS blog's role names
//!   `arn:aws:iam::<acct>:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<set>_<hex>`;
//! - to the principals of an account whose ARN matches a pattern
//!   ([`Grant::Pattern`]): the account root (or `*`) with an `ArnLike`
//!   condition on `aws:PrincipalArn`, as this resource writes and as people
//!   write by hand.
//!
//! Two documents whose statements all read as grants mean the same when the
//! sets of grants are equal: a statement's principals and condition values
//! are each an "or", and statements add up. Sids, statement grouping, key
//! order and an empty `Condition` carry no meaning. That is what lets import
//! keep a hand-written trust exactly: the inputs recovered from it render a
//! document with the same grants, so the plan keeps the text IAM holds.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value as Json;

use super::trust_policy::{TrustContext, Trusted, permission_set_of_pattern};
use crate::aws::policy_json;

/// One way a trust policy lets a principal call `sts:AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// This principal, unconditionally (`*` for everyone).
    Principal(String),
    /// Principals admitted by `principal` (an account root, or `*`) whose
    /// `aws:PrincipalArn` is `ArnLike` the pattern.
    Pattern { principal: String, pattern: String },
}

/// How strictly statements are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Only statements made of grants and nothing else; anything more makes
    /// the statement unreadable (for comparing meaning).
    Exact,
    /// The grants a statement makes, ignoring what else it says (for
    /// recovering inputs and for recognising SSO trusts).
    Lenient,
}

fn strings(v: &Json) -> Option<Vec<&str>> {
    match v {
        Json::String(s) => Some(vec![s.as_str()]),
        Json::Array(items) => items.iter().map(Json::as_str).collect(),
        _ => None,
    }
}

fn is_assume_role(action: &str, reading: Reading) -> bool {
    action.eq_ignore_ascii_case("sts:AssumeRole")
        || (reading == Reading::Lenient && (action == "*" || action.eq_ignore_ascii_case("sts:*")))
}

/// `StringLike` matches like `ArnLike` when the first five ARN fields hold no
/// wildcard: both then compare those fields literally and glob the resource
/// (ArnLike's sixth field keeps any further colons).
fn string_like_is_arn_like(pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    parts.len() == 6 && parts[..5].iter().all(|p| !p.contains(['*', '?']))
}

/// The `aws:PrincipalArn` patterns of a condition, as `ArnLike` patterns.
/// `None` when the condition says anything else (or, reading leniently,
/// nothing about `aws:PrincipalArn`).
fn principal_arn_patterns(condition: &Json, reading: Reading) -> Option<Vec<String>> {
    let ops = condition.as_object()?;
    let mut out = Vec::new();
    let mut other = false;
    for (op, keys) in ops {
        let keys = keys.as_object()?;
        for (key, values) in keys {
            if !key.eq_ignore_ascii_case("aws:PrincipalArn") {
                other = true;
                continue;
            }
            let values = strings(values)?;
            for v in values {
                let as_arn_like = match op.as_str() {
                    "ArnLike" => Some(v.to_string()),
                    "StringLike" if string_like_is_arn_like(v) => Some(v.to_string()),
                    // Equality is ArnLike without wildcards.
                    "ArnEquals" | "StringEquals" if !v.contains(['*', '?']) => Some(v.to_string()),
                    _ => None,
                };
                match as_arn_like {
                    Some(p) => out.push(p),
                    None => other = true,
                }
            }
        }
    }
    let several_operators = ops.len() > 1;
    match reading {
        // Several operators (or keys) are an "and", which grants cannot say.
        Reading::Exact if other || several_operators || out.is_empty() => None,
        Reading::Lenient if out.is_empty() => None,
        _ => Some(out),
    }
}

/// The grants of one statement; `None` when it cannot be read that way.
fn statement_grants(st: &Json, reading: Reading) -> Option<Vec<Grant>> {
    let m = st.as_object()?;
    if reading == Reading::Exact
        && m.keys().any(|k| {
            !matches!(
                k.as_str(),
                "Sid" | "Effect" | "Principal" | "Action" | "Condition"
            )
        })
    {
        return None;
    }
    if m.get("Effect")?.as_str()? != "Allow" {
        return None;
    }
    let actions = strings(m.get("Action")?)?;
    let assume = |a: &&str| is_assume_role(a, reading);
    let actions_ok = match reading {
        Reading::Exact => !actions.is_empty() && actions.iter().all(assume),
        Reading::Lenient => actions.iter().any(assume),
    };
    if !actions_ok {
        return None;
    }
    let principals: Vec<String> = match m.get("Principal")? {
        Json::String(s) if s == "*" => vec!["*".to_string()],
        Json::Object(p) => {
            if reading == Reading::Exact && p.keys().any(|k| k != "AWS") {
                return None;
            }
            strings(p.get("AWS")?)?
                .into_iter()
                .map(str::to_string)
                .collect()
        }
        _ => return None,
    };
    if principals.is_empty() {
        return None;
    }
    let condition = m
        .get("Condition")
        .filter(|c| c.as_object().is_none_or(|o| !o.is_empty()));
    let Some(condition) = condition else {
        return Some(principals.into_iter().map(Grant::Principal).collect());
    };
    let patterns = principal_arn_patterns(condition, reading)?;
    Some(
        principals
            .iter()
            .flat_map(|p| {
                patterns.iter().map(move |pat| Grant::Pattern {
                    principal: p.clone(),
                    pattern: pat.clone(),
                })
            })
            .collect(),
    )
}

fn document_grants(doc: &Json, reading: Reading) -> Option<BTreeSet<Grant>> {
    let top = doc.as_object()?;
    if reading == Reading::Exact {
        if top
            .keys()
            .any(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
        {
            return None;
        }
        if top.get("Version").and_then(Json::as_str) != Some("2012-10-17") {
            return None;
        }
    }
    let mut out = BTreeSet::new();
    for st in policy_json::statements(doc) {
        match statement_grants(st, reading) {
            Some(g) => out.extend(g),
            None if reading == Reading::Exact => return None,
            None => {}
        }
    }
    Some(out)
}

/// What a trust policy grants, when every statement reads as grants.
pub fn grants(doc: &Json) -> Option<BTreeSet<Grant>> {
    document_grants(doc, Reading::Exact)
}

/// Whether two trust policy texts admit the same principals: equal grants,
/// or failing that, the same document by [`policy_json::semantically_equal`].
pub fn same_trust(a: &str, b: &str) -> bool {
    if policy_json::semantically_equal(a, b) {
        return true;
    }
    let parse = |t: &str| serde_json::from_str::<Json>(t).ok();
    match (
        parse(a).as_ref().and_then(grants),
        parse(b).as_ref().and_then(grants),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The inputs that reproduce what `doc` grants, read leniently. Exact
/// reserved-role patterns for this context become permission sets; other
/// patterns stay patterns, whoever admits them (rendered through this
/// account's root); exact principals stay exact. What cannot be said this
/// way (a `*` principal without condition, principal IDs left by a deleted
/// role, conditions on other keys) is left out, and the plan then shows the
/// trust policy that apply would write.
pub fn recover(doc: &Json, ctx: &TrustContext) -> Trusted {
    let mut out = Trusted::default();
    for g in document_grants(doc, Reading::Lenient).unwrap_or_default() {
        match g {
            Grant::Principal(p) => {
                if p.starts_with("arn:") {
                    out.role_arns.insert(p);
                }
            }
            Grant::Pattern { pattern, .. } => match permission_set_of_pattern(ctx, &pattern) {
                Some(ps) => {
                    out.permission_sets.insert(ps);
                }
                None => {
                    out.patterns.insert(pattern);
                }
            },
        }
    }
    out
}

/// How a trust policy lets Identity Center's reserved roles in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SsoTrust {
    /// Names one reserved role exactly: the blog's form, which breaks when
    /// Identity Center recreates the role.
    ExactArn(String),
    /// Admits reserved roles by an `aws:PrincipalArn` pattern.
    Pattern(String),
}

static RESERVED_ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/aws-reserved/sso\.amazonaws\.com/(?:[a-z0-9-]+/)?AWSReservedSSO_[\w+=,.@-]{1,32}_[0-9a-f]{16}$",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static ACCOUNT_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(arn:aws(-[a-z]+)*:iam::\d{12}:root|\d{12})$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Whether `arn` is an AWSReservedSSO role (with or without a region segment).
pub fn is_reserved_role_arn(arn: &str) -> bool {
    RESERVED_ROLE_ARN.is_match(arn)
}

/// A pattern aimed at reserved roles: it names their path or their prefix.
fn targets_reserved_roles(pattern: &str) -> bool {
    pattern.contains("AWSReservedSSO_") || pattern.contains("/aws-reserved/sso.amazonaws.com/")
}

/// The ways `doc` lets reserved roles assume the role; empty when it does
/// not (a role for EC2, one that trusts only the account or a CI role).
pub fn sso_trust(doc: &Json) -> Vec<SsoTrust> {
    let mut out = BTreeSet::new();
    for g in document_grants(doc, Reading::Lenient).unwrap_or_default() {
        match g {
            Grant::Principal(p) if is_reserved_role_arn(&p) => {
                out.insert(SsoTrust::ExactArn(p));
            }
            Grant::Pattern { principal, pattern }
                if (principal == "*" || ACCOUNT_ROOT.is_match(&principal))
                    && targets_reserved_roles(&pattern) =>
            {
                out.insert(SsoTrust::Pattern(pattern));
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::trust_policy::{permission_set_pattern, render};
    use super::*;
    use serde_json::json;

    const ACCT: &str = "111122223333";
    const BLOG_ROLE: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_0123456789abcdef";
    const HAND_PATTERN: &str =
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Ops_*";

    fn ctx(region: &str) -> TrustContext {
        TrustContext {
            partition: "aws".into(),
            account_id: ACCT.into(),
            sso_region: region.into(),
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// The blog's trust policy, as the seed's CLI steps write it.
    fn blog() -> Json {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": BLOG_ROLE},
            "Action": "sts:AssumeRole",
            "Condition": {}
        }]})
    }

    fn hand_written(op: &str) -> Json {
        json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "SsoOps",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")},
            "Action": ["sts:AssumeRole"],
            "Condition": {op: {"aws:PrincipalArn": HAND_PATTERN}}
        }]})
    }

    #[test]
    fn grants_of_the_forms_people_write() {
        assert_eq!(
            grants(&blog()),
            Some([Grant::Principal(BLOG_ROLE.into())].into())
        );
        let want: BTreeSet<Grant> = [Grant::Pattern {
            principal: format!("arn:aws:iam::{ACCT}:root"),
            pattern: HAND_PATTERN.into(),
        }]
        .into();
        assert_eq!(grants(&hand_written("ArnLike")), Some(want.clone()));
        assert_eq!(
            grants(&hand_written("StringLike")),
            Some(want),
            "equivalent here"
        );
    }

    #[test]
    fn anything_more_than_grants_is_not_read_exactly() {
        let cases = [
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": BLOG_ROLE}, "Action": "sts:AssumeRole"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": BLOG_ROLE}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                "Condition": {"ArnLike": {"aws:PrincipalArn": HAND_PATTERN}, "StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]}),
            // StringLike with a wildcard in the account is not ArnLike.
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}}]}),
            json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": BLOG_ROLE}, "Action": "sts:AssumeRole"}]}),
        ];
        for doc in &cases {
            assert_eq!(grants(doc), None, "{doc}");
        }
    }

    #[test]
    fn same_trust_ignores_sids_grouping_and_empty_conditions() {
        let c = ctx("us-east-1");
        let rendered = render(
            &c,
            &Trusted {
                role_arns: set(&[BLOG_ROLE]),
                ..Trusted::default()
            },
        );
        assert!(same_trust(&blog().to_string(), &rendered));
        let ours = render(
            &c,
            &Trusted {
                patterns: set(&[HAND_PATTERN]),
                ..Trusted::default()
            },
        );
        assert!(same_trust(&hand_written("ArnLike").to_string(), &ours));
        assert!(same_trust(&hand_written("StringLike").to_string(), &ours));
        // A different pattern, principal or operator meaning is different.
        assert!(!same_trust(
            &hand_written("ArnLike")
                .to_string()
                .replace("Ops_*", "Ops_?"),
            &ours
        ));
        let star = hand_written("ArnLike")
            .to_string()
            .replace(&format!("arn:aws:iam::{ACCT}:root"), "*");
        assert!(!same_trust(&star, &ours));
        assert!(!same_trust(&blog().to_string(), &ours));
    }

    #[test]
    fn recovered_inputs_render_the_same_grants() {
        for region in ["us-east-1", "eu-west-1"] {
            let c = ctx(region);
            for doc in [blog(), hand_written("ArnLike"), hand_written("StringLike")] {
                let inputs = recover(&doc, &c);
                assert!(!inputs.is_empty());
                assert!(same_trust(&doc.to_string(), &render(&c, &inputs)), "{doc}");
            }
            // Our own rendering comes back as the same inputs.
            let ours = Trusted {
                permission_sets: set(&["EKSClusterAdminAccess", "Ops_Admin"]),
                role_arns: set(&["arn:aws:iam::111122223333:role/path/ci"]),
                patterns: set(&[HAND_PATTERN]),
            };
            let doc: Json = serde_json::from_str(&render(&c, &ours)).unwrap();
            assert_eq!(recover(&doc, &c), ours);
        }
    }

    #[test]
    fn recover_keeps_exact_principals_and_foreign_patterns_as_they_are() {
        let c = ctx("us-east-1");
        let inputs = recover(&blog(), &c);
        assert_eq!(
            inputs.role_arns,
            set(&[BLOG_ROLE]),
            "not rewritten to a permission set"
        );
        assert!(inputs.permission_sets.is_empty());
        // Our exact pattern, but for another SSO region: kept as a pattern.
        let west = permission_set_pattern(&ctx("eu-west-1"), "Admins");
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": [west.clone()]}}}]});
        let inputs = recover(&doc, &c);
        assert_eq!(inputs.patterns, set(&[&west]));
        // Leniently: extra actions and other condition keys do not hide the grant.
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"ArnLike": {"aws:PrincipalArn": HAND_PATTERN}, "StringEquals": {"aws:PrincipalOrgID": "o-1"}}}});
        assert_eq!(recover(&doc, &c).patterns, set(&[HAND_PATTERN]));
        // A principal ID (a deleted role's) cannot be said; nothing is made up.
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "AROAEXAMPLEID123"}, "Action": "sts:AssumeRole"}]});
        assert!(recover(&doc, &c).is_empty());
    }

    #[test]
    fn sso_trusts_are_recognised_and_other_roles_are_not() {
        assert_eq!(
            sso_trust(&blog()),
            vec![SsoTrust::ExactArn(BLOG_ROLE.into())]
        );
        assert_eq!(
            sso_trust(&hand_written("StringLike")),
            vec![SsoTrust::Pattern(HAND_PATTERN.into())]
        );
        let ours: Json = serde_json::from_str(&render(
            &ctx("eu-west-1"),
            &Trusted {
                permission_sets: set(&["Admins"]),
                ..Trusted::default()
            },
        ))
        .unwrap();
        assert_eq!(sso_trust(&ours).len(), 1);
        let wildcard_principal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*"}}}]});
        assert_eq!(sso_trust(&wildcard_principal).len(), 1);

        let not_sso = [
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci"}, "Action": "sts:AssumeRole"}]}),
            // A pattern that happens to match everything is not an SSO trust.
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}}]}),
            // Denied, not allowed.
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": BLOG_ROLE}, "Action": "sts:AssumeRole"}]}),
            // The reserved role's own SAML trust.
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/AWSSSO_x_DO_NOT_DELETE"},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]}),
        ];
        for doc in &not_sso {
            assert!(sso_trust(doc).is_empty(), "{doc}");
        }
    }
}
