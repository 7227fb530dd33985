//! Ten grants on one cluster applied with `-parallelism=10` while the
//! emulator throttles 20% of all calls and answers sso-admin writes with
//! ConflictException (issue 3, acceptance 10). Everything must succeed, and
//! the destroy, under the same faults, must leave nothing.

mod support;

use serde_json::{Value, json};
use support::admin_access::*;

const GRANTS: usize = 10;

fn faults() -> Value {
    let mut rules: Vec<Value> = ["sso-admin", "identitystore", "iam", "eks", "sts"]
        .iter()
        .map(|s| json!({"service": s, "operation": "*", "kind": "throttle", "rate": 0.2}))
        .collect();
    for op in [
        "CreateAccountAssignment",
        "ProvisionPermissionSet",
        "AttachManagedPolicyToPermissionSet",
        "DeleteAccountAssignment",
        "DeletePermissionSet",
    ] {
        rules.push(
            json!({"service": "sso-admin", "operation": op, "kind": "conflict", "rate": 0.25}),
        );
    }
    json!({"rules": rules, "seed": 20240610})
}

/// How often the throttle and conflict rules fired.
fn fired(env: &Env) -> (u64, u64) {
    let listed = env.emulator.control("GET", "/_emulator/faults", None);
    let mut totals = (0, 0);
    for rule in listed["rules"].as_array().unwrap() {
        let n = rule["fired"].as_u64().unwrap_or(0);
        match rule["kind"].as_str() {
            Some("throttle") => totals.0 += n,
            Some("conflict") => totals.1 += n,
            _ => {}
        }
    }
    totals
}

#[test]
fn ten_grants_in_parallel_under_throttling_and_conflicts() {
    let env = Env::start(Setup::default());
    let grants: Vec<Grant> = (0..GRANTS)
        .map(|i| {
            let mut ps = PermissionSet::named(&format!("EKSParallel{i}"));
            ps.managed_policy_arns = vec![VIEW_ONLY.into()];
            Grant::new(&format!("g{i}"), ps, &["prod"])
        })
        .collect();
    env.write(&grants.iter().collect::<Vec<_>>());
    env.emulator.faults(faults());

    env.tf.run_ok(&[
        "apply",
        "-input=false",
        "-no-color",
        "-auto-approve",
        "-parallelism=10",
    ]);
    let (throttled, conflicts) = fired(&env);
    println!("MEASURE concurrency_apply throttled={throttled} conflicts={conflicts}");
    assert!(
        throttled > 0 && conflicts > 0,
        "the faults never fired ({throttled} throttles, {conflicts} conflicts)"
    );

    let state = env.state();
    assert_eq!(state["permission_sets"].as_array().unwrap().len(), GRANTS);
    assert_eq!(state["assignments"].as_array().unwrap().len(), GRANTS);
    assert_eq!(entries_on(&state, "prod").len(), GRANTS);
    for g in &grants {
        let out = env.tf.output(&g.label);
        let ps_arn = str_at(&out, "permission_set_arn");
        let role = str_at(&out, "reserved_role_arn");
        assert_eq!(reserved_role(&state, ps_arn)["arn"], role);
        let assoc = associations(entry(&state, "prod", role));
        assert!(
            assoc.contains_key(&access_policy_arn("AmazonEKSClusterAdminPolicy")),
            "{}: {assoc:#?}",
            g.label
        );
    }

    env.tf.run_ok(&[
        "destroy",
        "-input=false",
        "-no-color",
        "-auto-approve",
        "-parallelism=10",
    ]);
    assert_nothing_left(&env, None);
}
