//! cty types: the shape Terraform gives every value, and how the wire names it.
//!
//! Terraform sends and expects types as JSON (`"string"`, `["list","string"]`,
//! `["object",{...}]`); the schema uses the same encoding for attribute types.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtyType {
    Bool,
    Number,
    String,
    /// `dynamic`: the value carries its own type on the wire.
    Dynamic,
    List(Box<CtyType>),
    Set(Box<CtyType>),
    Map(Box<CtyType>),
    /// Attribute types; names listed in `optional` may be omitted in config.
    Object {
        attributes: BTreeMap<String, CtyType>,
        optional: Vec<String>,
    },
    Tuple(Vec<CtyType>),
}

impl CtyType {
    pub fn list(t: CtyType) -> CtyType {
        CtyType::List(Box::new(t))
    }
    pub fn set(t: CtyType) -> CtyType {
        CtyType::Set(Box::new(t))
    }
    pub fn map(t: CtyType) -> CtyType {
        CtyType::Map(Box::new(t))
    }
    pub fn object<I, S>(attrs: I) -> CtyType
    where
        I: IntoIterator<Item = (S, CtyType)>,
        S: Into<String>,
    {
        CtyType::Object {
            attributes: attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            optional: Vec::new(),
        }
    }
}

impl CtyType {
    /// A short human name for messages: `string`, `list of number`, `object`.
    pub fn friendly_name(&self) -> String {
        match self {
            CtyType::Bool => "bool".to_string(),
            CtyType::Number => "number".to_string(),
            CtyType::String => "string".to_string(),
            CtyType::Dynamic => "any type".to_string(),
            CtyType::List(t) => format!("list of {}", t.friendly_name()),
            CtyType::Set(t) => format!("set of {}", t.friendly_name()),
            CtyType::Map(t) => format!("map of {}", t.friendly_name()),
            CtyType::Object { .. } => "object".to_string(),
            CtyType::Tuple(_) => "tuple".to_string(),
        }
    }
}
