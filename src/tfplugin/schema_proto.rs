//! Our schema model in its tfplugin6 wire form.
//!
//! Descriptions are Markdown throughout, so every description is marked
//! `MARKDOWN`; Terraform's docs tooling renders them as such.

use super::identity::{ForImport, IdentitySchema};
use super::pb::tfplugin6 as pb;
use super::schema::{
    Attribute, AttributeType, Block, BlockNesting, NestedBlock, ObjectNesting, Presence, Schema,
};
use super::type_json;

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

/// An identity schema in its wire form.
pub fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: type_json::to_json_bytes(&a.ty),
                required_for_import: a.for_import == ForImport::Required,
                optional_for_import: a.for_import == ForImport::Optional,
                description: a.description.clone(),
            })
            .collect(),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &a.ty {
        AttributeType::Cty(t) => (type_json::to_json_bytes(t), None),
        AttributeType::Nested {
            nesting,
            attributes,
        } => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attributes.iter().map(attribute).collect(),
                nesting: object_nesting(*nesting) as i32,
                ..Default::default()
            }),
        ),
    };
    let (required, optional, computed) = match a.presence {
        Presence::Required => (true, false, false),
        Presence::Optional => (false, true, false),
        Presence::Computed => (false, false, true),
        Presence::OptionalComputed => (false, true, true),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        required,
        optional,
        computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: false,
        deprecation_message: String::new(),
    }
}

fn nested_block(n: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match n.nesting {
        BlockNesting::Single => NestingMode::Single,
        BlockNesting::List => NestingMode::List,
        BlockNesting::Set => NestingMode::Set,
        BlockNesting::Map => NestingMode::Map,
        BlockNesting::Group => NestingMode::Group,
    };
    pb::schema::NestedBlock {
        type_name: n.name.clone(),
        block: Some(block(&n.block, 0)),
        nesting: nesting as i32,
        min_items: n.min_items,
        max_items: n.max_items,
    }
}

fn object_nesting(n: ObjectNesting) -> pb::schema::object::NestingMode {
    use pb::schema::object::NestingMode;
    match n {
        ObjectNesting::Single => NestingMode::Single,
        ObjectNesting::List => NestingMode::List,
        ObjectNesting::Set => NestingMode::Set,
        ObjectNesting::Map => NestingMode::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::types::CtyType;

    fn sample() -> Schema {
        let timeouts = Attribute {
            name: "timeouts".into(),
            ty: AttributeType::Nested {
                nesting: ObjectNesting::Single,
                attributes: vec![Attribute::optional(
                    "create",
                    CtyType::String,
                    "Create timeout.",
                )],
            },
            presence: Presence::Optional,
            sensitive: false,
            description: "Timeouts.".into(),
            deprecated: false,
            plan_modifiers: Vec::new(),
        };
        Schema {
            version: 2,
            block: Block {
                attributes: vec![
                    Attribute::required("name", CtyType::String, "The **name**."),
                    Attribute::optional("old", CtyType::String, "").deprecated(),
                    Attribute::computed("arn", CtyType::String, "ARN."),
                    Attribute::optional_computed("tags", CtyType::map(CtyType::String), "Tags.")
                        .sensitive(),
                    timeouts,
                ],
                blocks: vec![
                    NestedBlock::new(
                        "assume_role",
                        BlockNesting::List,
                        Block {
                            attributes: vec![Attribute::required("role_arn", CtyType::String, "")],
                            ..Default::default()
                        },
                    )
                    .max_items(1),
                ],
                description: "A resource.".into(),
                deprecated: false,
            },
        }
    }

    #[test]
    fn converts_attributes_with_flags_types_and_markdown() {
        let p = schema(&sample());
        assert_eq!(p.version, 2);
        let b = p.block.unwrap();
        assert_eq!(b.version, 2);
        assert_eq!(b.description, "A resource.");
        assert_eq!(b.description_kind, pb::StringKind::Markdown as i32);
        let by = |n: &str| b.attributes.iter().find(|a| a.name == n).unwrap().clone();

        let name = by("name");
        assert!(name.required && !name.optional && !name.computed);
        assert_eq!(name.r#type, b"\"string\"");
        assert_eq!(name.description, "The **name**.");
        assert_eq!(name.description_kind, pb::StringKind::Markdown as i32);

        assert!(by("old").deprecated && by("old").optional);
        let arn = by("arn");
        assert!(arn.computed && !arn.optional && !arn.required);
        let tags = by("tags");
        assert!(tags.optional && tags.computed && tags.sensitive);
        assert_eq!(tags.r#type, br#"["map","string"]"#);
    }

    #[test]
    fn nested_attributes_use_nested_type_not_type_bytes() {
        let b = schema(&sample()).block.unwrap();
        let t = b.attributes.iter().find(|a| a.name == "timeouts").unwrap();
        assert!(t.r#type.is_empty());
        let obj = t.nested_type.as_ref().unwrap();
        assert_eq!(obj.nesting, pb::schema::object::NestingMode::Single as i32);
        assert_eq!(obj.attributes[0].name, "create");
        assert!(obj.attributes[0].optional);
    }

    #[test]
    fn identity_schemas_carry_types_and_import_roles() {
        use crate::tfplugin::identity::IdentityAttribute;
        let p = identity_schema(&IdentitySchema {
            version: 3,
            attributes: vec![
                IdentityAttribute::required_for_import("name", CtyType::String, "The name."),
                IdentityAttribute::optional_for_import("ids", CtyType::list(CtyType::String), ""),
            ],
        });
        assert_eq!(p.version, 3);
        let a = &p.identity_attributes[0];
        assert_eq!(
            (a.name.as_str(), a.r#type.as_slice(), a.description.as_str()),
            ("name", &b"\"string\""[..], "The name.")
        );
        assert!(a.required_for_import && !a.optional_for_import);
        let b = &p.identity_attributes[1];
        assert_eq!(b.r#type, br#"["list","string"]"#);
        assert!(!b.required_for_import && b.optional_for_import);
    }

    #[test]
    fn nested_blocks_keep_nesting_mode_and_limits() {
        let b = schema(&sample()).block.unwrap();
        let nb = &b.block_types[0];
        assert_eq!(nb.type_name, "assume_role");
        assert_eq!(
            nb.nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        assert_eq!((nb.min_items, nb.max_items), (0, 1));
        let inner = nb.block.as_ref().unwrap();
        assert!(inner.attributes[0].required);
        assert_eq!(inner.version, 0);
    }
}
