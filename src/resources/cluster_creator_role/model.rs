//! The resource's values as Rust types, converted to and from [`Value`]
//! through the JSON form in `tfplugin::convert`.
//!
//! State and apply-time values are wholly known and convert directly
//! ([`CreatorRole`]). Configurations and plans may hold unknowns, which a
//! model has no way to say, so they are read as a [`Partial`]: the known
//! attributes as a model, plus the names of the attributes not known yet.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize};

use super::schema::{self, ALL};
use crate::tfplugin::convert;
use crate::tfplugin::schema_type::block_type;
use crate::tfplugin::value::Value;

/// One creator role: configuration, planned state or state. Every field is
/// optional because configurations leave most of them out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreatorRole {
    pub id: Option<String>,
    pub name: Option<String>,
    pub path: Option<String>,
    pub description: Option<String>,
    pub trusted_permission_sets: Option<BTreeSet<String>>,
    pub trusted_role_arns: Option<BTreeSet<String>>,
    pub trusted_principal_arn_patterns: Option<BTreeSet<String>>,
    pub permissions: Option<String>,
    pub additional_policy_json: Option<String>,
    pub managed_policy_arns: Option<BTreeSet<String>>,
    #[serde(deserialize_with = "whole_seconds")]
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub policy_name: Option<String>,
    pub arn: Option<String>,
    pub unique_id: Option<String>,
    pub policy_arn: Option<String>,
    pub trust_policy: Option<String>,
    pub policy_document: Option<String>,
    pub attached_policy_arns: Option<BTreeSet<String>>,
}

/// `max_session_duration` is a Terraform number; only whole seconds in
/// `i64` make sense. Anything else reads as absent, and validation, which
/// looks at the raw value, says what is wrong with it.
fn whole_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let n = Option::<serde_json::Number>::deserialize(d)?;
    Ok(n.and_then(|n| n.as_i64()))
}

/// Why a value could not become a [`CreatorRole`] or back.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the value holds unknowns or does not fit the schema: {0}")]
    ToJson(String),
    #[error("the value does not have the resource's shape: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("the state could not be encoded: {0}")]
    FromJson(String),
}

impl CreatorRole {
    /// Reads a wholly known value (null reads as the empty model).
    pub fn from_value(v: &Value) -> Result<CreatorRole, ModelError> {
        let json = convert::to_json(v).map_err(|e| ModelError::ToJson(e.to_string()))?;
        if json.is_null() {
            return Ok(CreatorRole::default());
        }
        Ok(serde_json::from_value(json)?)
    }

    /// The state value, shaped by the resource schema.
    pub fn to_value(&self) -> Result<Value, ModelError> {
        let json = serde_json::to_value(self)?;
        let ty = block_type(&schema::schema().block);
        convert::from_json(&json, &ty).map_err(|e| ModelError::FromJson(e.to_string()))
    }

    /// The role name: `name`, or `id` in an import stub that has only that.
    pub fn role_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.id.as_deref())
    }
}

/// A value that may hold unknowns (a configuration or a plan).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partial {
    /// The attributes that are wholly known; the others are `None` here.
    pub known: CreatorRole,
    /// Top-level attributes that are unknown or hold an unknown anywhere.
    pub unknown: BTreeSet<&'static str>,
}

impl Partial {
    pub fn from_value(v: &Value) -> Result<Partial, ModelError> {
        let mut unknown = BTreeSet::new();
        let mut known = v.clone();
        if let Value::Object(fields) = &mut known {
            for name in ALL {
                if let Some(slot) = fields.get_mut(name)
                    && !slot.is_wholly_known()
                {
                    unknown.insert(name);
                    *slot = Value::Null;
                }
            }
        }
        Ok(Partial {
            known: CreatorRole::from_value(&known)?,
            unknown,
        })
    }

    /// A fully known model as a partial one.
    pub fn known(model: CreatorRole) -> Partial {
        Partial {
            known: model,
            unknown: BTreeSet::new(),
        }
    }

    pub fn is_unknown(&self, name: &str) -> bool {
        self.unknown.contains(name)
    }

    /// Marks `name` unknown (its known value, if any, no longer counts).
    pub fn set_unknown(&mut self, name: &'static str) {
        self.unknown.insert(name);
    }

    /// The value, with unknown attributes unknown.
    pub fn to_value(&self) -> Result<Value, ModelError> {
        let mut v = self.known.to_value()?;
        if let Value::Object(fields) = &mut v {
            for name in &self.unknown {
                fields.insert(name.to_string(), Value::Unknown(None));
            }
        }
        Ok(v)
    }

    /// One attribute as plan sees it.
    pub fn field<T: Clone>(&self, name: &str, value: &Option<T>) -> Field<T> {
        if self.is_unknown(name) {
            return Field::Unknown;
        }
        match value {
            None => Field::Null,
            Some(v) => Field::Known(v.clone()),
        }
    }
}

/// An attribute as plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Unknown,
    Null,
    Known(T),
}

impl<T> Field<T> {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Field::Unknown)
    }
    /// `None` when unknown; `Some(None)` when null.
    pub fn known(self) -> Option<Option<T>> {
        match self {
            Field::Unknown => None,
            Field::Null => Some(None),
            Field::Known(v) => Some(Some(v)),
        }
    }
    /// The value, with `default` for null; `None` when unknown.
    pub fn or_default(self, default: T) -> Option<T> {
        self.known().map(|v| v.unwrap_or(default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::Number;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut m: BTreeMap<String, Value> =
            ALL.iter().map(|k| (k.to_string(), Value::Null)).collect();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    #[test]
    fn state_round_trips_through_the_model() {
        let role = CreatorRole {
            name: Some("EKSClusterCreator".into()),
            trusted_permission_sets: Some(["B".to_string(), "A".to_string()].into()),
            max_session_duration: Some(3600),
            tags: Some([("k".to_string(), "v".to_string())].into()),
            ..CreatorRole::default()
        };
        let v = role.to_value().unwrap();
        assert!(matches!(
            v.attr(schema::TRUSTED_PERMISSION_SETS),
            Value::Set(_)
        ));
        assert_eq!(v.attr(schema::ARN), &Value::Null);
        assert_eq!(CreatorRole::from_value(&v).unwrap(), role);
        assert_eq!(
            CreatorRole::from_value(&Value::Null).unwrap(),
            CreatorRole::default()
        );
    }

    #[test]
    fn unknowns_are_tracked_per_attribute() {
        let v = config(&[
            (schema::NAME, Value::string("x")),
            (
                schema::TRUSTED_PERMISSION_SETS,
                Value::Set(vec![Value::string("a"), Value::Unknown(None)]),
            ),
            (schema::DESCRIPTION, Value::Unknown(None)),
        ]);
        let p = Partial::from_value(&v).unwrap();
        assert_eq!(p.known.name.as_deref(), Some("x"));
        assert_eq!(
            p.unknown,
            [schema::TRUSTED_PERMISSION_SETS, schema::DESCRIPTION].into()
        );
        assert!(
            p.field(
                schema::TRUSTED_PERMISSION_SETS,
                &p.known.trusted_permission_sets
            )
            .is_unknown()
        );
        assert_eq!(
            p.field(schema::NAME, &p.known.name),
            Field::Known("x".to_string())
        );
        assert_eq!(p.field(schema::PATH, &p.known.path), Field::Null);
        let back = p.to_value().unwrap();
        assert!(back.attr(schema::DESCRIPTION).is_unknown());
        assert_eq!(back.attr(schema::NAME), &Value::string("x"));
    }

    #[test]
    fn fractional_session_durations_read_as_absent() {
        let v = config(&[(
            schema::MAX_SESSION_DURATION,
            Value::Number(Number::parse("3600.5").unwrap()),
        )]);
        assert_eq!(
            CreatorRole::from_value(&v).unwrap().max_session_duration,
            None
        );
    }

    #[test]
    fn defaults_apply_to_null_only() {
        assert_eq!(
            Field::<String>::Null.or_default("d".into()),
            Some("d".to_string())
        );
        assert_eq!(
            Field::Known("x".to_string()).or_default("d".into()),
            Some("x".to_string())
        );
        assert_eq!(Field::<String>::Unknown.or_default("d".into()), None);
    }
}
