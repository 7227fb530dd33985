//! The creator role's trust policy: who may assume it.
//!
//! Permission sets are trusted through the account root plus an `ArnLike`
//! condition on `aws:PrincipalArn`, never by naming the reserved role itself:
//! IAM refuses a principal that does not exist yet and silently rewrites one
//! whose role is later deleted, while Identity Center recreates its
//! `AWSReservedSSO_<name>_<16 hex>` role with a new suffix. A pattern is
//! checked at request time, so it works before the reserved role exists and
//! after it is recreated. Rendering is deterministic (sorted, fixed key order)
//! so the same inputs always give the same text and plans stay empty.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::json;

/// Where the trust policy's principals live and which SSO region names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustContext {
    pub partition: String,
    pub account_id: String,
    /// Identity Center's home region; us-east-1 puts no region in the path.
    pub sso_region: String,
}

/// Sids of the statements we render; IAM allows only `[A-Za-z0-9]` here.
pub const SID_PERMISSION_SETS: &str = "TrustSsoPermissionSets";
pub const SID_ROLES: &str = "TrustRoles";
pub const SID_PATTERNS: &str = "TrustPrincipalPatterns";

/// Who the trust policy admits, in this resource's terms.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Trusted {
    /// Permission set names: their reserved roles, by the exact pattern.
    pub permission_sets: BTreeSet<String>,
    /// Exact principal ARNs.
    pub role_arns: BTreeSet<String>,
    /// Other `ArnLike` patterns on `aws:PrincipalArn`, through the root.
    pub patterns: BTreeSet<String>,
}

impl Trusted {
    pub fn is_empty(&self) -> bool {
        self.permission_sets.is_empty() && self.role_arns.is_empty() && self.patterns.is_empty()
    }
}

/// Length of the random suffix Identity Center appends to reserved role names.
const SUFFIX_LEN: usize = 16;

/// The IAM path under which Identity Center creates reserved roles.
pub fn reserved_role_path(sso_region: &str) -> String {
    if sso_region == "us-east-1" {
        "/aws-reserved/sso.amazonaws.com/".to_string()
    } else {
        format!("/aws-reserved/sso.amazonaws.com/{sso_region}/")
    }
}

/// The `aws:PrincipalArn` pattern that matches exactly the reserved roles of
/// one permission set: `AWSReservedSSO_<name>_` then 16 single-character
/// wildcards. A longer name sharing the prefix (`<name>_Extra`) adds at least
/// 17 characters after `<name>_` and so can never match.
pub fn permission_set_pattern(ctx: &TrustContext, permission_set: &str) -> String {
    format!(
        "arn:{}:iam::{}:role{}AWSReservedSSO_{}_{}",
        ctx.partition,
        ctx.account_id,
        reserved_role_path(&ctx.sso_region),
        permission_set,
        "?".repeat(SUFFIX_LEN)
    )
}

/// The account root principal: delegates the decision to the condition.
pub fn account_root(ctx: &TrustContext) -> String {
    format!("arn:{}:iam::{}:root", ctx.partition, ctx.account_id)
}

/// Renders the trust policy. Callers guarantee at least one trusted principal
/// (validation rejects an empty trust), but an empty input still yields a
/// valid document with no statements rather than a panic.
pub fn render(ctx: &TrustContext, trusted: &Trusted) -> String {
    let root_with = |sid: &str, patterns: Vec<String>| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"AWS": account_root(ctx)},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": patterns}},
        })
    };
    let mut statements = Vec::new();
    if !trusted.permission_sets.is_empty() {
        let patterns = trusted
            .permission_sets
            .iter()
            .map(|ps| permission_set_pattern(ctx, ps))
            .collect();
        statements.push(root_with(SID_PERMISSION_SETS, patterns));
    }
    if !trusted.role_arns.is_empty() {
        let arns: Vec<&String> = trusted.role_arns.iter().collect();
        statements.push(json!({
            "Sid": SID_ROLES,
            "Effect": "Allow",
            "Principal": {"AWS": arns},
            "Action": "sts:AssumeRole",
        }));
    }
    if !trusted.patterns.is_empty() {
        statements.push(root_with(
            SID_PATTERNS,
            trusted.patterns.iter().cloned().collect(),
        ));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The permission set whose exact reserved-role pattern (for this
/// context) `pattern` is, if any.
pub fn permission_set_of_pattern(ctx: &TrustContext, pattern: &str) -> Option<String> {
    let name = pattern_regex()
        .captures(pattern)?
        .get(1)?
        .as_str()
        .to_string();
    (permission_set_pattern(ctx, &name) == pattern).then_some(name)
}

fn pattern_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^arn:[a-z-]+:iam::\d{12}:role/aws-reserved/sso\.amazonaws\.com/(?:[a-z0-9-]+/)?AWSReservedSSO_([\w+=,.@-]{1,32})_\?{16}$",
        )
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;

    fn ctx(region: &str) -> TrustContext {
        TrustContext {
            partition: "aws".into(),
            account_id: "111122223333".into(),
            sso_region: region.into(),
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn trusted(sets: &[&str], roles: &[&str], patterns: &[&str]) -> Trusted {
        Trusted {
            permission_sets: set(sets),
            role_arns: set(roles),
            patterns: set(patterns),
        }
    }

    fn strings(v: &Json) -> Vec<&str> {
        match v {
            Json::String(s) => vec![s.as_str()],
            Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn trust_json_is_exact_for_us_east_1() {
        let got = render(
            &ctx("us-east-1"),
            &trusted(&["EKSClusterAdminAccess"], &[], &[]),
        );
        let want = concat!(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"TrustSsoPermissionSets","Effect":"Allow","#,
            r#""Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","#,
            r#""Condition":{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/aws-reserved/"#,
            r#"sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_????????????????"]}}}]}"#
        );
        assert_eq!(got, want);
    }

    #[test]
    fn trust_json_is_exact_for_eu_west_1_with_roles() {
        let got = render(
            &ctx("eu-west-1"),
            &trusted(
                &["B", "A"],
                &[
                    "arn:aws:iam::111122223333:role/z",
                    "arn:aws:iam::111122223333:role/a",
                ],
                &[],
            ),
        );
        let want = concat!(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"TrustSsoPermissionSets","Effect":"Allow","#,
            r#""Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","#,
            r#""Condition":{"ArnLike":{"aws:PrincipalArn":["#,
            r#""arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_A_????????????????","#,
            r#""arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_B_????????????????"]}}},"#,
            r#"{"Sid":"TrustRoles","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/a","#,
            r#""arn:aws:iam::111122223333:role/z"]},"Action":"sts:AssumeRole"}]}"#
        );
        assert_eq!(got, want);
    }

    // Whether these documents admit the right principals (and no look-alike)
    // is IAM's evaluation, so it is asked of the emulator's STS instead:
    // tests/acceptance_creator_role.rs and tests/acceptance_j1_trust_chain.rs.

    /// What the resource renders is a trust policy by IAM's grammar (the
    /// shared validator), and would be refused as an identity policy.
    #[test]
    fn rendered_trust_follows_iams_trust_grammar() {
        use crate::aws::policy_grammar::{PolicyKind, check};
        let got = render(
            &ctx("eu-west-1"),
            &trusted(&["A"], &["arn:aws:iam::111122223333:role/a"], &[]),
        );
        assert_eq!(check(&got, PolicyKind::Trust).map(|s| s.len()), Ok(2));
        assert!(check(&got, PolicyKind::Identity).is_err());
    }

    #[test]
    fn no_statement_has_a_wildcard_principal() {
        for region in ["us-east-1", "eu-west-1"] {
            let doc: Json = serde_json::from_str(&render(
                &ctx(region),
                &trusted(
                    &["EKSClusterAdminAccess"],
                    &["arn:aws:iam::111122223333:role/ci"],
                    &["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Ops_*"],
                ),
            ))
            .unwrap();
            let statements = doc["Statement"].as_array().unwrap();
            assert_eq!(statements.len(), 3, "{doc}");
            for st in statements {
                let p = &st["Principal"];
                assert_ne!(p, "*");
                for v in strings(&p["AWS"]) {
                    assert!(!v.contains('*') && !v.contains('?'), "{v}");
                }
            }
        }
    }

    #[test]
    fn extra_patterns_get_a_statement_of_their_own() {
        let c = ctx("us-east-1");
        let pattern =
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Ops_*";
        let doc: Json = serde_json::from_str(&render(&c, &trusted(&[], &[], &[pattern]))).unwrap();
        let st = &doc["Statement"][0];
        assert_eq!(st["Sid"], SID_PATTERNS);
        assert_eq!(st["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
        assert_eq!(st["Action"], "sts:AssumeRole");
        assert_eq!(
            st["Condition"]["ArnLike"]["aws:PrincipalArn"],
            Json::Array(vec![Json::String(pattern.to_string())])
        );
    }

    #[test]
    fn only_the_exact_pattern_names_a_permission_set() {
        let east = ctx("us-east-1");
        let west = ctx("eu-west-1");
        let p = permission_set_pattern(&east, "Admins");
        assert_eq!(
            permission_set_of_pattern(&east, &p),
            Some("Admins".to_string())
        );
        // The same pattern read in another SSO region is someone else's.
        assert_eq!(permission_set_of_pattern(&west, &p), None);
        assert_eq!(
            permission_set_of_pattern(&east, &p.replace("????????????????", "*")),
            None
        );
    }
}
