//! Adopting SSO-to-EKS grants that already exist (issue 9), through real
//! Terraform against the emulator. The world is built by hand through the AWS
//! API, as a console user or the seeds' CLI steps would: permission sets,
//! their group assignments, access entries for the reserved roles, an entry
//! for a plain IAM role, and the AWS blog's creator role.
//!
//! Terraform versions: `terraform query` and GenerateResourceConfig need 1.14,
//! import by identity 1.12, so those tests run on the venv's Terraform (1.15).
//! Import by ID with `-generate-config-out` runs on 1.15 and, as the `_tf111`
//! test, on the machine image's Terraform 1.11, whose own config extraction
//! writes `permission_set_arn` beside a managed `permission_set` block.

mod support;

use serde_json::{Value, json};
use support::admin_access::*;
use support::{ACCOUNT, PlanCounts, Tf, by_hand, hcl_string};

const ADMINS: &str = "LegacyAdmins";
const VIEWERS: &str = "LegacyViewers";

fn quick() -> Value {
    json!({
        "assignment_delay": 0.1,
        "provisioning_delay": 0.1,
        "deletion_delay": 0.1,
        "role_visibility_delay": 0.0,
        "eks_principal_delay": 0.0,
    })
}

/// What the hand-built world holds.
struct World {
    admins_ps: String,
    viewers_ps: String,
    admins_role: String,
    plain_role: String,
}

/// The brownfield world of issue 9, acceptance 1.
fn brownfield(env: &Env) -> World {
    let admins_ps = env.create_permission_set(ADMINS);
    env.call(
        "sso-admin",
        "attach_managed_policy_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": admins_ps, "ManagedPolicyArn": VIEW_ONLY}),
    );
    env.call(
        "sso-admin",
        "put_inline_policy_to_permission_set",
        json!({
            "InstanceArn": env.instance_arn,
            "PermissionSetArn": admins_ps,
            "InlinePolicy": policy_json(&["eks:*"]).to_string(),
        }),
    );
    let admins_role = env
        .assign_group(&admins_ps, ACCOUNT, "EKS_Cluster_Admins")
        .expect("reserved role");
    for cluster in ["prod", "staging"] {
        env.create_entry_by_hand(cluster, &admins_role, "AmazonEKSClusterAdminPolicy", &[]);
    }
    let viewers_ps = env.create_permission_set(VIEWERS);
    let viewers_role = env
        .assign_group(&viewers_ps, ACCOUNT, "Viewers")
        .expect("reserved role");
    env.create_entry_by_hand("prod", &viewers_role, "AmazonEKSViewPolicy", &["dev"]);
    let plain_role = by_hand::plain_role(
        &env.emulator,
        "ci-deployer",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    );
    env.create_entry_by_hand("prod", &plain_role, "AmazonEKSEditPolicy", &["ci"]);
    by_hand::blog_creator_role(&env.emulator, "EKSClusterCreator", &admins_role);
    World {
        admins_ps,
        viewers_ps,
        admins_role,
        plain_role,
    }
}

fn brownfield_env() -> Env {
    Env::start(Setup {
        groups: &["EKS_Cluster_Admins", "Viewers"],
        clusters: &[("prod", "API"), ("staging", "API")],
        delays: quick(),
        ..Setup::default()
    })
}

/// Lines of generated HCL that set an attribute to something other than
/// null, inside `resource` blocks only.
fn set_attributes(hcl: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_import = false;
    for line in hcl.lines() {
        if line.starts_with("import {") {
            in_import = true;
        }
        if !in_import && line.contains(" = ") && !line.trim_end().ends_with("= null") {
            out.push(line.trim().to_string());
        }
        if in_import && line == "}" {
            in_import = false;
        }
    }
    out
}

/// What a person would not write for a grant: computed-only attributes,
/// both permission-set forms, empty collections.
fn assert_grant_written_as_a_person_would(hcl: &str) {
    let set = set_attributes(hcl);
    for computed in [
        "id ",
        "instance_arn",
        "identity_store_id",
        "principal_ids",
        "reserved_role",
        "access_entries",
        "tags_all",
    ] {
        assert!(
            !set.iter().any(|l| l.starts_with(computed)),
            "computed {computed:?} written:\n{hcl}"
        );
    }
    assert!(
        !set.iter()
            .any(|l| l.ends_with("= []") || l.ends_with("= {}")),
        "empty collection written:\n{hcl}"
    );
}

/// Issue 9, acceptance 1: one `terraform query` finds exactly the two grants
/// and the blog's creator role (not the plain role's entry), and the config it
/// generates imports all three with no change, then plans empty.
#[test]
fn query_finds_the_brownfield_grants_and_generated_config_imports_them() {
    let env = brownfield_env();
    let world = brownfield(&env);
    let tf = env.new_tf();
    tf.require(1, 14, "terraform query");
    tf.write(&env.config(""));
    tf.write_file(
        "find.tfquery.hcl",
        "list \"eks_sso_admin_access\" \"grants\" {\n  provider = eks\n}\n\n\
         list \"eks_cluster_creator_role\" \"creators\" {\n  provider = eks\n}\n",
    );

    env.emulator.clear_requests();
    let results = tf.query_results();
    let grants: Vec<&Value> = results
        .iter()
        .filter(|r| r.address == "list.eks_sso_admin_access.grants")
        .map(|r| &r.identity)
        .collect();
    assert_eq!(
        grants,
        vec![
            &json!({"account_id": ACCOUNT, "permission_set_arn": world.admins_ps}),
            &json!({"account_id": ACCOUNT, "permission_set_arn": world.viewers_ps}),
        ],
        "{results:#?}"
    );
    let creators: Vec<&Value> = results
        .iter()
        .filter(|r| r.address == "list.eks_cluster_creator_role.creators")
        .map(|r| &r.identity)
        .collect();
    assert_eq!(
        creators,
        vec![&json!({"account_id": ACCOUNT, "name": "EKSClusterCreator"})]
    );
    let text = format!("{results:?}");
    assert!(!text.contains("ci-deployer"), "a plain role is no grant");
    assert_eq!(
        results
            .iter()
            .find(|r| r.identity["permission_set_arn"] == world.admins_ps.as_str())
            .unwrap()
            .display_name,
        format!("{ADMINS}: access entries on prod, staging")
    );
    assert_eq!(
        env.emulator.writes().len(),
        0,
        "listing only reads: {:?}",
        env.emulator.writes()
    );

    let human = tf.query(&["-generate-config-out=generated.tf"]);
    let generated = tf.read_file("generated.tf");
    println!(
        "--- terraform query ---\n{}\n--- generated.tf ---\n{generated}",
        human.stdout
    );
    assert_eq!(generated.matches("import {").count(), 3, "{generated}");
    assert_grant_written_as_a_person_would(&generated);
    // Both sets are used by this account only, so both are managed: blocks,
    // and no permission_set_arn in any resource block.
    assert_eq!(
        generated.matches("permission_set {").count(),
        2,
        "{generated}"
    );
    assert!(
        !set_attributes(&generated)
            .iter()
            .any(|l| l.starts_with("permission_set_arn")),
        "a managed set is a block, not an ARN:\n{generated}"
    );

    tf.validate().expect_success();
    let plan = tf.plan_raw().expect_success();
    assert_eq!(PlanCounts::of(&plan), PlanCounts::new(3, 0, 0, 0), "{plan}");
    tf.apply();
    assert!(tf.plan_is_empty(), "{}", tf.plan_raw());
    assert_eq!(
        entries_on(&env.state(), "prod").len(),
        3,
        "nothing was deleted or added: {:#}",
        env.state()["access_entries"]
    );
    let _ = (&world.admins_role, &world.plain_role);
}

/// Issue 9, acceptance 2 (for `eks_sso_admin_access`): import by identity
/// finds the grant's clusters; the generated config plans one import and no
/// change, then empty after apply.
#[test]
fn import_by_identity_with_generated_config_then_an_empty_plan() {
    let env = brownfield_env();
    let world = brownfield(&env);
    let tf = env.new_tf();
    tf.require(1, 14, "import by identity with generated config");
    tf.write(&env.config(&format!(
        "import {{\n  to = eks_sso_admin_access.admins\n  identity = {{\n    account_id         = {}\n    permission_set_arn = {}\n  }}\n}}\n",
        hcl_string(ACCOUNT),
        hcl_string(&world.admins_ps)
    )));
    let (out, _) = tf.plan_generating_config("generated.tf");
    assert_eq!(PlanCounts::of(&out), PlanCounts::new(1, 0, 0, 0), "{out}");
    let generated = tf.read_file("generated.tf");
    println!("--- generated.tf ---\n{generated}");
    assert!(
        generated.contains("\"prod\"") && generated.contains("\"staging\""),
        "{generated}"
    );
    assert_grant_written_as_a_person_would(&generated);
    tf.apply();
    assert!(tf.plan_is_empty(), "{}", tf.plan_raw());
    let state = state_values(&tf, "eks_sso_admin_access.admins").unwrap();
    assert_eq!(state["cluster_names"], json!(["prod", "staging"]));
    assert_eq!(state["permission_set"]["name"], ADMINS);
}

/// Import by ID with `-generate-config-out` for a managed set (used by this
/// account only) and a shared set (also assigned in another account): the
/// generated config validates and plans one import each, no change.
fn generate_config_for_import_ids(tf: Tf, env: &Env) {
    let world = brownfield(env);
    let shared_ps = env.create_permission_set("SharedViewers");
    let shared_role = env
        .assign_group(&shared_ps, ACCOUNT, "Viewers")
        .expect("reserved role");
    env.assign_group(&shared_ps, "444455556666", "Viewers");
    env.create_entry_by_hand("staging", &shared_role, "AmazonEKSViewPolicy", &[]);
    tf.write(&env.config(&format!(
        "import {{\n  to = eks_sso_admin_access.admins\n  id = {}\n}}\n\nimport {{\n  to = eks_sso_admin_access.shared\n  id = {}\n}}\n",
        hcl_string(&format!("{},{ACCOUNT},prod+staging", world.admins_ps)),
        hcl_string(&format!("{shared_ps},{ACCOUNT},staging")),
    )));
    let (out, _) = tf.plan_generating_config("generated.tf");
    let generated = tf.read_file("generated.tf");
    println!("--- generated.tf ({:?}) ---\n{generated}", tf.version());
    assert_eq!(PlanCounts::of(&out), PlanCounts::new(2, 0, 0, 0), "{out}");
    tf.validate().expect_success();
    let plan = tf.plan_raw().expect_success();
    assert_eq!(PlanCounts::of(&plan), PlanCounts::new(2, 0, 0, 0), "{plan}");
    tf.apply();
    assert!(tf.plan_is_empty(), "{}", tf.plan_raw());
    let shared = state_values(&tf, "eks_sso_admin_access.shared").unwrap();
    assert!(shared["permission_set"].is_null(), "{shared:#}");
    assert_eq!(shared["permission_set_arn"], shared_ps);
    let admins = state_values(&tf, "eks_sso_admin_access.admins").unwrap();
    assert_eq!(admins["permission_set"]["name"], ADMINS);
}

#[test]
fn generated_config_for_import_ids_plans_no_change() {
    let env = brownfield_env();
    let tf = env.new_tf();
    tf.require(1, 14, "GenerateResourceConfig");
    generate_config_for_import_ids(tf, &env);
}

#[test]
fn generated_config_for_import_ids_plans_no_change_tf111() {
    let env = brownfield_env();
    // The env's region is the default us-east-1, which Tf::legacy uses too.
    generate_config_for_import_ids(Tf::legacy(&env.emulator), &env);
}
