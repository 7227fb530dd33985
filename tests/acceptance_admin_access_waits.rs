//! Issue 11, "Bounded waits and true diagnoses" (acceptance 5), through real
//! Terraform against the emulator:
//!
//! - an endpoint with nothing listening fails within 30 s, naming the
//!   service and the URL, and never blames credentials;
//! - `timeouts { create = "20s" }` against an assignment that stays
//!   IN_PROGRESS fails at about 20 s, naming the limit and what was awaited,
//!   and the next apply converges once the assignment finishes;
//! - SIGINT to Terraform during a wait returns within 5 s with state saved;
//! - IAM `ConcurrentModification` and EKS `ResourceInUseException` injected
//!   as faults are retried and the apply succeeds.
//!
//! The elapsed-time checks are outcome bounds (a hang or a minutes-long
//! retry fails them by a wide margin), not benchmarks.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::admin_access::*;

/// A port nothing listens on: bound by the kernel, then closed again.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = l.local_addr().expect("local address").port();
    drop(l);
    port
}

/// The config of `env` with the endpoints of `services` replaced by `url`.
fn with_dead_endpoints(env: &Env, grants: &[&Grant], services: &[&str], url: &str) -> String {
    let live = format!("\"{}\"", env.emulator.endpoint());
    let dead = format!("\"{url}\"");
    env.config(&render_all(grants))
        .lines()
        .map(|line| {
            let key = line.split('=').next().unwrap_or_default().trim();
            if services.contains(&key) && line.contains(&live) {
                line.replace(&live, &dead)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_credentials_blame(out: &support::terraform::Output) {
    let text = out.diagnostics().to_lowercase();
    assert!(
        !text.contains("credentials"),
        "an unreachable endpoint must not be blamed on credentials\n{out}"
    );
}

#[test]
fn a_dead_endpoint_fails_within_30s_naming_the_service_and_url() {
    let env = Env::start(Setup::default());
    let g = Grant::new("g", PermissionSet::named("EKSDeadEndpoint"), &["prod"]);
    let url = format!("http://127.0.0.1:{}", dead_port());

    // Every endpoint dead: the first call (STS, the account check) fails.
    let all = ["eks", "iam", "sts", "ssoadmin", "identitystore"];
    env.tf.write(&with_dead_endpoints(&env, &[&g], &all, &url));
    let started = Instant::now();
    let out = env.tf.apply_expect_error();
    let took = started.elapsed();
    println!("MEASURE dead_endpoint_apply_secs={:.2}", took.as_secs_f64());
    assert!(took < Duration::from_secs(30), "took {took:?}\n{out}");
    assert_says(
        &out,
        &format!("sts GetCallerIdentity failed: could not connect to {url}"),
    );
    assert_says(&out, "The sts endpoint named above could not be reached");
    assert_no_credentials_blame(&out);

    // Only Identity Center dead: the cluster side answers, sso-admin does not.
    env.tf.write(&with_dead_endpoints(
        &env,
        &[&g],
        &["ssoadmin", "identitystore"],
        &url,
    ));
    let started = Instant::now();
    let out = env.tf.apply_expect_error();
    let took = started.elapsed();
    println!(
        "MEASURE dead_sso_endpoint_apply_secs={:.2}",
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(30), "took {took:?}\n{out}");
    assert_says(
        &out,
        &format!("sso-admin ListInstances failed: could not connect to {url}"),
    );
    assert_no_credentials_blame(&out);
    assert!(
        env.state()["permission_sets"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "nothing may be written when Identity Center is unreachable"
    );
}

#[test]
fn a_create_timeout_ends_a_stuck_assignment_wait_and_the_next_apply_converges() {
    let env = Env::start(Setup::default());
    let mut g = Grant::new("g", PermissionSet::named("EKSStuck"), &["prod"]);
    g.extra = "\n  timeouts {\n    create = \"20s\"\n  }\n".into();
    env.write(&[&g]);
    env.emulator.config(json!({ "hold_assignments": true }));

    let started = Instant::now();
    let out = env.tf.apply_expect_error();
    let took = started.elapsed();
    println!(
        "MEASURE stuck_assignment_apply_secs={:.2}",
        took.as_secs_f64()
    );
    assert!(
        took >= Duration::from_secs(19) && took < Duration::from_secs(32),
        "the apply must end at the 20s create timeout (plus plan time), took {took:?}\n{out}"
    );
    assert_says(&out, "timeouts.create = \"20s\"");
    assert_says(&out, "assigning group EKS_Cluster_Admins to finish");
    assert_says(
        &out,
        "the reserved role AWSReservedSSO_EKSStuck_* to appear in IAM",
    );

    // What was created is in state, so nothing is orphaned.
    let ps_arn = str_at(
        permission_set_named(&env.state(), "EKSStuck").expect("the permission set was created"),
        "arn",
    )
    .to_string();
    let saved = state_values(&env.tf, &g.address())
        .unwrap_or_else(|| panic!("the permission set must be in state after the timeout"));
    assert_eq!(saved["permission_set_arn"], ps_arn, "{saved:#}");

    // AWS finishes the assignment; the plan says what it will do and one
    // apply converges.
    env.emulator.config(json!({ "hold_assignments": false }));
    assert!(
        !env.tf.plan_is_empty(),
        "after the timeout the plan must still show work to do"
    );
    env.tf.apply();
    let state = env.state();
    assert_eq!(
        state["permission_sets"].as_array().map(Vec::len),
        Some(1),
        "no orphaned permission set: {state:#}"
    );
    let out = env.tf.output("g");
    let ps_arn = str_at(&out, "permission_set_arn");
    let role = str_at(&out, "reserved_role_arn");
    assert_eq!(assignments_of(&state, ps_arn).len(), 1, "{state:#}");
    assert_eq!(associations(entry(&state, "prod", role)).len(), 1);
    assert_plan_empty(&env.tf, "after the apply that followed the timeout");

    env.tf.destroy();
    assert_nothing_left(&env, None);
}

#[test]
fn ctrl_c_during_a_wait_returns_within_5s_with_state_saved() {
    let env = Env::start(Setup::default());
    let g = Grant::new("g", PermissionSet::named("EKSInterrupted"), &["prod"]);
    env.write(&[&g]);
    env.emulator.config(json!({ "hold_assignments": true }));

    let mut running = env
        .tf
        .spawn(&["apply", "-input=false", "-no-color", "-auto-approve"]);
    // Wait until the provider is inside the assignment wait.
    let deadline = Instant::now() + Duration::from_secs(120);
    while env.emulator.count("sso-admin", "CreateAccountAssignment") == 0 {
        assert!(
            !running.finished(),
            "terraform ended before the assignment was made"
        );
        assert!(
            Instant::now() < deadline,
            "CreateAccountAssignment never came"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &running.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT failed");
    let interrupted = Instant::now();
    let out = running.wait();
    let took = interrupted.elapsed();
    println!("MEASURE ctrl_c_return_secs={:.2}", took.as_secs_f64());
    assert!(
        took < Duration::from_secs(5),
        "terraform must return within 5s of SIGINT, took {took:?}\n{out}"
    );
    assert!(!out.success(), "an interrupted apply cannot succeed\n{out}");

    // The state holds what exists.
    let ps_arn = str_at(
        permission_set_named(&env.state(), "EKSInterrupted").expect("the permission set exists"),
        "arn",
    )
    .to_string();
    let saved = state_values(&env.tf, &g.address())
        .unwrap_or_else(|| panic!("nothing saved in state after Ctrl-C\n{out}"));
    assert_eq!(saved["permission_set_arn"], ps_arn, "{saved:#}");

    // Once AWS finishes, one plain apply converges.
    env.emulator.config(json!({ "hold_assignments": false }));
    env.tf.apply();
    let state = env.state();
    assert_eq!(state["permission_sets"].as_array().map(Vec::len), Some(1));
    assert_plan_empty(&env.tf, "after the apply that followed Ctrl-C");
    env.tf.destroy();
    assert_nothing_left(&env, None);
}

#[test]
fn iam_concurrent_modification_and_eks_resource_in_use_are_retried() {
    let env = Env::start(Setup::default());
    let g = Grant::new("g", PermissionSet::named("EKSContended"), &["prod"]);
    // The creator role is the resource that writes IAM.
    let creator = "resource \"eks_cluster_creator_role\" \"creator\" {\n  trusted_permission_sets = [\"EKSContended\"]\n}\n";
    env.tf
        .write(&env.config(&format!("{}\n{creator}", render_all(&[&g]))));
    // The emulator's "conflict" fault answers IAM with ConcurrentModification
    // (409) and EKS with ResourceInUseException "The specified resource is in
    // use." (409): twice each on the first writes of the creator role and on
    // the grant's access entry and policy association.
    let contended = [
        ("iam", "CreatePolicy"),
        ("iam", "CreateRole"),
        ("eks", "CreateAccessEntry"),
        ("eks", "AssociateAccessPolicy"),
    ];
    let rules: Vec<_> = contended
        .iter()
        .map(|(service, op)| json!({"service": service, "operation": op, "kind": "conflict", "count": 2}))
        .collect();
    env.emulator.faults(json!({ "rules": rules, "seed": 5 }));
    env.tf.apply();

    let fired: Vec<(String, String)> = env
        .emulator
        .requests()
        .iter()
        .filter(|r| r.fault.as_deref() == Some("conflict"))
        .map(|r| (r.service.clone(), r.operation.clone()))
        .collect();
    for (service, op) in contended {
        let n = fired
            .iter()
            .filter(|(s, o)| s == service && o == op)
            .count();
        assert_eq!(
            n, 2,
            "{service} {op} should have met 2 conflicts: {fired:?}"
        );
    }
    let state = env.state();
    let out = env.tf.output("g");
    let role = str_at(&out, "reserved_role_arn");
    assert_eq!(associations(entry(&state, "prod", role)).len(), 1);
    env.emulator.clear_faults();
    assert_plan_empty(&env.tf, "after the contended apply");
    env.tf.destroy();
    assert_nothing_left(&env, None);
}
