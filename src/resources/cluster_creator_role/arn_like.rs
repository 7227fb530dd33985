//! A small evaluator for the parts of IAM policy evaluation that decide whether
//! a role's trust policy lets a given IAM principal call `sts:AssumeRole`.
//!
//! It exists so tests can prove the trust policy we render admits exactly the
//! reserved roles we mean (with and without the SSO region segment, after the
//! role is recreated with a new suffix) and nothing else, without a real AWS
//! account. It follows IAM's documented semantics for the operators it knows
//! and answers "no" for anything it does not understand, so an unexpected
//! document can never look more permissive than it is.

use serde_json::Value as Json;

/// IAM's `ArnLike`: the six colon-separated parts of an ARN are compared one by
/// one, case-sensitively, and each pattern part may use `*` (any run of
/// characters, including `/`) and `?` (exactly one character).
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        return false;
    }
    p.iter()
        .zip(a.iter())
        .all(|(p, a)| glob(p.as_bytes(), a.as_bytes()))
}

/// Glob match with `*` and `?`, iterative with single backtracking point
/// (linear in practice, no recursion on hostile input).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// The account id inside an IAM ARN (`arn:aws:iam::123456789012:role/x`).
fn account_of(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6).then(|| parts[4])
}

/// One value or a list of values, as IAM allows for most policy elements.
fn strings(v: &Json) -> Vec<&str> {
    match v {
        Json::String(s) => vec![s.as_str()],
        Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement's `Principal` names the calling role: either the role's
/// own ARN, or the root of its account (which delegates to the account's IAM
/// policies and, here, to the statement's condition).
fn principal_matches(principal: &Json, role_arn: &str) -> bool {
    let Some(aws) = principal.get("AWS") else {
        return false;
    };
    let account = account_of(role_arn).unwrap_or("");
    strings(aws).into_iter().any(|p| {
        p == role_arn
            || p == account
            || (p.ends_with(":root") && account_of(p) == Some(account) && p.starts_with("arn:"))
    })
}

fn action_matches(action: &Json) -> bool {
    strings(action).into_iter().any(|a| {
        a == "*" || a.eq_ignore_ascii_case("sts:*") || a.eq_ignore_ascii_case("sts:AssumeRole")
    })
}

/// Conditions we understand on `aws:PrincipalArn`; any other operator or key
/// makes the statement not apply (conservative for a test oracle).
fn condition_matches(condition: Option<&Json>, role_arn: &str) -> bool {
    let Some(condition) = condition else {
        return true;
    };
    let Some(ops) = condition.as_object() else {
        return false;
    };
    ops.iter().all(|(op, keys)| {
        let Some(keys) = keys.as_object() else {
            return false;
        };
        keys.iter().all(|(key, values)| {
            if !key.eq_ignore_ascii_case("aws:PrincipalArn") {
                return false;
            }
            let values = strings(values);
            match op.as_str() {
                "ArnLike" | "StringLike" => values.iter().any(|v| arn_like(v, role_arn)),
                "ArnEquals" | "StringEquals" => values.contains(&role_arn),
                _ => false,
            }
        })
    })
}

/// Whether `trust_policy` lets the IAM role `role_arn` (its full ARN, with
/// path) assume the role that carries the policy. Explicit denies win.
pub fn allows_assume_role(trust_policy: &Json, role_arn: &str) -> bool {
    let statements: Vec<&Json> = match trust_policy.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(single @ Json::Object(_)) => vec![single],
        _ => return false,
    };
    let applies = |s: &Json| {
        s.get("Principal")
            .is_some_and(|p| principal_matches(p, role_arn))
            && s.get("Action").is_some_and(action_matches)
            && condition_matches(s.get("Condition"), role_arn)
    };
    let effect = |s: &Json| {
        s.get("Effect")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string()
    };
    let applying: Vec<&Json> = statements.into_iter().filter(|s| applies(s)).collect();
    let denied = applying.iter().any(|s| effect(s) == "Deny");
    let allowed = applying.iter().any(|s| effect(s) == "Allow");
    allowed && !denied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        assert!(glob(b"a*c", b"abbbc"));
        assert!(glob(b"a*c", b"ac"));
        assert!(!glob(b"a*c", b"abcd"));
        assert!(glob(b"a??", b"abc"));
        assert!(!glob(b"a??", b"ab"));
        assert!(!glob(b"a??", b"abcd"));
        assert!(glob(b"*", b""));
        assert!(glob(b"role/*/x", b"role/a/b/x"));
    }

    #[test]
    fn arn_like_compares_parts_separately() {
        // `*` in the region part must not swallow the account part.
        assert!(arn_like(
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::123456789012:role/x"
        ));
        assert!(!arn_like(
            "arn:aws:iam::1234*:role/x",
            "arn:aws:iam::999999999999:role/x"
        ));
        assert!(!arn_like(
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::123456789012"
        ));
        // Case-sensitive.
        assert!(!arn_like(
            "arn:aws:iam::123456789012:role/X",
            "arn:aws:iam::123456789012:role/x"
        ));
    }
}
