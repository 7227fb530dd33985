//! The schema model: what a provider, resource or data source accepts and
//! returns. It is converted to tfplugin6's `Schema` message by the server, and
//! gives the cty type used to decode values.

use super::types::CtyType;

/// A versioned schema; `version` bumps when stored state changes shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    pub deprecated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Computed,
    /// Set by the user or, when null in config, by the provider.
    OptionalComputed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeType {
    Cty(CtyType),
    /// A nested attribute (`x = { ... }` / `x = [{ ... }]`), protocol 6 only.
    Nested {
        nesting: ObjectNesting,
        attributes: Vec<Attribute>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectNesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: AttributeType,
    pub presence: Presence,
    pub sensitive: bool,
    /// Markdown.
    pub description: String,
    pub deprecated: bool,
    /// How plans treat this attribute, applied by the server for every
    /// resource (see [`super::plan`]). Top-level attributes only.
    pub plan_modifiers: Vec<PlanModifier>,
}

/// Declarative plan behaviour of a top-level attribute, after
/// terraform-plugin-framework's plan modifiers of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanModifier {
    /// On update, a computed value the default plan marked unknown keeps its
    /// prior value (ids, ARNs, creation times): it does not change in place.
    /// A value the configuration leaves unknown stays unknown. Replacements
    /// are planned again as creates, so they get a fresh unknown.
    UseStateForUnknown,
    /// A change of the planned value (or an unknown one) replaces the object.
    RequiresReplace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockNesting {
    Single,
    List,
    Set,
    Map,
    /// Like Single, but never null: absent means all attributes null.
    Group,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: BlockNesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl Attribute {
    fn new(name: &str, ty: CtyType, presence: Presence, description: &str) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty: AttributeType::Cty(ty),
            presence,
            sensitive: false,
            description: description.to_string(),
            deprecated: false,
            plan_modifiers: Vec::new(),
        }
    }
    pub fn required(name: &str, ty: CtyType, description: &str) -> Attribute {
        Attribute::new(name, ty, Presence::Required, description)
    }
    pub fn optional(name: &str, ty: CtyType, description: &str) -> Attribute {
        Attribute::new(name, ty, Presence::Optional, description)
    }
    pub fn computed(name: &str, ty: CtyType, description: &str) -> Attribute {
        Attribute::new(name, ty, Presence::Computed, description)
    }
    pub fn optional_computed(name: &str, ty: CtyType, description: &str) -> Attribute {
        Attribute::new(name, ty, Presence::OptionalComputed, description)
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }
    /// See [`PlanModifier::UseStateForUnknown`].
    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.plan_modifiers.push(PlanModifier::UseStateForUnknown);
        self
    }
    /// See [`PlanModifier::RequiresReplace`].
    pub fn requires_replace(mut self) -> Attribute {
        self.plan_modifiers.push(PlanModifier::RequiresReplace);
        self
    }
    pub fn has_modifier(&self, m: PlanModifier) -> bool {
        self.plan_modifiers.contains(&m)
    }
    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }
}

impl NestedBlock {
    pub fn new(name: &str, nesting: BlockNesting, block: Block) -> NestedBlock {
        NestedBlock {
            name: name.to_string(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }
    pub fn max_items(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }
    pub fn min_items(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }
}
