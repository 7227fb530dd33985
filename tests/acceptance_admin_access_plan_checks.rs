//! Plan-time checks of `eks_sso_admin_access` (issue 11, acceptance 4): each
//! of six mistakes that used to plan cleanly and fail only at apply now fails
//! `terraform plan`, with Terraform pointing at the attribute's line, and the
//! plan writes nothing. `plan_checks = false` turns the checks off (the
//! apply's own preflight still catches the mistake before any write), and an
//! unchanged grant, a refresh-only plan and a destroy plan make no check call.

mod support;

use std::collections::BTreeMap;

use support::ACCOUNT;
use support::admin_access::*;
use support::terraform::{Output, hcl_string, provider_config};

/// The calls only the plan-time checks make (a refresh of an existing grant
/// makes none of them).
const CHECK_CALLS: [(&str, &str); 5] = [
    ("iam", "GetPolicy"),
    ("identitystore", "GetGroupId"),
    ("identitystore", "GetUserId"),
    ("sso-admin", "ListPermissionSets"),
    ("eks", "DescribeCluster"),
];

fn check_calls(env: &Env) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in env.emulator.requests() {
        if CHECK_CALLS.contains(&(r.service.as_str(), r.operation.as_str())) {
            *out.entry(format!("{} {}", r.service, r.operation))
                .or_default() += 1;
        }
    }
    out
}

/// Runs `terraform plan` on `grant`, expects it to fail with `summary` at the
/// line of main.tf that contains `attribute_line`, and checks that the plan
/// made no write. Returns the output for further assertions.
fn plan_fails_at(env: &Env, grant: &Grant, summary: &str, attribute_line: &str) -> Output {
    env.write(&[grant]);
    env.emulator.clear_requests();
    let out = env.tf.plan_raw().expect_failure();
    // What the user sees (shown with --nocapture).
    println!("{}", out.combined());
    assert_points_at(env, &out, &grant.label, summary, attribute_line);
    let writes = env.emulator.writes();
    assert!(
        writes.is_empty(),
        "a plan must write nothing: {writes:#?}\n{out}"
    );
    out
}

/// Terraform prints a diagnostic with an attribute path as
/// `Error: <summary>`, then `with <address>,`, `on main.tf line N, in
/// resource ...:` and the source line `N: <text>`. This finds the block for
/// `summary` and checks that line N of main.tf is the one holding
/// `attribute_line`.
fn assert_points_at(env: &Env, out: &Output, label: &str, summary: &str, attribute_line: &str) {
    let main_tf = env.tf.read_file("main.tf");
    let want = main_tf
        .lines()
        .position(|l| l.contains(attribute_line))
        .unwrap_or_else(|| panic!("main.tf has no line with {attribute_line:?}:\n{main_tf}"))
        + 1;
    let text = out.combined();
    let lines: Vec<&str> = text.lines().collect();
    let heading = format!("Error: {summary}");
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start_matches(['│', '╷', ' ']).starts_with(&heading))
        .map(|(i, _)| i)
        .collect();
    assert!(!starts.is_empty(), "no {heading:?} in the output\n{out}");
    let located = format!("on main.tf line {want}, in resource \"{TYPE}\" \"{label}\":");
    let source = format!("{want}: ");
    let found = starts.iter().any(|&i| {
        let block = &lines[i..lines.len().min(i + 6)];
        let at = block.iter().position(|l| l.contains(&located));
        at.is_some_and(|a| {
            block
                .get(a + 1)
                .is_some_and(|l| l.contains(&source) && l.contains(attribute_line))
        })
    });
    assert!(
        found,
        "expected {heading:?} to point at main.tf line {want} ({attribute_line:?})\n{out}"
    );
}

#[test]
fn wrong_account_fails_the_plan_at_account_id() {
    let env = Env::start(Setup::default());
    let mut g = Grant::new("g", PermissionSet::named("EKSElsewhere"), &["prod"]);
    g.account_id = "210987654321".into();
    let out = plan_fails_at(
        &env,
        &g,
        "Wrong AWS account",
        "account_id    = \"210987654321\"",
    );
    for needle in ["210987654321", ACCOUNT, "assume_role"] {
        assert_says(&out, needle);
    }
}

#[test]
fn missing_cluster_fails_the_plan_at_cluster_names() {
    let env = Env::start(Setup::default());
    let g = Grant::new("g", PermissionSet::named("EKSTypo"), &["prod", "prdo"]);
    let out = plan_fails_at(&env, &g, "Could not read cluster prdo", "cluster_names = ");
    assert_says(
        &out,
        &format!("Check the name and that the cluster is in account {ACCOUNT}"),
    );
    let d = out.diagnostics();
    assert!(
        !d.contains("Could not read cluster prod"),
        "prod exists\n{out}"
    );
}

#[test]
fn config_map_cluster_fails_the_plan_at_cluster_names() {
    let env = Env::start(Setup {
        clusters: &[("prod", "API"), ("legacy", "CONFIG_MAP")],
        ..Setup::default()
    });
    let g = Grant::new("g", PermissionSet::named("EKSLegacy"), &["prod", "legacy"]);
    let out = plan_fails_at(
        &env,
        &g,
        "Cluster legacy does not accept access entries",
        "cluster_names = ",
    );
    for needle in [
        "CONFIG_MAP",
        "authenticationMode=API_AND_CONFIG_MAP",
        "aws-auth",
    ] {
        assert_says(&out, needle);
    }
}

#[test]
fn misspelt_group_and_user_fail_the_plan_at_their_attributes() {
    let env = Env::start(Setup {
        users: &["alice"],
        ..Setup::default()
    });
    let mut g = Grant::new("g", PermissionSet::named("EKSPeople"), &["prod"]);
    g.groups = vec!["EKS_Cluster_Admin".into()];
    g.users = vec!["alcie".into()];
    let out = plan_fails_at(
        &env,
        &g,
        "Could not find group EKS_Cluster_Admin",
        "groups        = ",
    );
    assert_points_at(
        &env,
        &out,
        "g",
        "Could not find user alcie",
        "users         = ",
    );
    assert_says(&out, "Check the spelling");
}

#[test]
fn taken_permission_set_name_fails_the_plan_with_the_import_hint() {
    let env = Env::start(Setup::default());
    let existing = env.create_permission_set("EKSTaken");
    let g = Grant::new("g", PermissionSet::named("EKSTaken"), &["prod"]);
    let out = plan_fails_at(
        &env,
        &g,
        "Permission set name already taken",
        "name = \"EKSTaken\"",
    );
    assert_says(&out, "terraform import");
    assert_says(&out, &format!("{existing},{ACCOUNT},prod"));
}

#[test]
fn managed_policy_typo_fails_the_plan_before_any_permission_set_exists() {
    let env = Env::start(Setup::default());
    let mut ps = PermissionSet::named("EKSTypoPolicy");
    let typo = "arn:aws:iam::aws:policy/job-function/ViewOnlyAcess";
    ps.managed_policy_arns = vec![VIEW_ONLY.into(), typo.into()];
    let g = Grant::new("g", ps, &["prod"]);
    let out = plan_fails_at(
        &env,
        &g,
        "Managed policy not found",
        "managed_policy_arns = ",
    );
    assert_says(&out, &format!("IAM has no policy {typo}"));
    assert!(
        !out.diagnostics()
            .contains(&format!("IAM has no policy {VIEW_ONLY} ")),
        "the real policy exists\n{out}"
    );
    assert!(
        env.state()["permission_sets"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );
}

#[test]
fn plan_checks_false_plans_the_mistakes_with_no_call_and_apply_still_stops_them() {
    let env = Env::start(Setup::default());
    let mut ps = PermissionSet::named("EKSUnchecked");
    ps.managed_policy_arns = vec!["arn:aws:iam::aws:policy/job-function/ViewOnlyAcess".into()];
    let mut g = Grant::new("g", ps, &["prod", "prdo"]);
    g.groups = vec!["EKS_Cluster_Admin".into()];
    let provider = provider_config(
        &env.emulator,
        &env.region,
        &format!(
            "  plan_checks = false\n  sso {{\n    region = {}\n  }}\n",
            hcl_string(&env.sso_region)
        ),
    );
    env.tf.write(&format!("{provider}\n{}", render_all(&[&g])));
    env.emulator.clear_requests();
    let plan = env.tf.plan();
    assert_eq!(plan.actions(&g.address()), Some(vec!["create".to_string()]));
    let calls = env.emulator.requests();
    assert!(
        calls.is_empty(),
        "a create plan without checks calls nothing: {calls:#?}"
    );

    // The apply's preflight still stops the mistake before its first write.
    let out = env.tf.apply_expect_error();
    assert_says(&out, "Could not find group EKS_Cluster_Admin");
    let writes = env.emulator.writes();
    assert!(
        writes.is_empty(),
        "the preflight runs before any write: {writes:#?}\n{out}"
    );
}

#[test]
fn unchanged_refresh_only_and_destroy_plans_make_no_check_call() {
    let env = Env::start(Setup::default());
    let mut ps = PermissionSet::named("EKSSteady");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    let g = Grant::new("g", ps, &["prod"]);
    env.write(&[&g]);

    // A create plan makes every kind of check call, so the zeros below
    // could fail.
    env.emulator.clear_requests();
    env.tf.plan();
    let create = check_calls(&env);
    for (service, op) in [
        ("iam", "GetPolicy"),
        ("identitystore", "GetGroupId"),
        ("sso-admin", "ListPermissionSets"),
        ("eks", "DescribeCluster"),
    ] {
        assert!(
            create
                .get(&format!("{service} {op}"))
                .is_some_and(|n| *n >= 1),
            "a create plan checks with {service} {op}: {create:?}"
        );
    }

    env.tf.apply();
    for (what, args) in [
        (
            "unchanged",
            vec!["plan", "-input=false", "-no-color", "-detailed-exitcode"],
        ),
        (
            "refresh-only",
            vec!["plan", "-refresh-only", "-input=false", "-no-color"],
        ),
        (
            "destroy",
            vec!["plan", "-destroy", "-input=false", "-no-color"],
        ),
    ] {
        env.emulator.clear_requests();
        let out = env.tf.run(&args);
        let ok = match what {
            "unchanged" => out.code == Some(0),
            _ => out.success(),
        };
        assert!(ok, "{what} plan\n{out}");
        let calls = check_calls(&env);
        assert!(
            calls.is_empty(),
            "{what} plan made check calls: {calls:?}\n{out}"
        );
        assert!(
            !env.emulator.requests().is_empty(),
            "the {what} plan refreshed, so the log is live"
        );
    }
    env.tf.destroy();
    assert_nothing_left(&env, None);
}

#[test]
fn unknown_values_are_not_checked_and_the_plan_still_works() {
    let env = Env::start(Setup::default());
    // terraform_data's output is unknown until apply, like a cluster or
    // group that another resource creates.
    let mut g = Grant::new("g", PermissionSet::named("EKSLater"), &[]);
    g.cluster_names = Vec::new();
    g.groups = Vec::new();
    let known = g.render().replace(
        "  cluster_names = []\n",
        "  cluster_names = [terraform_data.later.output]\n  groups        = [terraform_data.group.output]\n",
    );
    assert!(known.contains("terraform_data.later.output"), "{known}");
    let body = format!(
        "resource \"terraform_data\" \"later\" {{\n  input = \"prdo\"\n}}\n\nresource \"terraform_data\" \"group\" {{\n  input = \"EKS_Cluster_Admin\"\n}}\n\n{known}"
    );
    env.tf.write(&env.config(&body));
    env.emulator.clear_requests();
    let plan = env.tf.plan();
    assert_eq!(plan.actions(&g.address()), Some(vec!["create".to_string()]));
    let calls = check_calls(&env);
    assert_eq!(calls.get("eks DescribeCluster"), None, "{calls:?}");
    assert_eq!(calls.get("identitystore GetGroupId"), None, "{calls:?}");
    // What is known is still checked: the name.
    assert_eq!(
        calls.get("sso-admin ListPermissionSets"),
        Some(&1),
        "{calls:?}"
    );

    // A provider block with a value unknown at plan: no check can run (no
    // clients yet), and the plan still succeeds.
    let provider = provider_config(
        &env.emulator,
        &env.region,
        &format!(
            "  sso {{\n    region = {}\n  }}\n  default_tags {{\n    tags = {{ run = terraform_data.later.output }}\n  }}\n",
            hcl_string(&env.sso_region)
        ),
    );
    let mut plain = Grant::new("g", PermissionSet::named("EKSLater"), &["prdo"]);
    plain.groups = vec!["EKS_Cluster_Admin".into()];
    env.tf.write(&format!(
        "{provider}\nresource \"terraform_data\" \"later\" {{\n  input = \"x\"\n}}\n\n{}",
        render_all(&[&plain])
    ));
    env.emulator.clear_requests();
    let plan = env.tf.plan();
    assert_eq!(
        plan.actions(&plain.address()),
        Some(vec!["create".to_string()])
    );
    let calls = env.emulator.requests();
    assert!(
        calls.is_empty(),
        "no check with an unknown provider configuration: {calls:#?}"
    );
}
