//! IAM's policy grammar, checked offline: the one validator every resource
//! runs on policy text a user writes, so that `inline_policy` and
//! `additional_policy_json` refuse exactly the same mistakes, at plan, with
//! the statement and element named.
//!
//! The rules follow the IAM User Guide's "Grammar of the IAM JSON policy
//! language" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
//! and the element pages it links:
//! - `Version` is `"2012-10-17"` or `"2008-10-17"` (reference_policies_elements_version.html);
//! - `Statement` is one statement object or a list of them;
//! - `Effect` is `Allow` or `Deny`, case-sensitive;
//! - exactly one of `Action`/`NotAction`; in an identity policy exactly one
//!   of `Resource`/`NotResource`, and no `Principal`/`NotPrincipal`
//!   ("You cannot use the Principal element in an identity-based policy",
//!   reference_policies_elements_principal.html); a role trust policy needs a
//!   principal and has no resource (IAM answers "Has prohibited field
//!   Resource");
//! - a `Sid` is ASCII letters and digits, unique in the document
//!   (reference_policies_elements_sid.html);
//! - `Condition` maps operators to maps of keys to a value or a list of values;
//! - policy text holds only tab, line feed, carriage return and U+0020 to
//!   U+00FF (reference_iam-quotas.html, "IAM name requirements").
//!
//! Sizes differ by where a document goes, so the limits are constants here
//! and each resource says which applies and what to do instead.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value as Json};

/// Where a document is used, which decides the principal and resource rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a role or permission set: resources, never a principal.
    Identity,
    /// A role's trust (assume-role) policy: a principal, never a resource.
    Trust,
}

/// IAM's limit for a customer-managed policy, whitespace not counted
/// (reference_iam-quotas.html, "IAM and AWS STS character limits").
pub const MANAGED_POLICY_MAX_CHARS: usize = 6_144;
/// IAM's default quota for a role trust policy, whitespace not counted
/// (raisable to 4,096 through Service Quotas; same page).
pub const TRUST_POLICY_DEFAULT_MAX_CHARS: usize = 2_048;
/// The text limit of a permission set's inline policy: `InlinePolicy` is 1 to
/// 32,768 characters (sso-admin API reference, PutInlinePolicyToPermissionSet).
pub const PERMISSION_SET_INLINE_MAX_CHARS: usize = 32_768;
/// The same policy's limit without whitespace, 10,240 (IAM Identity Center
/// quotas, "Maximum size of inline policy per permission set"): the same
/// figure as IAM's aggregate limit for a role's inline policies
/// (reference_iam-quotas.html), and the set lands in the account as the
/// reserved role's inline policy.
pub const PERMISSION_SET_INLINE_MAX_COUNTED: usize = 10_240;

/// Characters IAM counts towards its size limits: all but whitespace.
pub fn counted_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// One thing wrong with a document: where (`Statement[1].Effect`, or
/// `Version`; empty for the document as a whole) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    pub at: String,
    pub detail: String,
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            f.write_str(&self.detail)
        } else {
            write!(f, "{}: {}", self.at, self.detail)
        }
    }
}

fn err(at: impl Into<String>, detail: impl Into<String>) -> GrammarError {
    GrammarError {
        at: at.into(),
        detail: detail.into(),
    }
}

const TOP_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_KINDS: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

/// Checks `text` as a policy of `kind`. Returns the statements (a single
/// statement object as a one-element list), or every problem found.
pub fn check(text: &str, kind: PolicyKind) -> Result<Vec<Json>, Vec<GrammarError>> {
    if let Some(c) = text
        .chars()
        .find(|c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
    {
        return Err(vec![err(
            "",
            format!(
                "The policy contains {c:?}, which IAM does not accept in policy text. Use tab, newline and characters from U+0020 to U+00FF only (Terraform's jsonencode escapes nothing in that range)."
            ),
        )]);
    }
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        vec![err(
            "",
            format!(
                "This is not valid JSON ({e}). Build it with jsonencode({{ Version = \"2012-10-17\", Statement = [...] }}) or data.aws_iam_policy_document to avoid syntax errors."
            ),
        )]
    })?;
    let Json::Object(top) = &doc else {
        return Err(vec![err(
            "",
            "A policy document must be a JSON object such as {\"Version\": \"2012-10-17\", \"Statement\": [...]}.",
        )]);
    };
    let mut errors = Vec::new();
    for key in top.keys().filter(|k| !TOP_KEYS.contains(&k.as_str())) {
        errors.push(err(
            key.clone(),
            "IAM does not know this top-level element; a policy has only \"Version\", \"Id\" and \"Statement\". Remove it, or move it into a statement if it belongs there.",
        ));
    }
    match top.get("Version") {
        None => {}
        Some(Json::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
        Some(other) => errors.push(err(
            "Version",
            format!(
                "{other} is not a policy language version. Use \"2012-10-17\" (the current one; \"2008-10-17\" is the only other)."
            ),
        )),
    }
    if let Some(id) = top.get("Id")
        && !id.is_string()
    {
        errors.push(err("Id", "The policy Id must be a string."));
    }
    let statements: Vec<(String, &Json)> = match top.get("Statement") {
        Some(Json::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("Statement[{i}]"), s))
            .collect(),
        Some(one @ Json::Object(_)) => vec![("Statement".to_string(), one)],
        Some(Json::Array(_)) => {
            errors.push(err(
                "Statement",
                "The list is empty; give at least one statement such as {\"Effect\": \"Allow\", \"Action\": \"eks:Describe*\", \"Resource\": \"*\"}.",
            ));
            Vec::new()
        }
        Some(_) => {
            errors.push(err(
                "Statement",
                "It must be a statement object or a list of statement objects.",
            ));
            Vec::new()
        }
        None => {
            errors.push(err(
                "Statement",
                "The document has no \"Statement\". An IAM policy looks like {\"Version\": \"2012-10-17\", \"Statement\": [...]}.",
            ));
            Vec::new()
        }
    };
    let mut sids = BTreeSet::new();
    for (at, st) in &statements {
        check_statement(at, st, kind, &mut sids, &mut errors);
    }
    if errors.is_empty() {
        Ok(statements.into_iter().map(|(_, s)| s.clone()).collect())
    } else {
        Err(errors)
    }
}

fn check_statement(
    at: &str,
    st: &Json,
    kind: PolicyKind,
    sids: &mut BTreeSet<String>,
    errors: &mut Vec<GrammarError>,
) {
    let Json::Object(m) = st else {
        errors.push(err(at, "A statement must be a JSON object."));
        return;
    };
    let field = |name: &str| format!("{at}.{name}");
    for key in m.keys().filter(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
        errors.push(err(
            field(key),
            format!(
                "IAM does not know this statement element (element names are case-sensitive). A statement has only {}.",
                STATEMENT_KEYS.join(", ")
            ),
        ));
    }
    if let Some(sid) = m.get("Sid") {
        match sid.as_str() {
            Some(s) if s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                if !s.is_empty() && !sids.insert(s.to_string()) {
                    errors.push(err(
                        field("Sid"),
                        format!("{s:?} is already used by another statement; Sids must be unique within a policy."),
                    ));
                }
            }
            _ => errors.push(err(
                field("Sid"),
                format!("{sid} is not a valid Sid; use ASCII letters and digits only, such as \"AllowEksRead\"."),
            )),
        }
    }
    match m.get("Effect") {
        Some(Json::String(e)) if e == "Allow" || e == "Deny" => {}
        Some(other) => errors.push(err(
            field("Effect"),
            format!("{other} is not an effect; use \"Allow\" or \"Deny\" (case-sensitive)."),
        )),
        None => errors.push(err(
            field("Effect"),
            "Missing; every statement needs \"Effect\": \"Allow\" or \"Deny\".",
        )),
    }
    exactly_one(m, at, "Action", "NotAction", errors, check_action);
    match kind {
        PolicyKind::Identity => {
            exactly_one(m, at, "Resource", "NotResource", errors, check_resource);
            for p in ["Principal", "NotPrincipal"] {
                if m.contains_key(p) {
                    errors.push(err(
                        field(p),
                        "An identity policy cannot name a principal: it applies to whoever holds it. Remove the element; to let principals assume a role, change the role's trust policy instead.",
                    ));
                }
            }
        }
        PolicyKind::Trust => {
            for r in ["Resource", "NotResource"] {
                if m.contains_key(r) {
                    errors.push(err(
                        field(r),
                        "A trust policy has no resource: the role itself is the resource. Remove the element.",
                    ));
                }
            }
            match (m.get("Principal"), m.get("NotPrincipal")) {
                (Some(_), Some(_)) => errors.push(err(
                    field("NotPrincipal"),
                    "Give \"Principal\" or \"NotPrincipal\", not both.",
                )),
                (None, None) => errors.push(err(
                    field("Principal"),
                    "Missing; a trust statement names who may assume the role, such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}.",
                )),
                (Some(p), None) => check_principal(&field("Principal"), p, errors),
                (None, Some(p)) => check_principal(&field("NotPrincipal"), p, errors),
            }
        }
    }
    if let Some(c) = m.get("Condition") {
        check_condition(&field("Condition"), c, errors);
    }
}

/// Exactly one of `pos`/`neg`, each one string or a non-empty list of
/// strings, each checked by `item`.
fn exactly_one(
    m: &Map<String, Json>,
    at: &str,
    pos: &str,
    neg: &str,
    errors: &mut Vec<GrammarError>,
    item: fn(&str) -> Result<(), String>,
) {
    let (name, value) = match (m.get(pos), m.get(neg)) {
        (Some(_), Some(_)) => {
            errors.push(err(
                format!("{at}.{neg}"),
                format!("Give \"{pos}\" or \"{neg}\", not both; split the statement in two if you need both."),
            ));
            return;
        }
        (None, None) => {
            let example = if pos == "Action" {
                "\"eks:DescribeCluster\""
            } else {
                "\"*\" for all resources"
            };
            errors.push(err(
                format!("{at}.{pos}"),
                format!(
                    "Missing; every statement needs \"{pos}\" (or \"{neg}\"), such as {example}."
                ),
            ));
            return;
        }
        (Some(v), None) => (pos, v),
        (None, Some(v)) => (neg, v),
    };
    let path = format!("{at}.{name}");
    let items: Vec<&Json> = match value {
        Json::Array(a) if a.is_empty() => {
            errors.push(err(path, "The list is empty; give at least one value."));
            return;
        }
        Json::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    for v in items {
        match v.as_str() {
            Some(s) => {
                if let Err(e) = item(s) {
                    errors.push(err(path.clone(), e));
                }
            }
            None => errors.push(err(
                path.clone(),
                format!("{v} is not a string; use a string or a list of strings."),
            )),
        }
    }
}

/// `*`, or `service:action` where the action may hold `*` and `?`.
fn check_action(s: &str) -> Result<(), String> {
    if s == "*" {
        return Ok(());
    }
    let ok = s.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !action.is_empty()
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_'))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an action. Write the service prefix and the action, such as \"eks:DescribeCluster\" or \"eks:List*\"."
        ))
    }
}

/// `*` or an ARN (wildcards allowed): IAM rejects anything else.
fn check_resource(s: &str) -> Result<(), String> {
    if s == "*" || (s.starts_with("arn:") && s.split(':').count() >= 6) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is neither \"*\" nor an ARN. Use a full ARN such as \"arn:aws:eks:eu-west-1:111122223333:cluster/prod\" (wildcards allowed)."
        ))
    }
}

fn check_principal(at: &str, p: &Json, errors: &mut Vec<GrammarError>) {
    match p {
        Json::String(s) if s == "*" => {}
        Json::Object(kinds) if !kinds.is_empty() => {
            for (k, v) in kinds {
                if !PRINCIPAL_KINDS.contains(&k.as_str()) {
                    errors.push(err(
                        format!("{at}.{k}"),
                        format!("Not a principal type; use one of {}.", PRINCIPAL_KINDS.join(", ")),
                    ));
                }
                let strings = match v {
                    Json::String(_) => true,
                    Json::Array(a) => !a.is_empty() && a.iter().all(Json::is_string),
                    _ => false,
                };
                if !strings {
                    errors.push(err(
                        format!("{at}.{k}"),
                        "Give one principal as a string, or a non-empty list of strings.",
                    ));
                }
            }
        }
        _ => errors.push(err(
            at,
            "A principal is \"*\" or an object such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}.",
        )),
    }
}

fn check_condition(at: &str, c: &Json, errors: &mut Vec<GrammarError>) {
    let Json::Object(ops) = c else {
        errors.push(err(
            at,
            "A condition is an object of operators, such as {\"StringEquals\": {\"aws:RequestedRegion\": \"eu-west-1\"}}.",
        ));
        return;
    };
    for (op, keys) in ops {
        let path = format!("{at}.{op}");
        let Json::Object(keys) = keys else {
            errors.push(err(
                path,
                "An operator maps condition keys to values, such as {\"aws:RequestedRegion\": \"eu-west-1\"}.",
            ));
            continue;
        };
        if keys.is_empty() {
            errors.push(err(path.clone(), "Give at least one condition key."));
        }
        for (key, v) in keys {
            let scalar = |x: &Json| matches!(x, Json::String(_) | Json::Bool(_) | Json::Number(_));
            let ok = match v {
                Json::Array(a) => a.iter().all(scalar),
                other => scalar(other),
            };
            if key.is_empty() || !ok {
                errors.push(err(
                    format!("{path}.{key}"),
                    "A condition key takes a string, number or boolean, or a list of them.",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["eks:Describe*","eks:ListClusters"],"Resource":"*"}]}"#;

    fn identity(text: &str) -> Vec<GrammarError> {
        check(text, PolicyKind::Identity).err().unwrap_or_default()
    }

    /// The one `at` of a rejected document, with its detail.
    fn one_error(text: &str, kind: PolicyKind) -> GrammarError {
        let errs = check(text, kind).expect_err(text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        errs[0].clone()
    }

    fn statement(st: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#)
    }

    #[test]
    fn a_good_identity_policy_returns_its_statements() {
        assert_eq!(check(OK, PolicyKind::Identity).unwrap().len(), 1);
        let single = r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:role/x"}}"#;
        assert_eq!(check(single, PolicyKind::Identity).unwrap().len(), 1);
    }

    #[test]
    fn versions() {
        for v in ["2012-10-17", "2008-10-17"] {
            assert!(identity(&OK.replace("2012-10-17", v)).is_empty(), "{v}");
        }
        for v in ["\"2020-01-01\"", "20121017", "\"2012-10-17 \""] {
            let doc = OK.replace("\"2012-10-17\"", v);
            let e = one_error(&doc, PolicyKind::Identity);
            assert_eq!(e.at, "Version", "{v}");
            assert!(e.detail.contains("\"2012-10-17\""), "{}", e.detail);
        }
    }

    #[test]
    fn effect_must_be_allow_or_deny() {
        for bad in [r#""Permit""#, r#""allow""#, r#"true"#] {
            let doc = statement(&format!(
                r#"{{"Effect":{bad},"Action":"s3:*","Resource":"*"}}"#
            ));
            let e = one_error(&doc, PolicyKind::Identity);
            assert_eq!(e.at, "Statement[0].Effect");
            assert!(e.detail.contains("\"Allow\" or \"Deny\""));
        }
        let e = one_error(
            &statement(r#"{"Action":"s3:*","Resource":"*"}"#),
            PolicyKind::Identity,
        );
        assert_eq!(e.at, "Statement[0].Effect");
    }

    #[test]
    fn exactly_one_of_action_and_not_action() {
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Resource":"*"}"#),
            PolicyKind::Identity,
        );
        assert_eq!(e.at, "Statement[0].Action");
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}"#),
            PolicyKind::Identity,
        );
        assert_eq!(e.at, "Statement[0].NotAction");
        for bad in [
            r#""eks""#,
            r#""eks:""#,
            r#""eks describe""#,
            r#"[]"#,
            r#"[1]"#,
        ] {
            let doc = statement(&format!(
                r#"{{"Effect":"Allow","Action":{bad},"Resource":"*"}}"#
            ));
            assert_eq!(
                one_error(&doc, PolicyKind::Identity).at,
                "Statement[0].Action",
                "{bad}"
            );
        }
        for good in [
            r#""*""#,
            r#""eks:*""#,
            r#""s3:Get?bject""#,
            r#"["sso-directory:Describe*"]"#,
        ] {
            let doc = statement(&format!(
                r#"{{"Effect":"Allow","Action":{good},"Resource":"*"}}"#
            ));
            assert!(identity(&doc).is_empty(), "{good}");
        }
    }

    #[test]
    fn identity_policies_need_a_resource_and_no_principal() {
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"s3:*"}"#),
            PolicyKind::Identity,
        );
        assert_eq!(e.at, "Statement[0].Resource");
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}"#),
            PolicyKind::Identity,
        );
        assert_eq!(e.at, "Statement[0].NotResource");
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}"#),
            PolicyKind::Identity,
        );
        assert_eq!(e.at, "Statement[0].Resource");
        assert!(e.detail.contains("ARN"));
        for p in ["Principal", "NotPrincipal"] {
            let doc = statement(&format!(
                r#"{{"Effect":"Allow","Action":"s3:*","Resource":"*","{p}":"*"}}"#
            ));
            let e = one_error(&doc, PolicyKind::Identity);
            assert_eq!(e.at, format!("Statement[0].{p}"));
            assert!(e.detail.contains("trust policy"));
        }
    }

    #[test]
    fn trust_policies_need_a_principal_and_no_resource() {
        let good = statement(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Condition":{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/*"]}}}"#,
        );
        assert!(check(&good, PolicyKind::Trust).is_ok());
        assert_eq!(identity(&good)[0].at, "Statement[0].Resource");
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#),
            PolicyKind::Trust,
        );
        assert_eq!(e.at, "Statement[0].Principal");
        let e = one_error(
            &statement(
                r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*","Resource":"*"}"#,
            ),
            PolicyKind::Trust,
        );
        assert_eq!(e.at, "Statement[0].Resource");
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Role":"x"}}"#),
            PolicyKind::Trust,
        );
        assert_eq!(e.at, "Statement[0].Principal.Role");
        let e = one_error(
            &statement(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":[]}}"#),
            PolicyKind::Trust,
        );
        assert_eq!(e.at, "Statement[0].Principal.AWS");
    }

    #[test]
    fn sids_are_alphanumeric_and_unique() {
        let st = |sid: &str| {
            format!(r#"{{"Sid":{sid},"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#)
        };
        assert!(identity(&statement(&st(r#""Ok1""#))).is_empty());
        assert!(identity(&statement(&st(r#""""#))).is_empty());
        for bad in [r#""has-dash""#, r#""has space""#, "1"] {
            assert_eq!(
                one_error(&statement(&st(bad)), PolicyKind::Identity).at,
                "Statement[0].Sid"
            );
        }
        let twice = statement(&format!("{},{}", st(r#""A""#), st(r#""A""#)));
        let e = one_error(&twice, PolicyKind::Identity);
        assert_eq!(e.at, "Statement[1].Sid");
        assert!(e.detail.contains("unique"));
    }

    #[test]
    fn condition_shape() {
        let st = |c: &str| {
            statement(&format!(
                r#"{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{c}}}"#
            ))
        };
        assert!(identity(&st(r#"{"Bool":{"aws:SecureTransport":true},"StringEquals":{"aws:RequestedRegion":["eu-west-1"]}}"#)).is_empty());
        assert_eq!(
            one_error(&st(r#""x""#), PolicyKind::Identity).at,
            "Statement[0].Condition"
        );
        assert_eq!(
            one_error(&st(r#"{"StringEquals":"x"}"#), PolicyKind::Identity).at,
            "Statement[0].Condition.StringEquals"
        );
        assert_eq!(
            one_error(
                &st(r#"{"StringEquals":{"k":{"nested":1}}}"#),
                PolicyKind::Identity
            )
            .at,
            "Statement[0].Condition.StringEquals.k"
        );
    }

    #[test]
    fn document_shape() {
        for (doc, at) in [
            ("[1]", ""),
            ("{not json", ""),
            (r#"{"Version":"2012-10-17"}"#, "Statement"),
            (r#"{"Statement":[]}"#, "Statement"),
            (r#"{"Statement":"x"}"#, "Statement"),
            (r#"{"Statement":[1]}"#, "Statement[0]"),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Policy":1}"#,
                "Policy",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","action":"s3:*","Action":"s3:*","Resource":"*"}}"#,
                "Statement.action",
            ),
            (
                r#"{"Id":1,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
                "Id",
            ),
        ] {
            assert_eq!(one_error(doc, PolicyKind::Identity).at, at, "{doc}");
        }
        let e = one_error(&OK.replace("Read", "R\u{20AC}ad"), PolicyKind::Identity);
        assert!(e.detail.contains("U+00FF"), "{e}");
    }

    #[test]
    fn every_problem_is_reported_with_its_statement() {
        let doc = r#"{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Permit","Action":"s3:*"}]}"#;
        let ats: Vec<String> = identity(doc).into_iter().map(|e| e.at).collect();
        assert_eq!(
            ats,
            ["Version", "Statement[1].Effect", "Statement[1].Resource"]
        );
        assert_eq!(
            err("Statement[1].Effect", "use Allow").to_string(),
            "Statement[1].Effect: use Allow"
        );
    }

    #[test]
    fn counted_len_ignores_whitespace() {
        assert_eq!(counted_len("{ \"a\" :\n 1 }"), 7);
    }
}
