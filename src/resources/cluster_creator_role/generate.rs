//! GenerateResourceConfig: the configuration a person would write for a
//! role, so that `-generate-config-out` plans with no changes.
//!
//! Computed-only attributes go (the server also makes sure of that), and so
//! do defaulted values (`name = "EKSClusterCreator"`, `path = "/"`,
//! `permissions = "eksctl_minimum"`, `max_session_duration = 3600`,
//! `policy_name = "<name>Policy"`) and empty collections: leaving them out
//! means the same, and is what a person would write.

use std::collections::{BTreeMap, BTreeSet};

use super::model::CreatorRole;
use super::presets;
use super::schema::{DEFAULT_MAX_SESSION, DEFAULT_NAME, DEFAULT_PATH};

fn non_empty_set(s: &Option<BTreeSet<String>>) -> Option<BTreeSet<String>> {
    s.clone().filter(|s| !s.is_empty())
}

fn non_empty_map(m: &Option<BTreeMap<String, String>>) -> Option<BTreeMap<String, String>> {
    m.clone().filter(|m| !m.is_empty())
}

fn unless_default<T: PartialEq + Clone>(v: &Option<T>, default: &T) -> Option<T> {
    v.clone().filter(|v| v != default)
}

/// The configuration for `state` (a state Read produced).
pub fn config_for(state: &CreatorRole) -> CreatorRole {
    let name = state.role_name().unwrap_or(DEFAULT_NAME);
    CreatorRole {
        name: unless_default(&state.name, &DEFAULT_NAME.to_string()),
        path: unless_default(&state.path, &DEFAULT_PATH.to_string()),
        description: state.description.clone().filter(|d| !d.is_empty()),
        trusted_permission_sets: non_empty_set(&state.trusted_permission_sets),
        trusted_role_arns: non_empty_set(&state.trusted_role_arns),
        trusted_principal_arn_patterns: non_empty_set(&state.trusted_principal_arn_patterns),
        permissions: unless_default(&state.permissions, &presets::DEFAULT.as_str().to_string()),
        additional_policy_json: state.additional_policy_json.clone(),
        managed_policy_arns: non_empty_set(&state.managed_policy_arns),
        max_session_duration: unless_default(&state.max_session_duration, &DEFAULT_MAX_SESSION),
        permissions_boundary: state.permissions_boundary.clone(),
        tags: non_empty_map(&state.tags),
        policy_name: unless_default(&state.policy_name, &format!("{name}Policy")),
        ..CreatorRole::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[&str]) -> Option<BTreeSet<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn defaults_empties_and_computed_values_are_left_out() {
        let state = CreatorRole {
            id: Some("EKSClusterCreator".into()),
            name: Some("EKSClusterCreator".into()),
            path: Some("/".into()),
            description: Some(String::new()),
            trusted_role_arns: names(&["arn:aws:iam::111122223333:role/x"]),
            trusted_permission_sets: names(&[]),
            permissions: Some("eksctl_minimum".into()),
            max_session_duration: Some(3600),
            tags: Some(BTreeMap::new()),
            tags_all: Some([("team".to_string(), "x".to_string())].into()),
            policy_name: Some("EKSClusterCreatorPolicy".into()),
            arn: Some("arn:aws:iam::111122223333:role/EKSClusterCreator".into()),
            unique_id: Some("AROA1".into()),
            trust_policy: Some("{}".into()),
            ..CreatorRole::default()
        };
        assert_eq!(
            config_for(&state),
            CreatorRole {
                trusted_role_arns: names(&["arn:aws:iam::111122223333:role/x"]),
                ..CreatorRole::default()
            }
        );
    }

    #[test]
    fn non_defaults_are_written() {
        let state = CreatorRole {
            name: Some("Ops".into()),
            path: Some("/eks/".into()),
            permissions: Some("none".into()),
            max_session_duration: Some(7200),
            policy_name: Some("OpsPolicy".into()),
            tags: Some([("env".to_string(), "prod".to_string())].into()),
            ..CreatorRole::default()
        };
        let c = config_for(&state);
        assert_eq!(c.name.as_deref(), Some("Ops"));
        assert_eq!(c.path.as_deref(), Some("/eks/"));
        assert_eq!(c.permissions.as_deref(), Some("none"));
        assert_eq!(c.max_session_duration, Some(7200));
        assert_eq!(c.policy_name, None, "the default for this name");
        assert_eq!(c.tags, state.tags);
    }
}
