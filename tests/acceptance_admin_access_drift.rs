//! Drift on `eks_sso_admin_access` (issue 3, acceptance 5). Each change is
//! made out of band through the real AWS APIs (tests/support/aws_oob.py), must
//! show in the plan, is repaired by one apply, and is followed by an empty plan.

mod support;

use serde_json::{Value, json};
use support::ACCOUNT;
use support::admin_access::*;

const GROUP: &str = "EKS_Cluster_Admins";

fn grant() -> Grant {
    let mut ps = PermissionSet::named("EKSDrift");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    let mut g = Grant::new("g", ps, &["prod"]);
    g.access_policies
        .push(AccessPolicy::namespaced("AmazonEKSViewPolicy", &["dev"]));
    g
}

/// Plans, asserts the drift shows as an in-place update of the grant, applies
/// that plan and asserts the next plan is empty. Returns the plan.
fn plan_repair(env: &Env, g: &Grant, what: &str) -> support::PlanSummary {
    let plan = env.tf.plan();
    assert_in_place_update(&plan, &g.address());
    apply_saved_plan(&env.tf);
    assert_plan_empty(&env.tf, &format!("after repairing {what}"));
    plan
}

/// The planned value at `path` in the change of `address`, or `None` when the
/// plan marks it unknown (known after apply).
fn planned(change: &Value, path: &[&str]) -> Option<Value> {
    let mut unknown = &change["change"]["after_unknown"];
    let mut after = &change["change"]["after"];
    for p in path {
        unknown = &unknown[*p];
        after = &after[*p];
        if unknown == &Value::Bool(true) {
            return None;
        }
    }
    Some(after.clone())
}

#[test]
fn eks_side_drift_entry_deleted_and_scope_changed() {
    let env = Env::start(Setup::default());
    let g = grant();
    env.write(&[&g]);
    env.tf.apply();
    let role = str_at(&env.tf.output("g"), "reserved_role_arn").to_string();

    // The access entry is deleted (its associations go with it).
    env.call(
        "eks",
        "delete_access_entry",
        json!({"clusterName": "prod", "principalArn": role}),
    );
    assert!(entries_on(&env.state(), "prod").is_empty());
    plan_repair(&env, &g, "a deleted access entry");
    let state = env.state();
    let assoc = associations(entry(&state, "prod", &role));
    assert_eq!(assoc.len(), 2, "{assoc:#?}");

    // A namespace scope is changed behind Terraform's back.
    let view = access_policy_arn("AmazonEKSViewPolicy");
    env.call(
        "eks",
        "associate_access_policy",
        json!({
            "clusterName": "prod",
            "principalArn": role,
            "policyArn": view,
            "accessScope": {"type": "namespace", "namespaces": ["kube-system"]},
        }),
    );
    assert_eq!(
        scope_namespaces(&associations(entry(&env.state(), "prod", &role))[&view]),
        Some(vec!["kube-system".to_string()])
    );
    plan_repair(&env, &g, "a changed namespace scope");
    let state = env.state();
    let assoc = associations(entry(&state, "prod", &role));
    assert_eq!(
        scope_namespaces(&assoc[&view]),
        Some(vec!["dev".to_string()])
    );
    assert_eq!(
        scope_namespaces(&assoc[&access_policy_arn("AmazonEKSClusterAdminPolicy")]),
        None
    );
}

#[test]
fn sso_side_drift_policy_detached_and_role_recreated_with_new_suffix() {
    let env = Env::start(Setup::default());
    let g = grant();
    env.write(&[&g]);
    env.tf.apply();
    let out = env.tf.output("g");
    let ps_arn = str_at(&out, "permission_set_arn").to_string();
    let old_role = str_at(&out, "reserved_role_arn").to_string();

    // A managed policy is detached from the permission set.
    env.call(
        "sso-admin",
        "detach_managed_policy_from_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn, "ManagedPolicyArn": VIEW_ONLY}),
    );
    assert_eq!(
        permission_set_by_arn(&env.state(), &ps_arn).unwrap()["managed_policies"],
        json!([])
    );
    plan_repair(&env, &g, "a detached managed policy");
    let state = env.state();
    assert_eq!(
        permission_set_by_arn(&state, &ps_arn).unwrap()["managed_policies"],
        json!([VIEW_ONLY])
    );
    let role = reserved_role(&state, &ps_arn);
    assert!(
        role["managed_policies"]
            .as_array()
            .unwrap()
            .contains(&json!(VIEW_ONLY)),
        "{role:#}"
    );

    // The assignment is removed and re-added: AWS deletes the role with the
    // last assignment and creates a new one with another suffix.
    let moved = env.oob(
        &env.sso_region,
        &[
            "reassign",
            "--instance-arn",
            &env.instance_arn,
            "--permission-set-arn",
            &ps_arn,
            "--account",
            ACCOUNT,
            "--principal-type",
            "GROUP",
            "--principal-id",
            env.group_id(GROUP),
        ],
    );
    assert_eq!(moved["old_role_arn"], old_role);
    let new_role = str_at(&moved, "new_role_arn").to_string();
    assert_ne!(new_role, old_role, "the emulator should give a new suffix");

    let plan = plan_repair(&env, &g, "a role recreated with a new suffix");
    let c = change(&plan, &g.address());
    // The update moves the entry to the new role.
    for path in [
        &["reserved_role_arn"][..],
        &["access_entries", "prod", "principal_arn"][..],
    ] {
        if let Some(v) = planned(c, path) {
            assert_eq!(v, json!(new_role), "planned {path:?}: {c:#}");
        }
    }
    let state = env.state();
    let entries = entries_on(&state, "prod");
    assert_eq!(entries.len(), 1, "the old entry must be gone: {entries:#?}");
    assert_eq!(associations(entry(&state, "prod", &new_role)).len(), 2);
    let out = env.tf.output("g");
    assert_eq!(out["reserved_role_arn"], new_role);
    assert_eq!(out["access_entries"]["prod"]["principal_arn"], new_role);
}

/// Refresh blind spots closed (issue 12): a customer-managed policy
/// reference or a permissions boundary added out of band to a grant that has
/// none shows in the plan, whether it was provisioned (as the console does)
/// or not, and one apply removes it again.
#[test]
fn sso_side_additions_to_a_grant_without_them_are_seen() {
    let env = Env::start(Setup::default());
    let g = grant();
    env.write(&[&g]);
    env.tf.apply();
    let ps_arn = str_at(&env.tf.output("g"), "permission_set_arn").to_string();
    env.call(
        "iam",
        "create_policy",
        json!({
            "PolicyName": "TeamExtra",
            "PolicyDocument": policy_json(&["s3:ListAllMyBuckets"]).to_string(),
        }),
    );
    let provision = |env: &Env| {
        let out = env.call(
            "sso-admin",
            "provision_permission_set",
            json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
                   "TargetId": ACCOUNT, "TargetType": "AWS_ACCOUNT"}),
        );
        let rid = str_at(&out["PermissionSetProvisioningStatus"], "RequestId").to_string();
        for _ in 0..100 {
            let s = env.call(
                "sso-admin",
                "describe_permission_set_provisioning_status",
                json!({"InstanceArn": env.instance_arn, "ProvisionPermissionSetRequestId": rid}),
            );
            if s["PermissionSetProvisioningStatus"]["Status"] != "IN_PROGRESS" {
                assert_eq!(
                    s["PermissionSetProvisioningStatus"]["Status"], "SUCCEEDED",
                    "{s}"
                );
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("provisioning did not finish");
    };

    // Attached and provisioned, as the console does it.
    env.call(
        "sso-admin",
        "attach_customer_managed_policy_reference_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
               "CustomerManagedPolicyReference": {"Name": "TeamExtra", "Path": "/"}}),
    );
    provision(&env);
    plan_repair(&env, &g, "a customer-managed policy added and provisioned");
    let state = env.state();
    assert_eq!(
        permission_set_by_arn(&state, &ps_arn).unwrap()["customer_managed_policies"],
        json!([])
    );

    // Attached, not provisioned: only the permission set knows.
    env.call(
        "sso-admin",
        "attach_customer_managed_policy_reference_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
               "CustomerManagedPolicyReference": {"Name": "TeamExtra", "Path": "/"}}),
    );
    plan_repair(&env, &g, "a customer-managed policy added, not provisioned");

    // A boundary, not provisioned.
    env.call(
        "sso-admin",
        "put_permissions_boundary_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
               "PermissionsBoundary": {"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}}),
    );
    plan_repair(&env, &g, "a permissions boundary added, not provisioned");
    assert!(
        permission_set_by_arn(&env.state(), &ps_arn).unwrap()["permissions_boundary"].is_null(),
        "the boundary was removed again"
    );
}
