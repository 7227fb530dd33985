//! GenerateResourceConfig's guarantee: whatever a resource proposes as
//! configuration for a state, what reaches Terraform never sets an attribute
//! a configuration may not set.
//!
//! Terraform renders the value it gets as HCL (`-generate-config-out`):
//! every non-null attribute is written, and a computed-only attribute in a
//! configuration is an error. So computed-only and deprecated attributes are
//! nulled here, at every depth, for every resource; what else to leave out
//! (defaults, empty collections) is the resource's choice.

use std::collections::BTreeMap;

use super::schema::{Attribute, AttributeType, Block, BlockNesting, ObjectNesting, Presence};
use super::types::CtyType;
use super::value::Value;

/// `value` (a state or a proposed configuration of `block`) with every
/// computed-only and deprecated attribute null.
pub fn configurable(block: &Block, value: &Value) -> Value {
    let Value::Object(fields) = value else {
        return value.clone();
    };
    let mut out: BTreeMap<String, Value> = fields.clone();
    for attr in &block.attributes {
        if let Some(slot) = out.get_mut(&attr.name) {
            *slot = configurable_attribute(attr, slot);
        }
    }
    for nb in &block.blocks {
        if let Some(slot) = out.get_mut(&nb.name) {
            *slot = match nb.nesting {
                BlockNesting::Single | BlockNesting::Group => configurable(&nb.block, slot),
                BlockNesting::List | BlockNesting::Set | BlockNesting::Map => {
                    each(slot, |v| configurable(&nb.block, v))
                }
            };
        }
    }
    Value::Object(out)
}

fn configurable_attribute(attr: &Attribute, value: &Value) -> Value {
    if attr.presence == Presence::Computed || attr.deprecated {
        return Value::Null;
    }
    match &attr.ty {
        AttributeType::Cty(_) => value.clone(),
        AttributeType::Nested {
            nesting,
            attributes,
        } => {
            let inner = Block {
                attributes: attributes.clone(),
                ..Block::default()
            };
            match nesting {
                ObjectNesting::Single => configurable(&inner, value),
                ObjectNesting::List | ObjectNesting::Set | ObjectNesting::Map => {
                    each(value, |v| configurable(&inner, v))
                }
            }
        }
    }
}

/// What Terraform itself writes for `state` when a provider does not offer
/// GenerateResourceConfig (`ExtractLegacyConfigFromState` in
/// hashicorp/terraform `internal/genconfig`): [`configurable`], plus an
/// optional+computed top-level `id` left out and empty optional strings
/// read as unset. The default of
/// [`Resource::generate_config`](super::framework::Resource::generate_config),
/// so a resource that does not override it generates what it did before
/// the provider advertised the capability.
pub fn as_terraform_would(block: &Block, state: &Value) -> Value {
    let mut out = blank_strings_unset(block, &configurable(block, state));
    let legacy_id = block
        .attributes
        .iter()
        .any(|a| a.name == "id" && a.presence == Presence::OptionalComputed);
    if legacy_id && let Value::Object(fields) = &mut out {
        fields.insert("id".to_string(), Value::Null);
    }
    out
}

/// Optional (or optional+computed) string attributes holding `""` become
/// null, at every depth.
fn blank_strings_unset(block: &Block, value: &Value) -> Value {
    let Value::Object(fields) = value else {
        return value.clone();
    };
    let mut out = fields.clone();
    for attr in &block.attributes {
        let Some(slot) = out.get_mut(&attr.name) else {
            continue;
        };
        match &attr.ty {
            AttributeType::Cty(CtyType::String)
                if matches!(
                    attr.presence,
                    Presence::Optional | Presence::OptionalComputed
                ) && slot.as_str() == Some("") =>
            {
                *slot = Value::Null;
            }
            AttributeType::Cty(_) => {}
            AttributeType::Nested {
                nesting,
                attributes,
            } => {
                let inner = Block {
                    attributes: attributes.clone(),
                    ..Block::default()
                };
                *slot = match nesting {
                    ObjectNesting::Single => blank_strings_unset(&inner, slot),
                    _ => each(slot, |v| blank_strings_unset(&inner, v)),
                };
            }
        }
    }
    for nb in &block.blocks {
        if let Some(slot) = out.get_mut(&nb.name) {
            *slot = match nb.nesting {
                BlockNesting::Single | BlockNesting::Group => blank_strings_unset(&nb.block, slot),
                _ => each(slot, |v| blank_strings_unset(&nb.block, v)),
            };
        }
    }
    Value::Object(out)
}

/// Applies `f` to every element of a list, set or map; anything else (null,
/// unknown) is returned as is.
fn each(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.iter().map(&f).collect()),
        Value::Set(items) => Value::Set(items.iter().map(&f).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::NestedBlock;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn block() -> Block {
        let rule = Block {
            attributes: vec![
                Attribute::required("port", CtyType::String, ""),
                Attribute::computed("rule_id", CtyType::String, ""),
            ],
            ..Block::default()
        };
        let nested = Attribute {
            ty: AttributeType::Nested {
                nesting: ObjectNesting::Map,
                attributes: vec![
                    Attribute::optional("k", CtyType::String, ""),
                    Attribute::computed("c", CtyType::String, ""),
                ],
            },
            ..Attribute::optional("entries", CtyType::String, "")
        };
        Block {
            attributes: vec![
                Attribute::computed("id", CtyType::String, ""),
                Attribute::required("name", CtyType::String, ""),
                Attribute::optional_computed("path", CtyType::String, ""),
                Attribute::optional("old", CtyType::String, "").deprecated(),
                nested,
            ],
            blocks: vec![NestedBlock::new("rule", BlockNesting::Set, rule)],
            ..Block::default()
        }
    }

    #[test]
    fn computed_only_and_deprecated_attributes_are_nulled_at_every_depth() {
        let state = obj([
            ("id", s("i-1")),
            ("name", s("n")),
            ("path", s("/")),
            ("old", s("legacy")),
            (
                "entries",
                Value::Map([("a".to_string(), obj([("k", s("v")), ("c", s("gen"))]))].into()),
            ),
            (
                "rule",
                Value::Set(vec![obj([("port", s("443")), ("rule_id", s("r-1"))])]),
            ),
        ]);
        let want = obj([
            ("id", Value::Null),
            ("name", s("n")),
            ("path", s("/")),
            ("old", Value::Null),
            (
                "entries",
                Value::Map([("a".to_string(), obj([("k", s("v")), ("c", Value::Null)]))].into()),
            ),
            (
                "rule",
                Value::Set(vec![obj([("port", s("443")), ("rule_id", Value::Null)])]),
            ),
        ]);
        assert_eq!(configurable(&block(), &state), want);
        assert_eq!(configurable(&block(), &Value::Null), Value::Null);
    }

    #[test]
    fn terraforms_own_extraction_also_unsets_blank_strings_and_a_legacy_id() {
        let block = Block {
            attributes: vec![
                Attribute::optional_computed("id", CtyType::String, ""),
                Attribute::required("name", CtyType::String, ""),
                Attribute::optional("note", CtyType::String, ""),
                Attribute::computed("arn", CtyType::String, ""),
            ],
            blocks: vec![NestedBlock::new(
                "inner",
                BlockNesting::List,
                Block {
                    attributes: vec![Attribute::optional("label", CtyType::String, "")],
                    ..Block::default()
                },
            )],
            ..Block::default()
        };
        let state = obj([
            ("id", s("i-1")),
            ("name", s("")),
            ("note", s("")),
            ("arn", s("arn:x")),
            ("inner", Value::List(vec![obj([("label", s(""))])])),
        ]);
        assert_eq!(
            as_terraform_would(&block, &state),
            obj([
                ("id", Value::Null),
                ("name", s(""),),
                ("note", Value::Null),
                ("arn", Value::Null),
                ("inner", Value::List(vec![obj([("label", Value::Null)])])),
            ]),
            "a required empty string stays"
        );
        assert_eq!(as_terraform_would(&block, &Value::Null), Value::Null);
    }
}
