//! Offline checks of a configuration: every error names the attribute and the
//! fix, and none needs AWS. Unknown values are skipped; Terraform validates
//! again once they are known.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::policy;
use super::principals::is_principal_id;
use super::schema as s;
use crate::aws::policy_grammar::{
    self, PERMISSION_SET_INLINE_MAX_CHARS, PERMISSION_SET_INLINE_MAX_COUNTED, PolicyKind,
    counted_len,
};
use crate::aws::tags::check_tags;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::value::Value;
use crate::validate as shared;

static CUSTOMER_POLICY_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(/[A-Za-z0-9.,+@=_-]+)*/$").expect("literal regex"));
static NAMESPACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$").expect("literal regex")
});
static DESCRIPTION_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\t\n\r\x20-\x7E\u{A1}-\u{FF}]*$").expect("literal regex"));

/// Prefixes EKS reserves for its own Kubernetes usernames.
pub const RESERVED_USERNAME_PREFIXES: [&str; 5] = ["system:", "eks:", "aws:", "amazon:", "iam:"];

/// Session durations AWS accepts for a permission set: one to twelve hours.
pub const MIN_SESSION_SECS: f64 = 3600.0;
pub const MAX_SESSION_SECS: f64 = 43200.0;

fn at(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

fn ps_at(name: &str) -> AttributePath {
    at(s::PERMISSION_SET).then_attr(name)
}

/// Known strings of a set or list value (unknown elements skipped).
fn known_strings(v: &Value) -> Vec<&str> {
    v.elements().iter().filter_map(Value::as_str).collect()
}

/// Validates a whole configuration.
pub fn validate_config(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    shared::check_str(
        &mut d,
        config.attr(s::ACCOUNT_ID),
        at(s::ACCOUNT_ID),
        "Invalid account_id",
        shared::account_id,
    );
    check_clusters(&mut d, config.attr(s::CLUSTER_NAMES));
    check_principals(&mut d, config);
    check_permission_set_choice(&mut d, config);
    check_permission_set(&mut d, config.attr(s::PERMISSION_SET));
    shared::check_str(
        &mut d,
        config.attr(s::PERMISSION_SET_ARN),
        at(s::PERMISSION_SET_ARN),
        "Invalid permission_set_arn",
        shared::permission_set_arn,
    );
    check_kubernetes_identity(&mut d, config);
    check_access_policies(&mut d, config.attr(s::ACCESS_POLICY));
    // The tags land on the permission set and on every access entry; EKS
    // allows 50 per entry (the permission set 50 too, per CreatePermissionSet).
    check_tags(&mut d, config.attr(s::TAGS), at(s::TAGS), Some(50));
    check_timeouts(&mut d, config.attr(s::TIMEOUTS));
    d
}

fn check_clusters(d: &mut Diagnostics, v: &Value) {
    if let Value::Set(items) | Value::List(items) = v
        && items.is_empty()
    {
        d.attribute_error(
            at(s::CLUSTER_NAMES),
            "No clusters",
            "cluster_names must list at least one EKS cluster, such as [\"prod\"].",
        );
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, item) in v.elements().iter().enumerate() {
        let Some(name) = item.as_str() else { continue };
        let path = at(s::CLUSTER_NAMES).then_index(i);
        if name.trim().is_empty() {
            d.attribute_error(
                path,
                "Empty cluster name",
                "cluster_names contains an empty name; remove it or give the cluster's name.",
            );
        } else if let Err(e) = shared::eks_cluster_name(name) {
            d.attribute_error(path, "Invalid cluster name", e);
        } else if let Some(first) = seen.insert(name, i) {
            d.attribute_error(
                path,
                "Duplicate cluster",
                format!(
                    "{name:?} is already listed at cluster_names[{first}]; list each cluster once."
                ),
            );
        }
    }
}

fn check_principals(d: &mut Diagnostics, config: &Value) {
    let groups = config.attr(s::GROUPS);
    let users = config.attr(s::USERS);
    let known_empty =
        |v: &Value| v.is_null() || matches!(v, Value::Set(e) | Value::List(e) if e.is_empty());
    if known_empty(groups) && known_empty(users) {
        d.attribute_error(
            at(s::GROUPS),
            "No groups or users",
            "Give at least one Identity Center group (groups = [\"EKS_Cluster_Admins\"]) or user (users = [\"jane@example.com\"]) \
             to assign the permission set to.",
        );
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (attr, v, max) in [(s::GROUPS, groups, 1024usize), (s::USERS, users, 128usize)] {
        for name in known_strings(v) {
            if name.trim().is_empty() {
                d.attribute_error(
                    at(attr),
                    "Empty principal name",
                    format!("{attr} contains an empty name; give a display name, user name or identity-store ID."),
                );
                continue;
            }
            if name.chars().count() > max && !is_principal_id(name) {
                d.attribute_error(
                    at(attr),
                    "Principal name too long",
                    format!("{name:?} is longer than {max} characters, the Identity Store limit for {attr}."),
                );
            }
            if let Some(other) = seen.insert(name, attr)
                && other != attr
            {
                d.attribute_error(
                    at(s::USERS),
                    "Name in both groups and users",
                    format!(
                        "{name:?} appears in both groups and users, so principal_ids could not tell them apart. \
                         Use the identity-store ID for one of them."
                    ),
                );
            }
        }
    }
}

/// The error for a config with both a `permission_set` block and
/// `permission_set_arn`.
pub fn both_permission_set_forms() -> Diagnostics {
    let mut d = Diagnostics::new();
    d.attribute_error(
        at(s::PERMISSION_SET_ARN),
        "Both permission_set and permission_set_arn",
        "Use either a permission_set { ... } block (the permission set is created and managed here) or \
         permission_set_arn (an existing permission set, only referenced), not both.",
    );
    d
}

/// Both forms at once are a mistake, with one exception the plan decides
/// (see `mod.rs`): a known `permission_set_arn` equal to the managed set's
/// own ARN in state. Terraform before 1.14 writes exactly that when it
/// generates config for an import (`-generate-config-out` copies every
/// optional+computed attribute from state), so the plan accepts it with a
/// warning instead of rejecting the generated file.
fn check_permission_set_choice(d: &mut Diagnostics, config: &Value) {
    let block = config.attr(s::PERMISSION_SET);
    let arn = config.attr(s::PERMISSION_SET_ARN);
    match (block.is_null(), arn.is_null()) {
        (false, false) if arn.as_str().is_none() => d.extend(both_permission_set_forms()),
        (false, false) => {}
        (true, true) => d.attribute_error(
            at(s::PERMISSION_SET),
            "No permission set",
            "Add a permission_set { name = \"EKSClusterAdminAccess\" ... } block to create one, or set \
             permission_set_arn to reference an existing permission set.",
        ),
        _ => {}
    }
}

fn check_permission_set(d: &mut Diagnostics, ps: &Value) {
    if !matches!(ps, Value::Object(_)) {
        return;
    }
    shared::check_str(
        d,
        ps.attr(s::NAME),
        ps_at(s::NAME),
        "Invalid permission set name",
        shared::permission_set_name,
    );
    if let Some(desc) = ps.attr(s::DESCRIPTION).as_str() {
        if desc.is_empty() || desc.chars().count() > 700 {
            d.attribute_error(
                ps_at(s::DESCRIPTION),
                "Invalid description",
                "The description must be 1 to 700 characters; remove the argument for none.",
            );
        } else if !DESCRIPTION_TEXT.is_match(desc) {
            d.attribute_error(
                ps_at(s::DESCRIPTION),
                "Invalid description",
                "The description may only hold printable Latin-1 characters, tabs and newlines (an IAM Identity Center rule).",
            );
        }
    }
    if let Some(dur) = ps.attr(s::SESSION_DURATION).as_str()
        && let Err(e) = check_session_duration(dur)
    {
        d.attribute_error(ps_at(s::SESSION_DURATION), "Invalid session_duration", e);
    }
    if let Some(relay) = ps.attr(s::RELAY_STATE).as_str()
        && (relay.is_empty() || relay.chars().count() > 240)
    {
        d.attribute_error(
            ps_at(s::RELAY_STATE),
            "Invalid relay_state",
            "relay_state must be 1 to 240 characters, such as \"https://console.aws.amazon.com/eks/home\".",
        );
    }
    for arn in known_strings(ps.attr(s::MANAGED_POLICY_ARNS)) {
        if let Err(e) = policy::check_managed_policy_arn(arn) {
            d.attribute_error(
                ps_at(s::MANAGED_POLICY_ARNS),
                "Invalid managed policy ARN",
                e,
            );
        }
    }
    if let Some(doc) = ps.attr(s::INLINE_POLICY).as_str() {
        check_inline_policy(d, doc);
    }
    for (i, cmp) in ps
        .attr(s::CUSTOMER_MANAGED_POLICY)
        .elements()
        .iter()
        .enumerate()
    {
        check_policy_ref(d, cmp, ps_at(s::CUSTOMER_MANAGED_POLICY).then_index(i));
    }
    let boundary = ps.attr(s::PERMISSIONS_BOUNDARY);
    if let Value::Object(_) = boundary {
        let path = ps_at(s::PERMISSIONS_BOUNDARY);
        let arn = boundary.attr(s::MANAGED_POLICY_ARN);
        let cmp = boundary.attr(s::CUSTOMER_MANAGED_POLICY);
        if arn.is_null() == cmp.is_null() && !arn.is_unknown() {
            d.attribute_error(
                path.clone(),
                "Invalid permissions_boundary",
                "Give exactly one of managed_policy_arn or a customer_managed_policy { name = \"...\" } block.",
            );
        }
        if let Some(a) = arn.as_str()
            && let Err(e) = policy::check_managed_policy_arn(a)
        {
            d.attribute_error(
                path.clone().then_attr(s::MANAGED_POLICY_ARN),
                "Invalid boundary policy ARN",
                e,
            );
        }
        if let Value::Object(_) = cmp {
            check_policy_ref(d, cmp, path.then_attr(s::CUSTOMER_MANAGED_POLICY));
        }
    }
}

/// The inline policy: IAM's grammar for an identity policy (the same
/// validator `additional_policy_json` uses), then Identity Center's two size
/// limits, with and without whitespace.
fn check_inline_policy(d: &mut Diagnostics, doc: &str) {
    let summary = "Invalid inline_policy";
    let chars = doc.chars().count();
    if chars > PERMISSION_SET_INLINE_MAX_CHARS {
        d.attribute_error(
            ps_at(s::INLINE_POLICY),
            summary,
            format!(
                "The inline policy has {chars} characters; a permission set's inline policy holds at most \
                 {PERMISSION_SET_INLINE_MAX_CHARS}. Move statements into a customer-managed policy \
                 (customer_managed_policy {{ name = \"...\" }}) or attach managed policies instead."
            ),
        );
        return;
    }
    if let Err(problems) = policy_grammar::check(doc, PolicyKind::Identity) {
        for p in problems {
            d.attribute_error(ps_at(s::INLINE_POLICY), summary, p.to_string());
        }
        return;
    }
    let counted = counted_len(doc);
    if counted > PERMISSION_SET_INLINE_MAX_COUNTED {
        d.attribute_error(
            ps_at(s::INLINE_POLICY),
            summary,
            format!(
                "The inline policy has {counted} characters besides whitespace; IAM Identity Center allows \
                 {PERMISSION_SET_INLINE_MAX_COUNTED}. Move statements into a customer-managed policy \
                 (customer_managed_policy {{ name = \"...\" }}) or attach managed policies instead."
            ),
        );
    }
}

fn check_policy_ref(d: &mut Diagnostics, v: &Value, path: AttributePath) {
    if let Some(name) = v.attr(s::NAME).as_str()
        && let Err(e) = shared::iam_name(name, 128)
    {
        d.attribute_error(
            path.clone().then_attr(s::NAME),
            "Invalid customer-managed policy name",
            e,
        );
    }
    if let Some(p) = v.attr(s::PATH).as_str()
        && (p.len() > 512 || !CUSTOMER_POLICY_PATH.is_match(p))
    {
        d.attribute_error(
            path.then_attr(s::PATH),
            "Invalid policy path",
            format!("{p:?} is not an IAM policy path. Use \"/\" or a path such as \"/platform/eks/\" (letters, digits and .,+@=_- between slashes)."),
        );
    }
}

/// Parses an ISO-8601 duration into seconds. Years and months count as 365
/// and 30 days, which only matters for telling the user the value is too long.
pub fn iso_duration_seconds(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('P')?;
    if rest.is_empty() || rest == "T" {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut parse = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
                continue;
            }
            let pos = units.iter().position(|(u, _)| *u == c)?;
            if pos < next_unit || num.is_empty() {
                return None;
            }
            let n: f64 = num.parse().ok()?;
            total += n * units[pos].1;
            num.clear();
            next_unit = pos + 1;
        }
        num.is_empty().then_some(())
    };
    parse(
        date,
        &[
            ('Y', 31_536_000.0),
            ('M', 2_592_000.0),
            ('W', 604_800.0),
            ('D', 86_400.0),
        ],
    )?;
    if let Some(t) = time {
        parse(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    Some(total)
}

/// A permission set session duration: ISO-8601, from one to twelve hours.
pub fn check_session_duration(text: &str) -> Result<f64, String> {
    let secs = iso_duration_seconds(text).ok_or_else(|| {
        format!("{text:?} is not an ISO-8601 duration. Use a value such as \"PT1H\", \"PT4H\" or \"PT1H30M\".")
    })?;
    if !(MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&secs) {
        return Err(format!(
            "{text:?} is outside the range IAM Identity Center allows: use PT1H to PT12H, such as \"PT4H\"."
        ));
    }
    Ok(secs)
}

fn check_kubernetes_identity(d: &mut Diagnostics, config: &Value) {
    if let Some(name) = config.attr(s::KUBERNETES_USERNAME).as_str() {
        if name.trim().is_empty() {
            d.attribute_error(
                at(s::KUBERNETES_USERNAME),
                "Empty kubernetes_username",
                "kubernetes_username must not be empty; remove it to let EKS choose its default username.",
            );
        } else if let Some(p) = RESERVED_USERNAME_PREFIXES
            .iter()
            .find(|p| name.starts_with(**p))
        {
            d.attribute_error(
                at(s::KUBERNETES_USERNAME),
                "Reserved kubernetes_username prefix",
                format!(
                    "{name:?} starts with {p:?}, which EKS reserves (reserved prefixes: {}). Choose another name, \
                     or remove the argument to use EKS's default.",
                    RESERVED_USERNAME_PREFIXES.join(", ")
                ),
            );
        }
    }
    for g in known_strings(config.attr(s::KUBERNETES_GROUPS)) {
        if g.trim().is_empty() {
            d.attribute_error(
                at(s::KUBERNETES_GROUPS),
                "Empty Kubernetes group",
                "kubernetes_groups contains an empty name; remove it.",
            );
        } else if g.starts_with("system:") {
            d.attribute_error(
                at(s::KUBERNETES_GROUPS),
                "Reserved Kubernetes group",
                format!(
                    "{g:?} starts with \"system:\", which EKS does not allow in access entries. For cluster-admin rights \
                     use access_policy {{ policy = \"AmazonEKSClusterAdminPolicy\" }} instead of system:masters."
                ),
            );
        }
    }
}

fn check_access_policies(d: &mut Diagnostics, v: &Value) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in v.elements().iter().enumerate() {
        let path = at(s::ACCESS_POLICY).then_index(i);
        if let Some(p) = item.attr(s::POLICY).as_str() {
            match policy::check_access_policy(p) {
                Err(e) => d.attribute_error(
                    path.clone().then_attr(s::POLICY),
                    "Invalid access policy",
                    e.detail(),
                ),
                Ok(()) => {
                    if let Some(first) = seen.insert(policy::access_policy_key(p), i) {
                        d.attribute_error(
                            path.clone().then_attr(s::POLICY),
                            "Duplicate access policy",
                            format!(
                                "{p:?} is already given in access_policy[{first}]. EKS associates a policy once per access \
                                 entry; merge the two blocks (list every namespace in one `namespaces`)."
                            ),
                        );
                    }
                }
            }
        }
        let ns = item.attr(s::NAMESPACES);
        if let Value::Set(items) | Value::List(items) = ns
            && items.is_empty()
        {
            d.attribute_error(
                path.clone().then_attr(s::NAMESPACES),
                "Empty namespaces",
                "namespaces = [] grants nothing. Remove the argument for cluster-wide scope, or list namespaces such as [\"dev\", \"qa-*\"].",
            );
        }
        for n in known_strings(ns) {
            if !NAMESPACE.is_match(n) {
                d.attribute_error(
                    path.clone().then_attr(s::NAMESPACES),
                    "Invalid namespace",
                    format!(
                        "{n:?} is not a Kubernetes namespace name: use 1-63 lower-case letters, digits and '-', \
                         optionally with '*' wildcards such as \"dev-*\"."
                    ),
                );
            }
        }
    }
}

fn check_timeouts(d: &mut Diagnostics, v: &Value) {
    for op in [s::CREATE, s::UPDATE, s::DELETE] {
        shared::check_str(
            d,
            v.attr(op),
            at(s::TIMEOUTS).then_attr(op),
            "Invalid timeout",
            |t| match shared::parse_go_duration(t) {
                Ok(dur) if dur.is_zero() => Err(format!(
                    "{t:?} is zero; use a positive duration such as \"20m\"."
                )),
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn set(items: &[&str]) -> Value {
        Value::Set(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn valid() -> BTreeMap<String, Value> {
        let ps = obj(vec![
            (s::NAME, Value::string("EKSClusterAdminAccess")),
            (s::SESSION_DURATION, Value::string("PT4H")),
            (
                s::INLINE_POLICY,
                Value::string(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#,
                ),
            ),
            (
                s::MANAGED_POLICY_ARNS,
                set(&["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]),
            ),
        ]);
        let ap = Value::List(vec![obj(vec![(
            s::POLICY,
            Value::string("AmazonEKSClusterAdminPolicy"),
        )])]);
        [
            (s::ACCOUNT_ID, Value::string("111122223333")),
            (s::CLUSTER_NAMES, list(&["prod"])),
            (s::GROUPS, set(&["EKS_Cluster_Admins"])),
            (s::PERMISSION_SET, ps),
            (s::ACCESS_POLICY, ap),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn errors_for(change: impl FnOnce(&mut BTreeMap<String, Value>)) -> Vec<(String, String)> {
        let mut c = valid();
        change(&mut c);
        validate_config(&Value::Object(c))
            .0
            .into_iter()
            .map(|d| {
                (
                    d.attribute.map(|p| p.to_string()).unwrap_or_default(),
                    d.summary,
                )
            })
            .collect()
    }

    fn set_ps_attr(c: &mut BTreeMap<String, Value>, name: &str, v: Value) {
        if let Some(Value::Object(ps)) = c.get_mut(s::PERMISSION_SET) {
            ps.insert(name.to_string(), v);
        }
    }

    #[test]
    fn valid_config_has_no_errors() {
        assert_eq!(errors_for(|_| {}), vec![]);
    }

    type Change = Box<dyn FnOnce(&mut BTreeMap<String, Value>)>;

    /// A change that sets a top-level attribute.
    fn put(name: &'static str, v: Value) -> Change {
        Box::new(move |c| {
            c.insert(name.to_string(), v);
        })
    }

    /// A change that sets an attribute of the `permission_set` block.
    fn put_ps(name: &'static str, v: Value) -> Change {
        Box::new(move |c| set_ps_attr(c, name, v))
    }

    /// A change that removes a top-level attribute.
    fn drop_attr(name: &'static str) -> Change {
        Box::new(move |c| {
            c.remove(name);
        })
    }

    /// One `access_policy` block naming `policy`.
    fn policy(policy: &str) -> Value {
        obj(vec![(s::POLICY, Value::string(policy))])
    }

    #[test]
    fn each_bad_input_names_its_attribute() {
        let cases: Vec<(&str, Change)> = vec![
            (
                "permission_set.name",
                put_ps(s::NAME, Value::string("x".repeat(33))),
            ),
            (
                "permission_set.name",
                put_ps(s::NAME, Value::string("bad name")),
            ),
            (
                "permission_set.session_duration",
                put_ps(s::SESSION_DURATION, Value::string("4h")),
            ),
            (
                "permission_set.session_duration",
                put_ps(s::SESSION_DURATION, Value::string("PT13H")),
            ),
            (
                "permission_set.inline_policy",
                put_ps(s::INLINE_POLICY, Value::string("{nope")),
            ),
            (
                "permission_set.inline_policy",
                put_ps(
                    s::INLINE_POLICY,
                    Value::string("{\"Version\":\"2012-10-17\"}"),
                ),
            ),
            (
                "permission_set.inline_policy",
                put_ps(
                    s::INLINE_POLICY,
                    Value::string(
                        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"eks:*","Resource":"*"}]}"#,
                    ),
                ),
            ),
            (
                "permission_set.inline_policy",
                put_ps(
                    s::INLINE_POLICY,
                    Value::string(
                        r#"{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#,
                    ),
                ),
            ),
            (
                "permission_set.managed_policy_arns",
                put_ps(s::MANAGED_POLICY_ARNS, set(&["ViewOnlyAccess"])),
            ),
            (
                "permission_set.description",
                put_ps(s::DESCRIPTION, Value::string("")),
            ),
            (
                "permission_set.relay_state",
                put_ps(s::RELAY_STATE, Value::string("x".repeat(241))),
            ),
            (
                "access_policy[0].namespaces",
                put(
                    s::ACCESS_POLICY,
                    Value::List(vec![obj(vec![
                        (s::POLICY, Value::string("AmazonEKSViewPolicy")),
                        (s::NAMESPACES, Value::Set(vec![])),
                    ])]),
                ),
            ),
            (
                "access_policy[0].policy",
                put(
                    s::ACCESS_POLICY,
                    Value::List(vec![policy("AmazonEKSSuperPolicy")]),
                ),
            ),
            (
                "access_policy[0].policy",
                put(
                    s::ACCESS_POLICY,
                    Value::List(vec![policy(
                        "arn:aws:eks:eu-west-1:aws:cluster-access-policy/X",
                    )]),
                ),
            ),
            (
                "access_policy[1].policy",
                put(
                    s::ACCESS_POLICY,
                    Value::List(vec![
                        policy("AmazonEKSViewPolicy"),
                        policy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
                    ]),
                ),
            ),
            (
                "access_policy[0].namespaces",
                put(
                    s::ACCESS_POLICY,
                    Value::List(vec![obj(vec![
                        (s::POLICY, Value::string("AmazonEKSViewPolicy")),
                        (s::NAMESPACES, set(&["Dev_Team"])),
                    ])]),
                ),
            ),
            // Both forms with an ARN not known yet; a known one is the plan's
            // call (plan::check_both_permission_set_forms).
            (
                "permission_set_arn",
                put(s::PERMISSION_SET_ARN, Value::Unknown(None)),
            ),
            ("permission_set", drop_attr(s::PERMISSION_SET)),
            ("groups", drop_attr(s::GROUPS)),
            ("groups", put(s::GROUPS, set(&[""]))),
            ("account_id", put(s::ACCOUNT_ID, Value::string("1234"))),
            ("cluster_names[0]", put(s::CLUSTER_NAMES, list(&[""]))),
            (
                "cluster_names[1]",
                put(s::CLUSTER_NAMES, list(&["prod", "-prod"])),
            ),
            (
                "cluster_names[2]",
                put(s::CLUSTER_NAMES, list(&["prod", "staging", "prod"])),
            ),
            ("cluster_names", put(s::CLUSTER_NAMES, Value::List(vec![]))),
            (
                "kubernetes_username",
                put(s::KUBERNETES_USERNAME, Value::string("system:admin")),
            ),
            (
                "kubernetes_username",
                put(s::KUBERNETES_USERNAME, Value::string("eks:me")),
            ),
            (
                "kubernetes_groups",
                put(s::KUBERNETES_GROUPS, set(&["system:masters"])),
            ),
            (
                "timeouts.create",
                put(
                    s::TIMEOUTS,
                    obj(vec![(s::CREATE, Value::string("20 minutes"))]),
                ),
            ),
            (
                "tags[\"aws:x\"]",
                put(
                    s::TAGS,
                    Value::Map([("aws:x".to_string(), Value::string("v"))].into()),
                ),
            ),
            ("users", put(s::USERS, set(&["EKS_Cluster_Admins"]))),
        ];
        assert!(cases.len() >= 15);
        for (path, change) in cases {
            let errs = errors_for(change);
            assert!(
                errs.iter().any(|(p, _)| p == path),
                "expected an error at {path}, got {errs:?}"
            );
        }
    }

    #[test]
    fn unknown_values_are_not_errors() {
        let errs = errors_for(|c| {
            c.insert(s::ACCOUNT_ID.into(), Value::Unknown(None));
            c.insert(s::CLUSTER_NAMES.into(), Value::Unknown(None));
            c.insert(s::GROUPS.into(), Value::Unknown(None));
            set_ps_attr(c, s::NAME, Value::Unknown(None));
            set_ps_attr(c, s::INLINE_POLICY, Value::Unknown(None));
            c.insert(s::ACCESS_POLICY.into(), Value::Unknown(None));
        });
        assert_eq!(errs, vec![]);
        // An unknown permission_set_arn still counts as "set".
        let errs = errors_for(|c| {
            c.insert(s::PERMISSION_SET_ARN.into(), Value::Unknown(None));
        });
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    /// The same grammar as the creator role's `additional_policy_json`, each
    /// problem named by statement and element, and both size limits.
    #[test]
    fn inline_policy_follows_iams_grammar_and_sizes() {
        let details = |doc: String| -> Vec<String> {
            let mut c = valid();
            set_ps_attr(&mut c, s::INLINE_POLICY, Value::string(doc));
            validate_config(&Value::Object(c))
                .0
                .into_iter()
                .map(|d| {
                    assert_eq!(
                        d.attribute.unwrap().to_string(),
                        "permission_set.inline_policy"
                    );
                    d.detail
                })
                .collect()
        };
        let got = details(
            r#"{"Version":"2020-01-01","Statement":[{"Effect":"Permit","Action":"eks:*","Resource":"*","Principal":"*"}]}"#
                .to_string(),
        );
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("Version: "), "{got:?}");
        assert!(got[1].starts_with("Statement[0].Effect: "), "{got:?}");
        assert!(got[2].starts_with("Statement[0].Principal: "), "{got:?}");
        let statement = r#"{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"*"}"#;
        let doc = |n: usize, pad: usize| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}{}"#,
                vec![statement; n].join(","),
                " ".repeat(pad)
            )
        };
        // 10,240 characters besides whitespace.
        let counted = details(doc(170, 0));
        assert_eq!(counted.len(), 1);
        assert!(
            counted[0].contains("besides whitespace; IAM Identity Center allows 10240"),
            "{counted:?}"
        );
        assert!(details(doc(150, 0)).is_empty());
        // 32,768 characters in all, whitespace included.
        let total = details(doc(150, 30_000));
        assert_eq!(total.len(), 1);
        assert!(total[0].contains("at most 32768"), "{total:?}");
    }

    #[test]
    fn descriptions_allow_latin1_only() {
        let errs = errors_for(|c| {
            set_ps_attr(c, s::DESCRIPTION, Value::string("EKS admins – café\tteam"))
        });
        assert_eq!(errs.len(), 1, "an en dash is outside Latin-1: {errs:?}");
        assert_eq!(errs[0].0, "permission_set.description");
        assert_eq!(
            errors_for(|c| set_ps_attr(c, s::DESCRIPTION, Value::string("EKS admins, café team"))),
            vec![]
        );
    }

    #[test]
    fn policy_paths_and_names() {
        let with_cmp = |name: &str, path: &str| {
            let (name, path) = (name.to_string(), path.to_string());
            errors_for(move |c| {
                set_ps_attr(
                    c,
                    s::CUSTOMER_MANAGED_POLICY,
                    Value::Set(vec![obj(vec![
                        (s::NAME, Value::string(name)),
                        (s::PATH, Value::string(path)),
                    ])]),
                )
            })
        };
        assert_eq!(with_cmp("EKSExtra", "/platform/eks/"), vec![]);
        let errs = with_cmp("EKS Extra", "platform");
        let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "permission_set.customer_managed_policy[0].name",
                "permission_set.customer_managed_policy[0].path"
            ]
        );
    }

    #[test]
    fn iso_durations() {
        assert_eq!(iso_duration_seconds("PT1H"), Some(3600.0));
        assert_eq!(iso_duration_seconds("PT1H30M"), Some(5400.0));
        assert_eq!(iso_duration_seconds("PT90M"), Some(5400.0));
        assert_eq!(iso_duration_seconds("PT3600S"), Some(3600.0));
        assert_eq!(iso_duration_seconds("P1D"), Some(86400.0));
        for bad in ["", "P", "PT", "1H", "PT1", "PTH", "PT1M1H", "P1H"] {
            assert_eq!(iso_duration_seconds(bad), None, "{bad}");
        }
        assert!(check_session_duration("PT12H").is_ok());
        assert!(
            check_session_duration("PT30M")
                .unwrap_err()
                .contains("PT1H to PT12H")
        );
    }
}
