//! Issue 11, "Converge without manual steps": after the provider is killed
//! at any point of a create, an update or a destroy, or after any write's
//! response is lost, the next plain `terraform apply` (or `destroy`)
//! finishes the job: nothing duplicated, nothing orphaned, no import.
//!
//! 1. Kill matrix: SIGKILL of `terraform-provider-eks` at a call chosen
//!    through the emulator (tests/support/crash.rs), then one plain command.
//! 2. Lost responses: each write of a create in turn runs, and its answer is
//!    replaced by a 503 (the emulator's `nth` + `mutating` targeting).
//! 3. Faults: throttling, 5xx and lost responses at random over ten grants
//!    on two clusters at `-parallelism=10`, three seeds.
//!
//! The killed applies run a saved plan, so the held call is counted from
//! the apply's first AWS call; the command that must converge is always a
//! plain `terraform apply -auto-approve` (or `terraform destroy`).

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};
use support::ACCOUNT;
use support::admin_access::*;
use support::crash::{KillPoint, kill_provider_at};

const CLUSTERS: &[&str] = &["prod", "staging"];
const APPLY_SAVED_PLAN: &[&str] = &["apply", "-input=false", "-no-color", "tfplan"];

/// Small delays: every async step still takes real time (so waits poll),
/// but nothing waits long.
fn quick() -> Value {
    json!({
        "assignment_delay": 0.3,
        "provisioning_delay": 0.2,
        "deletion_delay": 0.2,
        "role_visibility_delay": 0.2,
        "eks_principal_delay": 0.0,
    })
}

fn env() -> Env {
    Env::start(Setup {
        clusters: &[("prod", "API"), ("staging", "API")],
        delays: quick(),
        ..Setup::default()
    })
}

/// A managed grant with every kind of write a create makes: an inline and a
/// managed policy, a tag, one group, an entry with a policy association on
/// each cluster.
fn grant(label: &str, name: &str, clusters: &[&str]) -> Grant {
    let mut ps = PermissionSet::named(name);
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let mut g = Grant::new(label, ps, clusters);
    g.extra = "\n  tags = {\n    team = \"platform\"\n  }\n".to_string();
    g
}

fn plan_to_file(env: &Env) {
    env.tf
        .run_ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
}

/// What a finished grant of `name` on `clusters` looks like in AWS.
struct Whole<'a> {
    name: &'a str,
    clusters: &'a [&'a str],
}

/// Asserts that AWS holds exactly the `grants`, each complete and nothing
/// twice: one permission set with its policies and tag per grant, one
/// assignment, one reserved role, one entry per cluster with the admin
/// policy; no other set, assignment, role or entry; no in-flight mark left.
fn assert_whole(env: &Env, grants: &[Whole<'_>]) {
    let state = env.state();
    let count = |key: &str| state[key].as_array().map_or(0, Vec::len);
    let entries_wanted: usize = grants.iter().map(|g| g.clusters.len()).sum();
    assert_eq!(count("permission_sets"), grants.len(), "{state:#}");
    assert_eq!(count("assignments"), grants.len(), "{state:#}");
    assert_eq!(count("reserved_roles"), grants.len(), "{state:#}");
    assert_eq!(count("access_entries"), entries_wanted, "{state:#}");
    for g in grants {
        let ps = permission_set_named(&state, g.name)
            .unwrap_or_else(|| panic!("no permission set {}: {state:#}", g.name));
        let arn = str_at(ps, "arn");
        assert!(
            same_json(
                str_at(ps, "inline_policy"),
                &policy_json(&["eks:DescribeCluster"])
            ),
            "{ps:#}"
        );
        assert_eq!(ps["managed_policies"], json!([VIEW_ONLY]), "{ps:#}");
        assert_eq!(ps["tags"]["team"], "platform", "{ps:#}");
        assert_eq!(assignments_of(&state, arn).len(), 1, "{}", g.name);
        let role = str_at(reserved_role(&state, arn), "arn").to_string();
        for c in g.clusters {
            let assocs = associations(entry(&state, c, &role));
            assert_eq!(
                assocs.keys().cloned().collect::<Vec<_>>(),
                vec![access_policy_arn("AmazonEKSClusterAdminPolicy")],
                "{} on {c}",
                g.name
            );
        }
    }
    assert_no_in_flight_marks(env);
}

/// The writes the emulator logged, as `service Operation`.
fn writes(env: &Env) -> Vec<String> {
    env.emulator
        .writes()
        .iter()
        .map(|r| format!("{} {}", r.service, r.operation))
        .collect()
}

/// One plain apply after the kill must finish the job, the plan is then
/// empty, AWS holds the grant exactly once, and a destroy leaves nothing.
fn converges(env: &Env, label: &str, whole: &[Whole<'_>]) {
    let started = Instant::now();
    let out = env.tf.apply();
    println!(
        "MEASURE {label} converging_apply_secs={:.1}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        !out.combined().contains("terraform import"),
        "{label}: the converging apply asked for an import\n{out}"
    );
    assert_plan_empty(&env.tf, label);
    assert_whole(env, whole);
    env.tf.destroy();
    assert_nothing_left(env, None);
}

/// Kills a create of the test grant at `point`, checks that the kill left
/// what `left` expects, then that one plain apply converges.
fn kill_create(label: &str, point: KillPoint, left: impl Fn(&Value)) {
    let env = env();
    let g = grant("g", "EKSKilled", CLUSTERS);
    env.write(&[&g]);
    plan_to_file(&env);
    kill_provider_at(&env.emulator, &env.tf, APPLY_SAVED_PLAN, &point);
    let state = env.state();
    left(&state);
    assert!(
        !env.tf
            .run_ok(&["state", "list"])
            .stdout
            .contains(&g.address()),
        "{label}: the killed create must not be in state"
    );
    converges(
        &env,
        label,
        &[Whole {
            name: "EKSKilled",
            clusters: CLUSTERS,
        }],
    );
}

/// The killed create's permission set, which must carry the in-flight mark.
fn marked_set(state: &Value) -> &Value {
    let ps = permission_set_named(state, "EKSKilled")
        .unwrap_or_else(|| panic!("the killed create made no permission set: {state:#}"));
    assert_eq!(ps["tags"][IN_FLIGHT_MARK], ACCOUNT, "{ps:#}");
    ps
}

#[test]
fn kill_just_after_create_permission_set() {
    kill_create(
        "after CreatePermissionSet",
        KillPoint::at("sso-admin", "CreatePermissionSet", 1),
        |state| {
            let ps = marked_set(state);
            assert!(ps["inline_policy"].is_null(), "{ps:#}");
            assert!(state["assignments"].as_array().unwrap().is_empty());
        },
    );
}

#[test]
fn kill_during_the_assignment_wait() {
    kill_create(
        "during the assignment wait",
        // The assignment of a set this apply created is settled by its
        // reserved role appearing in IAM: ListRoles #1 notes the roles there
        // before, #2 is the wait's first look.
        KillPoint::at("iam", "ListRoles", 2),
        |state| {
            let ps = marked_set(state);
            assert!(!ps["inline_policy"].is_null(), "{ps:#}");
            assert!(state["access_entries"].as_array().unwrap().is_empty());
        },
    );
}

#[test]
fn kill_during_the_reserved_role_wait() {
    kill_create(
        "during the reserved-role wait",
        // A later look, once the (fast) assignment has been made: the wait
        // for the role to show in IAM.
        KillPoint::at("iam", "ListRoles", 3),
        |state| {
            let ps = marked_set(state);
            assert_eq!(assignments_of(state, str_at(ps, "arn")).len(), 1);
            assert!(state["access_entries"].as_array().unwrap().is_empty());
        },
    );
}

#[test]
fn kill_just_after_the_first_create_access_entry() {
    // The first CreateAccessEntry is held (and then runs); the second
    // cluster's is refused, so exactly one entry exists at the kill.
    let mut point = KillPoint::at("eks", "CreateAccessEntry", 1);
    point.extra = vec![json!({
        "service": "eks", "operation": "CreateAccessEntry", "kind": "conflict", "nth": 2,
    })];
    kill_create("after the first CreateAccessEntry", point, |state| {
        marked_set(state);
        let entries = state["access_entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{entries:#?}");
        assert!(entries[0]["policies"].as_array().unwrap().is_empty());
        assert!(
            entries[0]["tags"][IN_FLIGHT_MARK]
                .as_str()
                .is_some_and(|v| v.contains(":permissionSet/")),
            "{:#}",
            entries[0]
        );
    });
}

/// Killed while the entries' marks are being removed: the entries are
/// unmarked, the permission set still marked. The adopted set vouches for
/// the entries of its reserved role.
#[test]
fn kill_while_removing_the_entries_marks() {
    kill_create(
        "while removing the entries' marks",
        KillPoint::at("eks", "UntagResource", 1),
        |state| {
            marked_set(state);
            let entries = state["access_entries"].as_array().unwrap();
            assert_eq!(entries.len(), 2, "{entries:#?}");
            assert!(
                entries
                    .iter()
                    .any(|e| e["tags"].get(IN_FLIGHT_MARK).is_none()),
                "the held UntagResource ran: {entries:#?}"
            );
        },
    );
}

/// The one window left (README, "Limits" (2)): killed while the permission
/// set's own UntagResource, the create's last call, is on its way. The call
/// still runs, so AWS holds a finished grant with no mark and no state. The
/// next apply cannot tell it from someone else's and stops with the import
/// hint; the import it prints brings the grant in, and a destroy then
/// leaves nothing.
#[test]
fn kill_during_the_last_call_needs_the_import_it_prints() {
    let env = env();
    let g = grant("g", "EKSKilled", CLUSTERS);
    env.write(&[&g]);
    plan_to_file(&env);
    kill_provider_at(
        &env.emulator,
        &env.tf,
        APPLY_SAVED_PLAN,
        &KillPoint::at("sso-admin", "UntagResource", 1),
    );
    assert_no_in_flight_marks(&env);
    let out = env.tf.apply_expect_error();
    assert_says(&out, "Permission set name already taken");
    let ps_arn = str_at(
        permission_set_named(&env.state(), "EKSKilled").unwrap(),
        "arn",
    )
    .to_string();
    let id = format!("{ps_arn},{ACCOUNT},prod+staging");
    assert_says(&out, &id);
    env.tf.import(&g.address(), &id);
    assert_plan_empty(&env.tf, "after the import");
    env.tf.destroy();
    assert_nothing_left(&env, None);
}

#[test]
fn kill_mid_update_adding_a_cluster() {
    let env = env();
    env.write(&[&grant("g", "EKSKilled", &["prod"])]);
    env.tf.apply();
    env.write(&[&grant("g", "EKSKilled", CLUSTERS)]);
    plan_to_file(&env);
    kill_provider_at(
        &env.emulator,
        &env.tf,
        APPLY_SAVED_PLAN,
        &KillPoint::at("eks", "CreateAccessEntry", 1),
    );
    let state = env.state();
    let staging = entries_on(&state, "staging");
    assert_eq!(staging.len(), 1, "the update's new entry: {state:#}");
    assert!(staging[0]["policies"].as_array().unwrap().is_empty());
    converges(
        &env,
        "mid-update",
        &[Whole {
            name: "EKSKilled",
            clusters: CLUSTERS,
        }],
    );
}

#[test]
fn kill_mid_destroy() {
    let env = env();
    env.write(&[&grant("g", "EKSKilled", CLUSTERS)]);
    env.tf.apply();
    env.tf.run_ok(&[
        "plan",
        "-destroy",
        "-input=false",
        "-no-color",
        "-out=tfplan",
    ]);
    kill_provider_at(
        &env.emulator,
        &env.tf,
        APPLY_SAVED_PLAN,
        // The removal of a managed set's assignments is settled by its
        // reserved role going (GetRole answering NoSuchEntity).
        &KillPoint::at("iam", "GetRole", 1),
    );
    let state = env.state();
    assert!(
        state["access_entries"].as_array().unwrap().is_empty(),
        "the entries go first: {state:#}"
    );
    assert!(permission_set_named(&state, "EKSKilled").is_some());
    let started = Instant::now();
    env.tf.destroy();
    println!(
        "MEASURE mid-destroy converging_destroy_secs={:.1}",
        started.elapsed().as_secs_f64()
    );
    assert_nothing_left(&env, None);
    assert!(
        env.tf.run_ok(&["state", "list"]).stdout.trim().is_empty(),
        "state must be empty"
    );
}

/// A grant of a permission set made by hand (`permission_set_arn`): an
/// access entry its killed create made is recognised by its mark and
/// adopted, while the assignment that existed before stays someone else's.
#[test]
fn kill_after_create_access_entry_of_a_referenced_set() {
    let env = env();
    let ps_arn = env.create_permission_set("TeamShared");
    let role = env
        .assign_group(&ps_arn, ACCOUNT, "EKS_Cluster_Admins")
        .expect("reserved role");
    let mut g = Grant::new("g", PermissionSet::named("unused"), CLUSTERS);
    g.permission_set = None;
    g.permission_set_arn = Some(ps_arn.clone());
    env.write(&[&g]);
    plan_to_file(&env);
    let mut point = KillPoint::at("eks", "CreateAccessEntry", 1);
    point.extra = vec![json!({
        "service": "eks", "operation": "CreateAccessEntry", "kind": "conflict", "nth": 2,
    })];
    kill_provider_at(&env.emulator, &env.tf, APPLY_SAVED_PLAN, &point);
    assert_eq!(
        env.state()["access_entries"].as_array().unwrap().len(),
        1,
        "one entry at the kill"
    );

    let out = env.tf.apply();
    assert!(!out.combined().contains("terraform import"), "{out}");
    assert_plan_empty(&env.tf, "referenced set after the kill");
    let state = env.state();
    for c in CLUSTERS {
        let assocs = associations(entry(&state, c, &role));
        assert!(assocs.contains_key(&access_policy_arn("AmazonEKSClusterAdminPolicy")));
    }
    assert_no_in_flight_marks(&env);
    env.tf.destroy();
    let state = env.state();
    assert!(
        state["access_entries"].as_array().unwrap().is_empty(),
        "the grant's entries, the adopted one included, go: {state:#}"
    );
    assert_eq!(
        assignments_of(&state, &ps_arn).len(),
        1,
        "the assignment made by hand stays"
    );
    assert_eq!(reserved_roles_of(&state, &ps_arn).len(), 1);
}

/// The documented limitation, pinned so it stays safe: an assignment that a
/// killed create made on a *referenced* set looks exactly like one that
/// existed before (assignments carry no tags), so the next apply treats it
/// as someone else's and a destroy keeps it rather than risk removing
/// another team's access.
#[test]
fn assignment_a_killed_create_made_on_a_referenced_set_is_kept() {
    let env = env();
    let ps_arn = env.create_permission_set("TeamFresh");
    let mut g = Grant::new("g", PermissionSet::named("unused"), &["prod"]);
    g.permission_set = None;
    g.permission_set_arn = Some(ps_arn.clone());
    env.write(&[&g]);
    plan_to_file(&env);
    kill_provider_at(
        &env.emulator,
        &env.tf,
        APPLY_SAVED_PLAN,
        &KillPoint::at("sso-admin", "DescribeAccountAssignmentCreationStatus", 1),
    );
    let out = env.tf.apply();
    assert!(!out.combined().contains("terraform import"), "{out}");
    assert_plan_empty(
        &env.tf,
        "referenced set after a kill in the assignment wait",
    );
    env.tf.destroy();
    let state = env.state();
    assert!(state["access_entries"].as_array().unwrap().is_empty());
    assert_eq!(
        assignments_of(&state, &ps_arn).len(),
        1,
        "kept: it cannot be told from an assignment made by someone else"
    );
}

/// Issue 11, acceptance 2: every write of a create, in turn, runs and then
/// has its answer replaced by a 503. One apply converges with no error, the
/// plan is then empty, AWS holds the grant exactly once, and a destroy
/// leaves nothing.
#[test]
fn lost_response_of_every_write_of_a_create() {
    let env = env();
    let g = grant("g", "EKSLost", CLUSTERS);
    env.write(&[&g]);
    let whole = [Whole {
        name: "EKSLost",
        clusters: CLUSTERS,
    }];

    // The writes of a create, counted once without faults.
    env.emulator.clear_requests();
    env.tf.apply();
    let baseline = writes(&env);
    println!("MEASURE create_writes={} {baseline:?}", baseline.len());
    assert!(baseline.len() >= 10, "{baseline:?}");
    env.tf.destroy();
    assert_nothing_left(&env, None);

    let mut converged = Vec::new();
    for n in 1..=baseline.len() {
        env.emulator.clear_requests();
        env.emulator.faults(json!({"rules": [{
            "service": "*", "operation": "*", "kind": "lost_response",
            "mutating": true, "nth": n,
        }]}));
        let out = env
            .tf
            .run(&["apply", "-input=false", "-no-color", "-auto-approve"]);
        let lost: Vec<String> = env
            .emulator
            .requests()
            .iter()
            .filter(|r| r.fault.as_deref() == Some("lost_response"))
            .map(|r| format!("{} {}", r.service, r.operation))
            .collect();
        assert!(
            out.success(),
            "write #{n} ({lost:?}) lost: the apply failed\n{out}"
        );
        assert_eq!(lost.len(), 1, "write #{n}: exactly one lost response");
        env.emulator.clear_faults();
        assert_plan_empty(&env.tf, &format!("after losing {lost:?}"));
        assert_whole(&env, &whole);
        env.tf.destroy();
        assert_nothing_left(&env, None);
        converged.push(lost[0].clone());
    }
    println!(
        "MEASURE lost_response_points_converged={}/{} {converged:?}",
        converged.len(),
        baseline.len()
    );
}

/// Issue 11, acceptance 3: ten grants on two clusters at `-parallelism=10`
/// while 20% of all calls are throttled, 5% answer 5xx and 5% lose their
/// response after running. Apply, plan and destroy all run under the faults.
fn ten_grants_under_faults(seed: u64) {
    let env = Env::start(Setup {
        clusters: &[("prod", "API"), ("staging", "API")],
        delays: quick(),
        ..Setup::default()
    });
    let grants: Vec<Grant> = (0..10)
        .map(|i| grant(&format!("g{i}"), &format!("EKSFaults{i}"), CLUSTERS))
        .collect();
    env.write(&grants.iter().collect::<Vec<_>>());
    let mut rules = Vec::new();
    for (kind, rate) in [
        ("throttle", 0.2),
        ("error5xx", 0.05),
        ("lost_response", 0.05),
    ] {
        rules.push(json!({"service": "*", "operation": "*", "kind": kind, "rate": rate}));
    }
    env.emulator.faults(json!({"rules": rules, "seed": seed}));
    let parallel = |cmd: &str| {
        let started = Instant::now();
        let out = env.tf.run(&[
            cmd,
            "-input=false",
            "-no-color",
            "-auto-approve",
            "-parallelism=10",
        ]);
        (out, started.elapsed().as_secs_f64())
    };

    let (out, apply_secs) = parallel("apply");
    assert!(out.success(), "seed {seed}: the apply failed\n{out}");
    let lost_writes = env
        .emulator
        .requests()
        .iter()
        .filter(|r| r.mutating && r.fault.as_deref() == Some("lost_response"))
        .count();
    assert!(
        env.tf.plan_is_empty(),
        "seed {seed}: plan after apply not empty\n{}",
        env.tf.plan_raw()
    );
    let names: Vec<String> = (0..10).map(|i| format!("EKSFaults{i}")).collect();
    let whole: Vec<Whole<'_>> = names
        .iter()
        .map(|n| Whole {
            name: n,
            clusters: CLUSTERS,
        })
        .collect();
    assert_whole(&env, &whole);
    let (out, destroy_secs) = parallel("destroy");
    assert!(out.success(), "seed {seed}: the destroy failed\n{out}");
    assert_nothing_left(&env, None);

    let listed = env.emulator.control("GET", "/_emulator/faults", None);
    let fired: BTreeMap<String, u64> = listed["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or_default().to_string(),
                r["fired"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    println!(
        "MEASURE faults seed={seed} errors=0 orphans=0 fired={fired:?} lost_writes_in_apply={lost_writes} apply_secs={apply_secs:.1} destroy_secs={destroy_secs:.1}"
    );
    assert!(
        fired.values().all(|n| *n > 0),
        "seed {seed}: some fault never fired: {fired:?}"
    );
}

#[test]
fn ten_grants_under_faults_seed_11() {
    ten_grants_under_faults(11);
}

#[test]
fn ten_grants_under_faults_seed_12() {
    ten_grants_under_faults(12);
}

#[test]
fn ten_grants_under_faults_seed_13() {
    ten_grants_under_faults(13);
}

/// What the mark costs on the happy path: exactly one Identity Center call
/// (the UntagResource that removes it) and one EKS UntagResource per entry;
/// no lookup of existing sets or tags beyond the plan-time name index. Prints the Identity Center calls of
/// one create of a one-cluster, one-group grant with one inline policy.
#[test]
fn the_mark_costs_one_identity_center_call_per_grant() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let mut ps = PermissionSet::named("EKSCounted");
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    env.write(&[&Grant::new("g", ps, &["prod"])]);
    env.emulator.clear_requests();
    env.tf.apply();
    let requests = env.emulator.requests();
    let mut by_op: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        *by_op
            .entry(format!("{}:{}", r.service, r.operation))
            .or_default() += 1;
    }
    let identity_center: usize = requests
        .iter()
        .filter(|r| r.service == "sso-admin" || r.service == "identitystore")
        .count();
    println!("MEASURE identity_center_calls_per_grant={identity_center} {by_op:?}");
    assert_eq!(by_op.get("sso-admin:UntagResource"), Some(&1), "{by_op:?}");
    assert_eq!(by_op.get("eks:UntagResource"), Some(&1), "{by_op:?}");
    // The name is looked up only by the plan-time check, through its index:
    // one ListPermissionSets per provider process (the plan walk and the
    // apply walk), and with no set in the instance nothing to describe. The
    // mark itself looks nothing up on the happy path.
    assert_eq!(
        by_op.get("sso-admin:ListPermissionSets"),
        Some(&2),
        "{by_op:?}"
    );
    for op in [
        "sso-admin:DescribePermissionSet",
        "sso-admin:ListTagsForResource",
        "sso-admin:TagResource",
    ] {
        assert!(!by_op.contains_key(op), "{op} on the happy path: {by_op:?}");
    }
    assert_no_in_flight_marks(&env);
}

/// A same-named set carrying the in-flight mark of a grant in *another*
/// account is not this grant's: the create fails with the import hint and
/// writes nothing to that set.
#[test]
fn a_set_marked_for_another_account_is_not_adopted() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let out = env.call(
        "sso-admin",
        "create_permission_set",
        json!({
            "InstanceArn": env.instance_arn,
            "Name": "EKSOther",
            "Tags": [{"Key": IN_FLIGHT_MARK, "Value": "444455556666"}],
        }),
    );
    let other = str_at(&out["PermissionSet"], "PermissionSetArn").to_string();
    env.emulator.clear_requests();
    env.write(&[&Grant::new(
        "g",
        PermissionSet::named("EKSOther"),
        &["prod"],
    )]);
    let out = env.tf.apply_expect_error();
    assert_says(&out, "Permission set name already taken");
    assert_says(&out, "terraform import");
    assert_says(&out, &other);
    assert_says(&out, "grant for account 444455556666");
    assert_eq!(
        writes(&env),
        Vec::<String>::new(),
        "the plan refuses the name, so nothing is written"
    );
    let state = env.state();
    let ps = permission_set_by_arn(&state, &other).unwrap();
    assert_eq!(ps["tags"][IN_FLIGHT_MARK], "444455556666");
    assert!(state["assignments"].as_array().unwrap().is_empty());
}
