//! IAM policy documents as JSON, compared the way IAM reads them.
//!
//! IAM stores policy text as submitted, and people (and other tools) write
//! the same policy in many shapes: a statement as an object or a one-element
//! list, one action as a string or a one-element list, keys and statements in
//! any order, any whitespace. Resources keep the text the user wrote while the
//! remote document means the same thing, so only real changes show up as
//! drift or as a planned update. This is the one place that decides what
//! "means the same thing" is.

use serde_json::{Map, Value as Json};

/// Statement elements whose value is one string or a list of strings, where
/// order and duplicates carry no meaning.
const SET_ELEMENTS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

/// The statements of a document, whose `Statement` may be one object or a
/// list. Empty when there is none, or when it has another shape.
pub fn statements(doc: &Json) -> Vec<&Json> {
    match doc.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one @ Json::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// Whether two policy texts mean the same thing to IAM. Unparseable text is
/// only equal to identical text.
pub fn semantically_equal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Json>(a),
        serde_json::from_str::<Json>(b),
    ) {
        (Ok(x), Ok(y)) => canonical(&x) == canonical(&y),
        _ => false,
    }
}

/// Whether two statements mean the same thing to IAM.
pub fn statements_equal(a: &Json, b: &Json) -> bool {
    canonical_statement(a) == canonical_statement(b)
}

/// A whole document in canonical form: keys sorted, `Statement` always a
/// list, each statement canonical, statements in a fixed order.
pub fn canonical(doc: &Json) -> Json {
    let Json::Object(m) = doc else {
        return sort_keys(doc);
    };
    sorted_object(m.iter().map(|(k, v)| {
        let v = if k == "Statement" {
            let items: Vec<&Json> = match v {
                Json::Array(a) => a.iter().collect(),
                // Any other shape stays one item, so it never equals `[]`.
                other => vec![other],
            };
            let mut sts: Vec<Json> = items.into_iter().map(canonical_statement).collect();
            sts.sort_by_key(|s| s.to_string());
            Json::Array(sts)
        } else {
            sort_keys(v)
        };
        (k.clone(), v)
    }))
}

/// One statement in canonical form. Action names and condition keys are
/// case-insensitive in IAM, so they are lowercased; string-or-list elements
/// become sorted, de-duplicated lists of strings.
pub fn canonical_statement(st: &Json) -> Json {
    let Json::Object(m) = st else {
        return sort_keys(st);
    };
    sorted_object(m.iter().map(|(k, v)| {
        let v = match k.as_str() {
            "Action" | "NotAction" => string_set(v, true),
            k2 if SET_ELEMENTS.contains(&k2) => string_set(v, false),
            "Principal" | "NotPrincipal" => canonical_principal(v),
            "Condition" => canonical_condition(v),
            _ => sort_keys(v),
        };
        (k.clone(), v)
    }))
}

fn canonical_principal(p: &Json) -> Json {
    match p {
        Json::Object(m) => sorted_object(m.iter().map(|(k, v)| (k.clone(), string_set(v, false)))),
        other => sort_keys(other),
    }
}

fn canonical_condition(c: &Json) -> Json {
    let Json::Object(ops) = c else {
        return sort_keys(c);
    };
    sorted_object(ops.iter().map(|(op, keys)| {
        let keys = match keys {
            Json::Object(k) => sorted_object(
                k.iter()
                    .map(|(key, v)| (key.to_ascii_lowercase(), string_set(v, false))),
            ),
            other => sort_keys(other),
        };
        (op.clone(), keys)
    }))
}

/// A string-or-list value as a sorted, de-duplicated list of strings.
fn string_set(v: &Json, lowercase: bool) -> Json {
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

/// IAM accepts `true` and `"true"`, `1` and `"1"` alike; compare as text.
fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => sort_keys(other).to_string(),
    }
}

fn sorted_object(entries: impl Iterator<Item = (String, Json)>) -> Json {
    let mut pairs: Vec<(String, Json)> = entries.collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Json::Object(pairs.into_iter().collect::<Map<String, Json>>())
}

/// Object keys sorted at every level; arrays keep their order.
pub fn sort_keys(v: &Json) -> Json {
    match v {
        Json::Object(m) => sorted_object(m.iter().map(|(k, v)| (k.clone(), sort_keys(v)))),
        Json::Array(a) => Json::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Compact JSON with object keys sorted at every level: what Terraform's
/// `jsonencode` produces, so a document read from AWS matches such a config
/// text.
pub fn render_sorted(v: &Json) -> String {
    sort_keys(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_that_mean_the_same_are_equal() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["*"]}]}"#;
        let b = r#"{"Statement":[{"Resource":"*","Action":["s3:ListBucket","s3:GetObject"],"Effect":"Allow"},{"Action":["EKS:*"],"Effect":"Allow","Resource":["*"]}],"Version":"2012-10-17"}"#;
        assert!(semantically_equal(a, b));
    }

    #[test]
    fn formatting_order_and_singletons_do_not_matter() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","eks:*"],"Resource":"*"}]}"#;
        let b = r#"{
            "Statement": [{"Resource": ["*"], "Action": ["eks:*", "sts:AssumeRole"], "Effect": "Allow"}],
            "Version": "2012-10-17"
        }"#;
        assert!(semantically_equal(a, b));
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}"#;
        let listed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:*"],"Resource":["*"]}]}"#;
        assert!(semantically_equal(single, listed));
    }

    #[test]
    fn real_changes_are_not_equal() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#;
        for b in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"eks:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:Describe*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"arn:aws:eks:*:*:cluster/x"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            "not json",
        ] {
            assert!(!semantically_equal(a, b), "{b}");
        }
    }

    #[test]
    fn resources_keep_their_case() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::Bucket/*"}]}"#;
        let b = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
        assert!(!semantically_equal(a, b));
    }

    #[test]
    fn condition_values_compare_as_sets() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":["x","y"]}}}]}"#;
        let b = r#"{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ArnLike":{"AWS:PrincipalArn":["y","x"]}}}}"#;
        let c = r#"{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":["y"]}}}}"#;
        assert!(semantically_equal(a, b));
        assert!(!semantically_equal(a, c));
    }

    #[test]
    fn condition_scalars_equal_their_text() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#;
        let b = r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":["true"]}}}]}"#;
        assert!(semantically_equal(a, b));
    }

    #[test]
    fn principals_compare_as_sets_per_kind() {
        let a = json(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["arn:aws:iam::1:root","arn:aws:iam::2:root"]}}"#,
        );
        let b = json(
            r#"{"Principal":{"AWS":["arn:aws:iam::2:root","arn:aws:iam::1:root"]},"Action":["sts:AssumeRole"],"Effect":"Allow"}"#,
        );
        let c = json(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["arn:aws:iam::1:root","arn:aws:iam::2:root"]}}"#,
        );
        assert!(statements_equal(&a, &b));
        assert!(!statements_equal(&a, &c));
    }

    #[test]
    fn statements_accept_an_object_or_a_list() {
        let one = json(r#"{"Statement":{"Sid":"A"}}"#);
        let two = json(r#"{"Statement":[{"Sid":"A"},{"Sid":"B"}]}"#);
        assert_eq!(statements(&one), vec![&json(r#"{"Sid":"A"}"#)]);
        assert_eq!(statements(&two).len(), 2);
        assert!(statements(&json(r#"{"Version":"2012-10-17"}"#)).is_empty());
        assert!(statements(&json(r#"{"Statement":"x"}"#)).is_empty());
    }

    #[test]
    fn an_odd_statement_shape_is_not_an_empty_list() {
        assert!(!semantically_equal(
            r#"{"Statement":"x"}"#,
            r#"{"Statement":[]}"#
        ));
    }

    #[test]
    fn render_sorted_matches_jsonencode_style() {
        let v = json(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":"x"}}"#);
        assert_eq!(
            render_sorted(&v),
            r#"{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }
}
