//! Journey J1's trust chain, end to end, with the clients a user runs.
//!
//! Real Terraform applies `examples/blog-sso-admin` unchanged (plus one
//! test-only file with a second permission set, see [`LOOKALIKE_TF`]). The
//! AWS CLI from the project venv then uses exactly the profiles
//! `data.eks_sso_cli_profile` rendered, with an SSO token in
//! `~/.aws/sso/cache` the way `aws sso login` leaves it, against the
//! emulator's access portal (`sso` GetRoleCredentials) and STS, which
//! evaluates the creator role's trust policy (tests/emulator/emu_trust.py):
//!
//! 1. the SSO profile is `assumed-role/AWSReservedSSO_<set>_<suffix>/<user>`;
//! 2. the chained creator profile is `assumed-role/EKSClusterCreator/...`;
//! 3. after the assignment is removed and re-added out of band (Identity
//!    Center makes the reserved role again, with a new suffix) and one
//!    `terraform apply`, step 2 still works;
//! 4. the reserved role of another permission set, whose own policy allows
//!    `sts:AssumeRole` on the creator role, is refused by the trust policy.
//!
//! Only the venv's AWS CLI v1 runs these steps: the machine's v2 (2.9)
//! predates `AWS_ENDPOINT_URL` (2.13), so it could only reach real AWS.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::{Value, json};
use support::clients::{ClientRun, run_client};
use support::examples::{aws_cli, copy_example, emulator_specific_text, setup_world};
use support::{ACCOUNT, Emulator, Tf, paths};

/// The member account of the seed: cluster, creator role, reserved roles.
const MEMBER: &str = "111122223333";
const ORG_ROLE: &str = "OrganizationAccountAccessRole";
const CLUSTER: &str = "blog-cluster";
const PERMISSION_SET: &str = "EKSClusterAdminAccess";
const CREATOR: &str = "EKSClusterCreator";
/// The example's defaults for its two CLI profiles.
const SSO_PROFILE: &str = "EKSClusterAdminAccess-EKSAccount1";
const CREATOR_PROFILE: &str = "EKSClusterCreator-EKSAccount1";
const ADMIN_USER: &str = "eksadmin";
/// A permission set whose name only extends J1's, and its user's profiles.
const LOOKALIKE_SET: &str = "EKSClusterAdminAccess_Extra";
const LOOKALIKE_USER: &str = "bob";
const LOOKALIKE_PROFILE: &str = "Lookalike";
const LOOKALIKE_CREATOR_PROFILE: &str = "Lookalike-Creator";

/// Added beside the example: a second grant whose inline policy allows
/// `sts:AssumeRole` on the creator role, so that only the creator role's
/// trust policy can refuse it, and the profiles for its user (own
/// sso-session name, so both tokens share one `~/.aws/sso/cache`).
const LOOKALIKE_TF: &str = r#"
resource "eks_sso_admin_access" "lookalike" {
  account_id    = var.account_id
  cluster_names = [var.cluster_name]
  groups        = ["EKS_Lookalikes"]

  permission_set {
    name = "EKSClusterAdminAccess_Extra"
    inline_policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid      = "AssumeClusterCreatorRole"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = eks_cluster_creator_role.creator.arn
      }]
    })
  }

  access_policy {
    policy = "AmazonEKSViewPolicy"
  }
}

data "eks_sso_cli_profile" "lookalike" {
  profile_name             = "Lookalike"
  account_id               = var.account_id
  permission_set_name      = eks_sso_admin_access.lookalike.permission_set.name
  region                   = var.region
  sso_session_name         = "sso-lookalike"
  assume_role_arn          = eks_cluster_creator_role.creator.arn
  assume_role_profile_name = "Lookalike-Creator"
}

output "lookalike_aws_config" {
  value = data.eks_sso_cli_profile.lookalike.config
}

output "lookalike_reserved_role_name" {
  value = eks_sso_admin_access.lookalike.reserved_role_name
}
"#;

/// A HOME for the AWS CLI: `~/.aws/config` and the SSO token cache, and
/// nothing else (no credentials file, no environment credentials).
struct CliHome {
    dir: tempfile::TempDir,
}

impl CliHome {
    fn new(config: &str) -> CliHome {
        let dir = tempfile::Builder::new()
            .prefix("eks-aws-cli-")
            .tempdir()
            .expect("temp HOME for the AWS CLI");
        fs::create_dir_all(dir.path().join(".aws/sso/cache")).expect("sso cache dir");
        fs::write(dir.path().join(".aws/config"), config).expect("write AWS config");
        CliHome { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Caches `token` (from the emulator's `sso_token` control) for the
    /// sso-session `session`, as `aws sso login` does. botocore's
    /// SSOTokenLoader names the file after the SHA-1 of the session name for
    /// `sso_session` profiles (of the start URL only for legacy profiles
    /// without one), and reads `accessToken` and `expiresAt` from it.
    fn cache_token(&self, session: &str, token: &Value) {
        let cached = json!({
            "startUrl": token["startUrl"],
            "region": token["region"],
            "accessToken": token["accessToken"],
            "expiresAt": token["expiresAt"],
        });
        let file = self.path(&format!(".aws/sso/cache/{}.json", sha1_hex(session)));
        fs::write(&file, cached.to_string()).expect("write SSO token cache");
    }

    /// Drops the CLI's cache of assumed-role credentials
    /// (`~/.aws/cli/cache`), so the next call assumes the role again instead
    /// of reusing a session from before.
    fn forget_cached_credentials(&self) {
        let cache = self.path(".aws/cli/cache");
        if cache.exists() {
            fs::remove_dir_all(&cache).expect("remove the CLI's credential cache");
        }
    }

    /// The venv's AWS CLI in this HOME, every service at the emulator.
    fn aws(&self, emu: &Emulator, args: &[&str]) -> ClientRun {
        let config = self.path(".aws/config");
        let no_credentials = self.path(".aws/credentials");
        run_client(
            &aws_cli(),
            args,
            &[
                ("HOME", self.dir.path()),
                ("AWS_CONFIG_FILE", config.as_path()),
                ("AWS_SHARED_CREDENTIALS_FILE", no_credentials.as_path()),
                ("AWS_ENDPOINT_URL", Path::new(emu.endpoint())),
                ("AWS_EC2_METADATA_DISABLED", Path::new("true")),
            ],
        )
    }

    /// `aws sts get-caller-identity --profile <profile>`, printed (the run
    /// log of this test is the evidence) and parsed.
    fn caller_identity(&self, emu: &Emulator, profile: &str) -> Value {
        let run = self.aws(
            emu,
            &[
                "sts",
                "get-caller-identity",
                "--profile",
                profile,
                "--output",
                "json",
            ],
        );
        eprintln!(
            "$ aws sts get-caller-identity --profile {profile}\n{}{}",
            run.stdout, run.stderr
        );
        if run.code != Some(0) {
            panic!(
                "{} failed ({:?}):\n{}\n--- emulator log ---\n{}",
                run.what,
                run.code,
                run.stderr,
                emu.log()
            );
        }
        run.json()
    }
}

/// SHA-1 of `text` in hex, by the venv's Python (`hashlib`), the same
/// function botocore keys its SSO token cache with.
fn sha1_hex(text: &str) -> String {
    let run = run_client(
        &paths::venv_python(),
        &[
            "-c",
            "import hashlib, sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())",
            text,
        ],
        &[] as &[(&str, &str)],
    )
    .ok();
    run.stdout.trim().to_string()
}

/// The `[sso-session NAME]` names in a rendered config.
fn sso_sessions(config: &str) -> Vec<String> {
    config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[sso-session ")?.strip_suffix(']'))
        .map(str::to_string)
        .collect()
}

fn output_str(tf: &Tf, name: &str) -> String {
    match tf.output(name) {
        Value::String(s) => s,
        other => panic!("output {name} is not a string: {other}"),
    }
}

/// The sts requests since the log was last cleared, as (operation, status).
fn sts_and_portal_calls(emu: &Emulator) -> Vec<(String, String, Option<u16>)> {
    emu.requests()
        .into_iter()
        .filter(|r| r.service == "sts" || r.service == "sso")
        .map(|r| (r.service, r.operation, r.status))
        .collect()
}

fn assert_called(calls: &[(String, String, Option<u16>)], service: &str, op: &str, status: u16) {
    assert!(
        calls
            .iter()
            .any(|(s, o, st)| s == service && o == op && *st == Some(status)),
        "expected {service} {op} -> {status} in {calls:?}"
    );
}

/// Step 1's answer for `user` on the reserved role `role_name`.
fn assert_reserved_session(identity: &Value, role_name: &str, user: &str) {
    assert_eq!(identity["Account"], MEMBER, "{identity}");
    assert_eq!(
        identity["Arn"],
        format!("arn:aws:sts::{MEMBER}:assumed-role/{role_name}/{user}"),
        "{identity}"
    );
}

/// Step 2's answer: a session of the creator role, under the session name
/// botocore picks for a `role_arn` profile without `role_session_name`.
fn assert_creator_session(identity: &Value) {
    assert_eq!(identity["Account"], MEMBER, "{identity}");
    let arn = identity["Arn"].as_str().unwrap_or_default();
    let want = Regex::new(&format!(
        r"^arn:aws:sts::{MEMBER}:assumed-role/{CREATOR}/botocore-session-\d+$"
    ))
    .expect("regex");
    assert!(want.is_match(arn), "not a {CREATOR} session: {identity}");
}

fn assert_reserved_role_name(name: &str, set: &str) {
    let re = Regex::new(&format!(r"^AWSReservedSSO_{set}_[0-9a-f]{{16}}$")).expect("regex");
    assert!(re.is_match(name), "{name} is not a reserved role of {set}");
}

/// Removes and re-adds the group's assignment the way an administrator
/// would (tests/support/aws_oob.py, boto3), waiting for Identity Center to
/// delete the reserved role and make a new one. Returns the new role's name.
fn reassign(emu: &Emulator, instance_arn: &str, permission_set_arn: &str, group_id: &str) -> Value {
    let script = paths::repo_root().join("tests/support/aws_oob.py");
    let org_role = format!("arn:aws:iam::{MEMBER}:role/{ORG_ROLE}");
    let run = run_client(
        &paths::venv_python(),
        &[
            &script.to_string_lossy(),
            "--endpoint",
            emu.endpoint(),
            "--region",
            "us-east-1",
            "reassign",
            "--instance-arn",
            instance_arn,
            "--permission-set-arn",
            permission_set_arn,
            "--account",
            MEMBER,
            "--principal-type",
            "GROUP",
            "--principal-id",
            group_id,
            "--iam-role-arn",
            &org_role,
        ],
        &[
            ("HOME", emu.dir().to_string_lossy().into_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ],
    )
    .ok();
    run.json()
}

#[test]
fn sso_admin_assumes_the_creator_role_through_the_rendered_cli_profiles() {
    let found = emulator_specific_text("blog-sso-admin");
    assert!(found.is_empty(), "{}", found.join("\n"));
    let emu = Emulator::start();
    let world = setup_world(
        &emu,
        &json!({
            "config": {
                "assignment_delay": 0.4,
                "provisioning_delay": 0.3,
                "deletion_delay": 0.3,
                "role_visibility_delay": 0.4,
                "eks_principal_delay": 0.2,
            },
            "sso": {
                "region": "us-east-1",
                "groups": ["EKS_Cluster_Admins", "EKS_Lookalikes"],
                "users": [ADMIN_USER, LOOKALIKE_USER],
                "memberships": {"EKS_Cluster_Admins": [ADMIN_USER], "EKS_Lookalikes": [LOOKALIKE_USER]},
            },
            "management_account": ACCOUNT,
            "accounts": {MEMBER: {"org_role": ORG_ROLE, "clusters": [{"region": "us-east-1", "name": CLUSTER}]}},
        }),
    );
    let mut tf = Tf::with_region(&emu, "us-east-1");
    tf.unset_env("AWS_REGION");
    tf.set_env("TF_VAR_account_id", MEMBER);
    tf.set_env("TF_VAR_cluster_name", CLUSTER);
    copy_example(&tf, "blog-sso-admin");
    tf.write_file("lookalike_test_only.tf", LOOKALIKE_TF);
    tf.apply();

    let reserved = output_str(&tf, "reserved_role_name");
    assert_reserved_role_name(&reserved, PERMISSION_SET);
    let lookalike = output_str(&tf, "lookalike_reserved_role_name");
    assert_reserved_role_name(&lookalike, LOOKALIKE_SET);
    let creator_arn = output_str(&tf, "creator_role_arn");
    assert_eq!(creator_arn, format!("arn:aws:iam::{MEMBER}:role/{CREATOR}"));

    // The rendered profiles, and a token per sso-session, in one HOME.
    let admin_config = output_str(&tf, "aws_config");
    let lookalike_config = output_str(&tf, "lookalike_aws_config");
    let cli = CliHome::new(&format!("{admin_config}\n{lookalike_config}"));
    assert_eq!(sso_sessions(&admin_config), ["sso"]);
    assert_eq!(sso_sessions(&lookalike_config), ["sso-lookalike"]);
    let admin_token = emu.sso_token(ADMIN_USER);
    let lookalike_token = emu.sso_token(LOOKALIKE_USER);
    // The token's start URL is the one the profile points at.
    let start_url = admin_token["startUrl"].as_str().expect("startUrl");
    assert!(
        admin_config.contains(&format!("sso_start_url = {start_url}\n")),
        "{admin_config}"
    );
    cli.cache_token("sso", &admin_token);
    cli.cache_token("sso-lookalike", &lookalike_token);

    // 1. The SSO profile: a session of the reserved role, named after the user.
    emu.clear_requests();
    let id = cli.caller_identity(&emu, SSO_PROFILE);
    assert_reserved_session(&id, &reserved, ADMIN_USER);
    assert_called(
        &sts_and_portal_calls(&emu),
        "sso",
        "GetRoleCredentials",
        200,
    );

    // 2. The chained profile: the reserved role's session assumes the creator role.
    emu.clear_requests();
    let id = cli.caller_identity(&emu, CREATOR_PROFILE);
    assert_creator_session(&id);
    let calls = sts_and_portal_calls(&emu);
    assert_called(&calls, "sso", "GetRoleCredentials", 200);
    assert_called(&calls, "sts", "AssumeRole", 200);

    // 3. The assignment goes and comes back: Identity Center deletes the
    // reserved role and makes a new one with a new suffix.
    let moved = reassign(
        &emu,
        world["sso"]["instance_arn"].as_str().expect("instance arn"),
        &output_str(&tf, "permission_set_arn"),
        world["sso"]["groups"]["EKS_Cluster_Admins"]
            .as_str()
            .expect("group id"),
    );
    let renewed = moved["new_role_name"]
        .as_str()
        .expect("new_role_name")
        .to_string();
    assert_reserved_role_name(&renewed, PERMISSION_SET);
    assert_ne!(
        renewed, reserved,
        "the recreated role must carry a new suffix"
    );
    // The trust matches by pattern, so the creator role works at once ...
    cli.forget_cached_credentials();
    emu.clear_requests();
    assert_creator_session(&cli.caller_identity(&emu, CREATOR_PROFILE));
    assert_called(&sts_and_portal_calls(&emu), "sts", "AssumeRole", 200);
    // ... and one apply moves the access entry to the new role, after which
    // the plan is empty and the chain still works.
    assert!(
        !tf.plan_is_empty(),
        "the new reserved role must plan an update"
    );
    tf.apply();
    assert!(tf.plan_is_empty(), "one apply must converge");
    assert_eq!(output_str(&tf, "reserved_role_name"), renewed);
    cli.forget_cached_credentials();
    emu.clear_requests();
    assert_reserved_session(
        &cli.caller_identity(&emu, SSO_PROFILE),
        &renewed,
        ADMIN_USER,
    );
    let id = cli.caller_identity(&emu, CREATOR_PROFILE);
    assert_creator_session(&id);
    let calls = sts_and_portal_calls(&emu);
    assert_called(&calls, "sts", "AssumeRole", 200);
    assert!(
        !calls.iter().any(|(_, _, st)| *st != Some(200)),
        "every call of the chain must succeed: {calls:?}"
    );

    // 4. Another permission set's reserved role: its own session works, and
    // its policy allows sts:AssumeRole on the creator role, but the creator
    // role's trust refuses it.
    assert_reserved_session(
        &cli.caller_identity(&emu, LOOKALIKE_PROFILE),
        &lookalike,
        LOOKALIKE_USER,
    );
    // The CLI keys its assumed-role cache by role ARN and session settings,
    // not by the source profile: without this, the refused profile would be
    // answered from the admin's cached creator session.
    cli.forget_cached_credentials();
    emu.clear_requests();
    let refused = cli.aws(
        &emu,
        &[
            "sts",
            "get-caller-identity",
            "--profile",
            LOOKALIKE_CREATOR_PROFILE,
        ],
    );
    eprintln!(
        "$ aws sts get-caller-identity --profile {LOOKALIKE_CREATOR_PROFILE}\n{}{}",
        refused.stdout, refused.stderr
    );
    assert_ne!(refused.code, Some(0), "{}", refused.stdout);
    let lookalike_session =
        format!("arn:aws:sts::{MEMBER}:assumed-role/{lookalike}/{LOOKALIKE_USER}");
    let want = format!(
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: {lookalike_session} is not authorized to perform: sts:AssumeRole on resource: {creator_arn}"
    );
    assert!(refused.stderr.contains(&want), "{}", refused.stderr);
    assert_called(&sts_and_portal_calls(&emu), "sts", "AssumeRole", 403);
    // The emulator's evaluation says why: the trust policy, not the
    // identity policy (which allows it).
    let lookalike_role =
        format!("arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/{lookalike}");
    let (allowed, reason) = emu.can_assume(&lookalike_role, &creator_arn);
    assert!(!allowed, "{reason}");
    eprintln!("emulator: {lookalike_role} -> {creator_arn}: {reason}");
    let renewed_role =
        format!("arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/{renewed}");
    let (allowed, reason) = emu.can_assume(&renewed_role, &creator_arn);
    assert!(allowed, "{reason}");

    tf.destroy();
}
