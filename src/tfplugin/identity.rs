//! Resource identity (tfplugin6 6.9, Terraform 1.12+): the few attributes
//! that name one remote object, kept by Terraform beside the state and
//! versioned on their own.
//!
//! Terraform stores what the provider returns and sends it back; it checks
//! only that an identity fits the schema and is known. The rules that make
//! identity useful are the provider's to keep, and the server keeps them for
//! every resource (see `grpc_provider`): an identity is a function of the
//! state, it is returned with every state, and once an attribute is known it
//! never changes while the object lives.

use std::collections::BTreeMap;

use super::types::CtyType;
use super::value::Value;

/// The identity schema of one resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    /// Bumped whenever the attributes change shape; Terraform then calls
    /// UpgradeResourceIdentity with the version it stored.
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

/// How an attribute takes part in `import { identity = {...} }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForImport {
    /// The user must give it.
    Required,
    /// The user may give it; the provider can work it out otherwise.
    Optional,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    /// A primitive or a list of primitives: all an identity may hold.
    pub ty: CtyType,
    pub for_import: ForImport,
    /// Markdown.
    pub description: String,
}

impl IdentityAttribute {
    pub fn required_for_import(name: &str, ty: CtyType, description: &str) -> IdentityAttribute {
        IdentityAttribute {
            name: name.to_string(),
            ty,
            for_import: ForImport::Required,
            description: description.to_string(),
        }
    }

    pub fn optional_for_import(name: &str, ty: CtyType, description: &str) -> IdentityAttribute {
        IdentityAttribute {
            for_import: ForImport::Optional,
            ..IdentityAttribute::required_for_import(name, ty, description)
        }
    }
}

fn is_primitive(t: &CtyType) -> bool {
    matches!(t, CtyType::String | CtyType::Number | CtyType::Bool)
}

impl IdentitySchema {
    /// The object type identity values are encoded with.
    pub fn ty(&self) -> CtyType {
        CtyType::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }

    /// What Terraform would reject in this schema: attribute types other
    /// than primitives and lists of primitives, repeated names, no attributes.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.attributes.is_empty() {
            out.push("it has no attributes".to_string());
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            if !seen.insert(a.name.as_str()) {
                out.push(format!("attribute {:?} is declared twice", a.name));
            }
            let ok = match &a.ty {
                CtyType::List(inner) => is_primitive(inner),
                t => is_primitive(t),
            };
            if !ok {
                out.push(format!(
                    "attribute {:?} has type {}; identities hold only primitives and lists of primitives",
                    a.name,
                    a.ty.friendly_name()
                ));
            }
        }
        out
    }

    /// The attributes `import { identity = ... }` must give that `identity`
    /// leaves null.
    pub fn missing_for_import(&self, identity: &Value) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|a| a.for_import == ForImport::Required && identity.attr(&a.name).is_null())
            .map(|a| a.name.as_str())
            .collect()
    }

    /// An identity value with the given attributes and every other one null.
    pub fn value<I, S>(&self, attrs: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        let mut m: BTreeMap<String, Value> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        for (k, v) in attrs {
            m.insert(k.into(), v);
        }
        Value::Object(m)
    }
}

/// True when no attribute of `identity` holds a value: Terraform's "empty
/// identity", which a state written before identity support has.
pub fn is_empty(identity: &Value) -> bool {
    match identity {
        Value::Object(m) => m.values().all(Value::is_null),
        other => other.is_null(),
    }
}

/// The attributes whose known, non-null value in `prior` differs in `new`
/// (unknown in `new` counts as different). Null attributes of `prior` may be
/// filled in: an identity grows more complete, it never changes.
pub fn changed(prior: &Value, new: &Value) -> Vec<String> {
    let Value::Object(before) = prior else {
        return Vec::new();
    };
    before
        .iter()
        .filter(|(_, v)| !v.is_null() && !v.is_unknown())
        .filter(|(k, v)| new.attr(k) != *v)
        .map(|(k, _)| k.clone())
        .collect()
}

/// `derived` with the attributes it leaves null taken from `fallback`: used
/// on import by identity, where the object's state may not yet say what the
/// user already told us.
pub fn fill_nulls(derived: &Value, fallback: &Value) -> Value {
    match (derived, fallback) {
        (Value::Object(d), Value::Object(f)) => Value::Object(
            d.iter()
                .map(|(k, v)| {
                    let v = if v.is_null() {
                        f.get(k).cloned().unwrap_or(Value::Null)
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        (Value::Null, f) => f.clone(),
        (d, _) => d.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute::optional_for_import("account_id", CtyType::String, "Account."),
                IdentityAttribute::required_for_import("name", CtyType::String, "Name."),
            ],
        }
    }

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn type_is_an_object_of_the_attributes() {
        assert_eq!(
            schema().ty(),
            CtyType::object([("account_id", CtyType::String), ("name", CtyType::String)])
        );
    }

    #[test]
    fn only_primitives_and_lists_of_primitives_are_allowed() {
        assert!(schema().problems().is_empty());
        let mut bad = schema();
        bad.attributes.push(IdentityAttribute::optional_for_import(
            "tags",
            CtyType::map(CtyType::String),
            "",
        ));
        bad.attributes.push(IdentityAttribute::optional_for_import(
            "ids",
            CtyType::list(CtyType::Number),
            "",
        ));
        bad.attributes.push(IdentityAttribute::optional_for_import(
            "name",
            CtyType::Bool,
            "",
        ));
        let p = bad.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].contains("tags") && p[0].contains("map of string"),
            "{p:?}"
        );
        assert!(p[1].contains("\"name\" is declared twice"), "{p:?}");
        let empty = IdentitySchema {
            version: 0,
            attributes: vec![],
        };
        assert_eq!(empty.problems().len(), 1);
    }

    #[test]
    fn required_attributes_must_be_given_for_import() {
        let id = schema().value([("account_id", s("1"))]);
        assert_eq!(schema().missing_for_import(&id), vec!["name"]);
        let id = schema().value([("name", s("x"))]);
        assert!(schema().missing_for_import(&id).is_empty());
    }

    #[test]
    fn known_attributes_never_change_but_nulls_may_be_filled() {
        let sc = schema();
        let partial = sc.value([("name", s("x"))]);
        let full = sc.value([("name", s("x")), ("account_id", s("1"))]);
        assert!(changed(&partial, &full).is_empty());
        assert_eq!(
            changed(&full, &sc.value([("name", s("y")), ("account_id", s("1"))])),
            vec!["name"]
        );
        assert_eq!(changed(&full, &partial), vec!["account_id"]);
        assert_eq!(
            changed(&full, &sc.value([("name", Value::Unknown(None))])),
            vec!["account_id", "name"]
        );
        assert!(changed(&Value::Null, &full).is_empty());
        assert!(is_empty(&sc.value(Vec::<(String, Value)>::new())));
        assert!(is_empty(&Value::Null));
        assert!(!is_empty(&partial));
    }

    #[test]
    fn fill_nulls_keeps_what_the_state_says() {
        let sc = schema();
        let derived = sc.value([("name", s("x"))]);
        let asked = sc.value([("name", s("other")), ("account_id", s("1"))]);
        assert_eq!(
            fill_nulls(&derived, &asked),
            sc.value([("name", s("x")), ("account_id", s("1"))])
        );
        assert_eq!(fill_nulls(&Value::Null, &asked), asked);
    }
}
