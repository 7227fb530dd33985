//! cty's JSON type notation, used for schema attribute types, dynamic values
//! and function signatures: `"string"`, `["list","number"]`,
//! `["object",{"a":"bool"},["a"]]` (the third element lists optional
//! attributes), `["tuple",["string","number"]]`.
//!
//! Output is compact with object keys sorted, matching what Terraform itself
//! produces, so the bytes are stable across runs.

use super::codec_error::CodecError;
use super::types::CtyType;

/// The compact JSON bytes of a type, as the schema's `type` field carries them.
pub fn to_json_bytes(ty: &CtyType) -> Vec<u8> {
    to_json_value(ty).to_string().into_bytes()
}

/// The type as a JSON value (for embedding, as in a dynamic value's `"type"`).
pub fn to_json_value(ty: &CtyType) -> serde_json::Value {
    use serde_json::Value as J;
    match ty {
        CtyType::Bool => J::from("bool"),
        CtyType::Number => J::from("number"),
        CtyType::String => J::from("string"),
        CtyType::Dynamic => J::from("dynamic"),
        CtyType::List(t) => J::Array(vec![J::from("list"), to_json_value(t)]),
        CtyType::Set(t) => J::Array(vec![J::from("set"), to_json_value(t)]),
        CtyType::Map(t) => J::Array(vec![J::from("map"), to_json_value(t)]),
        CtyType::Object {
            attributes,
            optional,
        } => {
            let attrs: serde_json::Map<String, J> = attributes
                .iter()
                .map(|(k, t)| (k.clone(), to_json_value(t)))
                .collect();
            let mut out = vec![J::from("object"), J::Object(attrs)];
            if !optional.is_empty() {
                let mut names: Vec<&String> = optional.iter().collect();
                names.sort();
                names.dedup();
                out.push(J::Array(
                    names.into_iter().map(|n| J::from(n.as_str())).collect(),
                ));
            }
            J::Array(out)
        }
        CtyType::Tuple(elems) => J::Array(vec![
            J::from("tuple"),
            J::Array(elems.iter().map(to_json_value).collect()),
        ]),
    }
}

/// Parses type JSON from raw bytes (as found inside a msgpack dynamic value).
pub fn from_json_bytes(bytes: &[u8]) -> Result<CtyType, CodecError> {
    let v: serde_json::Value = serde_json::from_slice(bytes)?;
    from_json(&v)
}

pub fn from_json(v: &serde_json::Value) -> Result<CtyType, CodecError> {
    use serde_json::Value as J;
    match v {
        J::String(s) => match s.as_str() {
            "bool" => Ok(CtyType::Bool),
            "number" => Ok(CtyType::Number),
            "string" => Ok(CtyType::String),
            "dynamic" => Ok(CtyType::Dynamic),
            other => Err(CodecError::InvalidType(format!(
                "unknown primitive type {other:?}"
            ))),
        },
        J::Array(items) => {
            let kind = items.first().and_then(J::as_str).ok_or_else(|| {
                CodecError::InvalidType(format!("{v}: expected [\"kind\", argument]"))
            })?;
            let arg = items
                .get(1)
                .ok_or_else(|| CodecError::InvalidType(format!("{v}: {kind} needs an argument")))?;
            let max_len = if kind == "object" { 3 } else { 2 };
            if items.len() > max_len {
                return Err(CodecError::InvalidType(format!(
                    "{v}: too many elements for {kind}"
                )));
            }
            match kind {
                "list" => Ok(CtyType::list(from_json(arg)?)),
                "set" => Ok(CtyType::set(from_json(arg)?)),
                "map" => Ok(CtyType::map(from_json(arg)?)),
                "object" => object_from_json(v, arg, items.get(2)),
                "tuple" => {
                    let elems = arg.as_array().ok_or_else(|| {
                        CodecError::InvalidType(format!("{v}: tuple needs an array of types"))
                    })?;
                    Ok(CtyType::Tuple(
                        elems.iter().map(from_json).collect::<Result<_, _>>()?,
                    ))
                }
                other => Err(CodecError::InvalidType(format!(
                    "unknown type kind {other:?}"
                ))),
            }
        }
        other => Err(CodecError::InvalidType(format!(
            "{other}: expected a string or an array"
        ))),
    }
}

fn object_from_json(
    whole: &serde_json::Value,
    attrs: &serde_json::Value,
    optional: Option<&serde_json::Value>,
) -> Result<CtyType, CodecError> {
    let attrs = attrs.as_object().ok_or_else(|| {
        CodecError::InvalidType(format!("{whole}: object needs a map of attribute types"))
    })?;
    let attributes = attrs
        .iter()
        .map(|(k, t)| Ok((k.clone(), from_json(t)?)))
        .collect::<Result<_, CodecError>>()?;
    let mut names = Vec::new();
    if let Some(opt) = optional {
        let list = opt.as_array().ok_or_else(|| {
            CodecError::InvalidType(format!("{whole}: optional attributes must be an array"))
        })?;
        for n in list {
            let name = n.as_str().ok_or_else(|| {
                CodecError::InvalidType(format!(
                    "{whole}: optional attribute names must be strings"
                ))
            })?;
            if !attrs.contains_key(name) {
                return Err(CodecError::InvalidType(format!(
                    "{whole}: optional attribute {name:?} is not an attribute"
                )));
            }
            names.push(name.to_string());
        }
    }
    names.sort();
    names.dedup();
    Ok(CtyType::Object {
        attributes,
        optional: names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn text(ty: &CtyType) -> String {
        String::from_utf8(to_json_bytes(ty)).unwrap()
    }

    fn parse(s: &str) -> Result<CtyType, CodecError> {
        from_json_bytes(s.as_bytes())
    }

    #[test]
    fn primitives_both_ways() {
        for (ty, s) in [
            (CtyType::String, "\"string\""),
            (CtyType::Number, "\"number\""),
            (CtyType::Bool, "\"bool\""),
            (CtyType::Dynamic, "\"dynamic\""),
        ] {
            assert_eq!(text(&ty), s);
            assert_eq!(parse(s).unwrap(), ty);
        }
    }

    #[test]
    fn collections_both_ways() {
        let ty = CtyType::map(CtyType::set(CtyType::list(CtyType::Number)));
        let s = r#"["map",["set",["list","number"]]]"#;
        assert_eq!(text(&ty), s);
        assert_eq!(parse(s).unwrap(), ty);
        let tup = CtyType::Tuple(vec![CtyType::String, CtyType::Bool]);
        assert_eq!(text(&tup), r#"["tuple",["string","bool"]]"#);
        assert_eq!(parse(r#"["tuple",["string","bool"]]"#).unwrap(), tup);
        assert_eq!(text(&CtyType::Tuple(vec![])), r#"["tuple",[]]"#);
    }

    #[test]
    fn object_keys_are_sorted_and_compact() {
        let ty = CtyType::object([
            ("zeta", CtyType::String),
            ("alpha", CtyType::list(CtyType::String)),
            (
                "mid",
                CtyType::object([("b", CtyType::Bool), ("a", CtyType::Number)]),
            ),
        ]);
        let s = r#"["object",{"alpha":["list","string"],"mid":["object",{"a":"number","b":"bool"}],"zeta":"string"}]"#;
        assert_eq!(text(&ty), s);
        assert_eq!(parse(s).unwrap(), ty);
        // Input key order does not matter.
        assert_eq!(
            parse(r#"["object",{"zeta":"string","mid":["object",{"b":"bool","a":"number"}],"alpha":["list","string"]}]"#)
                .unwrap(),
            ty
        );
    }

    #[test]
    fn optional_attributes_round_trip() {
        let s = r#"["object",{"a":"string","b":"number","c":"bool"},["b","c"]]"#;
        let ty = parse(r#"["object",{"a":"string","b":"number","c":"bool"},["c","b"]]"#).unwrap();
        match &ty {
            CtyType::Object { optional, .. } => {
                assert_eq!(optional, &vec!["b".to_string(), "c".to_string()])
            }
            other => panic!("not an object: {other:?}"),
        }
        assert_eq!(text(&ty), s);
        let none = CtyType::Object {
            attributes: BTreeMap::from([("a".to_string(), CtyType::String)]),
            optional: vec![],
        };
        assert_eq!(text(&none), r#"["object",{"a":"string"}]"#);
    }

    #[test]
    fn escapes_attribute_names() {
        let ty = CtyType::object([("we\"ird", CtyType::String)]);
        let s = text(&ty);
        assert_eq!(s, r#"["object",{"we\"ird":"string"}]"#);
        assert_eq!(parse(&s).unwrap(), ty);
    }

    #[test]
    fn rejects_invalid_types() {
        for bad in [
            r#""str""#,
            r#"["list"]"#,
            r#"["list","string","x"]"#,
            r#"["vector","string"]"#,
            r#"["object",["a"]]"#,
            r#"["object",{"a":"string"},["b"]]"#,
            r#"["object",{"a":"string"},[1]]"#,
            r#"["tuple","string"]"#,
            r#"42"#,
            r#"[]"#,
            r#"[1,"string"]"#,
        ] {
            assert!(
                matches!(parse(bad), Err(CodecError::InvalidType(_))),
                "{bad} should be rejected"
            );
        }
        assert!(matches!(parse("{not json"), Err(CodecError::Json(_))));
    }
}
