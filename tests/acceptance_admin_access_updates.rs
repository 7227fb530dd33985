//! In-place updates of `eks_sso_admin_access` (issue 3, acceptance 3): each
//! change is planned as an update (never a replacement), applied once, checked
//! in the emulator, and followed by an empty plan. Re-serialising the same
//! policy JSON differently plans nothing.

mod support;

use serde_json::json;
use support::ACCOUNT;
use support::admin_access::*;

const GROUP: &str = "EKS_Cluster_Admins";

/// Identity of the applied grant; an in-place update keeps all of it.
#[derive(Debug, PartialEq)]
struct Ids {
    permission_set_arn: String,
    reserved_role_arn: String,
}

fn ids(env: &Env, label: &str) -> Ids {
    let out = env.tf.output(label);
    Ids {
        permission_set_arn: str_at(&out, "permission_set_arn").to_string(),
        reserved_role_arn: str_at(&out, "reserved_role_arn").to_string(),
    }
}

/// Writes `grant`, asserts the plan is an in-place update, applies exactly
/// that plan, asserts an empty re-plan and that nothing was replaced.
fn update_step(env: &Env, grant: &Grant, what: &str) {
    let before = ids(env, &grant.label);
    env.write(&[grant]);
    let plan = env.tf.plan();
    assert_in_place_update(&plan, &grant.address());
    apply_saved_plan(&env.tf);
    assert_plan_empty(&env.tf, &format!("after {what}"));
    assert_eq!(ids(env, &grant.label), before, "{what} replaced something");
}

#[test]
fn policy_changes_update_in_place() {
    let env = Env::start(Setup::default());
    let mut ps = PermissionSet::named("EKSPolicyUpdates");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let mut grant = Grant::new("g", ps, &["prod"]);
    env.write(&[&grant]);
    env.tf.apply();
    let role = ids(&env, "g").reserved_role_arn;
    let ps_arn = ids(&env, "g").permission_set_arn;

    // 1. A namespace-scoped access policy is added next to the cluster-scope one.
    grant.access_policies.push(AccessPolicy::namespaced(
        "AmazonEKSViewPolicy",
        &["dev", "qa-*"],
    ));
    update_step(&env, &grant, "adding a namespace-scoped policy");
    let state = env.state();
    let assoc = associations(entry(&state, "prod", &role));
    assert_eq!(assoc.len(), 2, "{assoc:#?}");
    assert_eq!(
        scope_namespaces(&assoc[&access_policy_arn("AmazonEKSViewPolicy")]),
        Some(vec!["dev".to_string(), "qa-*".to_string()])
    );
    assert_eq!(
        scope_namespaces(&assoc[&access_policy_arn("AmazonEKSClusterAdminPolicy")]),
        None
    );

    // 2. The same document, re-serialised (other key order, whitespace, a
    //    heredoc instead of jsonencode), is not a change.
    let heredoc = "<<-EOT\n      {\"Statement\": [ {\"Resource\": \"*\",  \"Action\": [\"eks:DescribeCluster\"],\n        \"Effect\": \"Allow\", \"Sid\": \"EKS\"} ],\n       \"Version\": \"2012-10-17\"}\n    EOT";
    grant.permission_set.as_mut().unwrap().inline_policy = Some(heredoc.into());
    env.write(&[&grant]);
    assert_plan_empty(&env.tf, "re-serialised inline policy");

    // 3. A changed inline policy reaches the reserved role by re-provisioning.
    let wanted = policy_json(&["eks:DescribeCluster", "eks:ListClusters"]);
    grant.permission_set.as_mut().unwrap().inline_policy = Some(jsonencode_policy(&[
        "eks:DescribeCluster",
        "eks:ListClusters",
    ]));
    update_step(&env, &grant, "changing the inline policy");
    let state = env.state();
    let ps_state = permission_set_by_arn(&state, &ps_arn).unwrap();
    assert!(
        same_json(str_at(ps_state, "inline_policy"), &wanted),
        "{ps_state:#}"
    );
    let role_state = reserved_role(&state, &ps_arn);
    assert_eq!(role_state["arn"], role, "re-provisioning keeps the role");
    assert!(
        same_json(str_at(role_state, "inline_policy"), &wanted),
        "the reserved role was not re-provisioned: {role_state:#}"
    );

    // 4. session_duration.
    grant.permission_set.as_mut().unwrap().session_duration = Some("PT4H".into());
    update_step(&env, &grant, "changing session_duration");
    let state = env.state();
    assert_eq!(
        permission_set_by_arn(&state, &ps_arn).unwrap()["session_duration"],
        "PT4H"
    );
    // The access entry survived every step untouched.
    assert_eq!(entries_on(&state, "prod").len(), 1);
    assert_eq!(associations(entry(&state, "prod", &role)).len(), 2);
}

#[test]
fn clusters_and_principals_are_added_in_place() {
    let env = Env::start(Setup {
        users: &["jane@example.com"],
        clusters: &[("prod", "API"), ("staging", "API")],
        ..Setup::default()
    });
    let mut grant = Grant::new("g", PermissionSet::named("EKSTopology"), &["prod"]);
    env.write(&[&grant]);
    env.tf.apply();
    let role = ids(&env, "g").reserved_role_arn;
    let ps_arn = ids(&env, "g").permission_set_arn;
    assert!(entries_on(&env.state(), "staging").is_empty());

    // 1. A second cluster gets its own entry and association.
    grant.cluster_names.push("staging".into());
    update_step(&env, &grant, "adding a second cluster");
    let state = env.state();
    for cluster in ["prod", "staging"] {
        let assoc = associations(entry(&state, cluster, &role));
        assert!(
            assoc.contains_key(&access_policy_arn("AmazonEKSClusterAdminPolicy")),
            "{cluster}: {assoc:#?}"
        );
    }
    let out = env.tf.output("g");
    let clusters: Vec<&String> = out["access_entries"].as_object().unwrap().keys().collect();
    assert_eq!(clusters, ["prod", "staging"]);

    // Listing the same clusters in another order changes nothing.
    let mut reordered = grant.clone();
    reordered.cluster_names.reverse();
    env.write(&[&reordered]);
    assert_plan_empty(&env.tf, "clusters listed in another order");

    // 2. A user is assigned next to the group.
    grant.users = vec!["jane@example.com".into()];
    update_step(&env, &grant, "adding a user");
    let state = env.state();
    let mut assigned: Vec<(String, String)> = assignments_of(&state, &ps_arn)
        .iter()
        .map(|a| {
            assert_eq!(a["account"], ACCOUNT);
            (
                str_at(a, "principal_type").to_string(),
                str_at(a, "principal_id").to_string(),
            )
        })
        .collect();
    assigned.sort();
    assert_eq!(
        assigned,
        vec![
            ("GROUP".to_string(), env.group_id(GROUP).to_string()),
            (
                "USER".to_string(),
                env.user_id("jane@example.com").to_string()
            ),
        ]
    );
    assert_eq!(
        env.tf.output("g")["principal_ids"],
        json!({GROUP: env.group_id(GROUP), "jane@example.com": env.user_id("jane@example.com")})
    );
}
