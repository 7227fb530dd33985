//! Credentials as CI runners and HCP Terraform deliver them, through real
//! Terraform against the emulator's STS, with no static keys anywhere:
//!
//! - (a) `AWS_ROLE_ARN` plus `AWS_WEB_IDENTITY_TOKEN_FILE` in the environment;
//! - (b) a shared config file with `web_identity_token_file` and `role_arn`,
//!   the shape HCP Terraform writes for dynamic credentials, given to the
//!   provider's `shared_config_files`;
//! - (c) two such files, one per side: the provider's `shared_config_files`
//!   for the cluster account and `sso { shared_config_files }` for the
//!   Identity Center account, as with HCP's tagged configurations
//!   (`tfc_aws_dynamic_credentials.aliases["sso"].shared_config_file`).
//!
//! The emulator's STS (tests/emulator/emu_sts.py) accepts a token only for a
//! role whose trust policy names the token's OIDC issuer, audience and
//! subject, and records each exchange; its request log shows the account
//! every AWS call acted in.

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use support::examples::setup_world;
use support::{ACCOUNT, AwsRequest, Emulator, Tf, hcl_string, paths, required_providers};

const MEMBER: &str = "111122223333";
const ISSUER: &str = "https://app.terraform.io";
const AUDIENCE: &str = "aws.workload.identity";

/// What one web-identity role setup gave.
struct Federated {
    role_arn: String,
    token_file: PathBuf,
    subject: String,
}

/// An OIDC provider for HCP's issuer and a role trusting it in `account`,
/// plus a token file for `subject` (tests/support/web_identity.py).
fn federate(emu: &Emulator, account: &str, role: &str, subject: &str) -> Federated {
    let token_file = emu.dir().join(format!("{role}.jwt"));
    let mut cmd = Command::new(paths::venv_python());
    cmd.arg(paths::repo_root().join("tests/support/web_identity.py"))
        .args(["--endpoint", emu.endpoint()])
        .args(["--account", account, "--role-name", role])
        .args([
            "--issuer",
            ISSUER,
            "--audience",
            AUDIENCE,
            "--subject",
            subject,
        ])
        .arg("--token-file")
        .arg(&token_file);
    paths::scrub_env(&mut cmd);
    let out = cmd.output().expect("run web_identity.py");
    assert!(
        out.status.success(),
        "web_identity.py failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON from web_identity.py");
    Federated {
        role_arn: v["role_arn"].as_str().expect("role_arn").to_string(),
        token_file,
        subject: subject.to_string(),
    }
}

/// HCP Terraform's shape of a dynamic-credentials config file.
fn hcp_config_file(tf: &Tf, name: &str, fed: &Federated) -> String {
    tf.write_file(
        name,
        &format!(
            "[default]\nweb_identity_token_file = {}\nrole_arn = {}\n",
            fed.token_file.display(),
            fed.role_arn
        ),
    );
    tf.dir().join(name).to_string_lossy().into_owned()
}

/// A working directory with no static credentials at all: only what the
/// test gives it can authenticate.
fn keyless_tf(emu: &Emulator) -> Tf {
    let mut tf = Tf::new(emu);
    tf.unset_env("AWS_ACCESS_KEY_ID");
    tf.unset_env("AWS_SECRET_ACCESS_KEY");
    tf
}

/// The web-identity exchanges the emulator accepted.
fn exchanges(emu: &Emulator) -> Vec<Value> {
    emu.control("GET", "/_emulator/sts/web-identity", None)["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Every signed request the provider made (everything but the unsigned
/// AssumeRoleWithWebIdentity itself).
fn signed(requests: &[AwsRequest]) -> Vec<&AwsRequest> {
    requests
        .iter()
        .filter(|r| r.operation != "AssumeRoleWithWebIdentity")
        .collect()
}

fn creator_role_config(extra: &str) -> String {
    format!(
        "{}\nprovider \"eks\" {{\n  region = \"us-east-1\"\n{extra}}}\n\nresource \"eks_cluster_creator_role\" \"creator\" {{\n  trusted_permission_sets = [\"EKSClusterAdminAccess\"]\n  permissions             = \"eksctl_minimum\"\n}}\n\noutput \"arn\" {{\n  value = eks_cluster_creator_role.creator.arn\n}}\n",
        required_providers()
    )
}

/// Applies the creator role with the credentials `tf` was given and checks
/// it landed in `account` only, through exactly one exchange for `fed`.
fn assert_creator_role_lands_in(emu: &Emulator, tf: &Tf, fed: &Federated, account: &str) {
    emu.clear_requests();
    tf.apply();
    assert_eq!(
        tf.output("arn"),
        json!(format!("arn:aws:iam::{account}:role/EKSClusterCreator"))
    );
    let calls = exchanges(emu);
    assert!(
        !calls.is_empty()
            && calls
                .iter()
                .all(|c| c["role_arn"] == fed.role_arn.as_str()
                    && c["subject"] == fed.subject.as_str()),
        "expected AssumeRoleWithWebIdentity into {} with the run's token: {calls:#?}",
        fed.role_arn
    );
    let requests = emu.requests();
    let iam: Vec<&AwsRequest> = signed(&requests)
        .into_iter()
        .filter(|r| r.service == "iam" || r.service == "sts")
        .collect();
    assert!(!iam.is_empty(), "no IAM calls logged: {requests:?}");
    for r in &iam {
        assert_eq!(
            r.account.as_deref(),
            Some(account),
            "{} {} acted in the wrong account: {requests:?}",
            r.service,
            r.operation
        );
    }
    assert!(
        requests
            .iter()
            .any(|r| r.operation == "AssumeRoleWithWebIdentity"),
        "{requests:?}"
    );
    tf.destroy();
    let state = emu.state();
    assert!(
        !state["iam_roles"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["name"] == "EKSClusterCreator"),
        "destroy left the role: {state:#}"
    );
}

#[test]
fn web_identity_from_the_environment() {
    let emu = Emulator::start();
    let fed = federate(
        &emu,
        MEMBER,
        "ci-runner",
        "organization:acme:project:platform:workspace:eks:run_phase:apply",
    );
    let mut tf = keyless_tf(&emu);
    tf.set_env("AWS_ROLE_ARN", &fed.role_arn);
    tf.set_env(
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        &fed.token_file.to_string_lossy(),
    );
    tf.write(&creator_role_config(""));
    assert_creator_role_lands_in(&emu, &tf, &fed, MEMBER);
}

#[test]
fn hcp_style_shared_config_file() {
    let emu = Emulator::start();
    let fed = federate(
        &emu,
        MEMBER,
        "hcp-run",
        "organization:acme:project:platform:workspace:eks:run_phase:apply",
    );
    let tf = keyless_tf(&emu);
    let file = hcp_config_file(&tf, "hcp-default.cfg", &fed);
    tf.write(&creator_role_config(&format!(
        "  shared_config_files = [{}]\n",
        hcl_string(&file)
    )));
    assert_creator_role_lands_in(&emu, &tf, &fed, MEMBER);
}

#[test]
fn one_file_per_side_each_lands_in_its_own_account() {
    let emu = Emulator::start();
    let cluster = "prod";
    setup_world(
        &emu,
        &json!({
            "config": {"assignment_delay": 0.3, "provisioning_delay": 0.2, "role_visibility_delay": 0.3},
            "sso": {"region": "us-east-1", "groups": ["EKS_Cluster_Admins"]},
            "management_account": ACCOUNT,
            "accounts": {MEMBER: {"org_role": "OrganizationAccountAccessRole", "clusters": [{"region": "us-east-1", "name": cluster}]}},
        }),
    );
    // Two HCP configurations: the default one for the cluster account, a
    // tagged one ("sso") for the Identity Center account, each with its own
    // role and its own token (different run subjects).
    let cluster_fed = federate(
        &emu,
        MEMBER,
        "hcp-cluster",
        "organization:acme:project:platform:workspace:eks:run_phase:apply",
    );
    let sso_fed = federate(
        &emu,
        ACCOUNT,
        "hcp-identity-center",
        "organization:acme:project:identity:workspace:eks:run_phase:apply",
    );
    let tf = keyless_tf(&emu);
    let cluster_file = hcp_config_file(&tf, "hcp-default.cfg", &cluster_fed);
    let sso_file = hcp_config_file(&tf, "hcp-sso.cfg", &sso_fed);
    tf.write(&format!(
        r#"{required}
variable "tfc_aws_dynamic_credentials" {{
  type = object({{
    default = object({{ shared_config_file = string }})
    aliases = map(object({{ shared_config_file = string }}))
  }})
}}

provider "eks" {{
  region              = "us-east-1"
  shared_config_files = [var.tfc_aws_dynamic_credentials.default.shared_config_file]
  sso {{
    region              = "us-east-1"
    shared_config_files = [var.tfc_aws_dynamic_credentials.aliases["sso"].shared_config_file]
  }}
}}

resource "eks_sso_admin_access" "admins" {{
  account_id    = "{MEMBER}"
  cluster_names = ["{cluster}"]
  groups        = ["EKS_Cluster_Admins"]
  permission_set {{
    name = "EKSClusterAdminAccess"
  }}
  access_policy {{
    policy = "AmazonEKSClusterAdminPolicy"
  }}
}}
"#,
        required = required_providers(),
    ));
    // HCP passes the paths as this variable; the test does the same.
    let var = json!({
        "default": {"shared_config_file": cluster_file},
        "aliases": {"sso": {"shared_config_file": sso_file}},
    });
    let mut tf = tf;
    tf.set_env("TF_VAR_tfc_aws_dynamic_credentials", &var.to_string());
    emu.clear_requests();
    tf.apply();

    let calls = exchanges(&emu);
    let by_role = |fed: &Federated| -> Vec<&Value> {
        calls
            .iter()
            .filter(|c| c["role_arn"] == fed.role_arn.as_str())
            .collect()
    };
    let (cluster_calls, sso_calls) = (by_role(&cluster_fed), by_role(&sso_fed));
    assert!(
        !cluster_calls.is_empty() && !sso_calls.is_empty(),
        "each side exchanges its own token: {calls:#?}"
    );
    assert!(
        cluster_calls
            .iter()
            .all(|c| c["subject"] == cluster_fed.subject.as_str())
    );
    assert!(
        sso_calls
            .iter()
            .all(|c| c["subject"] == sso_fed.subject.as_str())
    );

    let requests = emu.requests();
    let mut seen = std::collections::BTreeMap::<&str, std::collections::BTreeSet<String>>::new();
    for r in signed(&requests) {
        seen.entry(r.service.as_str())
            .or_default()
            .insert(r.account.clone().unwrap_or_default());
    }
    let only = |service: &str, account: &str| {
        assert_eq!(
            seen.get(service).cloned().unwrap_or_default(),
            [account.to_string()].into(),
            "{service} calls must all act in {account}: {seen:?}"
        );
    };
    only("eks", MEMBER);
    only("sso-admin", ACCOUNT);
    only("identitystore", ACCOUNT);

    let state = emu.state();
    let entries = state["access_entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        entries.len() == 1 && entries[0]["account"] == MEMBER && entries[0]["cluster"] == cluster,
        "{state:#}"
    );
    assert!(tf.plan_is_empty(), "{}", tf.plan_raw());
    tf.destroy();
    let state = emu.state();
    assert!(
        state["access_entries"]
            .as_array()
            .is_none_or(|a| a.is_empty())
            && state["permission_sets"]
                .as_array()
                .is_none_or(|a| a.is_empty()),
        "destroy left objects: {state:#}"
    );
}
