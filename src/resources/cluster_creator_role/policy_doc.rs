//! IAM policy documents as text: semantic comparison, canonical rendering and
//! size accounting.
//!
//! IAM stores policy text as submitted, but people (and other tools) write the
//! same policy in many shapes: one action as a string or a one-element list,
//! statements in any order, keys in any order. Read keeps the prior text when
//! the remote document means the same thing, so only real changes show up as
//! drift.

use serde_json::{Map, Value as Json};

/// IAM's limit for a customer-managed policy, counted without whitespace.
pub const MANAGED_POLICY_MAX_CHARS: usize = 6144;
/// IAM's default quota for a role trust policy (raisable to 4096), without whitespace.
pub const TRUST_POLICY_DEFAULT_MAX_CHARS: usize = 2048;

/// Characters IAM counts towards its size limits.
pub fn counted_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Elements whose value may be one string or a list of strings, where order
/// and duplicates carry no meaning.
const LIST_ELEMENTS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

fn as_sorted_list(v: &Json, lowercase: bool) -> Json {
    let mut items: Vec<String> = match v {
        Json::Array(a) => a.iter().map(scalar_text).collect(),
        other => vec![scalar_text(other)],
    };
    if lowercase {
        items.iter_mut().for_each(|s| *s = s.to_ascii_lowercase());
    }
    items.sort();
    items.dedup();
    Json::Array(items.into_iter().map(Json::String).collect())
}

/// IAM accepts `true` and `"true"` alike in conditions; compare as text.
fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn sorted_object(entries: impl Iterator<Item = (String, Json)>) -> Json {
    let mut pairs: Vec<(String, Json)> = entries.collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Json::Object(pairs.into_iter().collect::<Map<String, Json>>())
}

fn normalize_principal(p: &Json) -> Json {
    match p {
        Json::Object(m) => {
            sorted_object(m.iter().map(|(k, v)| (k.clone(), as_sorted_list(v, false))))
        }
        other => other.clone(),
    }
}

fn normalize_condition(c: &Json) -> Json {
    match c {
        Json::Object(ops) => sorted_object(ops.iter().map(|(op, keys)| {
            let keys = match keys {
                Json::Object(k) => sorted_object(
                    // Condition keys are case-insensitive in IAM.
                    k.iter()
                        .map(|(key, v)| (key.to_ascii_lowercase(), as_sorted_list(v, false))),
                ),
                other => other.clone(),
            };
            (op.clone(), keys)
        })),
        other => other.clone(),
    }
}

/// One statement in canonical form.
pub fn normalize_statement(st: &Json) -> Json {
    let Json::Object(m) = st else {
        return st.clone();
    };
    sorted_object(m.iter().map(|(k, v)| {
        let v = match k.as_str() {
            "Action" | "NotAction" => as_sorted_list(v, true),
            k2 if LIST_ELEMENTS.contains(&k2) => as_sorted_list(v, false),
            "Principal" | "NotPrincipal" => normalize_principal(v),
            "Condition" => normalize_condition(v),
            _ => v.clone(),
        };
        (k.clone(), v)
    }))
}

/// The statements of a document, one object or a list, as a list.
pub fn statements(doc: &Json) -> Vec<Json> {
    match doc.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(one @ Json::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// A whole document in canonical form: statements normalised and sorted.
pub fn normalize(doc: &Json) -> Json {
    let Json::Object(m) = doc else {
        return doc.clone();
    };
    let mut sts: Vec<Json> = statements(doc).iter().map(normalize_statement).collect();
    sts.sort_by_key(|s| s.to_string());
    sorted_object(m.iter().map(|(k, v)| {
        if k == "Statement" {
            (k.clone(), Json::Array(sts.clone()))
        } else {
            (k.clone(), v.clone())
        }
    }))
}

/// Whether two policy texts grant the same thing. Unparseable text is only
/// equivalent to identical text.
pub fn equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Json>(a),
        serde_json::from_str::<Json>(b),
    ) {
        (Ok(x), Ok(y)) => normalize(&x) == normalize(&y),
        _ => false,
    }
}

/// Whether two statements mean the same thing.
pub fn statement_equivalent(a: &Json, b: &Json) -> bool {
    normalize_statement(a) == normalize_statement(b)
}

/// Compact JSON with object keys sorted at every level: what Terraform's
/// `jsonencode` produces, so an imported document matches such a config text.
pub fn render_sorted(v: &Json) -> String {
    fn sort(v: &Json) -> Json {
        match v {
            Json::Object(m) => sorted_object(m.iter().map(|(k, v)| (k.clone(), sort(v)))),
            Json::Array(a) => Json::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// IAM returns policy documents from GetRole and GetPolicyVersion URL-encoded
/// (RFC 3986); some endpoints (emulators) return them plain. Decode only when
/// the text is not already a JSON object.
pub fn decode_document(raw: &str) -> String {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('{') {
        return raw.to_string();
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_that_mean_the_same_are_equivalent() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["*"]}]}"#;
        let b = r#"{"Statement":[{"Resource":"*","Action":["s3:ListBucket","s3:GetObject"],"Effect":"Allow"},{"Action":["EKS:*"],"Effect":"Allow","Resource":["*"]}],"Version":"2012-10-17"}"#;
        assert!(equivalent(a, b));
    }

    #[test]
    fn real_changes_are_not_equivalent() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#;
        for b in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"eks:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:Describe*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"arn:aws:eks:*:*:cluster/x"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            "not json",
        ] {
            assert!(!equivalent(a, b), "{b}");
        }
    }

    #[test]
    fn condition_values_compare_as_sets() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":["x","y"]}}}]}"#;
        let b = r#"{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ArnLike":{"AWS:PrincipalArn":["y","x"]}}}}"#;
        let c = r#"{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":["y"]}}}}"#;
        assert!(equivalent(a, b));
        assert!(!equivalent(a, c));
    }

    #[test]
    fn decode_handles_encoded_and_plain() {
        assert_eq!(decode_document("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(decode_document(r#"{"a":"100%"}"#), r#"{"a":"100%"}"#);
    }

    #[test]
    fn render_sorted_matches_jsonencode_style() {
        let v: Json = serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":"x"}}"#).unwrap();
        assert_eq!(
            render_sorted(&v),
            r#"{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn counted_len_ignores_whitespace() {
        assert_eq!(counted_len("{ \"a\" :\n 1 }"), 7);
    }
}
