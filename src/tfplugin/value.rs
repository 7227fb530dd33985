//! Terraform values as the provider sees them: cty values that may be null or
//! unknown, decoded from (and encoded to) the wire's msgpack or JSON forms.
//!
//! Values carry no type of their own; the schema's [`CtyType`] says how to read
//! them. That mirrors cty and keeps one enum for every place a value appears.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::decimal::{self, Decimal};
use super::types::CtyType;

/// An arbitrary-precision decimal number, kept as its canonical decimal text.
///
/// Terraform numbers are big floats; most of ours are small integers, but a
/// value we do not understand must still round-trip without loss.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Number(String);

impl Number {
    /// Accepts decimal text such as `1`, `-2.5` or `1e40`; returns `None` for
    /// anything that is not a finite decimal number. The text is kept as given.
    pub fn parse(text: &str) -> Option<Number> {
        let t = text.trim();
        Decimal::parse(t).map(|_| Number(t.to_string()))
    }
    pub fn from_i64(n: i64) -> Number {
        Number(n.to_string())
    }
    pub fn from_u64(n: u64) -> Number {
        Number(n.to_string())
    }
    /// The exact value of a finite float (so `0.1f64` becomes its full binary
    /// expansion, which is what Terraform means when it sends that float).
    pub fn from_f64(f: f64) -> Option<Number> {
        Decimal::from_f64(f).map(|d| Number(d.plain_text()))
    }
    /// Sign, digits and power of ten; the basis for numeric comparison.
    pub fn decimal(&self) -> Option<Decimal> {
        Decimal::parse(&self.0)
    }
    /// Equal as numbers (`1` and `1.0` are), unlike `==`, which compares text.
    pub fn numerically_eq(&self, other: &Number) -> bool {
        match (self.decimal(), other.decimal()) {
            (Some(a), Some(b)) => a == b,
            _ => self.0 == other.0,
        }
    }
    /// The text in a form valid as a JSON number.
    pub fn json_text(&self) -> Cow<'_, str> {
        decimal::json_text(&self.0)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number as an integer, when it is one that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse::<i64>().ok().or_else(|| {
            let f = self.0.parse::<f64>().ok()?;
            (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
        })
    }
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse::<f64>().ok()
    }
}

/// Refinements Terraform may attach to an unknown value (msgpack extension 12).
/// We keep them opaque so they survive a round trip unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refinements {
    /// The raw msgpack payload of the extension, as received.
    pub raw: Vec<u8>,
}

/// A cty value. Collections hold values of their element type; objects hold
/// every attribute of their type (absent ones as [`Value::Null`]).
///
/// Equality follows cty rather than the Rust layout: sets are equal when they
/// hold the same elements in any order, and numbers compare by value.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    /// Not known until apply. `refinements` is `Some` only when Terraform sent
    /// refinements (for example "not null").
    Unknown(Option<Refinements>),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Set elements in the order received; equality of sets ignores order.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value of a `dynamic` attribute, with the concrete type it was sent with.
    Dynamic(Box<CtyType>, Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }
    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }
    /// An attribute of an object value; `Null` for a null object or missing key.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    /// Elements of a list, set or tuple; empty for null, unknown or non-sequences.
    pub fn elements(&self) -> &[Value] {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v,
            _ => &[],
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Unknown(a), Value::Unknown(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a.numerically_eq(b),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => same_multiset(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Dynamic(ta, va), Value::Dynamic(tb, vb)) => ta == tb && va == vb,
            _ => false,
        }
    }
}

/// Order-insensitive comparison that still counts duplicates, so `[a, a, b]`
/// differs from `[a, b, b]`. Quadratic, which is fine for attribute-sized sets.
fn same_multiset(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .enumerate()
            .find(|(i, y)| !used[*i] && x == *y)
            .map(|(i, _)| i);
        match found {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn num(t: &str) -> Value {
        Value::Number(Number::parse(t).unwrap())
    }

    #[test]
    fn sets_compare_as_multisets() {
        assert_eq!(
            Value::Set(vec![s("a"), s("b")]),
            Value::Set(vec![s("b"), s("a")])
        );
        assert_ne!(
            Value::Set(vec![s("a"), s("a"), s("b")]),
            Value::Set(vec![s("a"), s("b"), s("b")])
        );
        assert_ne!(Value::Set(vec![s("a")]), Value::Set(vec![s("a"), s("a")]));
        assert_eq!(Value::Set(vec![]), Value::Set(vec![]));
        // Lists and tuples keep order; a set is never a list.
        assert_ne!(
            Value::List(vec![s("a"), s("b")]),
            Value::List(vec![s("b"), s("a")])
        );
        assert_ne!(Value::Set(vec![s("a")]), Value::List(vec![s("a")]));
        // Nested sets inside objects inside sets.
        let obj =
            |tags: Vec<Value>| Value::Object(BTreeMap::from([("t".to_string(), Value::Set(tags))]));
        assert_eq!(
            Value::Set(vec![obj(vec![s("1"), s("2")]), obj(vec![])]),
            Value::Set(vec![obj(vec![]), obj(vec![s("2"), s("1")])])
        );
    }

    #[test]
    fn numbers_compare_by_value_and_the_rest_structurally() {
        assert_eq!(num("1"), num("1.0"));
        assert_eq!(num("100"), num("1e2"));
        assert_ne!(num("0.1"), num("0.10000000000000001"));
        assert_ne!(Value::Null, Value::Unknown(None));
        assert_ne!(Value::Null, s(""));
        assert_eq!(Value::Unknown(None), Value::Unknown(None));
        assert_ne!(
            Value::Unknown(None),
            Value::Unknown(Some(Refinements {
                raw: vec![0x81, 0x01, 0xc2]
            }))
        );
        assert_ne!(
            Value::Map(BTreeMap::from([("a".to_string(), s("x"))])),
            Value::Object(BTreeMap::from([("a".to_string(), s("x"))]))
        );
        assert_eq!(
            Value::Dynamic(Box::new(CtyType::Number), Box::new(num("2"))),
            Value::Dynamic(Box::new(CtyType::Number), Box::new(num("2.0")))
        );
        assert_ne!(
            Value::Dynamic(Box::new(CtyType::Number), Box::new(num("2"))),
            Value::Dynamic(Box::new(CtyType::String), Box::new(num("2")))
        );
    }

    #[test]
    fn number_parsing_is_strict_but_keeps_text() {
        assert_eq!(Number::parse(" 1.50 ").unwrap().as_str(), "1.50");
        assert!(Number::parse("1-2").is_none());
        assert!(Number::parse("e").is_none());
        assert!(Number::parse("").is_none());
        assert_eq!(Number::from_f64(0.25).unwrap().as_str(), "0.25");
        assert!(Number::from_f64(f64::NAN).is_none());
        assert_eq!(Number::from_u64(u64::MAX).as_str(), "18446744073709551615");
        assert_eq!(Number::parse("+7").unwrap().json_text(), "7");
    }
}
