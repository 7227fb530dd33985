//! Failures of `eks_sso_admin_access` (issue 3, acceptance 9): an assignment
//! that AWS fails asynchronously, a failed provisioning, a duplicate
//! permission-set name, a CONFIG_MAP-only cluster and an account mismatch.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::ACCOUNT;
use support::admin_access::*;

/// A FailureReason text the emulator reports; the error must repeat it verbatim.
const REASON: &str = "Emulated FailureReason: principal 9a67a5e4-0001 could not be resolved in identity store (code 7731)";

#[test]
fn failed_assignment_shows_the_reason_keeps_what_exists_and_resumes() {
    let env = Env::start(Setup::default());
    env.emulator.faults(json!({
        "rules": [{"service": "sso-admin", "operation": "CreateAccountAssignment",
                   "kind": "fail_async", "failure_reason": REASON}],
        "seed": 3,
    }));
    let mut ps = PermissionSet::named("EKSFailFirst");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    let g = Grant::new("g", ps, &["prod"]);
    env.write(&[&g]);

    let out = env.tf.apply_expect_error();
    assert_says(&out, REASON);

    // The permission set exists, so the state must hold it; nothing after
    // the failed step exists, in AWS or in state.
    let state = env.state();
    let ps_arn = str_at(
        permission_set_named(&state, "EKSFailFirst").expect("the permission set was created"),
        "arn",
    )
    .to_string();
    assert!(assignments_of(&state, &ps_arn).is_empty());
    assert!(reserved_roles_of(&state, &ps_arn).is_empty());
    let saved = state_values(&env.tf, &g.address())
        .unwrap_or_else(|| panic!("nothing saved in state after the partial failure"));
    assert_eq!(saved["permission_set_arn"], ps_arn, "{saved:#}");
    assert!(saved["reserved_role_arn"].is_null(), "{saved:#}");
    assert!(
        saved["access_entries"]
            .as_object()
            .is_none_or(|m| m.is_empty()),
        "{saved:#}"
    );

    // Once AWS recovers, the next apply completes the grant.
    env.emulator.clear_faults();
    env.tf.apply();
    let state = env.state();
    let sets: Vec<_> = state["permission_sets"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(sets.len(), 1, "no orphaned permission set: {sets:#?}");
    let out = env.tf.output("g");
    let role = str_at(&out, "reserved_role_arn");
    let ps_arn = str_at(&out, "permission_set_arn");
    assert_eq!(assignments_of(&state, ps_arn).len(), 1);
    assert_eq!(associations(entry(&state, "prod", role)).len(), 1);
    assert_plan_empty(&env.tf, "after the resumed apply");

    env.tf.destroy();
    assert_nothing_left(&env, None);
}

#[test]
fn failed_provisioning_never_lands_in_state_as_success() {
    let env = Env::start(Setup::default());
    let mut g = Grant::new("g", PermissionSet::named("EKSProvisionFails"), &["prod"]);
    g.permission_set.as_mut().unwrap().inline_policy =
        Some(jsonencode_policy(&["eks:DescribeCluster"]));
    env.write(&[&g]);
    env.tf.apply();
    let ps_arn = str_at(&env.tf.output("g"), "permission_set_arn").to_string();

    env.emulator.faults(json!({
        "rules": [{"service": "sso-admin", "operation": "ProvisionPermissionSet",
                   "kind": "fail_async", "failure_reason": REASON}],
    }));
    let wanted = policy_json(&["eks:DescribeCluster", "eks:ListClusters"]);
    g.permission_set.as_mut().unwrap().inline_policy = Some(jsonencode_policy(&[
        "eks:DescribeCluster",
        "eks:ListClusters",
    ]));
    env.write(&[&g]);
    assert_says(&env.tf.apply_expect_error(), REASON);
    let role = reserved_role(&env.state(), &ps_arn).clone();
    assert!(
        !same_json(str_at(&role, "inline_policy"), &wanted),
        "the emulator should not have provisioned: {role:#}"
    );
    assert!(
        !env.tf.plan_is_empty(),
        "after a failed provisioning the plan must still show the change"
    );

    env.emulator.clear_faults();
    env.tf.apply();
    let role = reserved_role(&env.state(), &ps_arn).clone();
    assert!(
        same_json(str_at(&role, "inline_policy"), &wanted),
        "{role:#}"
    );
    assert_plan_empty(&env.tf, "after provisioning succeeded");
}

#[test]
fn duplicate_name_fails_fast_with_the_import_hint() {
    let env = Env::start(Setup::default());
    let existing = env.create_permission_set("EKSTaken");
    env.emulator.clear_requests();
    let g = Grant::new("g", PermissionSet::named("EKSTaken"), &["prod"]);
    env.write(&[&g]);

    let started = Instant::now();
    let out = env.tf.apply_expect_error();
    let took = started.elapsed();
    println!(
        "MEASURE duplicate_name_apply_secs={:.2}",
        took.as_secs_f64()
    );
    assert!(
        took < Duration::from_secs(5),
        "a duplicate name must fail at once, took {took:?}\n{out}"
    );
    assert_says(&out, &existing);
    assert_says(&out, "terraform import");
    assert_says(&out, &format!("{existing},{ACCOUNT},prod"));
    // The plan finds the name taken, so nothing is even attempted.
    assert_eq!(
        env.emulator.count("sso-admin", "CreatePermissionSet"),
        0,
        "a taken name fails the plan, before any create: {:#?}",
        env.emulator.requests()
    );
    let state = env.state();
    assert!(assignments_of(&state, &existing).is_empty());
    assert_eq!(state["permission_sets"].as_array().unwrap().len(), 1);
}

#[test]
fn config_map_cluster_names_the_mode_and_the_aws_auth_role() {
    let env = Env::start(Setup {
        clusters: &[("legacy", "CONFIG_MAP")],
        ..Setup::default()
    });
    let g = Grant::new("g", PermissionSet::named("EKSLegacy"), &["legacy"]);
    env.write(&[&g]);
    let out = env.tf.apply_expect_error();
    for needle in ["CONFIG_MAP", "API_AND_CONFIG_MAP", "aws-auth"] {
        assert_says(&out, needle);
    }
    // The role ARN for aws-auth, without the aws-reserved path.
    assert_says(
        &out,
        &format!("arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_EKSLegacy_"),
    );
    // The exact value when the role exists already; otherwise the message
    // must say where the value will appear.
    let saved = state_values(&env.tf, &g.address());
    match saved
        .as_ref()
        .and_then(|v| v["reserved_role_arn_without_path"].as_str())
    {
        Some(arn) => assert_says(&out, arn),
        None => assert_says(&out, "reserved_role_arn_without_path"),
    }
    assert!(entries_on(&env.state(), "legacy").is_empty());

    env.tf.destroy();
    assert_nothing_left(&env, None);
}

#[test]
fn account_mismatch_names_both_accounts() {
    let env = Env::start(Setup::default());
    let mut g = Grant::new("g", PermissionSet::named("EKSElsewhere"), &["prod"]);
    g.account_id = "210987654321".into();
    env.write(&[&g]);
    let out = env.tf.apply_expect_error();
    for needle in ["210987654321", ACCOUNT, "assume_role"] {
        assert_says(&out, needle);
    }
    assert!(entries_on(&env.state(), "prod").is_empty());

    env.tf.destroy();
    assert_nothing_left(&env, None);
}
