//! Tags as AWS takes them: the one rule for keys and values, checked the
//! same way in resource `tags` and the provider's `default_tags` (defaults
//! land on the same objects), and tag updates as one call to remove keys and
//! one to set values, which is how IAM roles, IAM policies and permission
//! sets all work.

use std::collections::BTreeMap;

use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::value::Value;

/// Tag text as IAM, IAM Identity Center and EKS all allow it: Unicode
/// letters, digits and spaces, and `_.:/=+-@` (the TagKey pattern
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*` of each service's API reference).
fn is_tag_text(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// What is wrong with a tag key, if anything: 1 to 128 characters of tag
/// text, not starting with `aws:` in any case, which AWS reserves ("Don't use
/// aws:, AWS:, or any upper or lowercase combination of such as a prefix",
/// AWS tagging best practices, "Tag naming limits and requirements").
pub fn key_problem(k: &str) -> Option<String> {
    if k.is_empty() || k.chars().count() > 128 || !is_tag_text(k) {
        return Some(format!(
            "{k:?} is not a valid tag key: use 1-128 letters, digits, spaces and _.:/=+-@."
        ));
    }
    if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Some(format!(
            "{k:?} starts with \"aws:\", a prefix AWS reserves for its own tags in any letter case; rename the key (for example {:?}).",
            k[4..].trim_start()
        ));
    }
    None
}

/// What is wrong with a tag value, if anything: up to 256 characters of tag text.
pub fn value_problem(k: &str, v: &str) -> Option<String> {
    (v.chars().count() > 256 || !is_tag_text(v)).then(|| {
        format!(
            "The value of tag {k:?} must be up to 256 letters, digits, spaces and _.:/=+-@; shorten it or remove the other characters."
        )
    })
}

/// Checks a known tag map at `path`, one diagnostic per bad key or value at
/// that key, and at most `max` tags when a limit applies. Unknown values and
/// a map not known yet pass.
pub fn check_tags(d: &mut Diagnostics, tags: &Value, path: AttributePath, max: Option<usize>) {
    let Value::Map(tags) = tags else {
        return;
    };
    if let Some(max) = max
        && tags.len() > max
    {
        d.attribute_error(
            path.clone(),
            "Too many tags",
            format!(
                "{} tags are given; AWS allows at most {max} here. Remove some.",
                tags.len()
            ),
        );
    }
    for (k, v) in tags {
        let at = path.clone().then_key(k);
        if let Some(detail) = key_problem(k) {
            d.attribute_error(at.clone(), "Invalid tag key", detail);
        }
        if let Some(detail) = v.as_str().and_then(|v| value_problem(k, v)) {
            d.attribute_error(at, "Invalid tag value", detail);
        }
    }
}

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
    fn keys_follow_one_rule() {
        for good in [
            "team",
            "cost-center",
            "a/b:c=d+e@f_g.h",
            "Équipe",
            &"k".repeat(128),
        ] {
            assert_eq!(key_problem(good), None, "{good}");
        }
        for bad in ["", "has#hash", &"k".repeat(129)] {
            assert!(key_problem(bad).unwrap().contains("1-128"), "{bad}");
        }
        for reserved in ["aws:team", "AWS:team", "Aws:x"] {
            assert!(
                key_problem(reserved).unwrap().contains("reserves"),
                "{reserved}"
            );
        }
        assert_eq!(key_problem("awsome"), None);
        assert_eq!(value_problem("k", ""), None);
        assert!(value_problem("k", &"v".repeat(257)).is_some());
        assert!(value_problem("k", "a;b").is_some());
    }

    #[test]
    fn a_map_is_checked_at_each_key() {
        let tags = Value::Map(BTreeMap::from([
            ("aws:x".to_string(), Value::string("v")),
            ("ok".to_string(), Value::Unknown(None)),
            ("bad".to_string(), Value::string("x".repeat(300))),
        ]));
        let mut d = Diagnostics::new();
        check_tags(&mut d, &tags, AttributePath::attr("tags"), Some(2));
        let found: Vec<(String, String)> =
            d.0.iter()
                .map(|x| {
                    let at = x
                        .attribute
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default();
                    (at, x.summary.clone())
                })
                .collect();
        assert_eq!(
            found,
            [
                ("tags".to_string(), "Too many tags".to_string()),
                ("tags[\"aws:x\"]".to_string(), "Invalid tag key".to_string()),
                ("tags[\"bad\"]".to_string(), "Invalid tag value".to_string()),
            ]
        );
        let mut d = Diagnostics::new();
        check_tags(
            &mut d,
            &Value::Unknown(None),
            AttributePath::attr("tags"),
            None,
        );
        assert!(!d.has_errors());
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
