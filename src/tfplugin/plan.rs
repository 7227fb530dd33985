//! The default plan and the plan modifiers resources use, after
//! terraform-plugin-framework.
//!
//! Terraform proposes a new state: the configuration, with prior-state values
//! filled in for computed attributes the configuration leaves null. If nothing
//! changed that proposal is the plan. If something did, any computed attribute
//! the configuration leaves null may change during apply, so the default plan
//! marks it unknown. Attributes declare what the server then does for every
//! resource: put back what does not change in place
//! ([`PlanModifier::UseStateForUnknown`]) and replace the object when a value
//! changes ([`PlanModifier::RequiresReplace`]).

use super::diagnostics::AttributePath;
use super::schema::{
    Attribute, AttributeType, BlockNesting, NestedBlock, ObjectNesting, PlanModifier, Schema,
};
use super::value::Value;

/// The framework's default plan: `proposed`, with every computed attribute
/// that is null in `config` set to unknown when the resource is being created
/// or `proposed` differs from `prior`. Recurses into nested blocks and nested
/// attributes element by element (lists by index, maps by key, sets by the
/// configured element each planned element was built from).
pub fn default_plan(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Value {
    if proposed.is_null() {
        return Value::Null; // destroy
    }
    if !prior.is_null() && proposed == prior {
        return proposed.clone();
    }
    let mut planned = proposed.clone();
    mark_object(
        &schema.block.attributes,
        &schema.block.blocks,
        &mut planned,
        config,
    );
    planned
}

/// Marks computed, null-in-config attributes of one object (a block body or a
/// nested-attribute element) unknown, then recurses into its children.
fn mark_object(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    planned: &mut Value,
    config: &Value,
) {
    let Value::Object(fields) = planned else {
        return; // null or unknown: nothing inside to mark
    };
    for attr in attributes {
        let cfg = config.attr(&attr.name);
        let slot = fields.entry(attr.name.clone()).or_insert(Value::Null);
        if attr.is_computed() && cfg.is_null() {
            *slot = Value::Unknown(None);
            continue;
        }
        if let AttributeType::Nested {
            nesting,
            attributes: inner,
        } = &attr.ty
        {
            let nesting = match nesting {
                ObjectNesting::Single => BlockNesting::Single,
                ObjectNesting::List => BlockNesting::List,
                ObjectNesting::Set => BlockNesting::Set,
                ObjectNesting::Map => BlockNesting::Map,
            };
            mark_collection(nesting, inner, &[], slot, cfg);
        }
    }
    for nb in blocks {
        let cfg = config.attr(&nb.name);
        if let Some(slot) = fields.get_mut(&nb.name) {
            mark_collection(
                nb.nesting,
                &nb.block.attributes,
                &nb.block.blocks,
                slot,
                cfg,
            );
        }
    }
}

/// Applies [`mark_object`] to each element of a nested block or nested
/// attribute, pairing every planned element with its configuration.
fn mark_collection(
    nesting: BlockNesting,
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    planned: &mut Value,
    config: &Value,
) {
    match nesting {
        BlockNesting::Single | BlockNesting::Group => {
            mark_object(attributes, blocks, planned, config)
        }
        BlockNesting::List => {
            if let Value::List(items) = planned {
                let cfgs = config.elements();
                for (i, item) in items.iter_mut().enumerate() {
                    mark_object(
                        attributes,
                        blocks,
                        item,
                        cfgs.get(i).unwrap_or(&Value::Null),
                    );
                }
            }
        }
        BlockNesting::Map => {
            if let Value::Map(items) = planned {
                for (k, item) in items.iter_mut() {
                    let cfg = match config {
                        Value::Map(m) => m.get(k).unwrap_or(&Value::Null),
                        _ => &Value::Null,
                    };
                    mark_object(attributes, blocks, item, cfg);
                }
            }
        }
        BlockNesting::Set => {
            if let Value::Set(items) = planned {
                let cfgs = config.elements();
                let mut used = vec![false; cfgs.len()];
                for item in items.iter_mut() {
                    let matched = cfgs
                        .iter()
                        .enumerate()
                        .find(|(i, c)| !used[*i] && conforms(item, c))
                        .map(|(i, c)| {
                            used[i] = true;
                            c
                        });
                    mark_object(attributes, blocks, item, matched.unwrap_or(&Value::Null));
                }
            }
        }
    }
}

/// Whether `planned` could have been built from `config`: equal wherever the
/// configuration says something, anything where it is null (computed values
/// filled in from prior state). Set elements have no index or key, so this is
/// how a planned element finds the configuration it came from.
fn conforms(planned: &Value, config: &Value) -> bool {
    match (planned, config) {
        (_, Value::Null) => true,
        (Value::Object(p), Value::Object(c)) | (Value::Map(p), Value::Map(c)) => {
            (matches!(config, Value::Object(_)) || p.len() == c.len())
                && c.iter()
                    .all(|(k, cv)| conforms(p.get(k).unwrap_or(&Value::Null), cv))
        }
        (Value::List(p), Value::List(c)) | (Value::Tuple(p), Value::Tuple(c)) => {
            p.len() == c.len() && p.iter().zip(c).all(|(pv, cv)| conforms(pv, cv))
        }
        (Value::Set(p), Value::Set(c)) => {
            let mut used = vec![false; p.len()];
            p.len() == c.len()
                && c.iter().all(|cv| {
                    match p
                        .iter()
                        .enumerate()
                        .find(|(i, pv)| !used[*i] && conforms(pv, cv))
                    {
                        Some((i, _)) => {
                            used[i] = true;
                            true
                        }
                        None => false,
                    }
                })
        }
        (p, c) => p == c,
    }
}

/// Applies the declared [`PlanModifier::UseStateForUnknown`] modifiers to an
/// update's plan: each such top-level attribute that is unknown in `planned`
/// takes its prior value, unless the configuration itself leaves it unknown
/// (it then changes to whatever that resolves to). Creates have no prior
/// value, and Terraform plans a replacement again as a create, so only
/// in-place updates are affected.
pub fn apply_use_state_for_unknown(
    schema: &Schema,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
) {
    if !matches!(prior, Value::Object(_)) {
        return;
    }
    for attr in &schema.block.attributes {
        if attr.has_modifier(PlanModifier::UseStateForUnknown)
            && planned.attr(&attr.name).is_unknown()
            && !config.attr(&attr.name).is_unknown()
        {
            set_attr(planned, &attr.name, prior.attr(&attr.name).clone());
        }
    }
}

/// Paths of the top-level attributes declared
/// [`PlanModifier::RequiresReplace`] whose planned value differs from the
/// prior state. Nothing on create or destroy. An unknown planned value may
/// turn out different, so, as the framework's RequiresReplace does, the
/// replacement is planned now: the final plan at apply time must not change
/// the action.
pub fn declared_replacements(
    schema: &Schema,
    prior: &Value,
    planned: &Value,
) -> Vec<AttributePath> {
    if prior.is_null() || planned.is_null() {
        return Vec::new();
    }
    schema
        .block
        .attributes
        .iter()
        .filter(|a| a.has_modifier(PlanModifier::RequiresReplace))
        .filter(|a| planned.attr(&a.name) != prior.attr(&a.name))
        .map(|a| AttributePath::attr(&a.name))
        .collect()
}

/// Sets a top-level attribute of an object value. Null and unknown values have
/// no attributes to set, so this does nothing to them.
pub fn set_attr(v: &mut Value, name: &str, new: Value) {
    if let Value::Object(fields) = v {
        fields.insert(name.to_string(), new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{Block, Presence};
    use crate::tfplugin::types::CtyType;
    use crate::tfplugin::value::{Number, Refinements};

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn n(x: i64) -> Value {
        Value::Number(Number::from_i64(x))
    }
    fn unk() -> Value {
        Value::Unknown(None)
    }
    fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn nested_attr(
        name: &str,
        nesting: ObjectNesting,
        presence: Presence,
        attributes: Vec<Attribute>,
    ) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty: AttributeType::Nested {
                nesting,
                attributes,
            },
            presence,
            sensitive: false,
            description: String::new(),
            deprecated: false,
            plan_modifiers: Vec::new(),
        }
    }

    /// id/arn computed, name required, description optional+computed, tags
    /// optional; a list block `rule` (port required, rule_id computed); a set
    /// block `grant` (who required, level optional+computed, grant_id
    /// computed); a single nested attribute `settings` (mode optional,
    /// generated computed).
    fn schema() -> Schema {
        let rule = Block {
            attributes: vec![
                Attribute::required("port", CtyType::Number, ""),
                Attribute::computed("rule_id", CtyType::String, ""),
            ],
            ..Block::default()
        };
        let grant = Block {
            attributes: vec![
                Attribute::required("who", CtyType::String, ""),
                Attribute::optional_computed("level", CtyType::String, ""),
                Attribute::computed("grant_id", CtyType::String, ""),
            ],
            ..Block::default()
        };
        Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::computed("id", CtyType::String, ""),
                    Attribute::computed("arn", CtyType::String, ""),
                    Attribute::required("name", CtyType::String, ""),
                    Attribute::optional_computed("description", CtyType::String, ""),
                    Attribute::optional("tags", CtyType::map(CtyType::String), ""),
                    nested_attr(
                        "settings",
                        ObjectNesting::Single,
                        Presence::Optional,
                        vec![
                            Attribute::optional("mode", CtyType::String, ""),
                            Attribute::computed("generated", CtyType::String, ""),
                        ],
                    ),
                ],
                blocks: vec![
                    NestedBlock::new("rule", BlockNesting::List, rule),
                    NestedBlock::new("grant", BlockNesting::Set, grant),
                ],
                ..Block::default()
            },
        }
    }

    fn config(name: &str, description: Value) -> Value {
        obj([
            ("id", Value::Null),
            ("arn", Value::Null),
            ("name", s(name)),
            ("description", description),
            ("tags", Value::Null),
            (
                "settings",
                obj([("mode", s("fast")), ("generated", Value::Null)]),
            ),
            (
                "rule",
                Value::List(vec![obj([("port", n(443)), ("rule_id", Value::Null)])]),
            ),
            (
                "grant",
                Value::Set(vec![
                    obj([
                        ("who", s("alice")),
                        ("level", s("admin")),
                        ("grant_id", Value::Null),
                    ]),
                    obj([
                        ("who", s("bob")),
                        ("level", Value::Null),
                        ("grant_id", Value::Null),
                    ]),
                ]),
            ),
        ])
    }

    fn prior_state() -> Value {
        obj([
            ("id", s("i-1")),
            ("arn", s("arn:x:i-1")),
            ("name", s("one")),
            ("description", s("default desc")),
            ("tags", Value::Null),
            (
                "settings",
                obj([("mode", s("fast")), ("generated", s("g-1"))]),
            ),
            (
                "rule",
                Value::List(vec![obj([("port", n(443)), ("rule_id", s("r-1"))])]),
            ),
            (
                "grant",
                Value::Set(vec![
                    obj([
                        ("who", s("bob")),
                        ("level", s("read")),
                        ("grant_id", s("gb")),
                    ]),
                    obj([
                        ("who", s("alice")),
                        ("level", s("admin")),
                        ("grant_id", s("ga")),
                    ]),
                ]),
            ),
        ])
    }

    /// What Terraform proposes on update: config, with prior values for
    /// computed attributes the config leaves null.
    fn proposed_update(name: &str) -> Value {
        let mut p = prior_state();
        set_attr(&mut p, "name", s(name));
        p
    }

    #[test]
    fn create_marks_every_computed_null_attribute_unknown() {
        let cfg = config("one", Value::Null);
        let planned = default_plan(&schema(), &Value::Null, &cfg, &cfg);
        let expected = obj([
            ("id", unk()),
            ("arn", unk()),
            ("name", s("one")),
            ("description", unk()),
            ("tags", Value::Null),
            ("settings", obj([("mode", s("fast")), ("generated", unk())])),
            (
                "rule",
                Value::List(vec![obj([("port", n(443)), ("rule_id", unk())])]),
            ),
            (
                "grant",
                Value::Set(vec![
                    obj([
                        ("who", s("alice")),
                        ("level", s("admin")),
                        ("grant_id", unk()),
                    ]),
                    obj([("who", s("bob")), ("level", unk()), ("grant_id", unk())]),
                ]),
            ),
        ]);
        assert_eq!(planned, expected);
    }

    #[test]
    fn no_change_returns_the_proposal_untouched() {
        let prior = prior_state();
        // Same content, set elements in another order: still no change.
        let mut proposed = prior.clone();
        if let Value::Object(m) = &mut proposed
            && let Some(Value::Set(items)) = m.get_mut("grant")
        {
            items.reverse();
        }
        let planned = default_plan(&schema(), &prior, &proposed, &config("one", Value::Null));
        assert_eq!(planned, prior);
        assert!(planned.is_wholly_known());
    }

    #[test]
    fn update_marks_computed_but_keeps_configured_values() {
        let prior = prior_state();
        let cfg = config("two", s("mine"));
        let mut proposed = proposed_update("two");
        set_attr(&mut proposed, "description", s("mine"));
        let planned = default_plan(&schema(), &prior, &proposed, &cfg);
        assert_eq!(planned.attr("name"), &s("two"));
        assert_eq!(planned.attr("id"), &unk());
        assert_eq!(planned.attr("arn"), &unk());
        // Optional+computed and configured: keeps the configured value.
        assert_eq!(planned.attr("description"), &s("mine"));
        assert_eq!(planned.attr("tags"), &Value::Null);
        assert_eq!(
            planned.attr("settings"),
            &obj([("mode", s("fast")), ("generated", unk())])
        );
        assert_eq!(
            planned.attr("rule"),
            &Value::List(vec![obj([("port", n(443)), ("rule_id", unk())])])
        );
        // Set elements are paired with their configuration despite the order.
        assert_eq!(
            planned.attr("grant"),
            &Value::Set(vec![
                obj([("who", s("bob")), ("level", unk()), ("grant_id", unk())]),
                obj([
                    ("who", s("alice")),
                    ("level", s("admin")),
                    ("grant_id", unk())
                ]),
            ])
        );
    }

    #[test]
    fn update_with_optional_computed_left_null_marks_it_unknown() {
        let prior = prior_state();
        let cfg = config("two", Value::Null);
        let planned = default_plan(&schema(), &prior, &proposed_update("two"), &cfg);
        assert_eq!(planned.attr("description"), &unk());
    }

    #[test]
    fn destroy_plans_null() {
        let planned = default_plan(&schema(), &prior_state(), &Value::Null, &Value::Null);
        assert_eq!(planned, Value::Null);
    }

    #[test]
    fn unknown_nested_values_are_left_alone() {
        let prior = prior_state();
        let mut cfg = config("two", Value::Null);
        set_attr(&mut cfg, "rule", unk());
        let mut proposed = proposed_update("two");
        set_attr(&mut proposed, "rule", unk());
        let planned = default_plan(&schema(), &prior, &proposed, &cfg);
        assert_eq!(planned.attr("rule"), &unk());
    }

    /// `schema()` with id/arn declared UseStateForUnknown, description
    /// UseStateForUnknown (optional+computed) and name/description/arn
    /// RequiresReplace.
    fn schema_with_modifiers() -> Schema {
        let mut sc = schema();
        for a in &mut sc.block.attributes {
            match a.name.as_str() {
                "id" => a.plan_modifiers = vec![PlanModifier::UseStateForUnknown],
                "arn" => {
                    a.plan_modifiers = vec![
                        PlanModifier::UseStateForUnknown,
                        PlanModifier::RequiresReplace,
                    ]
                }
                "description" => {
                    a.plan_modifiers = vec![
                        PlanModifier::UseStateForUnknown,
                        PlanModifier::RequiresReplace,
                    ]
                }
                "name" => a.plan_modifiers = vec![PlanModifier::RequiresReplace],
                _ => {}
            }
        }
        sc
    }

    #[test]
    fn use_state_for_unknown_restores_declared_prior_values_on_update_only() {
        let sc = schema_with_modifiers();
        let prior = prior_state();
        let cfg = config("two", Value::Null);
        let mut planned = default_plan(&sc, &prior, &proposed_update("two"), &cfg);
        apply_use_state_for_unknown(&sc, &prior, &cfg, &mut planned);
        assert_eq!(planned.attr("id"), &s("i-1"));
        assert_eq!(planned.attr("arn"), &s("arn:x:i-1"));
        assert_eq!(
            planned.attr("name"),
            &s("two"),
            "known values are not touched"
        );
        assert_eq!(planned.attr("description"), &s("default desc"));
        assert_eq!(
            planned.attr("settings").attr("generated"),
            &unk(),
            "undeclared attributes stay unknown"
        );

        let mut created = default_plan(&sc, &Value::Null, &cfg, &cfg);
        apply_use_state_for_unknown(&sc, &Value::Null, &cfg, &mut created);
        assert_eq!(created.attr("id"), &unk());
    }

    #[test]
    fn use_state_for_unknown_respects_unknown_config() {
        let sc = schema_with_modifiers();
        let prior = prior_state();
        let cfg = config("two", unk());
        let mut proposed = proposed_update("two");
        set_attr(&mut proposed, "description", unk());
        let mut planned = default_plan(&sc, &prior, &proposed, &cfg);
        apply_use_state_for_unknown(&sc, &prior, &cfg, &mut planned);
        assert_eq!(planned.attr("id"), &s("i-1"));
        assert_eq!(planned.attr("description"), &unk());
    }

    #[test]
    fn declared_replacements_for_changed_or_unknown_values_on_update() {
        let sc = schema_with_modifiers();
        let prior = prior_state();
        let mut planned = proposed_update("two");
        set_attr(&mut planned, "arn", unk());
        assert_eq!(
            declared_replacements(&sc, &prior, &planned),
            vec![AttributePath::attr("arn"), AttributePath::attr("name")],
            "in schema order; id is not declared, description did not change"
        );
        assert!(declared_replacements(&sc, &prior, &prior).is_empty());
        assert!(declared_replacements(&sc, &Value::Null, &planned).is_empty());
        assert!(declared_replacements(&sc, &prior, &Value::Null).is_empty());
        // Numbers compare by value.
        let num_schema = Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::required("port", CtyType::Number, "").requires_replace(),
                ],
                ..Block::default()
            },
        };
        let a = obj([("port", n(5))]);
        let b = obj([("port", Value::Number(Number::parse("5.0").unwrap()))]);
        assert!(declared_replacements(&num_schema, &a, &b).is_empty());
        assert_eq!(
            declared_replacements(&num_schema, &a, &obj([("port", n(6))])).len(),
            1
        );
    }

    #[test]
    fn set_attr_sets_objects_and_ignores_the_rest() {
        let mut v = obj([("a", n(1))]);
        set_attr(&mut v, "a", n(2));
        set_attr(&mut v, "b", s("x"));
        assert_eq!(v, obj([("a", n(2)), ("b", s("x"))]));
        let mut null = Value::Null;
        set_attr(&mut null, "a", n(1));
        assert_eq!(null, Value::Null);
    }

    #[test]
    fn nested_attribute_collections_are_marked_per_element() {
        let attrs = vec![
            Attribute::required("k", CtyType::String, ""),
            Attribute::computed("c", CtyType::String, ""),
        ];
        let schema = Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    nested_attr("l", ObjectNesting::List, Presence::Optional, attrs.clone()),
                    nested_attr("m", ObjectNesting::Map, Presence::Optional, attrs.clone()),
                    nested_attr("st", ObjectNesting::Set, Presence::Optional, attrs.clone()),
                    nested_attr("whole", ObjectNesting::Single, Presence::Computed, attrs),
                ],
                ..Block::default()
            },
        };
        let el = |k: &str, c: Value| obj([("k", s(k)), ("c", c)]);
        let cfg = obj([
            ("l", Value::List(vec![el("a", Value::Null)])),
            (
                "m",
                Value::Map([("x".to_string(), el("b", Value::Null))].into()),
            ),
            ("st", Value::Set(vec![el("c", Value::Null)])),
            ("whole", Value::Null),
        ]);
        let planned = default_plan(&schema, &Value::Null, &cfg, &cfg);
        assert_eq!(
            planned,
            obj([
                ("l", Value::List(vec![el("a", unk())])),
                ("m", Value::Map([("x".to_string(), el("b", unk()))].into())),
                ("st", Value::Set(vec![el("c", unk())])),
                ("whole", unk()),
            ])
        );
    }

    #[test]
    fn refined_unknowns_from_config_pass_through() {
        let refined = Value::Unknown(Some(Refinements {
            raw: vec![0x81, 0x01, 0xc2],
        }));
        let mut cfg = config("x", Value::Null);
        set_attr(&mut cfg, "name", refined.clone());
        let planned = default_plan(&schema(), &Value::Null, &cfg, &cfg);
        assert_eq!(planned.attr("name"), &refined);
    }
}
