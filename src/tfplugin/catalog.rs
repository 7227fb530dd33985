//! Everything the provider offers, indexed by type name with the cty types
//! its values decode with, built once per process on first use.
//!
//! Building it is also where provider bugs in the type list show up (a name
//! registered twice, an identity schema Terraform would reject, a list
//! resource without an identity). They are reported as diagnostics of the
//! schema calls, so Terraform shows them before anything else happens.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::diagnostics::Diagnostics;
use super::framework::{DataSource, Provider, Resource};
use super::identity::IdentitySchema;
use super::schema::Schema;
use super::schema_type;
use super::types::CtyType;

/// A schema together with the cty type values of that schema decode with.
pub struct Typed<T: ?Sized> {
    pub imp: Arc<T>,
    pub schema: Schema,
    pub ty: CtyType,
}

impl<T: ?Sized> Typed<T> {
    fn new(imp: Arc<T>, schema: Schema) -> Typed<T> {
        let ty = schema_type::block_type(&schema.block);
        Typed { imp, schema, ty }
    }
}

/// A resource type's identity schema and the type identities decode with.
pub struct IdentityType {
    pub schema: IdentitySchema,
    pub ty: CtyType,
}

/// A list resource: the managed resource it lists, and its config block.
pub struct ListType {
    pub resource: Arc<dyn Resource>,
    pub config: Schema,
    pub config_ty: CtyType,
}

pub struct Catalog {
    pub provider: Typed<dyn Provider>,
    pub resources: BTreeMap<String, Typed<dyn Resource>>,
    /// Resource types with an identity, by type name.
    pub identities: BTreeMap<String, IdentityType>,
    /// List resources, by type name (the managed resource's).
    pub lists: BTreeMap<String, ListType>,
    pub data_sources: BTreeMap<String, Typed<dyn DataSource>>,
    /// Provider bugs found while building; sent with the schema answers.
    pub problems: Diagnostics,
}

impl Catalog {
    pub fn build(provider: &Arc<dyn Provider>) -> Catalog {
        let mut problems = Diagnostics::new();
        let resources = index(
            provider.resources(),
            |r| r.type_name(),
            |r| r.schema(),
            &mut problems,
        );
        let data_sources = index(
            provider.data_sources(),
            |d| d.type_name(),
            |d| d.schema(),
            &mut problems,
        );
        let mut identities = BTreeMap::new();
        let mut lists = BTreeMap::new();
        for (name, r) in &resources {
            if let Some(ri) = r.imp.identity() {
                let schema = ri.identity_schema();
                let found = schema.problems();
                if found.is_empty() {
                    let ty = schema.ty();
                    identities.insert(name.clone(), IdentityType { schema, ty });
                } else {
                    problems.error(
                        "Invalid identity schema",
                        format!(
                            "The identity schema of {name} cannot be used: {}. This is a provider bug; please report it.",
                            found.join("; ")
                        ),
                    );
                }
            }
            if let Some(lr) = r.imp.list_resource() {
                if !identities.contains_key(name) {
                    problems.error(
                        "List resource without identity",
                        format!(
                            "{name} is offered to `terraform query` but has no (valid) identity schema, which Terraform requires for every result. This is a provider bug; please report it."
                        ),
                    );
                    continue;
                }
                let config = lr.list_config_schema();
                let config_ty = schema_type::block_type(&config.block);
                lists.insert(
                    name.clone(),
                    ListType {
                        resource: r.imp.clone(),
                        config,
                        config_ty,
                    },
                );
            }
        }
        Catalog {
            provider: Typed::new(provider.clone(), provider.schema()),
            resources,
            identities,
            lists,
            data_sources,
            problems,
        }
    }
}

/// Indexes `items` by type name. A name registered twice keeps its first
/// registration and is reported.
fn index<T: ?Sized>(
    items: Vec<Arc<T>>,
    type_name: impl Fn(&T) -> &'static str,
    schema: impl Fn(&T) -> Schema,
    problems: &mut Diagnostics,
) -> BTreeMap<String, Typed<T>> {
    let mut indexed = BTreeMap::new();
    for item in items {
        let name = type_name(&item).to_string();
        if indexed.contains_key(&name) {
            problems.error(
                "Duplicate type name",
                format!("The provider registers {name:?} more than once. This is a provider bug."),
            );
            continue;
        }
        let schema = schema(&item);
        indexed.insert(name, Typed::new(item, schema));
    }
    indexed
}
