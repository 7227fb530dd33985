//! Planning: what the next apply will do, decided from prior state and
//! configuration alone (no AWS calls), deterministically, so Terraform's two
//! plan calls agree.
//!
//! Rules, beyond Terraform's proposal:
//! - defaults: `session_duration` PT1H, policy paths `/`;
//! - values equal in meaning to the prior state keep the prior text: policy
//!   JSON, ISO durations, principals named by ID instead of name, empty versus
//!   null collections, access policies by short name or ARN in any order;
//! - computed values that cannot change keep their prior value; values the
//!   apply will decide are unknown, never guessed;
//! - an access entry whose principal is not the current reserved role is
//!   planned to move to it (an update), as is a pending re-provisioning;
//! - the permission set's identity (name, account, instance, referenced ARN,
//!   managed or referenced) changing forces replacement.

use std::collections::{BTreeMap, BTreeSet};

use super::policy::access_policy_key;
use super::principals::is_principal_id;
use super::private::Private;
use super::schema as s;
use super::validate::iso_duration_seconds;
use crate::aws::policy_json::semantically_equal;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::plan::set_attr;
use crate::tfplugin::value::Value;

/// What planning needs besides Terraform's request.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
    /// The instance named in the provider's `sso.instance_arn`, when set
    /// (a discovered instance is not known without an AWS call).
    pub configured_instance_arn: Option<String>,
}

pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
}

fn unknown() -> Value {
    Value::Unknown(None)
}

/// A mutable attribute of an object value, if the value is an object.
fn attr_mut<'a>(v: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    match v {
        Value::Object(m) => m.get_mut(name),
        _ => None,
    }
}

/// Known strings of a known set/list; `None` if the value or any element is unknown.
fn known_strings(v: &Value) -> Option<BTreeSet<String>> {
    match v {
        Value::Null => Some(BTreeSet::new()),
        Value::Set(items) | Value::List(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// Plans a create or update. `proposed` is Terraform's proposed new state.
pub fn plan(
    prior: &Value,
    config: &Value,
    proposed: &Value,
    private: &Private,
    ctx: &PlanContext,
) -> Planned {
    let mut planned = proposed.clone();
    let mut diagnostics = Diagnostics::new();
    apply_defaults(&mut planned, config);
    set_attr(
        &mut planned,
        s::TAGS_ALL,
        tags_all(config.attr(s::TAGS), &ctx.default_tags),
    );

    if prior.is_null() {
        plan_create(&mut planned, config);
        return Planned {
            state: planned,
            requires_replace: Vec::new(),
            diagnostics,
        };
    }

    keep_equivalent_text(&mut planned, prior);
    let requires_replace = replacement_paths(prior, config, ctx);
    if !requires_replace.is_empty() {
        // Terraform plans the create half again with no prior state; here it
        // is enough that everything the new object decides is unknown.
        plan_create(&mut planned, config);
        return Planned {
            state: planned,
            requires_replace,
            diagnostics,
        };
    }

    for name in [s::ID, s::INSTANCE_ARN, s::IDENTITY_STORE_ID] {
        set_attr(&mut planned, name, prior.attr(name).clone());
    }
    let ids = principal_ids(&planned, prior.attr(s::PRINCIPAL_IDS));
    set_attr(&mut planned, s::PRINCIPAL_IDS, ids);

    let prior_has_principals = [s::GROUPS, s::USERS]
        .iter()
        .any(|a| !prior.attr(a).elements().is_empty());
    let role_stable = prior.attr(s::RESERVED_ROLE_ARN).as_str().is_some()
        && prior_has_principals
        && !private.needs_provision;
    if private.needs_provision {
        diagnostics.warning(
            "Permission set not yet provisioned",
            "The last apply changed the permission set but could not provision it to the account, so the \
             reserved role still has the old policies. This apply provisions it again.",
        );
    }
    for name in [
        s::RESERVED_ROLE_NAME,
        s::RESERVED_ROLE_ARN,
        s::RESERVED_ROLE_ARN_WITHOUT_PATH,
    ] {
        let v = if role_stable {
            prior.attr(name).clone()
        } else {
            unknown()
        };
        set_attr(&mut planned, name, v);
    }
    let role_arn = if role_stable {
        prior.attr(s::RESERVED_ROLE_ARN).as_str()
    } else {
        None
    };
    let entries = plan_entries(&planned, prior, config, role_arn);
    set_attr(&mut planned, s::ACCESS_ENTRIES, entries);

    Planned {
        state: planned,
        requires_replace: Vec::new(),
        diagnostics,
    }
}

/// Collections left out of the configuration are empty; timeouts default to
/// 20m, `session_duration` to PT1H and policy paths to `/`.
fn apply_defaults(planned: &mut Value, config: &Value) {
    for (name, empty) in [
        (s::GROUPS, Value::Set(Vec::new())),
        (s::USERS, Value::Set(Vec::new())),
        (s::KUBERNETES_GROUPS, Value::Set(Vec::new())),
        (s::TAGS, Value::Map(BTreeMap::new())),
    ] {
        if config.attr(name).is_null() {
            set_attr(planned, name, empty);
        }
    }
    if let Some(t) = attr_mut(planned, s::TIMEOUTS)
        && matches!(t, Value::Object(_))
    {
        for op in [s::CREATE, s::UPDATE, s::DELETE] {
            if config.attr(s::TIMEOUTS).attr(op).is_null() {
                set_attr(t, op, Value::string(s::DEFAULT_TIMEOUT));
            }
        }
    }
    let config_ps = config.attr(s::PERMISSION_SET);
    let Some(ps) = attr_mut(planned, s::PERMISSION_SET) else {
        return;
    };
    if config_ps.attr(s::MANAGED_POLICY_ARNS).is_null() && matches!(ps, Value::Object(_)) {
        set_attr(ps, s::MANAGED_POLICY_ARNS, Value::Set(Vec::new()));
    }
    if ps.attr(s::SESSION_DURATION).is_null() {
        set_attr(
            ps,
            s::SESSION_DURATION,
            Value::string(s::DEFAULT_SESSION_DURATION),
        );
    }
    if let Some(Value::Set(items)) = attr_mut(ps, s::CUSTOMER_MANAGED_POLICY) {
        for item in items.iter_mut() {
            default_path(item);
        }
    }
    if let Some(boundary) = attr_mut(ps, s::PERMISSIONS_BOUNDARY)
        && let Some(cmp) = attr_mut(boundary, s::CUSTOMER_MANAGED_POLICY)
    {
        default_path(cmp);
    }
}

fn default_path(policy_ref: &mut Value) {
    if matches!(policy_ref, Value::Object(_)) && policy_ref.attr(s::PATH).is_null() {
        set_attr(policy_ref, s::PATH, Value::string(s::DEFAULT_POLICY_PATH));
    }
}

/// The provider's default tags overlaid with the resource's own.
fn tags_all(tags: &Value, defaults: &BTreeMap<String, String>) -> Value {
    let mut out: BTreeMap<String, Value> = defaults
        .iter()
        .map(|(k, v)| (k.clone(), Value::string(v)))
        .collect();
    match tags {
        Value::Null => {}
        Value::Map(m) => {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
        _ => return unknown(),
    }
    Value::Map(out)
}

/// Computed values of an object that does not exist yet.
fn plan_create(planned: &mut Value, config: &Value) {
    let referenced = config.attr(s::PERMISSION_SET).is_null();
    let id = match (
        config.attr(s::PERMISSION_SET_ARN).as_str(),
        config.attr(s::ACCOUNT_ID).as_str(),
    ) {
        (Some(arn), Some(account)) if referenced => Value::string(format!("{arn},{account}")),
        _ => unknown(),
    };
    set_attr(planned, s::ID, id);
    if !referenced {
        set_attr(planned, s::PERMISSION_SET_ARN, unknown());
    }
    for name in [
        s::INSTANCE_ARN,
        s::IDENTITY_STORE_ID,
        s::RESERVED_ROLE_NAME,
        s::RESERVED_ROLE_ARN,
        s::RESERVED_ROLE_ARN_WITHOUT_PATH,
    ] {
        set_attr(planned, name, unknown());
    }
    let ids = principal_ids(planned, &Value::Null);
    set_attr(planned, s::PRINCIPAL_IDS, ids);
    let entries = plan_entries(planned, &Value::Null, config, None);
    set_attr(planned, s::ACCESS_ENTRIES, entries);
}

/// `principal_ids` for the planned names: known where prior state or the
/// name itself (an ID) says, unknown where the apply must look it up.
fn principal_ids(planned: &Value, prior_ids: &Value) -> Value {
    let (Some(groups), Some(users)) = (
        known_strings(planned.attr(s::GROUPS)),
        known_strings(planned.attr(s::USERS)),
    ) else {
        return unknown();
    };
    let prior: BTreeMap<String, Value> = match prior_ids {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    let out = groups
        .iter()
        .chain(users.iter())
        .map(|name| {
            let id = prior
                .get(name)
                .filter(|v| v.as_str().is_some())
                .cloned()
                .or_else(|| is_principal_id(name).then(|| Value::string(name)))
                .unwrap_or_else(unknown);
            (name.clone(), id)
        })
        .collect();
    Value::Map(out)
}

/// `access_entries` for the planned clusters. `role_arn` is the reserved
/// role's ARN when it is known not to change.
fn plan_entries(planned: &Value, prior: &Value, config: &Value, role_arn: Option<&str>) -> Value {
    let Some(clusters) = known_strings(planned.attr(s::CLUSTER_NAMES)) else {
        return unknown();
    };
    let prior_entries = match prior.attr(s::ACCESS_ENTRIES) {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    let config_username = config.attr(s::KUBERNETES_USERNAME);
    let prior_username = prior.attr(s::KUBERNETES_USERNAME);
    let role = role_arn.map(Value::string).unwrap_or_else(unknown);
    let fresh = || {
        let username = if config_username.as_str().is_some() {
            config_username.clone()
        } else {
            unknown()
        };
        entry_value(unknown(), username, role.clone())
    };
    let out = clusters
        .into_iter()
        .map(|cluster| {
            let planned_entry = match (prior_entries.get(&cluster), role_arn) {
                (Some(e), Some(arn)) if e.attr(s::PRINCIPAL_ARN).as_str() == Some(arn) => {
                    match (config_username, prior_username) {
                        (Value::String(want), _) => {
                            if e.attr(s::KUBERNETES_USERNAME).as_str() == Some(want) {
                                e.clone()
                            } else {
                                // UpdateAccessEntry keeps the entry and its ARN.
                                entry_value(
                                    e.attr(s::ACCESS_ENTRY_ARN).clone(),
                                    config_username.clone(),
                                    role.clone(),
                                )
                            }
                        }
                        // Back to EKS's default: the entry is re-created.
                        (Value::Null, Value::String(_)) => fresh(),
                        (Value::Null, _) => e.clone(),
                        _ => entry_value(
                            e.attr(s::ACCESS_ENTRY_ARN).clone(),
                            unknown(),
                            role.clone(),
                        ),
                    }
                }
                _ => fresh(),
            };
            (cluster, planned_entry)
        })
        .collect();
    Value::Map(out)
}

fn entry_value(arn: Value, username: Value, principal: Value) -> Value {
    Value::Object(BTreeMap::from([
        (s::ACCESS_ENTRY_ARN.to_string(), arn),
        (s::KUBERNETES_USERNAME.to_string(), username),
        (s::PRINCIPAL_ARN.to_string(), principal),
    ]))
}

/// Where the configuration says the same as prior state in other words,
/// plan the prior value, so there is no diff.
fn keep_equivalent_text(planned: &mut Value, prior: &Value) {
    let prior_ps = prior.attr(s::PERMISSION_SET);
    if let Some(ps) = attr_mut(planned, s::PERMISSION_SET) {
        if let (Some(a), Some(b)) = (
            ps.attr(s::INLINE_POLICY).as_str(),
            prior_ps.attr(s::INLINE_POLICY).as_str(),
        ) && semantically_equal(a, b)
        {
            set_attr(
                ps,
                s::INLINE_POLICY,
                prior_ps.attr(s::INLINE_POLICY).clone(),
            );
        }
        if let (Some(a), Some(b)) = (
            ps.attr(s::SESSION_DURATION).as_str(),
            prior_ps.attr(s::SESSION_DURATION).as_str(),
        ) && iso_duration_seconds(a).is_some()
            && iso_duration_seconds(a) == iso_duration_seconds(b)
        {
            set_attr(
                ps,
                s::SESSION_DURATION,
                prior_ps.attr(s::SESSION_DURATION).clone(),
            );
        }
    }
    // cluster_names is a list only so duplicates can be refused: any order
    // of the same clusters means the same.
    if let (Value::List(a), Value::List(b)) =
        (planned.attr(s::CLUSTER_NAMES), prior.attr(s::CLUSTER_NAMES))
        && a.len() == b.len()
        && a.iter().all(|v| v.as_str().is_some())
        && Value::Set(a.clone()) == Value::Set(b.clone())
    {
        set_attr(
            planned,
            s::CLUSTER_NAMES,
            prior.attr(s::CLUSTER_NAMES).clone(),
        );
    }
    for attr in [s::GROUPS, s::USERS] {
        if principals_equivalent(
            planned.attr(attr),
            prior.attr(attr),
            prior.attr(s::PRINCIPAL_IDS),
        ) {
            set_attr(planned, attr, prior.attr(attr).clone());
        }
    }
    if access_policies_equivalent(planned.attr(s::ACCESS_POLICY), prior.attr(s::ACCESS_POLICY))
        && same_scope_kinds(planned.attr(s::ACCESS_POLICY), prior.attr(s::ACCESS_POLICY))
    {
        set_attr(
            planned,
            s::ACCESS_POLICY,
            prior.attr(s::ACCESS_POLICY).clone(),
        );
    }
}

/// Two sets of principal names that resolve to the same identity-store IDs
/// (through the prior `principal_ids`, or because they are IDs).
fn principals_equivalent(planned: &Value, prior: &Value, prior_ids: &Value) -> bool {
    let (Some(a), Some(b)) = (known_strings(planned), known_strings(prior)) else {
        return false;
    };
    let id_of = |name: &String| -> Option<String> {
        match prior_ids {
            Value::Map(m) => m.get(name).and_then(|v| v.as_str().map(str::to_string)),
            _ => None,
        }
        .or_else(|| is_principal_id(name).then(|| name.clone()))
    };
    let ids = |names: &BTreeSet<String>| -> Option<BTreeSet<String>> {
        names.iter().map(id_of).collect()
    };
    match (ids(&a), ids(&b)) {
        (Some(x), Some(y)) => x == y && x.len() == a.len() && y.len() == b.len(),
        _ => false,
    }
}

/// One `access_policy` element as comparable data.
fn access_policy_meaning(v: &Value) -> Option<(String, Option<BTreeSet<String>>)> {
    let policy = v.attr(s::POLICY).as_str()?;
    let ns = match v.attr(s::NAMESPACES) {
        Value::Null => None,
        other => Some(known_strings(other)?),
    };
    Some((access_policy_key(policy), ns))
}

/// The same policies with the same scopes, in any order and either spelling.
fn access_policies_equivalent(planned: &Value, prior: &Value) -> bool {
    let meanings = |v: &Value| -> Option<BTreeSet<(String, Option<BTreeSet<String>>)>> {
        match v {
            Value::Null => Some(BTreeSet::new()),
            Value::List(items) => {
                let set: Option<BTreeSet<_>> = items.iter().map(access_policy_meaning).collect();
                set.filter(|s| s.len() == items.len())
            }
            _ => None,
        }
    };
    matches!((meanings(planned), meanings(prior)), (Some(a), Some(b)) if a == b)
}

/// Terraform accepts a planned (prior) value in place of a configured one
/// only where neither is null, so a reordering can keep the prior list only
/// when each position has namespaces in both or in neither.
fn same_scope_kinds(planned: &Value, prior: &Value) -> bool {
    let (a, b) = (planned.elements(), prior.elements());
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.attr(s::NAMESPACES).is_null() == y.attr(s::NAMESPACES).is_null())
}

/// Changes AWS cannot make in place.
fn replacement_paths(prior: &Value, config: &Value, ctx: &PlanContext) -> Vec<AttributePath> {
    let mut out = Vec::new();
    let changed = |a: &Value, b: &Value| a.is_unknown() || a != b;
    if changed(config.attr(s::ACCOUNT_ID), prior.attr(s::ACCOUNT_ID)) {
        out.push(AttributePath::attr(s::ACCOUNT_ID));
    }
    let prior_ps = prior.attr(s::PERMISSION_SET);
    let config_ps = config.attr(s::PERMISSION_SET);
    match (prior_ps.is_null(), config_ps.is_null()) {
        // managed before and now
        (false, false) => {
            if changed(config_ps.attr(s::NAME), prior_ps.attr(s::NAME)) {
                out.push(AttributePath::attr(s::PERMISSION_SET).then_attr(s::NAME));
            }
        }
        // managed before, referenced now: in place only when it is the same set
        (false, true) => {
            if changed(
                config.attr(s::PERMISSION_SET_ARN),
                prior.attr(s::PERMISSION_SET_ARN),
            ) {
                out.push(AttributePath::attr(s::PERMISSION_SET_ARN));
            }
        }
        // referenced before, managed now: a new permission set
        (true, false) => out.push(AttributePath::attr(s::PERMISSION_SET)),
        (true, true) => {
            if changed(
                config.attr(s::PERMISSION_SET_ARN),
                prior.attr(s::PERMISSION_SET_ARN),
            ) {
                out.push(AttributePath::attr(s::PERMISSION_SET_ARN));
            }
        }
    }
    if let (Some(want), Some(have)) = (
        ctx.configured_instance_arn.as_deref(),
        prior.attr(s::INSTANCE_ARN).as_str(),
    ) && want != have
    {
        out.push(AttributePath::attr(s::INSTANCE_ARN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::sso_admin_access::model::{
        AccessEntryModel, AccessPolicyModel, Grant, PermissionSetModel, TimeoutsModel,
    };

    const ROLE: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSAdmin_0123456789abcdef";
    const NEW_ROLE: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSAdmin_fedcba9876543210";
    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#;
    const GROUP_ID: &str = "9067d3e2-1234-4c3f-8a9b-0123456789ab";

    fn state() -> Grant {
        Grant {
            id: Some("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef,111122223333".into()),
            account_id: Some("111122223333".into()),
            cluster_names: Some(["prod".to_string()].into()),
            groups: Some(["Admins".to_string()].into()),
            users: Some(BTreeSet::new()),
            kubernetes_groups: Some(BTreeSet::new()),
            tags: Some(BTreeMap::new()),
            timeouts: Some(TimeoutsModel {
                create: Some("20m".into()),
                update: Some("20m".into()),
                delete: Some("20m".into()),
            }),
            permission_set: Some(PermissionSetModel {
                name: "EKSAdmin".into(),
                session_duration: Some("PT1H".into()),
                inline_policy: Some(POLICY.into()),
                managed_policy_arns: Some(BTreeSet::new()),
                ..Default::default()
            }),
            permission_set_arn: Some("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef".into()),
            access_policy: vec![AccessPolicyModel { policy: "AmazonEKSClusterAdminPolicy".into(), namespaces: None }],
            tags_all: Some(BTreeMap::new()),
            instance_arn: Some("arn:aws:sso:::instance/ssoins-1234567890abcdef".into()),
            identity_store_id: Some("d-1234567890".into()),
            principal_ids: Some(BTreeMap::from([("Admins".to_string(), GROUP_ID.to_string())])),
            reserved_role_name: Some("AWSReservedSSO_EKSAdmin_0123456789abcdef".into()),
            reserved_role_arn: Some(ROLE.into()),
            reserved_role_arn_without_path: Some("arn:aws:iam::111122223333:role/AWSReservedSSO_EKSAdmin_0123456789abcdef".into()),
            access_entries: Some(BTreeMap::from([(
                "prod".to_string(),
                AccessEntryModel {
                    access_entry_arn: "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/role/111122223333/AWSReservedSSO_EKSAdmin_0123456789abcdef/1".into(),
                    kubernetes_username: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_EKSAdmin_0123456789abcdef/{{SessionName}}".into(),
                    principal_arn: ROLE.into(),
                },
            )])),
            ..Default::default()
        }
    }

    /// The configuration that produced `state()`: computed attributes null.
    fn config_of(g: &Grant) -> Grant {
        Grant {
            id: None,
            permission_set_arn: if g.is_managed() {
                None
            } else {
                g.permission_set_arn.clone()
            },
            tags_all: None,
            instance_arn: None,
            identity_store_id: None,
            principal_ids: None,
            reserved_role_name: None,
            reserved_role_arn: None,
            reserved_role_arn_without_path: None,
            access_entries: None,
            ..g.clone()
        }
    }

    /// Terraform's proposal: config, with prior values for null computed attributes.
    fn proposed(prior: &Grant, config: &Grant) -> Grant {
        let mut p = config.clone();
        p.groups = config.groups.clone().or(prior.groups.clone());
        p.users = config.users.clone().or(prior.users.clone());
        p.kubernetes_groups = config
            .kubernetes_groups
            .clone()
            .or(prior.kubernetes_groups.clone());
        p.tags = config.tags.clone().or(prior.tags.clone());
        if let (Some(pt), Some(ct)) = (&prior.timeouts, &mut p.timeouts) {
            ct.create = ct.create.clone().or(pt.create.clone());
            ct.update = ct.update.clone().or(pt.update.clone());
            ct.delete = ct.delete.clone().or(pt.delete.clone());
        }
        p.id = prior.id.clone();
        p.permission_set_arn = config
            .permission_set_arn
            .clone()
            .or(prior.permission_set_arn.clone());
        p.tags_all = prior.tags_all.clone();
        p.instance_arn = prior.instance_arn.clone();
        p.identity_store_id = prior.identity_store_id.clone();
        p.principal_ids = prior.principal_ids.clone();
        p.reserved_role_name = prior.reserved_role_name.clone();
        p.reserved_role_arn = prior.reserved_role_arn.clone();
        p.reserved_role_arn_without_path = prior.reserved_role_arn_without_path.clone();
        p.access_entries = prior.access_entries.clone();
        if let (Some(pp), Some(cp)) = (&prior.permission_set, &mut p.permission_set) {
            if cp.session_duration.is_none() {
                cp.session_duration = pp.session_duration.clone();
            }
            if cp.managed_policy_arns.is_none() {
                cp.managed_policy_arns = pp.managed_policy_arns.clone();
            }
        }
        p
    }

    fn run(prior: &Grant, config: &Grant, private: &Private) -> Planned {
        let prior_v = prior.to_value().unwrap();
        let config_v = config.to_value().unwrap();
        let proposed_v = proposed(prior, config).to_value().unwrap();
        plan(
            &prior_v,
            &config_v,
            &proposed_v,
            private,
            &PlanContext::default(),
        )
    }

    #[test]
    fn unchanged_config_plans_exactly_the_prior_state() {
        let prior = state();
        let p = run(&prior, &config_of(&prior), &Private::default());
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.state, prior.to_value().unwrap());
    }

    #[test]
    fn reformatted_policy_and_equivalent_spellings_plan_no_change() {
        let prior = state();
        let mut config = config_of(&prior);
        if let Some(ps) = config.permission_set.as_mut() {
            ps.inline_policy = Some(r#"{"Statement":[{"Resource":"*","Action":["eks:*"],"Effect":"Allow"}],"Version":"2012-10-17"}"#.into());
            ps.session_duration = Some("PT60M".into());
            ps.managed_policy_arns = Some(BTreeSet::new());
        }
        config.groups = Some([GROUP_ID.to_string()].into());
        config.kubernetes_groups = Some(BTreeSet::new());
        config.access_policy = vec![AccessPolicyModel {
            policy: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy".into(),
            namespaces: None,
        }];
        let p = run(&prior, &config, &Private::default());
        assert_eq!(p.state, prior.to_value().unwrap());
    }

    #[test]
    fn a_moved_role_plans_an_update_of_the_entries() {
        // Read found a new reserved role while the entry still names the old one.
        let mut prior = state();
        prior.reserved_role_arn = Some(NEW_ROLE.into());
        prior.reserved_role_name = Some("AWSReservedSSO_EKSAdmin_fedcba9876543210".into());
        let p = run(&prior, &config_of(&prior), &Private::default());
        assert!(p.requires_replace.is_empty());
        assert_ne!(p.state, prior.to_value().unwrap());
        let entry = p.state.attr(s::ACCESS_ENTRIES);
        let Value::Map(m) = entry else {
            panic!("{entry:?}")
        };
        let prod = &m["prod"];
        assert_eq!(prod.attr(s::PRINCIPAL_ARN), &Value::string(NEW_ROLE));
        assert!(prod.attr(s::ACCESS_ENTRY_ARN).is_unknown());
        assert_eq!(p.state.attr(s::RESERVED_ROLE_ARN), &Value::string(NEW_ROLE));
    }

    #[test]
    fn plans_are_deterministic() {
        let mut prior = state();
        prior.reserved_role_arn = Some(NEW_ROLE.into());
        let mut config = config_of(&state());
        config.cluster_names = Some(["prod".to_string(), "staging".to_string()].into());
        let a = run(&prior, &config, &Private::default());
        let b = run(&prior, &config, &Private::default());
        assert_eq!(a.state, b.state);
    }

    #[test]
    fn a_new_cluster_gets_an_unknown_entry_with_the_known_role() {
        let prior = state();
        let mut config = config_of(&prior);
        config.cluster_names = Some(["prod".to_string(), "staging".to_string()].into());
        let p = run(&prior, &config, &Private::default());
        let Value::Map(m) = p.state.attr(s::ACCESS_ENTRIES) else {
            panic!()
        };
        let Value::Map(before) = prior.to_value().unwrap().attr(s::ACCESS_ENTRIES).clone() else {
            panic!()
        };
        assert_eq!(m["prod"], before["prod"]);
        assert_eq!(m["staging"].attr(s::PRINCIPAL_ARN), &Value::string(ROLE));
        assert!(m["staging"].attr(s::ACCESS_ENTRY_ARN).is_unknown());
        assert_eq!(p.state.attr(s::RESERVED_ROLE_ARN), &Value::string(ROLE));
    }

    #[test]
    fn new_principals_have_unknown_ids_unless_given_as_ids() {
        let prior = state();
        let mut config = config_of(&prior);
        config.users = Some(["jane".to_string(), GROUP_ID.replace('9', "8")].into());
        let p = run(&prior, &config, &Private::default());
        let Value::Map(ids) = p.state.attr(s::PRINCIPAL_IDS) else {
            panic!()
        };
        assert_eq!(ids["Admins"], Value::string(GROUP_ID));
        assert!(ids["jane"].is_unknown());
        assert_eq!(
            ids[&GROUP_ID.replace('9', "8")],
            Value::string(GROUP_ID.replace('9', "8"))
        );
    }

    #[test]
    fn renaming_the_permission_set_or_account_replaces() {
        let prior = state();
        let mut config = config_of(&prior);
        if let Some(ps) = config.permission_set.as_mut() {
            ps.name = "Renamed".into();
        }
        let p = run(&prior, &config, &Private::default());
        assert_eq!(
            p.requires_replace,
            vec![AttributePath::attr(s::PERMISSION_SET).then_attr(s::NAME)]
        );
        assert!(p.state.attr(s::PERMISSION_SET_ARN).is_unknown());
        let mut config = config_of(&prior);
        config.account_id = Some("444455556666".into());
        assert_eq!(
            run(&prior, &config, &Private::default()).requires_replace,
            vec![AttributePath::attr(s::ACCOUNT_ID)]
        );
    }

    #[test]
    fn in_place_changes_do_not_replace() {
        let prior = state();
        let mut config = config_of(&prior);
        if let Some(ps) = config.permission_set.as_mut() {
            ps.session_duration = Some("PT4H".into());
            ps.inline_policy = Some(POLICY.replace("eks:*", "eks:Describe*"));
        }
        config.users = Some(["jane".to_string()].into());
        config.access_policy.push(AccessPolicyModel {
            policy: "AmazonEKSViewPolicy".into(),
            namespaces: Some(["dev".to_string()].into()),
        });
        let p = run(&prior, &config, &Private::default());
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.state.attr(s::ID), prior.to_value().unwrap().attr(s::ID));
        assert_eq!(p.state.attr(s::RESERVED_ROLE_ARN), &Value::string(ROLE));
    }

    #[test]
    fn pending_provisioning_forces_an_update_with_a_warning() {
        let prior = state();
        let private = Private {
            needs_provision: true,
            ..Private::default()
        };
        let p = run(&prior, &config_of(&prior), &private);
        assert!(p.state.attr(s::RESERVED_ROLE_ARN).is_unknown());
        assert_eq!(p.diagnostics.0.len(), 1);
        assert!(!p.diagnostics.has_errors());
    }

    #[test]
    fn lost_assignments_make_the_role_unknown() {
        let mut prior = state();
        prior.groups = Some(BTreeSet::new());
        let p = run(&prior, &config_of(&state()), &Private::default());
        assert!(p.state.attr(s::RESERVED_ROLE_ARN).is_unknown());
        assert_eq!(
            p.state.attr(s::GROUPS),
            &Value::Set(vec![Value::string("Admins")])
        );
    }

    #[test]
    fn create_plans_defaults_and_unknowns() {
        let mut config = config_of(&state());
        if let Some(ps) = config.permission_set.as_mut() {
            ps.session_duration = None;
        }
        config.kubernetes_username = Some("admin".into());
        let config_v = config.to_value().unwrap();
        let ctx = PlanContext {
            default_tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
            ..Default::default()
        };
        let p = plan(
            &Value::Null,
            &config_v,
            &config_v,
            &Private::default(),
            &ctx,
        );
        let ps = p.state.attr(s::PERMISSION_SET);
        assert_eq!(ps.attr(s::SESSION_DURATION), &Value::string("PT1H"));
        assert!(p.state.attr(s::PERMISSION_SET_ARN).is_unknown());
        assert!(p.state.attr(s::ID).is_unknown());
        assert_eq!(p.state.attr(s::TAGS_ALL).attr("team"), &Value::Null); // maps are not objects
        let Value::Map(tags) = p.state.attr(s::TAGS_ALL) else {
            panic!()
        };
        assert_eq!(tags["team"], Value::string("platform"));
        let Value::Map(entries) = p.state.attr(s::ACCESS_ENTRIES) else {
            panic!()
        };
        assert_eq!(
            entries["prod"].attr(s::KUBERNETES_USERNAME),
            &Value::string("admin")
        );
        assert!(entries["prod"].attr(s::PRINCIPAL_ARN).is_unknown());
    }

    #[test]
    fn referenced_mode_knows_its_id_at_plan_time() {
        let mut config = config_of(&state());
        config.permission_set = None;
        config.permission_set_arn = state().permission_set_arn;
        let v = config.to_value().unwrap();
        let p = plan(
            &Value::Null,
            &v,
            &v,
            &Private::default(),
            &PlanContext::default(),
        );
        assert_eq!(p.state.attr(s::ID), &Value::string(state().id.unwrap()));
    }

    #[test]
    fn switching_to_reference_the_same_set_is_in_place() {
        let prior = state();
        let mut config = config_of(&prior);
        config.permission_set = None;
        config.permission_set_arn = prior.permission_set_arn.clone();
        assert!(
            run(&prior, &config, &Private::default())
                .requires_replace
                .is_empty()
        );
        config.permission_set_arn =
            Some("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-aaaaaaaaaaaaaaaa".into());
        assert_eq!(
            run(&prior, &config, &Private::default()).requires_replace,
            vec![AttributePath::attr(s::PERMISSION_SET_ARN)]
        );
    }

    #[test]
    fn unknown_config_values_stay_unknown() {
        let prior = state();
        let config = config_of(&prior);
        let mut config_v = config.to_value().unwrap();
        set_attr(&mut config_v, s::CLUSTER_NAMES, unknown());
        let mut proposed_v = proposed(&prior, &config).to_value().unwrap();
        set_attr(&mut proposed_v, s::CLUSTER_NAMES, unknown());
        let p = plan(
            &prior.to_value().unwrap(),
            &config_v,
            &proposed_v,
            &Private::default(),
            &PlanContext::default(),
        );
        assert!(p.state.attr(s::ACCESS_ENTRIES).is_unknown());
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn switching_username_back_to_default_recreates_entries() {
        let mut prior = state();
        prior.kubernetes_username = Some("admin".into());
        let mut config = config_of(&prior);
        config.kubernetes_username = None;
        let p = run(&prior, &config, &Private::default());
        let Value::Map(m) = p.state.attr(s::ACCESS_ENTRIES) else {
            panic!()
        };
        assert!(m["prod"].attr(s::ACCESS_ENTRY_ARN).is_unknown());
        assert!(m["prod"].attr(s::KUBERNETES_USERNAME).is_unknown());
    }

    #[test]
    fn timeouts_default_to_twenty_minutes_so_both_spellings_match() {
        let prior = state();
        let mut config = config_of(&prior);
        config.timeouts = Some(TimeoutsModel::default());
        assert_eq!(
            run(&prior, &config, &Private::default()).state,
            prior.to_value().unwrap()
        );
        config.timeouts = Some(TimeoutsModel {
            create: Some("45m".into()),
            ..Default::default()
        });
        let p = run(&prior, &config, &Private::default());
        assert_eq!(
            p.state.attr(s::TIMEOUTS).attr(s::CREATE),
            &Value::string("45m")
        );
        assert_eq!(
            p.state.attr(s::TIMEOUTS).attr(s::DELETE),
            &Value::string("20m")
        );
    }

    #[test]
    fn reordered_clusters_keep_the_prior_order() {
        let mut prior = state();
        prior.cluster_names = Some(vec!["prod".into(), "staging".into()]);
        let mut config = config_of(&prior);
        config.cluster_names = Some(vec!["staging".into(), "prod".into()]);
        let p = run(&prior, &config, &Private::default());
        assert_eq!(
            p.state.attr(s::CLUSTER_NAMES),
            prior.to_value().unwrap().attr(s::CLUSTER_NAMES)
        );
    }

    #[test]
    fn left_out_collections_default_to_empty() {
        let prior = state();
        let mut config = config_of(&prior);
        config.users = None;
        config.kubernetes_groups = None;
        config.tags = None;
        let p = run(&prior, &config, &Private::default());
        assert_eq!(p.state.attr(s::USERS), &Value::Set(vec![]));
        assert_eq!(p.state.attr(s::KUBERNETES_GROUPS), &Value::Set(vec![]));
        assert_eq!(p.state.attr(s::TAGS), &Value::Map(BTreeMap::new()));
        assert_eq!(
            p.state.attr(s::PERMISSION_SET).attr(s::MANAGED_POLICY_ARNS),
            &Value::Set(vec![])
        );
    }

    #[test]
    fn a_reorder_that_terraform_would_reject_is_planned_as_written() {
        let mut prior = state();
        prior.access_policy.push(AccessPolicyModel {
            policy: "AmazonEKSViewPolicy".into(),
            namespaces: Some(["dev".to_string()].into()),
        });
        let mut config = config_of(&prior);
        config.access_policy.reverse();
        let p = run(&prior, &config, &Private::default());
        assert_eq!(
            p.state.attr(s::ACCESS_POLICY),
            config.to_value().unwrap().attr(s::ACCESS_POLICY)
        );
        // Same-kind positions may keep the prior order and spelling.
        let mut config = config_of(&prior);
        config.access_policy[1].policy =
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy".into();
        let p = run(&prior, &config, &Private::default());
        assert_eq!(p.state, prior.to_value().unwrap());
    }
}
