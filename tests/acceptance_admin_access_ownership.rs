//! Ownership safety for `eks_sso_admin_access` (issue 8): the provider never
//! takes over or deletes what it did not make, import checks what it is told
//! and decides managed or referenced from what AWS holds, and refresh drops
//! a grant only when AWS says the object itself is gone.
//!
//! Every "existing" object here is built by hand through the AWS API, as a
//! console user or the seeds' CLI steps would, before Terraform runs.

mod support;

use serde_json::{Value, json};
use support::admin_access::*;
use support::{ACCOUNT, Tf, hcl_string};

/// A third account that also uses a shared permission set.
const THIRD: &str = "444455556666";

/// Delays small enough that hand-built setups do not wait, but non-zero so
/// the provider still polls.
fn quick() -> Value {
    json!({
        "assignment_delay": 0.1,
        "provisioning_delay": 0.1,
        "deletion_delay": 0.1,
        "role_visibility_delay": 0.0,
        "eks_principal_delay": 0.0,
    })
}

/// The write calls the emulator logged (its one definition of "mutating").
fn writes(env: &Env) -> Vec<String> {
    env.emulator
        .writes()
        .iter()
        .map(|r| format!("{} {}", r.service, r.operation))
        .collect()
}

fn state_list(tf: &Tf) -> String {
    tf.run(&["state", "list"]).combined()
}

fn import_block(address: &str, id: &str) -> String {
    format!(
        "import {{\n  to = {address}\n  id = {}\n}}\n",
        hcl_string(id)
    )
}

/// A grant that only references `ps_arn`, for group EKS_Cluster_Admins.
fn referencing(label: &str, ps_arn: &str, clusters: &[&str], policy: &str) -> Grant {
    let mut g = Grant::new(label, PermissionSet::named("unused"), clusters);
    g.permission_set = None;
    g.permission_set_arn = Some(ps_arn.to_string());
    g.access_policies = vec![AccessPolicy::cluster(policy)];
    g
}

/// Issue 8, acceptance 1: a `LegacyViewers` entry (View, namespace dev) on
/// a cluster is never escalated by a new grant of the same set, and the
/// destroy of what that failed apply left keeps it.
#[test]
fn existing_entry_is_never_taken_over() {
    let env = Env::start(Setup {
        groups: &["EKS_Cluster_Admins", "LegacyViewers_Group"],
        delays: quick(),
        ..Setup::default()
    });
    let ps_arn = env.create_permission_set("LegacyViewers");
    let role = env
        .assign_group(&ps_arn, ACCOUNT, "LegacyViewers_Group")
        .expect("reserved role in the test account");
    env.create_entry_by_hand("prod", &role, "AmazonEKSViewPolicy", &["dev"]);
    let before = entry(&env.state(), "prod", &role).clone();
    assert_eq!(associations(&before).len(), 1, "{before:#}");
    env.emulator.clear_requests();

    let g = referencing(
        "escalate",
        &ps_arn,
        &["prod"],
        "AmazonEKSClusterAdminPolicy",
    );
    env.write(&[&g]);
    let out = env.tf.apply_expect_error();
    let id = format!("{ps_arn},{ACCOUNT},prod");
    assert_says(
        &out,
        "Cluster prod already has an access entry for this permission set",
    );
    assert_says(&out, &format!("already has an access entry for {role}"));
    assert_says(&out, "permission set LegacyViewers");
    assert_says(&out, &format!("id = \"{id}\""));
    assert_says(&out, "to = eks_sso_admin_access.<name>");
    println!("acceptance 1 error text:\n{}", out.diagnostics());

    let after = entry(&env.state(), "prod", &role).clone();
    assert_eq!(after, before, "the existing entry changed");
    let assocs = associations(&after);
    assert_eq!(assocs.len(), 1, "{assocs:#?}");
    let view = &assocs[&access_policy_arn("AmazonEKSViewPolicy")];
    assert_eq!(scope_namespaces(view), Some(vec!["dev".to_string()]));
    assert_eq!(
        writes(&env),
        Vec::<String>::new(),
        "the failed apply wrote to AWS"
    );
    assert!(
        !state_list(&env.tf).contains(&g.address()),
        "nothing should be in state"
    );

    env.tf.destroy();
    assert_eq!(
        entry(&env.state(), "prod", &role),
        &before,
        "destroy touched the entry"
    );
    assert_eq!(
        assignments_of(&env.state(), &ps_arn).len(),
        1,
        "the legacy assignment"
    );
}

/// A referenced set whose group assignment already exists: the grant works,
/// but its destroy leaves the assignment it did not make (removing the last
/// one would make AWS delete the role other access hangs on).
#[test]
fn destroy_keeps_assignments_that_existed_before() {
    let env = Env::start(Setup {
        delays: quick(),
        clusters: &[("prod", "API"), ("staging", "API")],
        ..Setup::default()
    });
    let ps_arn = env.create_permission_set("TeamAccess");
    let role = env
        .assign_group(&ps_arn, ACCOUNT, "EKS_Cluster_Admins")
        .expect("reserved role");
    env.create_entry_by_hand("staging", &role, "AmazonEKSViewPolicy", &[]);
    let g = referencing("team", &ps_arn, &["prod"], "AmazonEKSEditPolicy");
    env.write(&[&g]);
    env.tf.apply();
    assert_plan_empty(&env.tf, "after apply");
    env.tf.destroy();
    let state = env.state();
    assert_eq!(
        assignments_of(&state, &ps_arn).len(),
        1,
        "the assignment that existed before"
    );
    assert!(entries_on(&state, "prod").is_empty(), "the grant's entry");
    assert_eq!(
        entries_on(&state, "staging").len(),
        1,
        "the hand-made entry"
    );
}

/// `SharedAdmins`, assigned in the test account and in a third, with a
/// cluster-admin entry on prod for the test account's role. Returns the set.
fn shared_world(env: &Env) -> (String, String) {
    let ps_arn = env.create_permission_set("SharedAdmins");
    env.call(
        "sso-admin",
        "attach_managed_policy_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn, "ManagedPolicyArn": VIEW_ONLY}),
    );
    let role = env
        .assign_group(&ps_arn, ACCOUNT, "EKS_Cluster_Admins")
        .expect("reserved role");
    env.assign_group(&ps_arn, THIRD, "EKS_Cluster_Admins");
    env.create_entry_by_hand("prod", &role, "AmazonEKSClusterAdminPolicy", &[]);
    (ps_arn, role)
}

fn assert_third_account_untouched(env: &Env, ps_arn: &str) {
    let state = env.state();
    assert!(
        permission_set_by_arn(&state, ps_arn).is_some(),
        "the shared set was deleted"
    );
    let third: Vec<&Value> = assignments_of(&state, ps_arn)
        .into_iter()
        .filter(|a| a["account"] == THIRD)
        .collect();
    assert_eq!(third.len(), 1, "third account's assignment: {state:#}");
    let roles: Vec<&Value> = reserved_roles_of(&state, ps_arn)
        .into_iter()
        .filter(|r| r["account"] == THIRD)
        .collect();
    assert_eq!(roles.len(), 1, "third account's reserved role");
    assert!(entries_on(&state, "prod").is_empty(), "the grant's entries");
}

/// The config a person writes for the shared set: referenced by ARN.
fn shared_referenced(ps_arn: &str) -> Grant {
    referencing("shared", ps_arn, &["prod"], "AmazonEKSClusterAdminPolicy")
}

/// Issue 8, acceptance 2: importing the test-account grant of a set other
/// accounts use brings it in as referenced; destroy removes only this
/// account's part.
#[test]
fn shared_set_imports_as_referenced_and_survives_destroy() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let (ps_arn, _) = shared_world(&env);
    let g = shared_referenced(&ps_arn);
    let id = format!("{ps_arn},{ACCOUNT},prod");
    env.tf.write(&env.config(&format!(
        "{}\n{}",
        render_all(&[&g]),
        import_block(&g.address(), &id)
    )));
    let plan = env.tf.plan();
    let c = change(&plan, &g.address());
    assert_eq!(
        c["change"]["actions"],
        json!(["no-op"]),
        "a shared set must import as referenced (permission_set_arn): {c:#}"
    );
    apply_saved_plan(&env.tf);
    let state = state_values(&env.tf, &g.address()).unwrap();
    assert!(state["permission_set"].is_null(), "{state:#}");
    assert_plan_empty(&env.tf, "after import");
    env.tf.destroy();
    assert_third_account_untouched(&env, &ps_arn);
}

/// Issue 8, acceptance 2 with the override: forced to managed, the set is
/// still kept on destroy while another account uses it, with a warning that
/// names that account.
#[test]
fn shared_set_forced_managed_is_kept_with_a_warning() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let (ps_arn, _) = shared_world(&env);
    let mut ps = PermissionSet::named("SharedAdmins");
    ps.description = Some("created outside Terraform".into());
    ps.session_duration = Some("PT2H".into());
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    let g = Grant::new("shared", ps, &["prod"]);
    let id = format!("{ps_arn},{ACCOUNT},prod,managed");
    env.tf.write(&env.config(&format!(
        "{}\n{}",
        render_all(&[&g]),
        import_block(&g.address(), &id)
    )));
    let plan = env.tf.plan();
    assert_eq!(
        change(&plan, &g.address())["change"]["actions"],
        json!(["no-op"]),
        "the managed override imports a permission_set block"
    );
    apply_saved_plan(&env.tf);
    assert_plan_empty(&env.tf, "after import");
    let out = env.tf.destroy();
    assert_says(
        &out,
        "Permission set SharedAdmins kept: other accounts still use it",
    );
    assert_says(&out, THIRD);
    assert_third_account_untouched(&env, &ps_arn);
    assert!(
        assignments_of(&env.state(), &ps_arn)
            .iter()
            .all(|a| a["account"] != ACCOUNT),
        "the test account's assignment should be gone"
    );
}

/// Issue 8, acceptance 3: a set only this account uses imports as managed,
/// and destroy removes it completely.
#[test]
fn single_user_set_imports_as_managed_and_destroy_removes_it() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let ps_arn = env.create_permission_set("SoloAdmins");
    let role = env
        .assign_group(&ps_arn, ACCOUNT, "EKS_Cluster_Admins")
        .expect("reserved role");
    env.create_entry_by_hand("prod", &role, "AmazonEKSClusterAdminPolicy", &[]);
    let mut ps = PermissionSet::named("SoloAdmins");
    ps.description = Some("created outside Terraform".into());
    ps.session_duration = Some("PT2H".into());
    let g = Grant::new("solo", ps, &["prod"]);
    let tf = env.new_tf();
    tf.write(&env.config(&render_all(&[&g])));
    tf.import(&g.address(), &format!("{ps_arn},{ACCOUNT},prod"));
    let state = state_values(&tf, &g.address()).unwrap();
    assert_eq!(state["permission_set"]["name"], "SoloAdmins", "{state:#}");
    assert_plan_empty(&tf, "after import");
    tf.destroy();
    assert_nothing_left(&env, None);
}

/// Issue 8, acceptance 4: each import mistake fails naming the thing, and
/// nothing lands in state; an `import {}` block with a wrong cluster fails
/// at plan.
#[test]
fn import_checks_what_it_is_told() {
    let env = Env::start(Setup {
        delays: quick(),
        clusters: &[("prod", "API"), ("empty", "API"), ("legacy", "CONFIG_MAP")],
        ..Setup::default()
    });
    let ps_arn = env.create_permission_set("ImportMe");
    let role = env
        .assign_group(&ps_arn, ACCOUNT, "EKS_Cluster_Admins")
        .expect("reserved role");
    env.create_entry_by_hand("prod", &role, "AmazonEKSClusterAdminPolicy", &[]);
    let unassigned = env.create_permission_set("NeverAssigned");
    let missing_ps = {
        let (prefix, _) = ps_arn.rsplit_once("/ps-").unwrap();
        format!("{prefix}/ps-ffffffffffffffff")
    };

    let g = referencing("imp", &ps_arn, &["prod"], "AmazonEKSClusterAdminPolicy");
    let tf = env.new_tf();
    tf.write(&env.config(&render_all(&[&g])));
    let cases = [
        (
            format!("{ps_arn},{ACCOUNT},prod+ghost"),
            "Cluster ghost not found",
        ),
        (
            format!("{ps_arn},{ACCOUNT},legacy"),
            "Cluster legacy does not use access entries",
        ),
        (
            format!("{ps_arn},{ACCOUNT},empty"),
            "No access entry on cluster empty",
        ),
        (
            format!("{unassigned},{ACCOUNT},prod"),
            "is not assigned to any group or user in account 123456789012",
        ),
        (
            format!("{missing_ps},{ACCOUNT},prod"),
            "Permission set not found",
        ),
    ];
    for (id, says) in &cases {
        let out = tf.run(&["import", &g.address(), id]).expect_failure();
        assert_says(&out, says);
        println!("acceptance 4, import {id}:\n{}", out.diagnostics());
        assert!(
            !state_list(&tf).contains(&g.address()),
            "import {id} left state"
        );
    }
    // The permission set ID is named in its error.
    let out = tf
        .run(&["import", &g.address(), &cases[4].0])
        .expect_failure();
    assert_says(&out, &missing_ps);

    let blocked = env.new_tf();
    blocked.write(&env.config(&format!(
        "{}\n{}",
        render_all(&[&g]),
        import_block(&g.address(), &format!("{ps_arn},{ACCOUNT},ghost"))
    )));
    let out = blocked.run(&["plan"]).expect_failure();
    assert_says(&out, "Cluster ghost not found");
    assert!(!state_list(&blocked).contains(&g.address()));
}

/// Issue 8, acceptance 5: after apply, a wrong `sso.region` makes refresh
/// fail without touching state or writing to AWS; the right region plans
/// empty again.
#[test]
fn wrong_sso_region_keeps_state() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let g = Grant::new("kept", PermissionSet::named("KeptAdmins"), &["prod"]);
    env.write(&[&g]);
    env.tf.apply();
    let state_file = env.tf.dir().join("terraform.tfstate");
    let before = std::fs::read(&state_file).expect("state file");
    env.emulator.clear_requests();

    let wrong = env
        .config(&render_all(&[&g]))
        .replace("region = \"us-east-1\"\n  }", "region = \"eu-west-1\"\n  }");
    assert_ne!(wrong, env.config(&render_all(&[&g])), "sso region swapped");
    env.tf.write(&wrong);
    let out = env.tf.run(&["plan"]).expect_failure();
    assert_says(&out, "was not found in eu-west-1; is `sso.region` right?");
    println!("acceptance 5 error text:\n{}", out.diagnostics());
    let out = env
        .tf
        .run(&["apply", "-refresh-only", "-auto-approve"])
        .expect_failure();
    assert_says(&out, "is `sso.region` right?");
    assert_eq!(
        std::fs::read(&state_file).expect("state file"),
        before,
        "state changed"
    );
    assert_eq!(writes(&env), Vec::<String>::new(), "refresh wrote to AWS");

    env.write(&[&g]);
    assert_plan_empty(&env.tf, "with the right sso.region again");
}

/// The same rule on the cluster side: with the provider's `region` wrong,
/// every cluster looks missing; refresh fails naming the cluster and where
/// it looked, and state stays as it was.
#[test]
fn wrong_cluster_region_keeps_state() {
    let env = Env::start(Setup {
        delays: quick(),
        ..Setup::default()
    });
    let g = Grant::new("here", PermissionSet::named("RegionAdmins"), &["prod"]);
    env.write(&[&g]);
    env.tf.apply();
    let state_file = env.tf.dir().join("terraform.tfstate");
    let before = std::fs::read(&state_file).expect("state file");
    env.emulator.clear_requests();

    let right = env.config(&render_all(&[&g]));
    let wrong = right.replacen("region = \"us-east-1\"", "region = \"eu-west-1\"", 1);
    assert_ne!(wrong, right);
    env.tf.write(&wrong);
    let out = env
        .tf
        .run(&["apply", "-refresh-only", "-auto-approve"])
        .expect_failure();
    assert_says(&out, "cluster prod");
    assert_says(&out, "The provider looked in region eu-west-1");
    assert_eq!(
        std::fs::read(&state_file).expect("state file"),
        before,
        "state changed"
    );
    assert_eq!(writes(&env), Vec::<String>::new(), "refresh wrote to AWS");
    env.tf.write(&right);
    assert_plan_empty(&env.tf, "with the right region again");
}
