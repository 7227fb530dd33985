//! Reading this resource's attributes out of Terraform values, and building
//! them back. Each input may be unknown during plan, so readers say so rather
//! than guess.

use std::collections::{BTreeMap, BTreeSet};

use crate::tfplugin::value::{Number, Value};

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

pub fn string(v: &Value) -> Field<String> {
    match v {
        Value::Unknown(_) => Field::Unknown,
        Value::String(s) => Field::Known(s.clone()),
        _ => Field::Null,
    }
}

pub fn int(v: &Value) -> Field<i64> {
    match v {
        Value::Unknown(_) => Field::Unknown,
        Value::Number(n) => n.as_i64().map_or(Field::Null, Field::Known),
        _ => Field::Null,
    }
}

/// A set or list of strings; unknown when it or any element is unknown.
pub fn string_set(v: &Value) -> Field<BTreeSet<String>> {
    match v {
        Value::Unknown(_) => Field::Unknown,
        Value::Null => Field::Null,
        Value::Set(items) | Value::List(items) | Value::Tuple(items) => {
            let mut out = BTreeSet::new();
            for item in items {
                match item {
                    Value::String(s) => {
                        out.insert(s.clone());
                    }
                    Value::Unknown(_) => return Field::Unknown,
                    _ => {}
                }
            }
            Field::Known(out)
        }
        _ => Field::Null,
    }
}

/// A map of strings; unknown when it or any value is unknown.
pub fn string_map(v: &Value) -> Field<BTreeMap<String, String>> {
    match v {
        Value::Unknown(_) => Field::Unknown,
        Value::Map(m) | Value::Object(m) => {
            let mut out = BTreeMap::new();
            for (k, item) in m {
                match item {
                    Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    Value::Unknown(_) => return Field::Unknown,
                    _ => {}
                }
            }
            Field::Known(out)
        }
        _ => Field::Null,
    }
}

pub fn v_str(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

pub fn v_opt_str(s: Option<impl Into<String>>) -> Value {
    s.map_or(Value::Null, v_str)
}

pub fn v_int(n: i64) -> Value {
    Value::Number(Number::from_i64(n))
}

/// A set value with elements in sorted order, so results are deterministic.
pub fn v_set<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let sorted: BTreeSet<String> = items.into_iter().map(Into::into).collect();
    Value::Set(sorted.into_iter().map(Value::String).collect())
}

pub fn v_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), v_str(v.clone())))
            .collect(),
    )
}

pub fn unknown() -> Value {
    Value::Unknown(None)
}

/// Turns a plan-time field back into a value: unknown stays unknown.
pub fn v_field<T>(f: Field<T>, to_value: impl FnOnce(T) -> Value) -> Value {
    match f {
        Field::Unknown => unknown(),
        Field::Null => Value::Null,
        Field::Known(v) => to_value(v),
    }
}

/// An object with exactly this resource's attributes, all null.
pub fn empty_object() -> BTreeMap<String, Value> {
    super::schema::ALL
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_elements_make_the_set_unknown() {
        let v = Value::Set(vec![v_str("a"), unknown()]);
        assert!(string_set(&v).is_unknown());
        let v = Value::Set(vec![v_str("b"), v_str("a")]);
        assert_eq!(
            string_set(&v),
            Field::Known(["a", "b"].iter().map(|s| s.to_string()).collect())
        );
        assert_eq!(string_set(&Value::Null), Field::Null);
    }

    #[test]
    fn defaults_apply_to_null_only() {
        assert_eq!(
            string(&Value::Null).or_default("d".into()),
            Some("d".to_string())
        );
        assert_eq!(
            string(&v_str("x")).or_default("d".into()),
            Some("x".to_string())
        );
        assert_eq!(string(&unknown()).or_default("d".into()), None);
    }

    #[test]
    fn sets_render_sorted() {
        assert_eq!(v_set(["b", "a"]), Value::Set(vec![v_str("a"), v_str("b")]));
    }
}
