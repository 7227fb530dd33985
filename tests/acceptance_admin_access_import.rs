//! `eks_sso_admin_access` with a permission set it only references (issue 3,
//! acceptance 7) and import, by CLI and by `import {}` block (acceptance 8).

mod support;

use serde_json::{Value, json};
use support::admin_access::*;
use support::{ACCOUNT, Tf};

/// sso-admin operations that would modify or delete a permission set.
/// Assigning it (and provisioning its role) is allowed: that is what
/// referencing it means.
fn writes_to_permission_set(operation: &str) -> bool {
    if operation.ends_with("AccountAssignment") || operation == "ProvisionPermissionSet" {
        return false;
    }
    ["Create", "Update", "Put", "Attach", "Detach", "Delete"]
        .iter()
        .any(|p| operation.starts_with(p))
        || operation == "TagResource"
        || operation == "UntagResource"
}

#[test]
fn permission_set_arn_mode_never_touches_the_permission_set() {
    let env = Env::start(Setup {
        users: &["jane@example.com"],
        ..Setup::default()
    });
    let ps_arn = env.create_permission_set("ExistingEKSAccess");
    env.call(
        "sso-admin",
        "attach_managed_policy_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn, "ManagedPolicyArn": VIEW_ONLY}),
    );
    env.call(
        "sso-admin",
        "put_inline_policy_to_permission_set",
        json!({
            "InstanceArn": env.instance_arn,
            "PermissionSetArn": ps_arn,
            "InlinePolicy": policy_json(&["eks:DescribeCluster"]).to_string(),
        }),
    );
    let before = permission_set_by_arn(&env.state(), &ps_arn)
        .unwrap()
        .clone();
    env.emulator.clear_requests();

    let mut g = Grant::new("ref", PermissionSet::named("unused"), &["prod"]);
    g.permission_set = None;
    g.permission_set_arn = Some(ps_arn.clone());
    env.write(&[&g]);
    env.tf.apply();
    let out = env.tf.output("ref");
    assert_eq!(out["permission_set_arn"], ps_arn);
    let role = str_at(&out, "reserved_role_arn").to_string();
    assert!(
        role.contains("/AWSReservedSSO_ExistingEKSAccess_"),
        "{role}"
    );
    let state = env.state();
    assert_eq!(assignments_of(&state, &ps_arn).len(), 1);
    assert_eq!(associations(entry(&state, "prod", &role)).len(), 1);
    assert_plan_empty(&env.tf, "after apply with permission_set_arn");

    // An update (another principal, another policy) still leaves the set alone.
    g.users = vec!["jane@example.com".into()];
    g.access_policies
        .push(AccessPolicy::namespaced("AmazonEKSViewPolicy", &["dev"]));
    env.write(&[&g]);
    let plan = env.tf.plan();
    assert_in_place_update(&plan, &g.address());
    apply_saved_plan(&env.tf);
    assert_eq!(assignments_of(&env.state(), &ps_arn).len(), 2);
    assert_plan_empty(&env.tf, "after the update");

    env.tf.destroy();
    assert_nothing_left(&env, Some(&ps_arn));
    let after = permission_set_by_arn(&env.state(), &ps_arn)
        .unwrap_or_else(|| panic!("the referenced permission set was deleted"))
        .clone();
    assert_eq!(after, before, "the referenced permission set changed");

    let requests = env.emulator.requests();
    let writes: Vec<&str> = requests
        .iter()
        .filter(|r| r.service == "sso-admin" && writes_to_permission_set(&r.operation))
        .map(|r| r.operation.as_str())
        .collect();
    assert!(
        writes.is_empty(),
        "write calls on the referenced set: {writes:?}"
    );
    // Control: the log did see the grant's own writes.
    assert!(
        requests
            .iter()
            .any(|r| r.operation == "CreateAccountAssignment")
            && requests
                .iter()
                .any(|r| r.operation == "DeleteAccountAssignment"),
        "{requests:#?}"
    );
}

/// A two-cluster grant applied in the env's main directory.
fn applied_grant(env: &Env) -> (Grant, String) {
    let mut ps = PermissionSet::named("EKSImported");
    ps.description = Some("imported later".into());
    ps.session_duration = Some("PT2H".into());
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let mut g = Grant::new("g", ps, &["prod", "staging"]);
    g.kubernetes_groups = vec!["platform-admins".into()];
    g.access_policies.push(AccessPolicy::namespaced(
        "AmazonEKSViewPolicy",
        &["dev", "qa-*"],
    ));
    env.write(&[&g]);
    env.tf.apply();
    let ps_arn = str_at(&env.tf.output("g"), "permission_set_arn").to_string();
    let id = format!("{ps_arn},{ACCOUNT},prod+staging");
    (g, id)
}

fn import_env() -> Env {
    Env::start(Setup {
        clusters: &[("prod", "API"), ("staging", "API")],
        ..Setup::default()
    })
}

/// The imported state holds what the created state holds.
fn assert_same_state(created: &Value, imported: &Value) {
    for key in [
        "id",
        "account_id",
        "cluster_names",
        "groups",
        "permission_set_arn",
        "permission_set",
        "access_policy",
        "kubernetes_groups",
        "instance_arn",
        "identity_store_id",
        "principal_ids",
        "reserved_role_name",
        "reserved_role_arn",
        "reserved_role_arn_without_path",
        "access_entries",
    ] {
        let (c, i) = (&created[key], &imported[key]);
        let same = if key == "permission_set" {
            // The policy text may be formatted differently; compare the rest
            // and the document semantically.
            let doc = |v: &Value| {
                serde_json::from_str::<Value>(v["inline_policy"].as_str().unwrap_or("null")).ok()
            };
            let strip = |v: &Value| {
                let mut v = v.clone();
                v["inline_policy"] = Value::Null;
                v
            };
            doc(c) == doc(i) && strip(c) == strip(i)
        } else {
            c == i
        };
        assert!(same, "{key}: created {c:#} but imported {i:#}");
    }
}

#[test]
fn import_with_the_cli_then_empty_plan() {
    let env = import_env();
    let (g, id) = applied_grant(&env);
    let created = state_values(&env.tf, &g.address()).unwrap();

    let tf2: Tf = env.new_tf();
    tf2.write(&env.config(&g.render()));
    env.emulator.clear_requests();
    tf2.import(&g.address(), &id);
    assert_plan_empty(&tf2, "after terraform import");
    let imported = state_values(&tf2, &g.address()).unwrap();
    assert_same_state(&created, &imported);
    let writes: Vec<String> = env
        .emulator
        .requests()
        .iter()
        .filter(|r| {
            [
                "Create",
                "Delete",
                "Put",
                "Attach",
                "Detach",
                "Update",
                "Provision",
                "Associate",
            ]
            .iter()
            .any(|p| r.operation.starts_with(p))
        })
        .map(|r| format!("{} {}", r.service, r.operation))
        .collect();
    assert!(
        writes.is_empty(),
        "import and plan must only read: {writes:?}"
    );
}

#[test]
fn import_block_then_empty_plan() {
    let env = import_env();
    let (g, id) = applied_grant(&env);
    let created = state_values(&env.tf, &g.address()).unwrap();

    let tf3 = env.new_tf();
    tf3.write(&env.config(&format!(
        "{}\nimport {{\n  to = {}\n  id = {}\n}}\n",
        g.render(),
        g.address(),
        support::hcl_string(&id)
    )));
    let plan = tf3.plan();
    let c = change(&plan, &g.address());
    assert_eq!(
        c["change"]["actions"],
        json!(["no-op"]),
        "an import of a matching grant changes nothing: {c:#}"
    );
    assert_eq!(c["change"]["importing"]["id"], id, "{c:#}");
    apply_saved_plan(&tf3);
    assert_plan_empty(&tf3, "after applying the import block");
    assert_same_state(&created, &state_values(&tf3, &g.address()).unwrap());
}
