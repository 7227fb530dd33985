//! What every data source does the same way with its configuration and
//! state: read string arguments, validate them at their attribute paths, and
//! answer a read with a null state when it fails.

use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::value::Value;
use crate::validate;

/// Argument `name` when it is a known string; `None` for null or unknown.
pub fn opt_string(config: &Value, name: &str) -> Option<String> {
    config.attr(name).as_str().map(str::to_string)
}

/// A validator for one string argument: `Err` holds the detail to show.
pub type Check = fn(&str) -> Result<(), String>;

/// Runs each `(argument, summary, check)` on `config`, with every error at
/// its argument's path, in the order given. Null and unknown values pass, so
/// validation never needs AWS.
pub fn check_args(config: &Value, checks: &[(&str, &str, Check)]) -> Diagnostics {
    let mut d = Diagnostics::new();
    for (name, summary, check) in checks {
        validate::check_str(
            &mut d,
            config.attr(name),
            AttributePath::attr(name),
            summary,
            check,
        );
    }
    d
}

/// The state object, from attribute names and values.
pub fn object(attrs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// What `DataSource::read` returns: the state, or a null state with the
/// diagnostics that explain why there is none.
pub fn read_response(result: Result<Value, Diagnostics>) -> (Value, Diagnostics) {
    match result {
        Ok(state) => (state, Diagnostics::new()),
        Err(d) => (Value::Null, d),
    }
}

/// Configurations and diagnostics in the shape the data source tests need.
#[cfg(test)]
pub mod test_support {
    use std::collections::BTreeMap;

    use crate::tfplugin::diagnostics::Diagnostics;
    use crate::tfplugin::schema::Schema;
    use crate::tfplugin::value::Value;

    /// A configuration with every attribute of `schema` null except `pairs`.
    pub fn config(schema: &Schema, pairs: &[(&str, Value)]) -> Value {
        let mut attrs: BTreeMap<String, Value> = schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        for (k, v) in pairs {
            attrs.insert((*k).to_string(), v.clone());
        }
        Value::Object(attrs)
    }

    /// The attribute path of each diagnostic, in order ("" for none).
    pub fn error_paths(d: &Diagnostics) -> Vec<String> {
        d.attribute_paths()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Value {
        object([
            ("name", Value::string("ok")),
            ("bad", Value::string("x y")),
            ("later", Value::Unknown(None)),
            ("unset", Value::Null),
        ])
    }

    #[test]
    fn reads_only_known_strings() {
        let c = config();
        assert_eq!(opt_string(&c, "name").as_deref(), Some("ok"));
        assert_eq!(opt_string(&c, "later"), None);
        assert_eq!(opt_string(&c, "unset"), None);
    }

    #[test]
    fn checks_known_strings_at_their_path() {
        let no_space = |s: &str| {
            if s.contains(' ') {
                Err(format!("{s:?} has a space"))
            } else {
                Ok(())
            }
        };
        let checks: Vec<(&str, &str, Check)> = ["name", "bad", "later", "unset"]
            .into_iter()
            .map(|name| (name, "Invalid thing", no_space as Check))
            .collect();
        let d = check_args(&config(), &checks);
        assert_eq!(test_support::error_paths(&d), ["bad"]);
        assert_eq!(d.0[0].summary, "Invalid thing");
        assert!(d.0[0].detail.contains("has a space"), "{}", d.0[0].detail);
    }

    #[test]
    fn a_failed_read_has_a_null_state() {
        let (state, d) = read_response(Ok(config()));
        assert_eq!(state, config());
        assert!(d.0.is_empty());
        let (state, d) = read_response(Err(Diagnostics::from_error("Boom", "why")));
        assert_eq!(state, Value::Null);
        assert!(d.has_errors());
    }
}
