//! Tag updates as AWS takes them: one call to remove keys, one to set values.
//! IAM roles, IAM policies and permission sets all work this way.

use std::collections::BTreeMap;

/// What to send to bring tags from `current` to `desired`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Keys to untag: present now, absent from `desired`.
    pub removed: Vec<String>,
    /// Keys to tag: new, or with a different value.
    pub set: BTreeMap<String, String>,
}

impl TagChanges {
    pub fn between(
        current: &BTreeMap<String, String>,
        desired: &BTreeMap<String, String>,
    ) -> TagChanges {
        TagChanges {
            removed: current
                .keys()
                .filter(|k| !desired.contains_key(*k))
                .cloned()
                .collect(),
            set: desired
                .iter()
                .filter(|(k, v)| current.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn removes_missing_keys_and_sets_new_or_changed_values() {
        let current = tags(&[("team", "a"), ("env", "prod"), ("old", "x")]);
        let desired = tags(&[("team", "b"), ("env", "prod"), ("new", "y")]);
        let changes = TagChanges::between(&current, &desired);
        assert_eq!(changes.removed, vec!["old".to_string()]);
        assert_eq!(changes.set, tags(&[("new", "y"), ("team", "b")]));
        assert!(!changes.is_empty());
        assert!(TagChanges::between(&desired, &desired).is_empty());
    }
}
