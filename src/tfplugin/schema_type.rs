//! The cty type a schema implies: the type every config, plan and state value
//! of a resource is decoded with. It must match Terraform's own derivation
//! exactly, or msgpack decoding disagrees about which attributes exist.
//!
//! Optional-attribute markers are not part of value types (Terraform strips
//! them too), so every object type here has an empty `optional` list.

use super::schema::{Attribute, AttributeType, Block, BlockNesting, ObjectNesting};
use super::types::CtyType;

/// The object type of a block: one attribute per attribute and per nested
/// block type. Nested blocks: Single and Group are objects, List a list of
/// objects, Set a set, Map a map.
pub fn block_type(block: &Block) -> CtyType {
    let mut attrs: Vec<(String, CtyType)> = block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), attribute_type(a)))
        .collect();
    for nb in &block.blocks {
        let inner = block_type(&nb.block);
        let ty = match nb.nesting {
            BlockNesting::Single | BlockNesting::Group => inner,
            BlockNesting::List => CtyType::list(inner),
            BlockNesting::Set => CtyType::set(inner),
            BlockNesting::Map => CtyType::map(inner),
        };
        attrs.push((nb.name.clone(), ty));
    }
    CtyType::object(attrs)
}

/// The value type of one attribute; nested attributes become (collections of)
/// objects of their own attributes.
pub fn attribute_type(attr: &Attribute) -> CtyType {
    match &attr.ty {
        AttributeType::Cty(t) => t.clone(),
        AttributeType::Nested {
            nesting,
            attributes,
        } => {
            let inner = nested_object_type(attributes);
            match nesting {
                ObjectNesting::Single => inner,
                ObjectNesting::List => CtyType::list(inner),
                ObjectNesting::Set => CtyType::set(inner),
                ObjectNesting::Map => CtyType::map(inner),
            }
        }
    }
}

/// The object type of one element of a nested attribute.
pub fn nested_object_type(attributes: &[Attribute]) -> CtyType {
    CtyType::object(
        attributes
            .iter()
            .map(|a| (a.name.clone(), attribute_type(a))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{NestedBlock, Presence};

    fn leaf() -> Block {
        Block {
            attributes: vec![Attribute::required("v", CtyType::String, "")],
            ..Block::default()
        }
    }

    fn leaf_type() -> CtyType {
        CtyType::object([("v", CtyType::String)])
    }

    #[test]
    fn attributes_only() {
        let b = Block {
            attributes: vec![
                Attribute::required("name", CtyType::String, ""),
                Attribute::computed("arn", CtyType::String, ""),
                Attribute::optional("tags", CtyType::map(CtyType::String), ""),
            ],
            ..Block::default()
        };
        assert_eq!(
            block_type(&b),
            CtyType::object([
                ("arn", CtyType::String),
                ("name", CtyType::String),
                ("tags", CtyType::map(CtyType::String)),
            ])
        );
        assert_eq!(
            block_type(&Block::default()),
            CtyType::object(Vec::<(String, CtyType)>::new())
        );
    }

    #[test]
    fn nested_blocks_of_each_nesting() {
        let b = Block {
            attributes: vec![Attribute::required("id", CtyType::String, "")],
            blocks: vec![
                NestedBlock::new("single", BlockNesting::Single, leaf()),
                NestedBlock::new("group", BlockNesting::Group, leaf()),
                NestedBlock::new("list", BlockNesting::List, leaf()),
                NestedBlock::new("set", BlockNesting::Set, leaf()),
                NestedBlock::new("map", BlockNesting::Map, leaf()),
            ],
            ..Block::default()
        };
        assert_eq!(
            block_type(&b),
            CtyType::object([
                ("id", CtyType::String),
                ("single", leaf_type()),
                ("group", leaf_type()),
                ("list", CtyType::list(leaf_type())),
                ("set", CtyType::set(leaf_type())),
                ("map", CtyType::map(leaf_type())),
            ])
        );
    }

    #[test]
    fn blocks_nest_recursively() {
        let mid = Block {
            attributes: vec![Attribute::optional("n", CtyType::Number, "")],
            blocks: vec![NestedBlock::new("leaf", BlockNesting::List, leaf())],
            ..Block::default()
        };
        let b = Block {
            blocks: vec![NestedBlock::new("mid", BlockNesting::Set, mid)],
            ..Block::default()
        };
        assert_eq!(
            block_type(&b),
            CtyType::object([(
                "mid",
                CtyType::set(CtyType::object([
                    ("n", CtyType::Number),
                    ("leaf", CtyType::list(leaf_type())),
                ])),
            )])
        );
    }

    fn nested(name: &str, nesting: ObjectNesting, attributes: Vec<Attribute>) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty: AttributeType::Nested {
                nesting,
                attributes,
            },
            presence: Presence::Optional,
            sensitive: false,
            description: String::new(),
            deprecated: false,
            plan_modifiers: Vec::new(),
        }
    }

    #[test]
    fn nested_attributes_of_each_nesting() {
        let inner = || {
            vec![
                Attribute::required("a", CtyType::String, ""),
                Attribute::optional_computed("b", CtyType::list(CtyType::Number), ""),
            ]
        };
        let inner_ty = CtyType::object([
            ("a", CtyType::String),
            ("b", CtyType::list(CtyType::Number)),
        ]);
        let b = Block {
            attributes: vec![
                nested("one", ObjectNesting::Single, inner()),
                nested("many", ObjectNesting::List, inner()),
                nested("uniq", ObjectNesting::Set, inner()),
                nested("named", ObjectNesting::Map, inner()),
                nested(
                    "deep",
                    ObjectNesting::Single,
                    vec![nested("x", ObjectNesting::List, inner())],
                ),
            ],
            ..Block::default()
        };
        assert_eq!(
            block_type(&b),
            CtyType::object([
                ("one", inner_ty.clone()),
                ("many", CtyType::list(inner_ty.clone())),
                ("uniq", CtyType::set(inner_ty.clone())),
                ("named", CtyType::map(inner_ty.clone())),
                (
                    "deep",
                    CtyType::object([("x", CtyType::list(inner_ty.clone()))])
                ),
            ])
        );
    }
}
