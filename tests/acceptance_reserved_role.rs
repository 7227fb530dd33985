//! `data "eks_sso_reserved_role"` through real Terraform against the emulator.
//!
//! Identity Center state is created the way an administrator would: an
//! instance and group through the emulator's setup call, then the permission
//! set and account assignment through the sso-admin API (tools/sso_fixture.py).

mod support;

use regex::Regex;
use serde_json::{Value, json};
use support::{ACCOUNT, Emulator, GrantWait, Tf, hcl_string, provider_config};

const GROUP: &str = "EKS_Cluster_Admins";

/// Starts an emulator with one Identity Center instance in `sso_region`;
/// returns it with the instance ARN and the group's ID.
fn sso(sso_region: &str) -> (Emulator, String, String) {
    let emulator = Emulator::start();
    let setup = emulator.sso_setup(json!({"region": sso_region, "groups": [GROUP], "users": []}));
    let instance = setup["instance_arn"]
        .as_str()
        .unwrap_or_else(|| panic!("no instance_arn in {setup}"))
        .to_string();
    let group = setup["groups"][GROUP]
        .as_str()
        .unwrap_or_else(|| panic!("no group id in {setup}"))
        .to_string();
    (emulator, instance, group)
}

/// A configuration reading the reserved role for each `(label, permission set, wait)`.
fn config(
    emulator: &Emulator,
    region: &str,
    sso_region: &str,
    reads: &[(&str, &str, Option<&str>)],
) -> String {
    let mut hcl = provider_config(
        emulator,
        region,
        &format!("  sso {{\n    region = {}\n  }}\n", hcl_string(sso_region)),
    );
    for (label, ps, wait) in reads {
        hcl.push_str(&format!(
            "\ndata \"eks_sso_reserved_role\" \"{label}\" {{\n  permission_set_name = {}\n",
            hcl_string(ps)
        ));
        if let Some(w) = wait {
            hcl.push_str(&format!("  wait = {}\n", hcl_string(w)));
        }
        hcl.push_str("}\n");
        hcl.push_str(&format!(
            "\noutput \"{label}\" {{\n  value = {{\n    name = data.eks_sso_reserved_role.{label}.name\n    arn = data.eks_sso_reserved_role.{label}.arn\n    arn_without_path = data.eks_sso_reserved_role.{label}.arn_without_path\n    path = data.eks_sso_reserved_role.{label}.path\n    unique_id = data.eks_sso_reserved_role.{label}.unique_id\n  }}\n}}\n"
        ));
    }
    hcl
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing or not a string in {v}"))
}

/// Checks every output attribute against the role the fixture saw through IAM.
fn assert_role(out: &Value, permission_set: &str, expected_path: &str, fixture: &Value) {
    let name = str_field(out, "name");
    let pattern = Regex::new(&format!(
        "^AWSReservedSSO_{}_[0-9a-f]{{16}}$",
        regex::escape(permission_set)
    ))
    .unwrap();
    assert!(pattern.is_match(name), "unexpected role name {name}");
    assert_eq!(name, str_field(fixture, "role_name"));
    assert_eq!(str_field(out, "path"), expected_path);
    assert_eq!(
        str_field(out, "arn"),
        format!("arn:aws:iam::{ACCOUNT}:role{expected_path}{name}")
    );
    assert_eq!(
        str_field(out, "arn_without_path"),
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    );
    assert_eq!(str_field(out, "unique_id"), str_field(fixture, "role_id"));
}

#[test]
fn found_with_sso_in_us_east_1_has_no_region_segment() {
    let (emulator, instance, group) = sso("us-east-1");
    let fixture = emulator.grant(
        "us-east-1",
        &instance,
        "EKSClusterAdminAccess",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
    );
    assert_eq!(
        str_field(&fixture, "role_path"),
        "/aws-reserved/sso.amazonaws.com/"
    );

    let tf = Tf::new(&emulator);
    tf.write(&config(
        &emulator,
        "us-east-1",
        "us-east-1",
        &[("admin", "EKSClusterAdminAccess", None)],
    ));
    tf.apply();
    assert_role(
        &tf.output("admin"),
        "EKSClusterAdminAccess",
        "/aws-reserved/sso.amazonaws.com/",
        &fixture,
    );
    assert!(
        tf.plan_is_empty(),
        "a data source alone must plan empty after apply"
    );
}

#[test]
fn found_with_sso_in_eu_west_1_keeps_the_region_segment() {
    let (emulator, instance, group) = sso("eu-west-1");
    let fixture = emulator.grant(
        "eu-west-1",
        &instance,
        "K8StudioEKSExec",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
    );
    let path = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
    assert_eq!(str_field(&fixture, "role_path"), path);

    let tf = Tf::with_region(&emulator, "eu-west-1");
    tf.write(&config(
        &emulator,
        "eu-west-1",
        "eu-west-1",
        &[("exec", "K8StudioEKSExec", None)],
    ));
    tf.apply();
    assert_role(&tf.output("exec"), "K8StudioEKSExec", path, &fixture);
}

#[test]
fn not_found_names_the_permission_set_and_account() {
    let (emulator, instance, _group) = sso("us-east-1");
    // The permission set exists but was never assigned, so no role exists.
    emulator.grant(
        "us-east-1",
        &instance,
        "PlatformReadOnly",
        ACCOUNT,
        None,
        GrantWait::Nothing,
    );

    let tf = Tf::new(&emulator);
    tf.write(&config(
        &emulator,
        "us-east-1",
        "us-east-1",
        &[("ro", "PlatformReadOnly", None)],
    ));
    let out = tf.apply_expect_error();
    out.assert_diagnostic_contains("PlatformReadOnly")
        .assert_diagnostic_contains(ACCOUNT);
}

#[test]
fn wait_succeeds_when_the_role_appears_mid_wait() {
    let (emulator, instance, group) = sso("us-east-1");
    emulator.config(json!({"assignment_delay": 4, "role_visibility_delay": 3}));
    emulator.grant(
        "us-east-1",
        &instance,
        "EKSClusterAdminAccess",
        ACCOUNT,
        Some(&group),
        GrantWait::Nothing,
    );
    emulator.clear_requests();

    let tf = Tf::new(&emulator);
    tf.write(&config(
        &emulator,
        "us-east-1",
        "us-east-1",
        &[("admin", "EKSClusterAdminAccess", Some("30s"))],
    ));
    tf.apply();

    let out = tf.output("admin");
    let name = str_field(&out, "name");
    assert!(
        name.starts_with("AWSReservedSSO_EKSClusterAdminAccess_"),
        "{out}"
    );
    // More than one lookup proves the first one came back empty and the data
    // source kept polling until the role appeared.
    let lookups = emulator.count("iam", "ListRoles");
    assert!(
        lookups >= 2,
        "expected repeated ListRoles while waiting, saw {lookups}: {:#?}",
        emulator.requests()
    );
}

#[test]
fn admin_does_not_match_admin_prod_role() {
    let (emulator, instance, group) = sso("us-east-1");
    emulator.grant(
        "us-east-1",
        &instance,
        "Admin_Prod",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
    );
    emulator.grant(
        "us-east-1",
        &instance,
        "Admin",
        ACCOUNT,
        None,
        GrantWait::Nothing,
    );

    let tf = Tf::new(&emulator);
    tf.write(&config(
        &emulator,
        "us-east-1",
        "us-east-1",
        &[("admin", "Admin", None)],
    ));
    let out = tf.apply_expect_error();
    out.assert_diagnostic_contains(ACCOUNT);
    let names_admin = Regex::new(r"\bAdmin\b").unwrap();
    assert!(
        names_admin.is_match(&out.diagnostics()),
        "the error should name permission set Admin\n{out}"
    );
    assert!(
        !out.combined().contains("AWSReservedSSO_Admin_Prod_"),
        "Admin must not resolve to the Admin_Prod role\n{out}"
    );
}

#[test]
fn admin_and_admin_prod_each_resolve_to_their_own_role() {
    let (emulator, instance, group) = sso("us-east-1");
    let prod = emulator.grant(
        "us-east-1",
        &instance,
        "Admin_Prod",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
    );
    let admin = emulator.grant(
        "us-east-1",
        &instance,
        "Admin",
        ACCOUNT,
        Some(&group),
        GrantWait::Role,
    );

    let tf = Tf::new(&emulator);
    tf.write(&config(
        &emulator,
        "us-east-1",
        "us-east-1",
        &[("admin", "Admin", None), ("prod", "Admin_Prod", None)],
    ));
    tf.apply();
    let path = "/aws-reserved/sso.amazonaws.com/";
    assert_role(&tf.output("admin"), "Admin", path, &admin);
    assert_role(&tf.output("prod"), "Admin_Prod", path, &prod);
}
