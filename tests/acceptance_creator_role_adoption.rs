//! Adopting creator roles that already exist, through real Terraform against
//! the emulator: roles built by hand (the AWS blog's exact-ARN trust, a
//! hand-written pattern trust, roles that have nothing to do with SSO) are
//! found with `terraform query`, imported by ID and by identity with
//! generated configuration, and migrated from the blog's brittle trust.
//!
//! Terraform versions: the tests named `..._tf111` run the same body with the
//! machine image's Terraform 1.11 (`paths::legacy_terraform_bin`), which has
//! no identity, no `terraform query` and no GenerateResourceConfig; import
//! blocks, `-generate-config-out` (Terraform's own extraction there) and
//! refresh must work all the same. Everything else runs on the default
//! Terraform (1.15, or `TF_BIN`).

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::by_hand::{self, Creds};
use support::{ACCOUNT, Emulator, PlanCounts, Tf, hcl_string, provider_config};

const TYPE: &str = "eks_cluster_creator_role";
const BLOG: &str = "EKSClusterCreator";
const PATTERNED: &str = "PlatformClusterCreator";
const PERMISSION_SET: &str = "EKSClusterAdminAccess";
const SUFFIX: &str = "4ffa4321e413c0b0";
/// What a hand-written pattern trust typically says: any region segment,
/// any suffix.
const HAND_PATTERN: &str = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_PlatformAdmins_*";
const OTHER_ACCOUNT: &str = "210987654321";

/// The provider block for `emu` (SSO home region us-east-1) and the rest.
fn main_tf(emu: &Emulator, rest: &str) -> String {
    let mut hcl = provider_config(emu, "us-east-1", "  max_retries = 1\n");
    hcl.push('\n');
    hcl.push_str(rest);
    hcl
}

fn blog_reserved_role() -> String {
    by_hand::reserved_role_arn(PERMISSION_SET, SUFFIX)
}

/// The brownfield world of these tests: the blog's role and a hand-written
/// pattern role, plus roles that are no creator roles at all.
fn brownfield(emu: &Emulator) {
    by_hand::blog_creator_role(emu, BLOG, &blog_reserved_role());
    by_hand::pattern_creator_role(emu, PATTERNED, "StringLike", HAND_PATTERN);
    by_hand::plain_role(
        emu,
        "NodeInstanceRole",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    );
    by_hand::plain_role(
        emu,
        "CiDeployer",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]}),
    );
}

/// `show -json` resources of type `TYPE`, by address.
fn state_resources(tf: &Tf) -> Vec<Value> {
    tf.show_state_json()["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["type"] == TYPE)
        .collect()
}

fn state_of(tf: &Tf, name: &str) -> Value {
    state_resources(tf)
        .into_iter()
        .find(|r| r["values"]["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in state"))
}

/// The trust policy the state holds for `name`, parsed.
fn state_trust(tf: &Tf, name: &str) -> Value {
    let text = state_of(tf, name)["values"]["trust_policy"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("trust_policy is not JSON ({e}): {text}"))
}

/// The `resource` blocks of generated HCL, without the `import` blocks
/// (whose identities name the role too).
fn resource_blocks(hcl: &str) -> String {
    let mut out = String::new();
    let mut in_import = false;
    for line in hcl.lines() {
        if line.starts_with("import {") {
            in_import = true;
        }
        if !in_import {
            out.push_str(line);
            out.push('\n');
        }
        if in_import && line == "}" {
            in_import = false;
        }
    }
    out
}

/// What a person would not write, checked on generated HCL: computed-only
/// attributes, defaults and empty collections.
fn assert_written_as_a_person_would(hcl: &str) {
    let hcl = &resource_blocks(hcl);
    for computed in [
        "trust_policy",
        "unique_id",
        "policy_document",
        "policy_arn ",
        "attached_policy_arns",
        "tags_all",
        " arn ",
        " id ",
    ] {
        assert!(
            !hcl.lines()
                .any(|l| l.trim_start().starts_with(computed.trim())
                    && l.contains('=')
                    && l.trim_start()[computed.trim().len()..]
                        .trim_start()
                        .starts_with('=')),
            "computed {computed:?} written:\n{hcl}"
        );
    }
    for default in [
        "name = \"EKSClusterCreator\"",
        "path = \"/\"",
        "permissions = \"eksctl_minimum\"",
        "max_session_duration = 3600",
        "policy_name = \"EKSClusterCreatorPolicy\"",
    ] {
        let squeezed: String = hcl.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            !squeezed.contains(default),
            "default {default:?} written:\n{hcl}"
        );
    }
    assert!(
        !hcl.contains("= []") && !hcl.contains("= {}"),
        "empty collection written:\n{hcl}"
    );
}

/// `terraform query -generate-config-out` finds the blog's role and the
/// hand-written pattern role (on the second ListRoles page) and neither
/// plain role; the generated configuration validates, plans "2 to import,
/// 0 to add, 0 to change, 0 to destroy", applies without touching IAM's
/// documents, and then plans empty.
#[test]
fn query_finds_sso_creator_roles_and_the_generated_config_imports_them() {
    let emu = Emulator::start();
    // More than one ListRoles page (IAM's default is 100) comes first.
    by_hand::python(
        &emu,
        None,
        "t = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]})\n\
         [iam.create_role(RoleName=f'app-{i:03d}', AssumeRolePolicyDocument=t) for i in range(105)]\nprint('null')",
    );
    brownfield(&emu);
    let tf = Tf::new(&emu);
    tf.require(1, 14, "terraform query");
    tf.write(&main_tf(&emu, ""));
    tf.write_file(
        "find.tfquery.hcl",
        &format!("list \"{TYPE}\" \"sso\" {{\n  provider = eks\n}}\n"),
    );

    emu.clear_requests();
    let results = tf.query_results();
    let found: BTreeSet<String> = results
        .iter()
        .map(|r| r.identity["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        found,
        [BLOG.to_string(), PATTERNED.to_string()].into(),
        "{results:?}"
    );
    for r in &results {
        assert_eq!(r.address, format!("list.{TYPE}.sso"));
        assert_eq!(r.identity["account_id"], ACCOUNT);
    }
    let blog = results.iter().find(|r| r.identity["name"] == BLOG).unwrap();
    assert_eq!(
        blog.display_name,
        format!("{BLOG}: trusts AWSReservedSSO_{PERMISSION_SET}_{SUFFIX} by exact ARN")
    );
    assert!(
        emu.count("iam", "ListRoles") >= 2,
        "every ListRoles page is read: {:?}",
        emu.requests()
    );

    let human = tf.query(&["-generate-config-out=generated.tf"]);
    let generated = tf.read_file("generated.tf");
    println!(
        "--- terraform query ---\n{}\n--- generated.tf ---\n{generated}",
        human.stdout
    );
    assert!(
        human.stdout.contains(&format!("list.{TYPE}.sso")),
        "{human}"
    );
    assert_eq!(generated.matches("import {").count(), 2, "{generated}");
    assert_eq!(generated.matches("identity = {").count(), 2, "{generated}");
    assert_written_as_a_person_would(&generated);

    tf.validate().expect_success();
    let plan = tf.plan_raw().expect_success();
    assert_eq!(PlanCounts::of(&plan), PlanCounts::new(2, 0, 0, 0), "{plan}");
    emu.clear_requests();
    tf.apply();
    for write in [
        "UpdateAssumeRolePolicy",
        "CreateRole",
        "CreatePolicy",
        "CreatePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
    ] {
        assert_eq!(
            emu.count("iam", write),
            0,
            "{write} during an import: {:?}",
            emu.requests()
        );
    }
    assert!(
        tf.plan_is_empty(),
        "the plan after the import must be empty"
    );

    // Imported as IAM holds them: the trust documents were read back, not
    // rewritten, in IAM and in state.
    assert_eq!(
        by_hand::trust_of(&emu, BLOG),
        by_hand::blog_trust(&blog_reserved_role())
    );
    assert_eq!(state_trust(&tf, BLOG), by_hand::trust_of(&emu, BLOG));
    assert_eq!(
        state_trust(&tf, PATTERNED),
        by_hand::trust_of(&emu, PATTERNED)
    );
    let st = state_of(&tf, PATTERNED);
    assert_eq!(
        st["identity"],
        json!({"account_id": ACCOUNT, "name": PATTERNED})
    );
    assert_eq!(
        st["values"]["trusted_principal_arn_patterns"],
        json!([HAND_PATTERN])
    );
}

/// List configuration narrows the search; `limit` caps it; a `*` principal
/// with a reserved-role pattern is found too; objects come only when asked.
#[test]
fn query_filters_limits_and_finds_wildcard_principal_patterns() {
    let emu = Emulator::start();
    brownfield(&emu);
    by_hand::plain_role(
        &emu,
        "AnySsoAdmin",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}}]}),
    );
    let tf = Tf::new(&emu);
    tf.require(1, 14, "terraform query");
    tf.write(&main_tf(&emu, ""));
    tf.write_file(
        "find.tfquery.hcl",
        &format!(
            r#"list "{TYPE}" "all" {{
  provider = eks
}}
list "{TYPE}" "under_eks" {{
  provider = eks
  config {{
    path_prefix = "/eks/"
  }}
}}
list "{TYPE}" "named" {{
  provider         = eks
  include_resource = true
  config {{
    name_prefix = "EKS"
  }}
}}
list "{TYPE}" "one" {{
  provider = eks
  limit    = 1
}}
"#
        ),
    );
    let results = tf.query_results();
    let names = |block: &str| -> BTreeSet<String> {
        results
            .iter()
            .filter(|r| r.address == format!("list.{TYPE}.{block}"))
            .map(|r| r.identity["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        names("all"),
        [BLOG, PATTERNED, "AnySsoAdmin"].map(String::from).into(),
        "{results:?}"
    );
    assert_eq!(names("under_eks"), [PATTERNED.to_string()].into());
    assert_eq!(names("named"), [BLOG.to_string()].into());
    assert_eq!(names("one").len(), 1);
    let named = results
        .iter()
        .find(|r| r.address.ends_with(".named"))
        .unwrap();
    let object = named
        .resource_object
        .as_ref()
        .expect("include_resource sends the object");
    assert_eq!(object["permissions"], "none");
    assert_eq!(object["trusted_role_arns"], json!([blog_reserved_role()]));
    let all = results
        .iter()
        .find(|r| r.address.ends_with(".all"))
        .unwrap();
    assert!(all.resource_object.is_none(), "not asked for: {all:?}");

    // Invalid list configuration is caught before any AWS call.
    tf.write_file(
        "find.tfquery.hcl",
        &format!("list \"{TYPE}\" \"bad\" {{\n  provider = eks\n  config {{\n    path_prefix = \"eks\"\n  }}\n}}\n"),
    );
    emu.clear_requests();
    let out = tf.run(&["query", "-no-color"]).expect_failure();
    out.assert_diagnostic_contains("Invalid path_prefix");
    assert_eq!(emu.count("iam", "ListRoles"), 0, "{:?}", emu.requests());
}

/// Import by identity (Terraform 1.12+) with generated configuration: with
/// and without `account_id`; then an empty plan. An identity naming another
/// account is refused with both accounts named.
#[test]
fn import_by_identity_with_generated_config_then_an_empty_plan() {
    let emu = Emulator::start();
    brownfield(&emu);
    let tf = Tf::new(&emu);
    tf.require(1, 12, "import by identity");
    tf.write(&main_tf(
        &emu,
        &format!(
            r#"import {{
  to       = {TYPE}.blog
  identity = {{
    account_id = "{ACCOUNT}"
    name       = "{BLOG}"
  }}
}}

import {{
  to       = {TYPE}.platform
  identity = {{
    name = "{PATTERNED}"
  }}
}}
"#
        ),
    ));
    let (out, plan) = tf.plan_generating_config("generated.tf");
    assert_eq!(PlanCounts::of(&out), PlanCounts::new(2, 0, 0, 0), "{out}");
    for address in [format!("{TYPE}.blog"), format!("{TYPE}.platform")] {
        let c = plan.changes.iter().find(|c| c.address == address).unwrap();
        assert!(c.importing && c.actions == ["no-op"], "{c:?}");
    }
    let generated = tf.read_file("generated.tf");
    assert_written_as_a_person_would(&generated);
    tf.apply();
    assert!(
        tf.plan_is_empty(),
        "plan after import by identity must be empty"
    );
    for name in [BLOG, PATTERNED] {
        assert_eq!(
            state_of(&tf, name)["identity"],
            json!({"account_id": ACCOUNT, "name": name})
        );
        assert_eq!(state_trust(&tf, name), by_hand::trust_of(&emu, name));
    }

    let wrong = Tf::new(&emu);
    wrong.write(&main_tf(
        &emu,
        &format!(
            "import {{\n  to       = {TYPE}.x\n  identity = {{\n    account_id = \"{OTHER_ACCOUNT}\"\n    name       = \"{BLOG}\"\n  }}\n}}\n"
        ),
    ));
    let out = wrong
        .run(&[
            "plan",
            "-input=false",
            "-no-color",
            "-generate-config-out=g.tf",
        ])
        .expect_failure();
    out.assert_diagnostic_contains("Wrong account");
    out.assert_diagnostic_contains(&format!("in account {OTHER_ACCOUNT}"));
    out.assert_diagnostic_contains(&format!("credentials are for account {ACCOUNT}"));
}

/// Import by ID with `-generate-config-out`: the blog's role and a
/// hand-written pattern role each plan with no changes, because the trust
/// policy is read back exactly rather than rewritten.
fn import_by_id_reads_each_trust_back_exactly(tf: &Tf, emu: &Emulator) {
    brownfield(emu);
    tf.write(&main_tf(
        emu,
        &format!(
            "import {{\n  to = {TYPE}.blog\n  id = \"{BLOG}\"\n}}\n\nimport {{\n  to = {TYPE}.platform\n  id = \"{PATTERNED}\"\n}}\n"
        ),
    ));
    let (out, plan) = tf.plan_generating_config("generated.tf");
    assert_eq!(PlanCounts::of(&out), PlanCounts::new(2, 0, 0, 0), "{out}");
    assert!(
        plan.changes.iter().all(|c| c.importing),
        "{:?}",
        plan.changes
    );
    tf.validate().expect_success();
    emu.clear_requests();
    tf.apply();
    assert_eq!(
        emu.count("iam", "UpdateAssumeRolePolicy"),
        0,
        "{:?}",
        emu.requests()
    );
    assert!(tf.plan_is_empty(), "plan after import by ID must be empty");
    assert_eq!(
        state_trust(tf, BLOG),
        by_hand::blog_trust(&blog_reserved_role())
    );
    assert_eq!(
        state_trust(tf, PATTERNED),
        by_hand::trust_of(emu, PATTERNED)
    );
}

#[test]
fn import_by_id_reads_each_trust_back_exactly_tf115() {
    let emu = Emulator::start();
    let tf = Tf::new(&emu);
    tf.require(1, 14, "GenerateResourceConfig");
    import_by_id_reads_each_trust_back_exactly(&tf, &emu);
    // GenerateResourceConfig (1.14+) wrote what a person would.
    assert_written_as_a_person_would(&tf.read_file("generated.tf"));
}

#[test]
fn import_by_id_reads_each_trust_back_exactly_tf111() {
    let emu = Emulator::start();
    import_by_id_reads_each_trust_back_exactly(&Tf::legacy(&emu), &emu);
}

/// The documented migration from the blog: import its role with the exact
/// reserved-role ARN, then replace that ARN with `trusted_permission_sets`:
/// one in-place update to the churn-proof trust, same role, empty plan after.
fn migrate_the_blog_role_to_its_permission_set(tf: &Tf, emu: &Emulator) {
    by_hand::blog_creator_role(emu, BLOG, &blog_reserved_role());
    let body = |trust: &str| {
        format!(
            "resource \"{TYPE}\" \"creator\" {{\n  permissions = \"none\"\n  additional_policy_json = jsonencode({policy})\n{trust}}}\n",
            policy = by_hand::blog_policy(),
        )
    };
    let as_blog = format!(
        "  trusted_role_arns = [{}]\n",
        hcl_string(&blog_reserved_role())
    );
    tf.write(&main_tf(
        emu,
        &format!(
            "import {{\n  to = {TYPE}.creator\n  id = \"{BLOG}\"\n}}\n\n{}",
            body(&as_blog)
        ),
    ));
    let out = tf.plan_raw().expect_success();
    assert_eq!(PlanCounts::of(&out), PlanCounts::new(1, 0, 0, 0), "{out}");
    tf.apply();
    assert!(tf.plan_is_empty());
    let unique_id = state_of(tf, BLOG)["values"]["unique_id"].clone();

    tf.write(&main_tf(
        emu,
        &body(&format!(
            "  trusted_permission_sets = [\"{PERMISSION_SET}\"]\n"
        )),
    ));
    let plan = tf.plan();
    assert_eq!(
        plan.actions(&format!("{TYPE}.creator")),
        Some(vec!["update".to_string()]),
        "an in-place update, not a replacement"
    );
    tf.apply();
    let trust = by_hand::trust_of(emu, BLOG);
    assert_eq!(
        trust["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"],
        json!([format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{PERMISSION_SET}_????????????????"
        )])
    );
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root")
    );
    assert_eq!(
        state_of(tf, BLOG)["values"]["unique_id"],
        unique_id,
        "same role"
    );
    assert!(tf.plan_is_empty());
}

#[test]
fn migrate_the_blog_role_to_its_permission_set_tf115() {
    let emu = Emulator::start();
    migrate_the_blog_role_to_its_permission_set(&Tf::new(&emu), &emu);
}

#[test]
fn migrate_the_blog_role_to_its_permission_set_tf111() {
    let emu = Emulator::start();
    migrate_the_blog_role_to_its_permission_set(&Tf::legacy(&emu), &emu);
}

fn use_creds(tf: &mut Tf, creds: Option<&Creds>) {
    match creds {
        Some(c) => {
            tf.set_env("AWS_ACCESS_KEY_ID", &c.access_key_id);
            tf.set_env("AWS_SECRET_ACCESS_KEY", &c.secret_access_key);
            tf.set_env("AWS_SESSION_TOKEN", &c.session_token);
        }
        None => {
            tf.set_env("AWS_ACCESS_KEY_ID", "testing");
            tf.set_env("AWS_SECRET_ACCESS_KEY", "testing");
            tf.unset_env("AWS_SESSION_TOKEN");
        }
    }
}

/// Refresh drops the role from state only when IAM says it is gone in the
/// account the state names. A failing IAM, or credentials for another
/// account (with or without a same-named role there), keeps state unchanged
/// byte for byte and says why.
fn refresh_keeps_state_unless_iam_says_the_role_is_gone(mut tf: Tf, emu: &Emulator) {
    tf.write(&main_tf(
        emu,
        &format!("resource \"{TYPE}\" \"creator\" {{\n  trusted_permission_sets = [\"{PERMISSION_SET}\"]\n}}\n"),
    ));
    tf.apply();
    let before = tf.read_file("terraform.tfstate");
    let refresh = |tf: &Tf| tf.run(&["plan", "-refresh-only", "-input=false", "-no-color"]);

    // IAM failing: an error, state kept.
    emu.faults(json!({"rules": [{"service": "iam", "operation": "GetRole", "kind": "error5xx", "rate": 1.0}], "seed": 1}));
    let out = refresh(&tf).expect_failure();
    out.assert_diagnostic_contains("Could not read the cluster creator role");
    out.assert_diagnostic_contains("GetRole");
    emu.clear_faults();
    let out = tf.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    assert!(out.success(), "{out}");
    assert_eq!(
        tf.read_file("terraform.tfstate"),
        before,
        "a refresh with IAM back changes nothing"
    );

    // Credentials for another account, which has no such role: IAM says
    // NoSuchEntity there, which is not "gone". The member account is made
    // the way AWS Organizations makes one, so AssumeRole's trust check passes.
    emu.member_account(OTHER_ACCOUNT);
    let other = by_hand::assume(emu, OTHER_ACCOUNT, "OrganizationAccountAccessRole");
    use_creds(&mut tf, Some(&other));
    let out = tf
        .run(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ])
        .expect_failure();
    out.assert_diagnostic_contains(&format!(
        "IAM has no role of that name in account {OTHER_ACCOUNT}"
    ));
    out.assert_diagnostic_contains("kept in state");
    assert_eq!(tf.read_file("terraform.tfstate"), before);

    // The other account has a role of the same name: it is not ours.
    by_hand::plain_role_as(emu, &other, BLOG);
    let out = tf
        .run(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ])
        .expect_failure();
    out.assert_diagnostic_contains("another account's role of the same name");
    assert_eq!(tf.read_file("terraform.tfstate"), before);

    // Back to the right account: nothing changed.
    use_creds(&mut tf, None);
    assert!(tf.plan_is_empty());
    assert_eq!(tf.read_file("terraform.tfstate"), before);

    // Deleted for real: refresh drops it and the plan re-creates it.
    by_hand::python(
        emu,
        None,
        &format!(
            "for p in iam.list_attached_role_policies(RoleName={BLOG:?})['AttachedPolicies']:\n    iam.detach_role_policy(RoleName={BLOG:?}, PolicyArn=p['PolicyArn'])\n\
             iam.delete_role(RoleName={BLOG:?})\nprint('null')"
        ),
    );
    let plan = tf.plan();
    assert_eq!(
        plan.actions(&format!("{TYPE}.creator")),
        Some(vec!["create".to_string()])
    );
}

#[test]
fn refresh_keeps_state_unless_iam_says_the_role_is_gone_tf115() {
    let emu = Emulator::start();
    refresh_keeps_state_unless_iam_says_the_role_is_gone(Tf::new(&emu), &emu);
}

#[test]
fn refresh_keeps_state_unless_iam_says_the_role_is_gone_tf111() {
    let emu = Emulator::start();
    refresh_keeps_state_unless_iam_says_the_role_is_gone(Tf::legacy(&emu), &emu);
}
