//! The configuration a person would write for an existing grant, from its
//! state: what `terraform plan -generate-config-out` and `terraform query
//! -generate-config-out` write (through GenerateResourceConfig).
//!
//! It keeps only what a config says: a managed permission set as a
//! `permission_set` block and a referenced one as `permission_set_arn`,
//! never both; no computed-only attribute; no empty optional collection; no
//! value equal to its default. Every value left out is one the plan fills
//! back in from state or defaults, so the generated config plans no change.

use super::model::{
    AccessPolicyModel, BoundaryModel, Grant, PermissionSetModel, PolicyRef, TimeoutsModel,
};
use super::schema::{DEFAULT_POLICY_PATH, DEFAULT_SESSION_DURATION, DEFAULT_TIMEOUT};

/// The config for `state`.
pub fn config_from_state(state: &Grant) -> Grant {
    let non_empty_set =
        |s: &Option<std::collections::BTreeSet<String>>| s.clone().filter(|s| !s.is_empty());
    Grant {
        account_id: state.account_id.clone(),
        cluster_names: state.cluster_names.clone(),
        groups: non_empty_set(&state.groups),
        users: non_empty_set(&state.users),
        permission_set: state.permission_set.as_ref().map(permission_set),
        permission_set_arn: match state.permission_set {
            Some(_) => None,
            None => state.permission_set_arn.clone(),
        },
        kubernetes_groups: non_empty_set(&state.kubernetes_groups),
        kubernetes_username: state.kubernetes_username.clone(),
        access_policy: state
            .access_policy
            .iter()
            .map(|p| AccessPolicyModel {
                policy: p.policy.clone(),
                namespaces: p.namespaces.clone(),
            })
            .collect(),
        tags: state.tags.clone().filter(|t| !t.is_empty()),
        timeouts: state.timeouts.as_ref().and_then(timeouts),
        ..Grant::default()
    }
}

fn permission_set(ps: &PermissionSetModel) -> PermissionSetModel {
    PermissionSetModel {
        name: ps.name.clone(),
        description: ps.description.clone(),
        session_duration: ps
            .session_duration
            .clone()
            .filter(|d| d != DEFAULT_SESSION_DURATION),
        relay_state: ps.relay_state.clone(),
        managed_policy_arns: ps.managed_policy_arns.clone().filter(|a| !a.is_empty()),
        inline_policy: ps.inline_policy.clone(),
        customer_managed_policy: ps.customer_managed_policy.iter().map(policy_ref).collect(),
        permissions_boundary: ps.permissions_boundary.as_ref().map(|b| BoundaryModel {
            managed_policy_arn: b.managed_policy_arn.clone(),
            customer_managed_policy: b.customer_managed_policy.as_ref().map(policy_ref),
        }),
    }
}

fn policy_ref(r: &PolicyRef) -> PolicyRef {
    PolicyRef {
        name: r.name.clone(),
        path: r.path.clone().filter(|p| p != DEFAULT_POLICY_PATH),
    }
}

/// Only the time limits that differ from the default; none at all when every
/// one is the default.
fn timeouts(t: &TimeoutsModel) -> Option<TimeoutsModel> {
    let keep = |v: &Option<String>| v.clone().filter(|v| v != DEFAULT_TIMEOUT);
    let out = TimeoutsModel {
        create: keep(&t.create),
        update: keep(&t.update),
        delete: keep(&t.delete),
    };
    (out != TimeoutsModel::default()).then_some(out)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::resources::sso_admin_access::model::AccessEntryModel;

    const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

    fn imported_managed() -> Grant {
        Grant {
            id: Some(format!("{PS},111122223333")),
            account_id: Some("111122223333".into()),
            cluster_names: Some(vec!["prod".into(), "staging".into()]),
            groups: Some(["Admins".to_string()].into()),
            users: Some(BTreeSet::new()),
            permission_set: Some(PermissionSetModel {
                name: "EKSAdmin".into(),
                description: Some("admins".into()),
                session_duration: Some("PT1H".into()),
                managed_policy_arns: Some(BTreeSet::new()),
                inline_policy: Some("{\"Version\":\"2012-10-17\"}".into()),
                customer_managed_policy: vec![
                    PolicyRef {
                        name: "A".into(),
                        path: Some("/".into()),
                    },
                    PolicyRef {
                        name: "B".into(),
                        path: Some("/team/".into()),
                    },
                ],
                ..Default::default()
            }),
            permission_set_arn: Some(PS.into()),
            kubernetes_groups: Some(BTreeSet::new()),
            kubernetes_username: None,
            access_policy: vec![AccessPolicyModel {
                policy: "AmazonEKSClusterAdminPolicy".into(),
                namespaces: None,
            }],
            tags: Some(BTreeMap::new()),
            tags_all: Some(BTreeMap::new()),
            timeouts: Some(TimeoutsModel {
                create: Some("20m".into()),
                update: Some("20m".into()),
                delete: Some("45m".into()),
            }),
            instance_arn: Some("arn:aws:sso:::instance/ssoins-1234567890abcdef".into()),
            identity_store_id: Some("d-1234567890".into()),
            principal_ids: Some([("Admins".to_string(), "g-1".to_string())].into()),
            reserved_role_name: Some("AWSReservedSSO_EKSAdmin_0123456789abcdef".into()),
            reserved_role_arn: Some("arn:aws:iam::111122223333:role/x".into()),
            reserved_role_arn_without_path: Some("arn:aws:iam::111122223333:role/y".into()),
            access_entries: Some([("prod".to_string(), AccessEntryModel::default())].into()),
        }
    }

    #[test]
    fn managed_sets_are_a_block_without_computed_or_empty_values() {
        let c = config_from_state(&imported_managed());
        assert_eq!(c.permission_set_arn, None, "never both forms");
        let ps = c.permission_set.as_ref().expect("the block");
        assert_eq!(ps.name, "EKSAdmin");
        assert_eq!(ps.session_duration, None, "PT1H is the default");
        assert_eq!(ps.managed_policy_arns, None, "empty set left out");
        assert_eq!(ps.customer_managed_policy[0].path, None, "/ is the default");
        assert_eq!(
            ps.customer_managed_policy[1].path.as_deref(),
            Some("/team/")
        );
        for computed in [
            &c.id,
            &c.instance_arn,
            &c.identity_store_id,
            &c.reserved_role_name,
            &c.reserved_role_arn,
            &c.reserved_role_arn_without_path,
        ] {
            assert_eq!(computed, &None);
        }
        assert!(c.principal_ids.is_none() && c.access_entries.is_none() && c.tags_all.is_none());
        assert!(c.users.is_none() && c.kubernetes_groups.is_none() && c.tags.is_none());
        assert_eq!(c.groups, Some(["Admins".to_string()].into()));
        let t = c.timeouts.expect("one non-default timeout");
        assert_eq!(
            (t.create, t.update, t.delete.as_deref()),
            (None, None, Some("45m"))
        );
    }

    #[test]
    fn referenced_sets_are_an_arn() {
        let mut g = imported_managed();
        g.permission_set = None;
        g.timeouts = Some(TimeoutsModel {
            create: Some("20m".into()),
            update: Some("20m".into()),
            delete: Some("20m".into()),
        });
        let c = config_from_state(&g);
        assert_eq!(c.permission_set, None);
        assert_eq!(c.permission_set_arn.as_deref(), Some(PS));
        assert_eq!(c.timeouts, None, "all defaults: no timeouts block");
    }
}
