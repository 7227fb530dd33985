//! JSON `DynamicValue`s and raw state: Terraform's fallback encoding, and the
//! form stored state arrives in for `UpgradeResourceState`.
//!
//! JSON has no way to say "unknown", so encoding an unknown is an error. On
//! decode, object attributes absent from the JSON become null (older state
//! lacks attributes added since), and primitives are read leniently the way
//! cty reads them (`"5"` as a number, `true` as the string `"true"`).
//! `dynamic` values are `{"value": ..., "type": ...}`.

use std::collections::BTreeMap;

use super::codec_msgpack::{distinct, kind};
use super::diagnostics::{AttributePath, PathStep};
use super::type_json;
use super::types::CtyType;
use super::value::{Number, Value};

pub use super::codec_error::CodecError;

pub fn decode(bytes: &[u8], ty: &CtyType) -> Result<Value, CodecError> {
    let json: serde_json::Value = serde_json::from_slice(bytes)?;
    let mut path = AttributePath::root();
    from_json_value(&json, ty, &mut path, DynamicJson::Wrapped)
}

pub fn encode(v: &Value, ty: &CtyType) -> Result<Vec<u8>, CodecError> {
    let mut path = AttributePath::root();
    let json = to_json_value(v, ty, &mut path)?;
    Ok(json.to_string().into_bytes())
}

/// How a value of type `dynamic` looks in the JSON being read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DynamicJson {
    /// The wire form, `{"value": ..., "type": ...}`.
    Wrapped,
    /// A plain JSON value whose type is implied by its shape (typed models).
    Implied,
}

fn json_kind(j: &serde_json::Value) -> &'static str {
    match j {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// The type cty would infer for a JSON value: arrays are tuples, objects are
/// objects, nulls are dynamic.
fn implied_type(j: &serde_json::Value) -> CtyType {
    use serde_json::Value as J;
    match j {
        J::Null => CtyType::Dynamic,
        J::Bool(_) => CtyType::Bool,
        J::Number(_) => CtyType::Number,
        J::String(_) => CtyType::String,
        J::Array(items) => CtyType::Tuple(items.iter().map(implied_type).collect()),
        J::Object(m) => CtyType::object(m.iter().map(|(k, v)| (k.clone(), implied_type(v)))),
    }
}

/// Reads a JSON value as a value of `ty`.
pub(crate) fn from_json_value(
    j: &serde_json::Value,
    ty: &CtyType,
    path: &mut AttributePath,
    dynamic: DynamicJson,
) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        CtyType::Dynamic => {
            let (inner_ty, inner) = match dynamic {
                DynamicJson::Implied => (implied_type(j), j),
                DynamicJson::Wrapped => {
                    let J::Object(m) = j else {
                        return Err(CodecError::mismatch(
                            path,
                            "{\"value\", \"type\"} object for a dynamic value",
                            json_kind(j),
                        ));
                    };
                    if let Some(extra) = m.keys().find(|k| *k != "value" && *k != "type") {
                        return Err(CodecError::malformed(
                            path,
                            format!("invalid key {extra:?} in dynamically-typed value"),
                        ));
                    }
                    let t = m.get("type").ok_or_else(|| {
                        CodecError::malformed(path, "dynamically-typed value has no \"type\"")
                    })?;
                    let v = m.get("value").ok_or_else(|| {
                        CodecError::malformed(path, "dynamically-typed value has no \"value\"")
                    })?;
                    (type_json::from_json(t)?, v)
                }
            };
            let v = from_json_value(inner, &inner_ty, path, dynamic)?;
            Ok(Value::Dynamic(Box::new(inner_ty), Box::new(v)))
        }
        CtyType::Bool => match j {
            J::Bool(b) => Ok(Value::Bool(*b)),
            J::String(s) if s == "true" => Ok(Value::Bool(true)),
            J::String(s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(CodecError::mismatch(path, "bool", json_kind(other))),
        },
        CtyType::Number => {
            let text = match j {
                J::Number(n) => n.as_str(),
                J::String(s) => s.as_str(),
                other => return Err(CodecError::mismatch(path, "number", json_kind(other))),
            };
            Number::parse(text)
                .map(Value::Number)
                .ok_or_else(|| CodecError::mismatch(path, "number", format!("{text:?}")))
        }
        CtyType::String => match j {
            J::String(s) => Ok(Value::String(s.clone())),
            J::Number(n) => Ok(Value::String(n.as_str().to_string())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(CodecError::mismatch(path, "string", json_kind(other))),
        },
        CtyType::List(elem) | CtyType::Set(elem) => {
            let J::Array(items) = j else {
                return Err(CodecError::mismatch(
                    path,
                    &ty.friendly_name(),
                    json_kind(j),
                ));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.0.push(PathStep::Index(i as i64));
                let v = from_json_value(item, elem, path, dynamic);
                path.0.pop();
                out.push(v?);
            }
            Ok(if matches!(ty, CtyType::Set(_)) {
                Value::Set(out)
            } else {
                Value::List(out)
            })
        }
        CtyType::Tuple(elems) => {
            let J::Array(items) = j else {
                return Err(CodecError::mismatch(path, "tuple", json_kind(j)));
            };
            if items.len() != elems.len() {
                return Err(CodecError::mismatch(
                    path,
                    &format!("tuple of {} elements", elems.len()),
                    format!("array of {}", items.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, ety)) in items.iter().zip(elems).enumerate() {
                path.0.push(PathStep::Index(i as i64));
                let v = from_json_value(item, ety, path, dynamic);
                path.0.pop();
                out.push(v?);
            }
            Ok(Value::Tuple(out))
        }
        CtyType::Map(elem) => {
            let J::Object(m) = j else {
                return Err(CodecError::mismatch(
                    path,
                    &ty.friendly_name(),
                    json_kind(j),
                ));
            };
            let mut out = BTreeMap::new();
            for (k, item) in m {
                path.0.push(PathStep::Key(k.clone()));
                let v = from_json_value(item, elem, path, dynamic);
                path.0.pop();
                out.insert(k.clone(), v?);
            }
            Ok(Value::Map(out))
        }
        CtyType::Object { attributes, .. } => {
            let J::Object(m) = j else {
                return Err(CodecError::mismatch(path, "object", json_kind(j)));
            };
            let mut out = BTreeMap::new();
            for (k, item) in m {
                let Some(aty) = attributes.get(k) else {
                    return Err(CodecError::UnexpectedAttribute {
                        path: path.clone(),
                        name: k.clone(),
                    });
                };
                path.0.push(PathStep::Attribute(k.clone()));
                let v = from_json_value(item, aty, path, dynamic);
                path.0.pop();
                out.insert(k.clone(), v?);
            }
            for name in attributes.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
    }
}

/// A number as a JSON number, keeping its text (serde_json's
/// `arbitrary_precision` stores the digits verbatim).
pub(crate) fn json_number(
    n: &Number,
    path: &AttributePath,
) -> Result<serde_json::Value, CodecError> {
    serde_json::from_str::<serde_json::Number>(&n.json_text())
        .map(serde_json::Value::Number)
        .map_err(|_| CodecError::malformed(path, format!("{:?} is not a number", n.as_str())))
}

/// Writes `v` as JSON according to `ty`.
fn to_json_value(
    v: &Value,
    ty: &CtyType,
    path: &mut AttributePath,
) -> Result<serde_json::Value, CodecError> {
    use serde_json::Value as J;
    match (v, ty) {
        (Value::Unknown(_), _) => Err(CodecError::Unknown {
            path: path.clone(),
            format: "JSON",
        }),
        (Value::Null, _) => Ok(J::Null),
        (Value::Dynamic(vt, inner), CtyType::Dynamic) => {
            let value = to_json_value(inner, vt, path)?;
            let mut m = serde_json::Map::new();
            m.insert("value".to_string(), value);
            m.insert("type".to_string(), type_json::to_json_value(vt));
            Ok(J::Object(m))
        }
        (other, CtyType::Dynamic) => Err(CodecError::mismatch(
            path,
            "dynamic value (Value::Dynamic carrying its type)",
            kind(other),
        )),
        (Value::Dynamic(vt, inner), _) if **vt == *ty => to_json_value(inner, ty, path),
        (Value::Bool(b), CtyType::Bool) => Ok(J::Bool(*b)),
        (Value::Number(n), CtyType::Number) => json_number(n, path),
        (Value::String(s), CtyType::String) => Ok(J::String(s.clone())),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), CtyType::List(elem)) => {
            sequence(items.iter(), |_| elem, path)
        }
        (Value::Set(items) | Value::List(items) | Value::Tuple(items), CtyType::Set(elem)) => {
            sequence(distinct(items).into_iter(), |_| elem, path)
        }
        (Value::Tuple(items) | Value::List(items), CtyType::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(CodecError::mismatch(
                    path,
                    &format!("tuple of {} elements", elems.len()),
                    format!("{} elements", items.len()),
                ));
            }
            sequence(items.iter(), |i| &elems[i], path)
        }
        (Value::Map(m) | Value::Object(m), CtyType::Map(elem)) => {
            let mut out = serde_json::Map::new();
            for (k, item) in m {
                path.0.push(PathStep::Key(k.clone()));
                let r = to_json_value(item, elem, path);
                path.0.pop();
                out.insert(k.clone(), r?);
            }
            Ok(J::Object(out))
        }
        (Value::Object(m) | Value::Map(m), CtyType::Object { attributes, .. }) => {
            if let Some(extra) = m.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(CodecError::UnexpectedAttribute {
                    path: path.clone(),
                    name: extra.clone(),
                });
            }
            let mut out = serde_json::Map::new();
            for (name, aty) in attributes {
                path.0.push(PathStep::Attribute(name.clone()));
                let r = to_json_value(m.get(name).unwrap_or(&Value::Null), aty, path);
                path.0.pop();
                out.insert(name.clone(), r?);
            }
            Ok(J::Object(out))
        }
        (other, ty) => Err(CodecError::mismatch(path, &ty.friendly_name(), kind(other))),
    }
}

fn sequence<'v, 't>(
    items: impl Iterator<Item = &'v Value>,
    elem_type: impl Fn(usize) -> &'t CtyType,
    path: &mut AttributePath,
) -> Result<serde_json::Value, CodecError> {
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        path.0.push(PathStep::Index(i as i64));
        let r = to_json_value(item, elem_type(i), path);
        path.0.pop();
        out.push(r?);
    }
    Ok(serde_json::Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::Refinements;

    fn num(t: &str) -> Value {
        Value::Number(Number::parse(t).unwrap())
    }

    fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn text(v: &Value, ty: &CtyType) -> String {
        String::from_utf8(encode(v, ty).unwrap()).unwrap()
    }

    fn round_trip(v: &Value, ty: &CtyType) -> String {
        let s = text(v, ty);
        assert_eq!(&decode(s.as_bytes(), ty).unwrap(), v, "{s}");
        s
    }

    #[test]
    fn state_with_missing_attributes_decodes_with_nulls() {
        // State written by an older schema: "tags" and "timeouts" did not exist.
        let ty = CtyType::object([
            ("id", CtyType::String),
            ("port", CtyType::Number),
            ("tags", CtyType::map(CtyType::String)),
            ("timeouts", CtyType::object([("create", CtyType::String)])),
        ]);
        let v = decode(br#"{"id":"abc","port":8080}"#, &ty).unwrap();
        assert_eq!(
            v,
            obj([
                ("id", Value::string("abc")),
                ("port", num("8080")),
                ("tags", Value::Null),
                ("timeouts", Value::Null),
            ])
        );
    }

    #[test]
    fn unknown_attributes_in_state_are_errors() {
        let ty = CtyType::object([("id", CtyType::String)]);
        let err = decode(br#"{"id":"a","gone":1}"#, &ty).unwrap_err();
        assert!(matches!(err, CodecError::UnexpectedAttribute { ref name, .. } if name == "gone"));
    }

    #[test]
    fn every_type_round_trips() {
        let ty = CtyType::object([
            ("s", CtyType::String),
            ("n", CtyType::Number),
            ("b", CtyType::Bool),
            ("l", CtyType::list(CtyType::String)),
            ("set", CtyType::set(CtyType::Number)),
            ("m", CtyType::map(CtyType::Bool)),
            ("t", CtyType::Tuple(vec![CtyType::String, CtyType::Number])),
            (
                "o",
                CtyType::object([(
                    "inner",
                    CtyType::list(CtyType::object([("x", CtyType::String)])),
                )]),
            ),
            ("d", CtyType::Dynamic),
        ]);
        let v = obj([
            ("s", Value::string("a\"b")),
            ("n", num("-1.5")),
            ("b", Value::Bool(true)),
            ("l", Value::List(vec![Value::string("x"), Value::Null])),
            ("set", Value::Set(vec![num("2"), num("1")])),
            (
                "m",
                Value::Map(BTreeMap::from([("k".to_string(), Value::Bool(false))])),
            ),
            ("t", Value::Tuple(vec![Value::string("t"), num("3")])),
            (
                "o",
                obj([("inner", Value::List(vec![obj([("x", Value::Null)])]))]),
            ),
            (
                "d",
                Value::Dynamic(
                    Box::new(CtyType::list(CtyType::String)),
                    Box::new(Value::List(vec![Value::string("q")])),
                ),
            ),
        ]);
        let s = round_trip(&v, &ty);
        assert_eq!(
            s,
            r#"{"b":true,"d":{"value":["q"],"type":["list","string"]},"l":["x",null],"m":{"k":false},"n":-1.5,"o":{"inner":[{"x":null}]},"s":"a\"b","set":[2,1],"t":["t",3]}"#
        );
        // Null at every level.
        round_trip(&Value::Null, &ty);
        let nulls = obj([
            ("s", Value::Null),
            ("n", Value::Null),
            ("b", Value::Null),
            ("l", Value::Null),
            ("set", Value::Null),
            ("m", Value::Null),
            ("t", Value::Null),
            ("o", Value::Null),
            ("d", Value::Null),
        ]);
        round_trip(&nulls, &ty);
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        for t in [
            "18446744073709551616",
            "1e400",
            "0.1",
            "-0.000000000000000000001",
            "123456789012345678901234567890",
            "0.10",
        ] {
            let s = round_trip(&num(t), &CtyType::Number);
            if t.contains('e') {
                // serde_json spells exponents with a sign; the number is the same.
                assert_eq!(s, t.replace('e', "e+"));
            } else {
                assert_eq!(s, t);
            }
        }
        // Text that is a number but not JSON is written as an equal JSON number.
        assert_eq!(
            decode(
                &encode(&num(".5"), &CtyType::Number).unwrap(),
                &CtyType::Number
            )
            .unwrap(),
            num("0.5")
        );
        assert_eq!(text(&num("+7"), &CtyType::Number), "7");
    }

    #[test]
    fn lenient_primitive_reading_like_cty() {
        assert_eq!(decode(br#""12""#, &CtyType::Number).unwrap(), num("12"));
        assert_eq!(
            decode(br#""true""#, &CtyType::Bool).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            decode(b"12.50", &CtyType::String).unwrap(),
            Value::string("12.50")
        );
        assert_eq!(
            decode(b"false", &CtyType::String).unwrap(),
            Value::string("false")
        );
        assert!(matches!(
            decode(br#""twelve""#, &CtyType::Number),
            Err(CodecError::Mismatch { .. })
        ));
        assert!(matches!(
            decode(br#""yes""#, &CtyType::Bool),
            Err(CodecError::Mismatch { .. })
        ));
        assert!(matches!(
            decode(b"[]", &CtyType::String),
            Err(CodecError::Mismatch { .. })
        ));
    }

    #[test]
    fn unknown_cannot_be_encoded() {
        let ty = CtyType::object([("arn", CtyType::String)]);
        let err = encode(&obj([("arn", Value::Unknown(None))]), &ty).unwrap_err();
        assert!(matches!(err, CodecError::Unknown { .. }));
        assert!(
            err.to_string().starts_with("arn: value is unknown"),
            "{err}"
        );
        let refined = Value::Unknown(Some(Refinements {
            raw: vec![0x81, 0x01, 0xc2],
        }));
        assert!(encode(&refined, &CtyType::String).is_err());
    }

    #[test]
    fn dynamic_wire_form_is_checked() {
        let ok = decode(br#"{"type":"number","value":5}"#, &CtyType::Dynamic).unwrap();
        assert_eq!(
            ok,
            Value::Dynamic(Box::new(CtyType::Number), Box::new(num("5")))
        );
        assert_eq!(decode(b"null", &CtyType::Dynamic).unwrap(), Value::Null);
        for bad in [
            &br#"5"#[..],
            br#"{"value":5}"#,
            br#"{"type":"number"}"#,
            br#"{"type":"number","value":5,"x":1}"#,
        ] {
            assert!(
                decode(bad, &CtyType::Dynamic).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn tuples_and_collections_are_checked() {
        let tup = CtyType::Tuple(vec![CtyType::String]);
        assert!(matches!(
            decode(br#"["a","b"]"#, &tup),
            Err(CodecError::Mismatch { .. })
        ));
        assert!(matches!(
            decode(br#"{"a":1}"#, &CtyType::list(CtyType::Number)),
            Err(CodecError::Mismatch { .. })
        ));
        let err = decode(
            br#"{"a":[1,"x"]}"#,
            &CtyType::map(CtyType::list(CtyType::Number)),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "[\"a\"][1]: expected number, found \"x\"");
        assert!(matches!(
            decode(b"{", &CtyType::String),
            Err(CodecError::Json(_))
        ));
    }

    #[test]
    fn set_duplicates_collapse_on_encode() {
        let v = Value::Set(vec![
            Value::string("a"),
            Value::string("a"),
            Value::string("b"),
        ]);
        assert_eq!(text(&v, &CtyType::set(CtyType::String)), r#"["a","b"]"#);
    }
}
