//! `eks_sso_admin_access` through real Terraform against the emulator: the J2
//! journey in one apply (issue 3, acceptance 1), the SSO region segment (2),
//! renaming the permission set (4) and a destroy that leaves nothing (6).
//!
//! Every test runs with non-zero emulator delays on assignment, provisioning,
//! role visibility and EKS principal acceptance (`default_delays`).

mod support;

use regex::Regex;
use serde_json::{Value, json};
use support::ACCOUNT;
use support::admin_access::*;

const GROUP: &str = "EKS_Cluster_Admins";

fn j2_grant() -> Grant {
    let mut ps = PermissionSet::named("K8StudioEKSExec");
    ps.description = Some("kubectl through aws eks get-token".into());
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&[
        "eks:DescribeCluster",
        "eks:ListClusters",
    ]));
    Grant::new("j2", ps, &["prod"])
}

/// Checks every computed attribute of an applied one-cluster grant against
/// what the emulator holds, and returns the reserved role ARN.
fn assert_outputs_match_emulator(env: &Env, out: &Value, ps_name: &str, cluster: &str) -> String {
    let state = env.state();
    let ps = permission_set_named(&state, ps_name)
        .unwrap_or_else(|| panic!("no permission set {ps_name} in {state:#}"));
    let ps_arn = str_at(ps, "arn");
    assert_eq!(str_at(out, "permission_set_arn"), ps_arn);
    assert_eq!(str_at(out, "id"), format!("{ps_arn},{ACCOUNT}"));
    assert_eq!(str_at(out, "instance_arn"), env.instance_arn);
    assert_eq!(str_at(out, "identity_store_id"), env.identity_store_id);
    assert_eq!(out["principal_ids"], json!({GROUP: env.group_id(GROUP)}));

    let role = reserved_role(&state, ps_arn);
    let name = str_at(out, "reserved_role_name");
    let pattern = Regex::new(&format!("^AWSReservedSSO_{ps_name}_[0-9a-f]{{16}}$")).unwrap();
    assert!(pattern.is_match(name), "reserved_role_name {name}");
    assert_eq!(name, str_at(role, "name"));
    let full = reserved_role_arn(&env.sso_region, name);
    assert_eq!(str_at(out, "reserved_role_arn"), full);
    assert_eq!(str_at(role, "arn"), full);
    assert_eq!(
        str_at(out, "reserved_role_arn_without_path"),
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    );

    let e = entry(&state, cluster, &full);
    assert_eq!(
        out["access_entries"],
        json!({cluster: {
            "access_entry_arn": str_at(e, "access_entry_arn"),
            "kubernetes_username": str_at(e, "username"),
            "principal_arn": full,
        }}),
        "access_entries output vs emulator entry {e:#}"
    );
    full
}

#[test]
fn j2_shape_in_one_apply_with_correct_outputs_and_an_empty_replan() {
    let env = Env::start(Setup::default());
    let grant = j2_grant();
    env.write(&[&grant]);
    env.tf.apply();

    let out = env.tf.output("j2");
    let role_arn = assert_outputs_match_emulator(&env, &out, "K8StudioEKSExec", "prod");

    let state = env.state();
    let ps = permission_set_named(&state, "K8StudioEKSExec").unwrap();
    let ps_arn = str_at(ps, "arn");
    assert_eq!(ps["managed_policies"], json!([VIEW_ONLY]), "{ps:#}");
    let wanted_policy = policy_json(&["eks:DescribeCluster", "eks:ListClusters"]);
    assert!(
        same_json(str_at(ps, "inline_policy"), &wanted_policy),
        "{ps:#}"
    );
    assert_eq!(ps["description"], "kubectl through aws eks get-token");

    let assignments = assignments_of(&state, ps_arn);
    assert_eq!(assignments.len(), 1, "{assignments:#?}");
    assert_eq!(assignments[0]["account"], ACCOUNT);
    assert_eq!(assignments[0]["principal_type"], "GROUP");
    assert_eq!(assignments[0]["principal_id"], env.group_id(GROUP));

    // The role AWS created carries the provisioned policies.
    let role = reserved_role(&state, ps_arn);
    assert_eq!(role["visible_in_iam"], true);
    assert!(
        same_json(str_at(role, "inline_policy"), &wanted_policy),
        "{role:#}"
    );
    assert!(
        role["managed_policies"]
            .as_array()
            .unwrap()
            .contains(&json!(VIEW_ONLY))
    );

    // The entry uses the full-path ARN and has the cluster-scope association.
    let e = entry(&state, "prod", &role_arn);
    assert!(
        str_at(e, "principal_arn").contains(":role/aws-reserved/sso.amazonaws.com/"),
        "{e:#}"
    );
    assert_eq!(e["type"], "STANDARD");
    let assoc = associations(e);
    assert_eq!(
        assoc.keys().cloned().collect::<Vec<_>>(),
        vec![access_policy_arn("AmazonEKSClusterAdminPolicy")]
    );
    assert_eq!(
        scope_namespaces(&assoc[&access_policy_arn("AmazonEKSClusterAdminPolicy")]),
        None
    );
    assert_eq!(entries_on(&state, "prod").len(), 1);

    assert_plan_empty(&env.tf, "after the J2 apply");
}

#[test]
fn sso_in_eu_west_1_gives_the_region_segment() {
    // A long EKS principal delay: the role is visible in IAM well before EKS
    // accepts it, so the "invalid principal" retry must carry the apply.
    let mut delays = default_delays();
    delays["eks_principal_delay"] = json!(1.5);
    let env = Env::start(Setup {
        sso_region: "eu-west-1",
        delays,
        ..Setup::default()
    });
    let grant = Grant::new("eu", PermissionSet::named("EKSAdminEU"), &["prod"]);
    env.write(&[&grant]);
    env.tf.apply();

    let out = env.tf.output("eu");
    let role_arn = assert_outputs_match_emulator(&env, &out, "EKSAdminEU", "prod");
    let name = str_at(&out, "reserved_role_name");
    assert_eq!(
        role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{name}")
    );
    assert_eq!(
        str_at(&out, "reserved_role_arn_without_path"),
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    );
    let state = env.state();
    let e = entry(&state, "prod", &role_arn);
    assert_eq!(out["access_entries"]["prod"]["principal_arn"], role_arn);
    assert_eq!(associations(e).len(), 1);
    let statuses: Vec<u16> = env
        .emulator
        .requests()
        .iter()
        .filter(|r| r.operation == "CreateAccessEntry")
        .filter_map(|r| r.status)
        .collect();
    assert!(
        statuses.len() >= 2 && statuses[..statuses.len() - 1].iter().all(|s| *s == 400),
        "expected rejected CreateAccessEntry calls retried until EKS accepted the role: {statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&200));
    assert_plan_empty(&env.tf, "after apply with SSO in eu-west-1");
}

#[test]
fn renaming_the_permission_set_plans_a_replacement() {
    let env = Env::start(Setup::default());
    let mut grant = Grant::new("g", PermissionSet::named("EKSRenameBefore"), &["prod"]);
    env.write(&[&grant]);
    env.tf.apply();
    let before = env.tf.output("g");
    let old_ps = str_at(&before, "permission_set_arn").to_string();
    let old_role = str_at(&before, "reserved_role_arn").to_string();

    grant.permission_set = Some(PermissionSet::named("EKSRenameAfter"));
    env.write(&[&grant]);
    let plan = env.tf.plan();
    let actions = plan.actions(&grant.address()).unwrap_or_default();
    assert!(
        actions == ["delete", "create"] || actions == ["create", "delete"],
        "renaming must replace, planned {actions:?}"
    );
    let replace_paths = change(&plan, &grant.address())["change"]["replace_paths"].to_string();
    assert!(
        replace_paths.contains("\"name\""),
        "the replacement should be caused by permission_set.name: {replace_paths}"
    );

    // The replacement itself completes in one apply and leaves one grant.
    apply_saved_plan(&env.tf);
    let after = env.tf.output("g");
    let state = env.state();
    assert!(
        permission_set_by_arn(&state, &old_ps).is_none(),
        "old set left"
    );
    assert!(permission_set_named(&state, "EKSRenameAfter").is_some());
    let new_role = str_at(&after, "reserved_role_arn");
    assert!(
        new_role.contains("AWSReservedSSO_EKSRenameAfter_"),
        "{new_role}"
    );
    assert_ne!(new_role, old_role);
    let entries = entries_on(&state, "prod");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0]["principal_arn"], new_role);
    assert_plan_empty(&env.tf, "after the replacement");
}

#[test]
fn destroy_leaves_nothing_behind() {
    let env = Env::start(Setup {
        users: &["jane@example.com"],
        clusters: &[("prod", "API"), ("staging", "API_AND_CONFIG_MAP")],
        ..Setup::default()
    });
    let mut ps = PermissionSet::named("EKSDestroyMe");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let mut grant = Grant::new("g", ps, &["prod", "staging"]);
    grant.users = vec!["jane@example.com".into()];
    grant.kubernetes_groups = vec!["platform-admins".into()];
    grant.access_policies.push(AccessPolicy::namespaced(
        "AmazonEKSViewPolicy",
        &["dev", "qa-*"],
    ));
    env.write(&[&grant]);
    env.tf.apply();

    // Everything exists before the destroy, so its absence afterwards means something.
    let state = env.state();
    let ps_arn = str_at(permission_set_named(&state, "EKSDestroyMe").unwrap(), "arn").to_string();
    assert_eq!(assignments_of(&state, &ps_arn).len(), 2);
    let role = str_at(reserved_role(&state, &ps_arn), "arn").to_string();
    for cluster in ["prod", "staging"] {
        assert_eq!(associations(entry(&state, cluster, &role)).len(), 2);
    }

    env.tf.destroy();
    assert_nothing_left(&env, None);
    assert!(
        env.tf.show_state_json()["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "Terraform state still holds resources after destroy"
    );
}
