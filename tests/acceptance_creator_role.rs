//! `resource "eks_cluster_creator_role"` through real Terraform against the
//! emulator: the J1 shape, in-place updates, drift, import, destroy and
//! offline validation.
//!
//! Out-of-band changes are made the way someone else would make them: IAM API
//! calls (boto3 in the test venv) against the same emulator.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::{ACCOUNT, Emulator, GrantWait, Tf, hcl_string, provider_config};

const ADDR: &str = "eks_cluster_creator_role.creator";
const ROLE: &str = "EKSClusterCreator";
const POLICY: &str = "EKSClusterCreatorPolicy";

/// Provider block (SSO home region `sso_region`, optional default tags) plus
/// the resource with `body`, plus outputs for every computed attribute.
fn config(emu: &Emulator, sso_region: &str, default_tags: &str, body: &str) -> String {
    let mut extra = format!("  sso {{\n    region = {}\n  }}\n", hcl_string(sso_region));
    if !default_tags.is_empty() {
        extra.push_str(&format!(
            "  default_tags {{\n    tags = {default_tags}\n  }}\n"
        ));
    }
    let mut hcl = provider_config(emu, "us-east-1", &extra);
    hcl.push_str(&format!(
        "\nresource \"eks_cluster_creator_role\" \"creator\" {{\n{body}\n}}\n"
    ));
    hcl.push_str(
        r#"
output "role" {
  value = {
    arn                  = eks_cluster_creator_role.creator.arn
    unique_id            = eks_cluster_creator_role.creator.unique_id
    trust_policy         = eks_cluster_creator_role.creator.trust_policy
    policy_arn           = eks_cluster_creator_role.creator.policy_arn
    policy_name          = eks_cluster_creator_role.creator.policy_name
    policy_document      = eks_cluster_creator_role.creator.policy_document
    attached_policy_arns = eks_cluster_creator_role.creator.attached_policy_arns
    tags_all             = eks_cluster_creator_role.creator.tags_all
    permissions          = eks_cluster_creator_role.creator.permissions
  }
}
"#,
    );
    hcl
}

/// Runs `code` with `iam` bound to a boto3 IAM client for the emulator and
/// returns what it prints as JSON (the last line).
fn iam_py(emu: &Emulator, code: &str) -> Value {
    support::by_hand::python(emu, None, code)
}

/// IAM's view of the role: trust document, session, tags, boundary, attachments.
fn iam_role(emu: &Emulator) -> Value {
    iam_py(
        emu,
        &format!(
            r#"
from urllib.parse import unquote
r = iam.get_role(RoleName={ROLE:?})['Role']
doc = r['AssumeRolePolicyDocument']
doc = doc if isinstance(doc, (dict, list)) else json.loads(unquote(doc))
att = sorted(p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName={ROLE:?})['AttachedPolicies'])
print(json.dumps({{'trust': doc, 'max_session': r.get('MaxSessionDuration'), 'id': r['RoleId'],
  'tags': {{t['Key']: t['Value'] for t in r.get('Tags', [])}},
  'boundary': (r.get('PermissionsBoundary') or {{}}).get('PermissionsBoundaryArn'), 'attached': att}}))
"#
        ),
    )
}

/// The customer-managed policy's versions and default document.
fn policy_versions(emu: &Emulator, arn: &str) -> Value {
    iam_py(
        emu,
        &format!(
            r#"
from urllib.parse import unquote
vs = iam.list_policy_versions(PolicyArn={arn:?})['Versions']
default = [v['VersionId'] for v in vs if v['IsDefaultVersion']][0]
doc = iam.get_policy_version(PolicyArn={arn:?}, VersionId=default)['PolicyVersion']['Document']
doc = doc if isinstance(doc, (dict, list)) else json.loads(unquote(doc))
print(json.dumps({{'count': len(vs), 'default': default, 'document': doc}}))
"#
        ),
    )
}

fn policy_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{POLICY}")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn arns(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The trust JSON the spec requires for one permission set, in the provider's
/// deterministic rendering.
fn expected_trust(sso_region: &str, permission_sets: &[&str]) -> String {
    let segment = if sso_region == "us-east-1" {
        String::new()
    } else {
        format!("{sso_region}/")
    };
    let patterns: Vec<String> = permission_sets
        .iter()
        .map(|ps| {
            format!(
                "\"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{segment}AWSReservedSSO_{ps}_????????????????\""
            )
        })
        .collect();
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"TrustSsoPermissionSets\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{ACCOUNT}:root\"}},\"Action\":\"sts:AssumeRole\",\"Condition\":{{\"ArnLike\":{{\"aws:PrincipalArn\":[{}]}}}}}}]}}",
        patterns.join(",")
    )
}

fn roles_and_policies_left(emu: &Emulator) -> (Vec<String>, Vec<String>) {
    let state = emu.state();
    let roles = state["iam_roles"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let policies = state["iam_policies"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (roles, policies)
}

/// J1: trust `EKSClusterAdminAccess` before any reserved role exists; then the
/// reserved role appears (as Identity Center creates it) and the stored trust
/// policy admits it, and only it.
fn j1_shape(sso_region: &str) {
    let emu = Emulator::start();
    let tf = Tf::new(&emu);
    tf.write(&config(
        &emu,
        sso_region,
        "",
        "  trusted_permission_sets = [\"EKSClusterAdminAccess\"]",
    ));

    // No reserved role exists yet.
    assert_eq!(
        emu.state()["reserved_roles"].as_array().map_or(0, Vec::len),
        0
    );
    let plan = tf.plan();
    assert_eq!(plan.actions(ADDR), Some(vec!["create".to_string()]));
    // The trust policy is known (and exact) at plan time.
    let planned = &plan.json["planned_values"]["root_module"]["resources"][0]["values"];
    let want = expected_trust(sso_region, &["EKSClusterAdminAccess"]);
    assert_eq!(str_of(planned, "trust_policy"), want);

    tf.apply();
    let out = tf.output("role");
    assert_eq!(str_of(&out, "trust_policy"), want);
    assert_eq!(
        str_of(&out, "arn"),
        format!("arn:aws:iam::{ACCOUNT}:role/{ROLE}")
    );
    assert_eq!(str_of(&out, "policy_name"), POLICY);
    assert_eq!(str_of(&out, "policy_arn"), policy_arn());
    assert_eq!(str_of(&out, "permissions"), "eksctl_minimum");
    assert!(tf.plan_is_empty(), "re-plan after create must be empty");

    // What IAM stored is the rendered document, with no wildcard principal.
    let role = iam_role(&emu);
    assert_eq!(role["trust"], serde_json::from_str::<Value>(&want).unwrap());
    assert_eq!(
        role["trust"]["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT}:root")
    );
    assert_eq!(str_of(&role, "id"), str_of(&out, "unique_id"));
    let attached: BTreeSet<String> = arns(&role["attached"]);
    assert_eq!(attached, arns(&out["attached_policy_arns"]));
    assert!(attached.contains(&policy_arn()));
    assert!(attached.contains("arn:aws:iam::aws:policy/AmazonEC2FullAccess"));
    assert!(attached.contains("arn:aws:iam::aws:policy/AWSCloudFormationFullAccess"));

    // Identity Center now provisions the permission set: the reserved role
    // appears with a random suffix (and the region segment outside
    // us-east-1). Its policy allows sts:AssumeRole on the creator role, as
    // J1's set does: with the account root as the trust's principal, the
    // trust alone does not let a role of the same account in.
    let setup =
        emu.sso_setup(json!({"region": sso_region, "groups": ["EKS_Cluster_Admins"], "users": []}));
    let instance = str_of(&setup, "instance_arn").to_string();
    let group = setup["groups"]["EKS_Cluster_Admins"]
        .as_str()
        .unwrap()
        .to_string();
    let creator = str_of(&out, "arn");
    let may_assume = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": creator}]});
    let grant = emu.grant_with_policy(
        sso_region,
        &instance,
        "EKSClusterAdminAccess",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
        Some(&may_assume),
    );
    // The emulator's STS evaluation (tests/emulator/emu_trust.py) decides.
    let reserved = str_of(&grant, "role_arn");
    let (allowed, reason) = emu.can_assume(reserved, creator);
    assert!(allowed, "{reserved} must be trusted: {reason}");
    // A permission set whose name extends ours, with the same policy, is
    // refused by the trust policy.
    let other = emu.grant_with_policy(
        sso_region,
        &instance,
        "EKSClusterAdminAccess_Extra",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
        Some(&may_assume),
    );
    let (allowed, reason) = emu.can_assume(str_of(&other, "role_arn"), creator);
    assert!(!allowed, "a look-alike set must not be trusted: {reason}");
    assert!(reason.contains("trust policy"), "{reason}");
    // Nothing about the role changed because the reserved role appeared.
    assert!(tf.plan_is_empty());
}

/// The principals a rendered trust must admit and refuse, by the
/// emulator's AssumeRole evaluation. Every principal's own policy allows
/// sts:AssumeRole on anything, so each refusal is the trust policy's.
#[test]
fn trust_admits_exactly_the_intended_principals() {
    let emu = Emulator::start();
    let may_assume_anything = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]});
    let ec2 = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let principal = |account: &str, path: &str, name: &str| -> String {
        let made = emu.create_role(json!({
            "account": account, "name": name, "path": path, "trust_policy": ec2,
            "inline_policies": {"assume": may_assume_anything},
        }));
        str_of(&made, "arn").to_string()
    };
    const RESERVED: &str = "/aws-reserved/sso.amazonaws.com/";
    const WEST: &str = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
    const SET: &str = "AWSReservedSSO_EKSClusterAdminAccess";
    // Role names are unique in an account, whatever the path: each variant
    // gets a suffix of its own.
    let east = principal(ACCOUNT, RESERVED, &format!("{SET}_4ffa4321e413c0b0"));
    let east_again = principal(ACCOUNT, RESERVED, &format!("{SET}_0123456789abcdef"));
    let west = principal(ACCOUNT, WEST, &format!("{SET}_aaaaaaaaaaaaaaaa"));
    let west_again = principal(ACCOUNT, WEST, &format!("{SET}_bbbbbbbbbbbbbbbb"));
    let ci = principal(ACCOUNT, "/", "ci");
    let ops = principal(ACCOUNT, WEST, "AWSReservedSSO_Ops_cccccccccccccccc");
    let look_alikes = [
        // A permission set whose name extends ours.
        principal(ACCOUNT, RESERVED, &format!("{SET}_Extra_dddddddddddddddd")),
        principal(ACCOUNT, WEST, &format!("{SET}_Extra_eeeeeeeeeeeeeeee")),
        // A suffix one short, one long.
        principal(ACCOUNT, RESERVED, &format!("{SET}_fffffffffffffff")),
        principal(ACCOUNT, WEST, &format!("{SET}_11111111111111111")),
        // The right name outside the reserved path, or under a look-alike one.
        principal(ACCOUNT, "/", &format!("{SET}_2222222222222222")),
        principal(
            ACCOUNT,
            "/evil/aws-reserved/sso.amazonaws.com/",
            &format!("{SET}_3333333333333333"),
        ),
        // The same role in another account.
        principal("999988887777", RESERVED, &format!("{SET}_4444444444444444")),
        principal("999988887777", WEST, &format!("{SET}_5555555555555555")),
        // Neither trusted exactly nor by the pattern.
        principal(ACCOUNT, "/", "other"),
        principal(ACCOUNT, "/", "AWSReservedSSO_Ops_6666666666666666"),
    ];

    let tf = Tf::new(&emu);
    let body = format!(
        "  trusted_permission_sets        = [\"EKSClusterAdminAccess\"]\n  trusted_role_arns              = [{}]\n  trusted_principal_arn_patterns = [\"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Ops_*\"]",
        hcl_string(&ci)
    );
    // The same role under each Identity Center home region: the path of its
    // reserved roles has the region segment outside us-east-1 only.
    for (sso_region, trusted_sets, other_region) in [
        ("us-east-1", [&east, &east_again], [&west, &west_again]),
        ("eu-west-1", [&west, &west_again], [&east, &east_again]),
    ] {
        tf.write(&config(&emu, sso_region, "", &body));
        tf.apply();
        let creator = str_of(&tf.output("role"), "arn").to_string();
        for admitted in trusted_sets.into_iter().chain([&ci, &ops]) {
            let (allowed, reason) = emu.can_assume(admitted, &creator);
            assert!(
                allowed,
                "[{sso_region}] {admitted} must be trusted: {reason}"
            );
        }
        for refused in look_alikes.iter().chain(other_region) {
            let (allowed, reason) = emu.can_assume(refused, &creator);
            assert!(
                !allowed,
                "[{sso_region}] {refused} must not be trusted: {reason}"
            );
            assert!(
                reason.contains("trust policy"),
                "[{sso_region}] {refused}: {reason}"
            );
        }
        // Never a wildcard principal: each grant goes through this account's
        // root or names a role exactly.
        let role = iam_role(&emu);
        for st in role["trust"]["Statement"].as_array().expect("statements") {
            let principals = &st["Principal"]["AWS"];
            let list: Vec<&str> = match principals {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                other => panic!("unexpected principal {other}"),
            };
            for p in list {
                assert!(!p.contains(['*', '?']), "wildcard principal {p} in {st}");
            }
        }
    }
    tf.destroy();
}

#[test]
fn j1_shape_with_sso_in_us_east_1() {
    j1_shape("us-east-1");
}

#[test]
fn j1_shape_with_sso_in_eu_west_1() {
    j1_shape("eu-west-1");
}

/// Each change is one in-place update (same unique id, no replacement) and
/// plans empty afterwards; six policy-document changes keep IAM's versions
/// within its limit of five.
#[test]
fn in_place_updates_and_policy_version_pruning() {
    let emu = Emulator::start();
    let tf = Tf::new(&emu);
    let base = "  trusted_permission_sets = [\"EKSClusterAdminAccess\"]\n";
    tf.write(&config(&emu, "us-east-1", "", base));
    tf.apply();
    let id = str_of(&tf.output("role"), "unique_id").to_string();

    let extra = |sid: &str, action: &str| {
        format!(
            "  additional_policy_json = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Sid = \"{sid}\", Effect = \"Allow\", Action = \"{action}\", Resource = \"*\" }}]\n  }})\n"
        )
    };
    let two_sets = "  trusted_permission_sets = [\"EKSClusterAdminAccess\", \"EKSClusterOps\"]\n";
    let managed = "  managed_policy_arns = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n";
    let tags = "  tags = { team = \"eks\", cost = \"42\" }\n  max_session_duration = 7200\n";
    // (label, body, whether the policy document changes)
    let steps: Vec<(&str, String, bool)> = vec![
        ("add a trusted permission set", two_sets.to_string(), false),
        (
            "switch preset to service_wide",
            format!("{two_sets}  permissions = \"service_wide\"\n"),
            true,
        ),
        (
            "add a managed policy",
            format!("{two_sets}  permissions = \"service_wide\"\n{managed}"),
            false,
        ),
        (
            "change tags and max_session_duration",
            format!("{two_sets}  permissions = \"service_wide\"\n{managed}{tags}"),
            false,
        ),
        (
            "switch back to eksctl_minimum",
            format!("{two_sets}{managed}{tags}"),
            true,
        ),
        (
            "add additional policy",
            format!("{two_sets}{managed}{tags}{}", extra("Logs", "logs:*")),
            true,
        ),
        (
            "change additional policy",
            format!("{two_sets}{managed}{tags}{}", extra("Logs", "logs:Get*")),
            true,
        ),
        (
            "service_wide with additional",
            format!(
                "{two_sets}  permissions = \"service_wide\"\n{managed}{tags}{}",
                extra("Logs", "logs:Get*")
            ),
            true,
        ),
        (
            "none with additional only",
            format!(
                "{two_sets}  permissions = \"none\"\n{managed}{tags}{}",
                extra("Ecr", "ecr:*")
            ),
            true,
        ),
    ];
    let mut document_changes = 0;
    for (label, body, changes_document) in &steps {
        tf.write(&config(&emu, "us-east-1", "", body));
        let plan = tf.plan();
        assert_eq!(
            plan.actions(ADDR),
            Some(vec!["update".to_string()]),
            "{label}: expected an in-place update"
        );
        tf.apply();
        let out = tf.output("role");
        assert_eq!(
            str_of(&out, "unique_id"),
            id,
            "{label}: the role was replaced"
        );
        assert!(tf.plan_is_empty(), "{label}: re-plan must be empty");

        let role = iam_role(&emu);
        assert_eq!(str_of(&role, "id"), id);
        assert_eq!(
            arns(&role["attached"]),
            arns(&out["attached_policy_arns"]),
            "{label}"
        );
        assert_eq!(
            role["trust"],
            serde_json::from_str::<Value>(str_of(&out, "trust_policy")).unwrap(),
            "{label}"
        );
        let versions = policy_versions(&emu, &policy_arn());
        assert!(
            versions["count"].as_u64().unwrap() <= 5,
            "{label}: {versions}"
        );
        assert_eq!(
            versions["document"],
            serde_json::from_str::<Value>(str_of(&out, "policy_document")).unwrap(),
            "{label}: IAM's default version is what state says"
        );
        if *changes_document {
            document_changes += 1;
        }
    }
    assert!(
        document_changes >= 6,
        "only {document_changes} policy updates exercised"
    );

    // The last state, checked against IAM in detail.
    let role = iam_role(&emu);
    assert_eq!(role["max_session"], 7200);
    assert_eq!(role["tags"], json!({"team": "eks", "cost": "42"}));
    let attached = arns(&role["attached"]);
    assert!(attached.contains("arn:aws:iam::aws:policy/ReadOnlyAccess"));
    assert!(
        !attached.contains("arn:aws:iam::aws:policy/AmazonEC2FullAccess"),
        "preset none attaches nothing"
    );
    let trust = role["trust"].to_string();
    assert!(trust.contains("AWSReservedSSO_EKSClusterOps_????????????????"));
    let versions = policy_versions(&emu, &policy_arn());
    assert_eq!(versions["count"], 5, "{versions}");
    assert_eq!(versions["document"]["Statement"][0]["Sid"], "Ecr");
}

/// Out-of-band edits are detected by the next plan and repaired by one apply.
#[test]
fn drift_is_detected_and_repaired() {
    let emu = Emulator::start();
    let tf = Tf::new(&emu);
    tf.write(&config(
        &emu,
        "eu-west-1",
        "",
        "  trusted_permission_sets = [\"EKSClusterAdminAccess\"]\n  max_session_duration = 7200\n  tags = { team = \"eks\" }\n",
    ));
    tf.apply();
    let good = tf.output("role");
    let want_trust: Value = serde_json::from_str(str_of(&good, "trust_policy")).unwrap();
    let want_doc: Value = serde_json::from_str(str_of(&good, "policy_document")).unwrap();
    let arn = policy_arn();

    let cases: Vec<(&str, String)> = vec![
        (
            "trust policy edited",
            format!(
                "iam.update_assume_role_policy(RoleName={ROLE:?}, PolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'AWS':'arn:aws:iam::{ACCOUNT}:root'}},'Action':'sts:AssumeRole'}}]}}))\nprint('null')"
            ),
        ),
        (
            "policy document changed",
            format!(
                "iam.create_policy_version(PolicyArn={arn:?}, SetAsDefault=True, PolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Action':'*','Resource':'*'}}]}}))\nprint('null')"
            ),
        ),
        (
            "customer policy detached",
            format!("iam.detach_role_policy(RoleName={ROLE:?}, PolicyArn={arn:?})\nprint('null')"),
        ),
        (
            "preset policy detached",
            format!(
                "iam.detach_role_policy(RoleName={ROLE:?}, PolicyArn='arn:aws:iam::aws:policy/AWSCloudFormationFullAccess')\nprint('null')"
            ),
        ),
        (
            "session duration and tags changed",
            format!(
                "iam.update_role(RoleName={ROLE:?}, MaxSessionDuration=3600)\niam.tag_role(RoleName={ROLE:?}, Tags=[{{'Key':'team','Value':'rogue'}}])\nprint('null')"
            ),
        ),
        (
            "permissions boundary added",
            format!(
                "iam.put_role_permissions_boundary(RoleName={ROLE:?}, PermissionsBoundary='arn:aws:iam::aws:policy/ReadOnlyAccess')\nprint('null')"
            ),
        ),
    ];
    for (label, code) in cases {
        iam_py(&emu, &code);
        let plan = tf.plan();
        assert_eq!(
            plan.actions(ADDR),
            Some(vec!["update".to_string()]),
            "{label}: drift not detected as an update"
        );
        tf.apply();
        assert!(tf.plan_is_empty(), "{label}: not repaired by one apply");
        let role = iam_role(&emu);
        assert_eq!(role["trust"], want_trust, "{label}");
        assert_eq!(
            arns(&role["attached"]),
            arns(&good["attached_policy_arns"]),
            "{label}"
        );
        assert_eq!(role["max_session"], 7200, "{label}");
        assert_eq!(role["tags"], json!({"team": "eks"}), "{label}");
        assert_eq!(role["boundary"], Value::Null, "{label}");
        let versions = policy_versions(&emu, &arn);
        assert_eq!(versions["document"], want_doc, "{label}");
        assert!(versions["count"].as_u64().unwrap() <= 5);
        assert_eq!(
            str_of(&tf.output("role"), "unique_id"),
            str_of(&good, "unique_id"),
            "{label}"
        );
    }
}

/// Import by role name fills everything, so the same configuration plans
/// empty; destroy then leaves no role or policy behind.
#[test]
fn import_by_name_then_empty_plan_then_destroy_leaves_nothing() {
    let emu = Emulator::start();
    iam_py(
        &emu,
        &format!(
            "iam.create_role(RoleName='ci-deployer', AssumeRolePolicyDocument=json.dumps({{'Version':'2012-10-17','Statement':[{{'Effect':'Allow','Principal':{{'AWS':'arn:aws:iam::{ACCOUNT}:root'}},'Action':'sts:AssumeRole'}}]}}))\nprint('null')"
        ),
    );
    let body = format!(
        r#"  trusted_permission_sets = ["EKSClusterAdminAccess", "EKSClusterOps"]
  trusted_role_arns       = ["arn:aws:iam::{ACCOUNT}:role/ci-deployer"]
  permissions             = "service_wide"
  managed_policy_arns     = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  description             = "Creates EKS clusters"
  max_session_duration    = 5400
  tags                    = {{ env = "test" }}
  additional_policy_json = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Sid = "Logs", Effect = "Allow", Action = ["logs:CreateLogGroup"], Resource = "*" }}]
  }})
"#
    );
    let default_tags = "{ team = \"platform\" }";
    let original = Tf::new(&emu);
    original.write(&config(&emu, "eu-west-1", default_tags, &body));
    original.apply();
    let created = original.output("role");
    assert_eq!(
        created["tags_all"],
        json!({"env": "test", "team": "platform"})
    );

    // A second working directory, with the same configuration and no state.
    let adopter = Tf::new(&emu);
    adopter.write(&config(&emu, "eu-west-1", default_tags, &body));
    adopter.import(ADDR, ROLE);
    assert!(adopter.plan_is_empty(), "plan after import must be empty");
    let imported = adopter.show_state_json();
    let values = &imported["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["permissions"], "service_wide");
    assert_eq!(values["unique_id"], created["unique_id"]);
    assert_eq!(arns(&values["trusted_permission_sets"]).len(), 2);

    // An unknown name is a clear error.
    let missing = adopter.run(&[
        "import",
        "-input=false",
        "-no-color",
        "eks_cluster_creator_role.other",
        "Nope",
    ]);
    assert!(!missing.success());

    adopter.destroy();
    let (roles, policies) = roles_and_policies_left(&emu);
    assert!(
        !roles.contains(&ROLE.to_string()),
        "role left behind: {roles:?}"
    );
    assert!(
        !policies.contains(&POLICY.to_string()),
        "policy left behind: {policies:?}"
    );
    assert!(
        roles.contains(&"ci-deployer".to_string()),
        "destroy must not touch other roles"
    );
}

/// At least ten kinds of bad input fail `validate` and `plan` with the
/// attribute named, and never reach AWS.
#[test]
fn bad_inputs_are_rejected_before_any_aws_call() {
    let emu = Emulator::start();
    let tf = Tf::new(&emu);
    let ps = "  trusted_permission_sets = [\"EKSClusterAdminAccess\"]\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "name",
            format!("{ps}  name = \"bad name!\""),
            "Invalid role name",
        ),
        (
            "name",
            format!("{ps}  name = \"{}\"", "x".repeat(65)),
            "Invalid role name",
        ),
        ("path", format!("{ps}  path = \"eks\""), "Invalid role path"),
        (
            "max_session_duration",
            format!("{ps}  max_session_duration = 60"),
            "Invalid max_session_duration",
        ),
        (
            "max_session_duration",
            format!("{ps}  max_session_duration = 43201"),
            "Invalid max_session_duration",
        ),
        (
            "additional_policy_json",
            format!("{ps}  additional_policy_json = \"{{not json\""),
            "Invalid additional_policy_json",
        ),
        (
            "additional_policy_json",
            format!(
                "{ps}  additional_policy_json = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = \"s3:*\", Resource = \"*\", Principal = \"*\" }}] }})"
            ),
            "Invalid additional_policy_json",
        ),
        // The grammar inline_policy shares (issue 11): the message names the
        // statement's element.
        (
            "additional_policy_json",
            format!(
                "{ps}  additional_policy_json = jsonencode({{ Version = \"2012-10-17\", Statement = [{{ Effect = \"Permit\", Action = \"s3:*\", Resource = \"*\" }}] }})"
            ),
            "Statement[0].Effect",
        ),
        (
            "additional_policy_json",
            format!(
                "{ps}  additional_policy_json = jsonencode({{ Version = \"2020-01-01\", Statement = [{{ Effect = \"Allow\", Action = \"s3:*\", Resource = \"*\" }}] }})"
            ),
            "Version: \"2020-01-01\" is not a policy language version",
        ),
        (
            "trusted_role_arns",
            format!("{ps}  trusted_role_arns = [\"arn:aws:iam::{ACCOUNT}:role/*\"]"),
            "Invalid trusted principal ARN",
        ),
        (
            "managed_policy_arns",
            format!("{ps}  managed_policy_arns = [\"ReadOnlyAccess\"]"),
            "Invalid managed policy ARN",
        ),
        (
            "permissions_boundary",
            format!("{ps}  permissions_boundary = \"arn:aws:s3:::bucket\""),
            "Invalid permissions boundary",
        ),
        (
            "permissions",
            format!("{ps}  permissions = \"admin\""),
            "Unknown permissions preset",
        ),
        (
            "trusted_permission_sets",
            "  trusted_permission_sets = [\"This_Name_Is_Longer_Than_32_Chars\"]".to_string(),
            "Invalid permission set name",
        ),
        (
            "trusted_permission_sets",
            "  trusted_permission_sets = []\n  trusted_role_arns = []".to_string(),
            "No trusted principal",
        ),
        (
            "policy_name",
            format!("{ps}  policy_name = \"{}\"", "p".repeat(129)),
            "Invalid policy name",
        ),
    ];
    assert!(cases.len() >= 10);
    emu.clear_requests();
    for (attr, body, summary) in &cases {
        tf.write(&config(&emu, "us-east-1", "", body));
        for out in [tf.validate(), tf.plan_raw()] {
            assert!(!out.success(), "{attr}: accepted\n{out}");
            out.assert_contains(summary);
            // Terraform shows the offending line of configuration: the
            // diagnostic carried this attribute's path.
            out.assert_contains(&format!("{attr} ="));
            out.assert_contains("eks_cluster_creator_role");
        }
    }
    let requests = emu.requests();
    assert!(
        requests.is_empty(),
        "AWS was called for invalid input: {requests:?}"
    );

    // Control: the log does record calls, so the emptiness above means something.
    tf.write(&config(&emu, "us-east-1", "", ps));
    tf.plan();
    assert!(
        emu.count("sts", "GetCallerIdentity") >= 1,
        "{:?}",
        emu.requests()
    );
}
