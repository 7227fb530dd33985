//! The bridge between [`Value`]s and serde models, so a resource can write
//! `let m: Model = serde_json::from_value(to_json(&config)?)?` and
//! `from_json(&serde_json::to_value(&m)?, &ty)` instead of walking values.
//!
//! Models see only known values: null becomes JSON `null` (an `Option`), and
//! an unknown anywhere is an error naming where, because a model has no way
//! to hold "not known yet". Numbers keep their exact text both ways.

use super::codec_json::{DynamicJson, from_json_value, json_number};
use super::diagnostics::{AttributePath, PathStep};
use super::types::CtyType;
use super::value::Value;

pub use super::codec_error::CodecError;

/// A wholly known value as plain JSON: sets and tuples become arrays, maps and
/// objects become JSON objects (keys in sorted order), dynamic values lose
/// their type wrapper.
pub fn to_json(v: &Value) -> Result<serde_json::Value, CodecError> {
    let mut path = AttributePath::root();
    plain_json(v, &mut path)
}

fn plain_json(v: &Value, path: &mut AttributePath) -> Result<serde_json::Value, CodecError> {
    use serde_json::Value as J;
    match v {
        Value::Null => Ok(J::Null),
        Value::Unknown(_) => Err(CodecError::Unknown {
            path: path.clone(),
            format: "a typed model",
        }),
        Value::Bool(b) => Ok(J::Bool(*b)),
        Value::Number(n) => json_number(n, path),
        Value::String(s) => Ok(J::String(s.clone())),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.0.push(PathStep::Index(i as i64));
                let r = plain_json(item, path);
                path.0.pop();
                out.push(r?);
            }
            Ok(J::Array(out))
        }
        Value::Map(m) | Value::Object(m) => {
            let is_object = matches!(v, Value::Object(_));
            let mut out = serde_json::Map::new();
            for (k, item) in m {
                path.0.push(if is_object {
                    PathStep::Attribute(k.clone())
                } else {
                    PathStep::Key(k.clone())
                });
                let r = plain_json(item, path);
                path.0.pop();
                out.insert(k.clone(), r?);
            }
            Ok(J::Object(out))
        }
        Value::Dynamic(_, inner) => plain_json(inner, path),
    }
}

/// Plain JSON (as a serde model serialises) read as a value of `ty`: object
/// attributes the JSON leaves out become null, arrays become lists, sets or
/// tuples as the type says, and a `dynamic` slot takes the type the JSON
/// implies (arrays as tuples, objects as objects).
pub fn from_json(j: &serde_json::Value, ty: &CtyType) -> Result<Value, CodecError> {
    let mut path = AttributePath::root();
    from_json_value(j, ty, &mut path, DynamicJson::Implied)
}

/// Equality as Terraform sees it: sets ignore order, numbers compare by value,
/// and a dynamic wrapper equals the value it wraps.
pub fn semantically_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Dynamic(_, inner), other) | (other, Value::Dynamic(_, inner))
            if !matches!(other, Value::Dynamic(..)) =>
        {
            semantically_equal(inner, other)
        }
        (Value::Dynamic(ta, va), Value::Dynamic(tb, vb)) => ta == tb && semantically_equal(va, vb),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| semantically_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| semantically_equal(p, q)))
        }
        (Value::Set(x), Value::Set(y)) => {
            let mut used = vec![false; y.len()];
            x.len() == y.len()
                && x.iter().all(|p| {
                    match y
                        .iter()
                        .enumerate()
                        .find(|(i, q)| !used[*i] && semantically_equal(p, q))
                    {
                        Some((i, _)) => {
                            used[i] = true;
                            true
                        }
                        None => false,
                    }
                })
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::Number;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    fn num(t: &str) -> Value {
        Value::Number(Number::parse(t).unwrap())
    }
    fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Rule {
        port: i64,
        cidrs: Vec<String>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Model {
        id: Option<String>,
        name: String,
        enabled: Option<bool>,
        rules: Vec<Rule>,
        tags: Option<BTreeMap<String, String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ratio: Option<f64>,
    }

    fn model_type() -> CtyType {
        CtyType::object([
            ("id", CtyType::String),
            ("name", CtyType::String),
            ("enabled", CtyType::Bool),
            (
                "rules",
                CtyType::list(CtyType::object([
                    ("port", CtyType::Number),
                    ("cidrs", CtyType::set(CtyType::String)),
                ])),
            ),
            ("tags", CtyType::map(CtyType::String)),
            ("ratio", CtyType::Number),
            ("extra", CtyType::Dynamic),
        ])
    }

    #[test]
    fn model_round_trip_through_serde() {
        let v = obj([
            ("id", Value::Null),
            ("name", Value::string("n")),
            ("enabled", Value::Bool(true)),
            (
                "rules",
                Value::List(vec![obj([
                    ("port", num("443")),
                    ("cidrs", Value::Set(vec![Value::string("10.0.0.0/8")])),
                ])]),
            ),
            (
                "tags",
                Value::Map(BTreeMap::from([("k".to_string(), Value::string("v"))])),
            ),
            ("ratio", Value::Null),
            ("extra", Value::Null),
        ]);
        let m: Model = serde_json::from_value(to_json(&v).unwrap()).unwrap();
        assert_eq!(
            m,
            Model {
                id: None,
                name: "n".into(),
                enabled: Some(true),
                rules: vec![Rule {
                    port: 443,
                    cidrs: vec!["10.0.0.0/8".into()]
                }],
                tags: Some(BTreeMap::from([("k".into(), "v".into())])),
                ratio: None,
            }
        );
        // "ratio" and "extra" are skipped by the model and come back as null.
        let back = from_json(&serde_json::to_value(&m).unwrap(), &model_type()).unwrap();
        assert_eq!(back, v);
        assert!(matches!(
            back.attr("rules").elements()[0].attr("cidrs"),
            Value::Set(_)
        ));
    }

    #[test]
    fn unknown_values_are_errors_naming_the_path() {
        let v = obj([(
            "rules",
            Value::List(vec![obj([("port", Value::Unknown(None))])]),
        )]);
        let err = to_json(&v).unwrap_err();
        assert!(matches!(err, CodecError::Unknown { .. }));
        assert_eq!(
            err.path(),
            Some(&AttributePath::attr("rules").then_index(0).then_attr("port"))
        );
        assert!(
            err.to_string()
                .starts_with("rules[0].port: value is unknown"),
            "{err}"
        );
    }

    #[test]
    fn numbers_keep_exact_text() {
        let big = "123456789012345678901234567890.000000000000000000001";
        let j = to_json(&num(big)).unwrap();
        assert_eq!(j.to_string(), big);
        assert_eq!(from_json(&j, &CtyType::Number).unwrap(), num(big));
        let j: serde_json::Value = serde_json::from_str("18446744073709551616").unwrap();
        assert_eq!(
            from_json(&j, &CtyType::Number).unwrap(),
            num("18446744073709551616")
        );
    }

    #[test]
    fn arrays_follow_the_type() {
        let j = serde_json::json!(["a", 1]);
        assert_eq!(
            from_json(&j, &CtyType::Tuple(vec![CtyType::String, CtyType::Number])).unwrap(),
            Value::Tuple(vec![Value::string("a"), num("1")])
        );
        let j = serde_json::json!(["a", "b"]);
        assert_eq!(
            from_json(&j, &CtyType::set(CtyType::String)).unwrap(),
            Value::Set(vec![Value::string("b"), Value::string("a")])
        );
        assert_eq!(
            from_json(&j, &CtyType::list(CtyType::String)).unwrap(),
            Value::List(vec![Value::string("a"), Value::string("b")])
        );
        assert!(
            from_json(
                &serde_json::json!({"a": 1}),
                &CtyType::list(CtyType::String)
            )
            .is_err()
        );
        assert_eq!(
            from_json(&serde_json::Value::Null, &model_type()).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn dynamic_slots_take_the_implied_type() {
        let j = serde_json::json!({"k": [1, "x", null]});
        let v = from_json(&j, &CtyType::Dynamic).unwrap();
        let implied = CtyType::object([(
            "k",
            CtyType::Tuple(vec![CtyType::Number, CtyType::String, CtyType::Dynamic]),
        )]);
        assert_eq!(
            v,
            Value::Dynamic(
                Box::new(implied.clone()),
                Box::new(obj([(
                    "k",
                    Value::Tuple(vec![num("1"), Value::string("x"), Value::Null])
                )]))
            )
        );
        // And the result encodes: the wrapper carries a concrete type.
        let bytes = crate::tfplugin::codec_msgpack::encode(&v, &CtyType::Dynamic).unwrap();
        assert_eq!(
            crate::tfplugin::codec_msgpack::decode(&bytes, &CtyType::Dynamic).unwrap(),
            v
        );
        assert_eq!(to_json(&v).unwrap(), j);
    }

    #[test]
    fn semantic_equality() {
        let a = Value::Set(vec![Value::string("x"), Value::string("y")]);
        let b = Value::Set(vec![Value::string("y"), Value::string("x")]);
        assert!(semantically_equal(&a, &b));
        assert!(!semantically_equal(
            &a,
            &Value::Set(vec![Value::string("x"), Value::string("x")])
        ));
        assert!(!semantically_equal(
            &a,
            &Value::List(vec![Value::string("x"), Value::string("y")])
        ));
        let wrapped = Value::Dynamic(
            Box::new(CtyType::Set(Box::new(CtyType::String))),
            Box::new(a.clone()),
        );
        assert!(semantically_equal(&wrapped, &b));
        assert!(semantically_equal(&b, &wrapped));
        assert!(semantically_equal(&num("1"), &num("1.00")));
        let nested_a = obj([("s", Value::List(vec![a.clone()]))]);
        let nested_b = obj([("s", Value::List(vec![b.clone()]))]);
        assert!(semantically_equal(&nested_a, &nested_b));
        assert!(!semantically_equal(
            &nested_a,
            &obj([("s", Value::List(vec![]))])
        ));
        assert!(!semantically_equal(&Value::Null, &Value::List(vec![])));
    }
}
