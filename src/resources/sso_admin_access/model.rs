//! The resource's state as Rust types, converted to and from [`Value`] through
//! the JSON form in `tfplugin::convert`.
//!
//! Only wholly known values convert (config and state at apply and read
//! time); planning works on [`Value`]s because plans hold unknowns.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize};

use super::schema;
use crate::tfplugin::convert;
use crate::tfplugin::schema_type::block_type;
use crate::tfplugin::value::Value;

/// One grant: config, planned state (with unknowns nulled) or state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Grant {
    pub id: Option<String>,
    pub account_id: Option<String>,
    /// A list, so duplicates can be rejected; order carries no meaning.
    pub cluster_names: Option<Vec<String>>,
    pub groups: Option<BTreeSet<String>>,
    pub users: Option<BTreeSet<String>>,
    pub permission_set: Option<PermissionSetModel>,
    pub permission_set_arn: Option<String>,
    pub kubernetes_groups: Option<BTreeSet<String>>,
    pub kubernetes_username: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub access_policy: Vec<AccessPolicyModel>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub timeouts: Option<TimeoutsModel>,
    pub instance_arn: Option<String>,
    pub identity_store_id: Option<String>,
    pub principal_ids: Option<BTreeMap<String, String>>,
    pub reserved_role_name: Option<String>,
    pub reserved_role_arn: Option<String>,
    pub reserved_role_arn_without_path: Option<String>,
    pub access_entries: Option<BTreeMap<String, AccessEntryModel>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PermissionSetModel {
    #[serde(deserialize_with = "null_as_blank")]
    pub name: String,
    pub description: Option<String>,
    pub session_duration: Option<String>,
    pub relay_state: Option<String>,
    pub managed_policy_arns: Option<BTreeSet<String>>,
    pub inline_policy: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub customer_managed_policy: Vec<PolicyRef>,
    pub permissions_boundary: Option<BoundaryModel>,
}

/// A customer-managed policy named in the target account.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyRef {
    #[serde(deserialize_with = "null_as_blank")]
    pub name: String,
    pub path: Option<String>,
}

impl PolicyRef {
    /// The path AWS uses when none is given.
    pub fn path_or_default(&self) -> &str {
        self.path.as_deref().unwrap_or(schema::DEFAULT_POLICY_PATH)
    }
    /// Name and effective path, for comparisons that treat null as `/`.
    pub fn key(&self) -> (String, String) {
        (self.name.clone(), self.path_or_default().to_string())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BoundaryModel {
    pub managed_policy_arn: Option<String>,
    pub customer_managed_policy: Option<PolicyRef>,
}

impl BoundaryModel {
    /// Boundaries equal in effect (a null path is `/`).
    pub fn same_as(&self, other: &BoundaryModel) -> bool {
        self.managed_policy_arn == other.managed_policy_arn
            && self.customer_managed_policy.as_ref().map(PolicyRef::key)
                == other.customer_managed_policy.as_ref().map(PolicyRef::key)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessPolicyModel {
    #[serde(deserialize_with = "null_as_blank")]
    pub policy: String,
    pub namespaces: Option<BTreeSet<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeoutsModel {
    pub create: Option<String>,
    pub update: Option<String>,
    pub delete: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessEntryModel {
    #[serde(deserialize_with = "null_as_blank")]
    pub access_entry_arn: String,
    #[serde(deserialize_with = "null_as_blank")]
    pub kubernetes_username: String,
    #[serde(deserialize_with = "null_as_blank")]
    pub principal_arn: String,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Null (an unknown nulled in a planned value) reads as the empty string.
fn null_as_blank<'de, D>(d: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// Why a value could not become a [`Grant`] or back.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the value holds unknowns or does not fit the schema: {0}")]
    ToJson(String),
    #[error("the value does not have the resource's shape: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("the state could not be encoded: {0}")]
    FromJson(String),
}

/// Replaces every unknown inside `v` with null (map entries with unknown
/// values are dropped), so a planned value (whose computed attributes may be
/// unknown) can become a [`Grant`].
pub fn unknown_as_null(v: &Value) -> Value {
    match v {
        Value::Unknown(_) => Value::Null,
        Value::List(items) => Value::List(items.iter().map(unknown_as_null).collect()),
        Value::Set(items) => Value::Set(items.iter().map(unknown_as_null).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(unknown_as_null).collect()),
        // A map entry whose value is not known yet is left out entirely.
        Value::Map(m) => Value::Map(
            m.iter()
                .filter(|(_, v)| !v.is_unknown())
                .map(|(k, v)| (k.clone(), unknown_as_null(v)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), unknown_as_null(v)))
                .collect(),
        ),
        Value::Dynamic(t, v) => Value::Dynamic(t.clone(), Box::new(unknown_as_null(v))),
        other => other.clone(),
    }
}

impl Grant {
    /// Reads a wholly known value (unknowns must already be nulled).
    pub fn from_value(v: &Value) -> Result<Grant, ModelError> {
        let json = convert::to_json(v).map_err(|e| ModelError::ToJson(e.to_string()))?;
        Ok(serde_json::from_value(json)?)
    }

    /// Reads a value that may hold unknowns, treating them as null.
    pub fn from_value_lossy(v: &Value) -> Result<Grant, ModelError> {
        Grant::from_value(&unknown_as_null(v))
    }

    /// The state value for this grant, shaped by the resource schema.
    pub fn to_value(&self) -> Result<Value, ModelError> {
        let json = serde_json::to_value(self)?;
        let ty = block_type(&schema::schema().block);
        convert::from_json(&json, &ty).map_err(|e| ModelError::FromJson(e.to_string()))
    }

    /// True when the permission set is managed by this resource.
    pub fn is_managed(&self) -> bool {
        self.permission_set.is_some()
    }

    /// Every principal name or ID in `groups` and `users`.
    pub fn principal_names(&self) -> impl Iterator<Item = (PrincipalKind, &String)> {
        let g = self
            .groups
            .iter()
            .flatten()
            .map(|n| (PrincipalKind::Group, n));
        let u = self
            .users
            .iter()
            .flatten()
            .map(|n| (PrincipalKind::User, n));
        g.chain(u)
    }

    pub fn clusters(&self) -> impl Iterator<Item = &String> {
        self.cluster_names.iter().flatten()
    }

    /// Adds a cluster to `cluster_names` unless it is there already.
    pub fn add_cluster(&mut self, cluster: &str) {
        let names = self.cluster_names.get_or_insert_with(Vec::new);
        if !names.iter().any(|c| c == cluster) {
            names.push(cluster.to_string());
        }
    }

    pub fn remove_cluster(&mut self, cluster: &str) {
        if let Some(names) = self.cluster_names.as_mut() {
            names.retain(|c| c != cluster);
        }
    }

    /// Orders `cluster_names` like `order` (the plan's list), unlisted ones
    /// last, so a complete apply returns exactly the planned list.
    pub fn order_clusters_like(&mut self, order: &[String]) {
        if let Some(names) = self.cluster_names.as_mut() {
            names.sort_by_key(|c| order.iter().position(|o| o == c).unwrap_or(usize::MAX));
        }
    }

    pub fn kubernetes_groups_set(&self) -> BTreeSet<String> {
        self.kubernetes_groups.clone().unwrap_or_default()
    }

    pub fn tags_all_map(&self) -> BTreeMap<String, String> {
        self.tags_all.clone().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    Group,
    User,
}

impl PrincipalKind {
    /// The `PrincipalType` value in sso-admin.
    pub fn as_aws(self) -> &'static str {
        match self {
            PrincipalKind::Group => "GROUP",
            PrincipalKind::User => "USER",
        }
    }
    pub fn noun(self) -> &'static str {
        match self {
            PrincipalKind::Group => "group",
            PrincipalKind::User => "user",
        }
    }
    pub fn attribute(self) -> &'static str {
        match self {
            PrincipalKind::Group => schema::GROUPS,
            PrincipalKind::User => schema::USERS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Grant {
        Grant {
            id: Some("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef,111122223333".into()),
            account_id: Some("111122223333".into()),
            cluster_names: Some(["prod".to_string()].into()),
            groups: Some(["Admins".to_string()].into()),
            users: None,
            permission_set: Some(PermissionSetModel {
                name: "EKSAdmin".into(),
                session_duration: Some("PT1H".into()),
                customer_managed_policy: vec![PolicyRef { name: "P".into(), path: Some("/".into()) }],
                ..Default::default()
            }),
            access_policy: vec![AccessPolicyModel {
                policy: "AmazonEKSViewPolicy".into(),
                namespaces: Some(["dev".to_string()].into()),
            }],
            access_entries: Some(BTreeMap::from([(
                "prod".to_string(),
                AccessEntryModel {
                    access_entry_arn: "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/role/x".into(),
                    kubernetes_username: "u".into(),
                    principal_arn: "arn:aws:iam::111122223333:role/x".into(),
                },
            )])),
            ..Default::default()
        }
    }

    #[test]
    fn round_trips_through_value() {
        let g = sample();
        let v = g.to_value().unwrap();
        assert_eq!(v.attr(schema::ACCOUNT_ID), &Value::string("111122223333"));
        assert!(v.attr(schema::USERS).is_null());
        assert_eq!(v.attr(schema::ACCESS_POLICY).elements().len(), 1);
        assert_eq!(Grant::from_value(&v).unwrap(), g);
    }

    #[test]
    fn empty_blocks_are_empty_lists_not_null() {
        let g = Grant {
            account_id: Some("111122223333".into()),
            ..Default::default()
        };
        let v = g.to_value().unwrap();
        assert_eq!(v.attr(schema::ACCESS_POLICY), &Value::List(vec![]));
    }

    #[test]
    fn planned_values_with_unknown_entries_convert() {
        let mut v = sample().to_value().unwrap();
        if let Value::Object(m) = &mut v {
            let entry = Value::Object(BTreeMap::from([
                (schema::ACCESS_ENTRY_ARN.to_string(), Value::Unknown(None)),
                (
                    schema::KUBERNETES_USERNAME.to_string(),
                    Value::Unknown(None),
                ),
                (schema::PRINCIPAL_ARN.to_string(), Value::Unknown(None)),
            ]));
            m.insert(
                schema::ACCESS_ENTRIES.to_string(),
                Value::Map(BTreeMap::from([("prod".to_string(), entry)])),
            );
            m.insert(schema::ID.to_string(), Value::Unknown(None));
            m.insert(
                schema::PRINCIPAL_IDS.to_string(),
                Value::Map(BTreeMap::from([(
                    "Admins".to_string(),
                    Value::Unknown(None),
                )])),
            );
        }
        let g = Grant::from_value_lossy(&v).unwrap();
        assert_eq!(g.id, None);
        assert_eq!(g.access_entries.unwrap()["prod"].access_entry_arn, "");
        assert_eq!(g.principal_ids, Some(BTreeMap::new()));
    }

    #[test]
    fn unknowns_become_null() {
        let v = Value::Object(BTreeMap::from([
            ("a".to_string(), Value::Unknown(None)),
            (
                "b".to_string(),
                Value::List(vec![Value::Unknown(None), Value::string("x")]),
            ),
        ]));
        let n = unknown_as_null(&v);
        assert!(n.attr("a").is_null());
        assert_eq!(
            n.attr("b"),
            &Value::List(vec![Value::Null, Value::string("x")])
        );
    }
}
