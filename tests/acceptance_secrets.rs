//! The secrets canary: credentials never leave the provider's memory.
//!
//! Real Terraform plans, applies and destroys a grant, a creator role and
//! the three data sources with `TF_LOG=TRACE`, while every credential in
//! play is a canary, a random string made for this run. The provider block
//! has no credential arguments; credentials arrive from the environment or
//! from the files its settings name, so each test covers one source:
//! - the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_SESSION_TOKEN`), which both sides read first, with each side's
//!   `assume_role`;
//! - credentials files, one per side (`shared_credentials_files` + `profile`,
//!   and `sso { shared_credentials_files, profile }`), with the cluster
//!   side's `assume_role`.
//!
//! The temporary credentials STS issues for `assume_role` are canaries too,
//! read back from the emulator (`GET /_emulator/sts/sessions`).
//!
//! None may occur in Terraform's log, the provider's own stderr, the state
//! file, `terraform show -json` of the saved plan and of the state, the
//! outputs, or any command's stdout and stderr. The request log proves each
//! canary really signed requests, and a planted occurrence proves the
//! scanner finds what it looks for.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};
use support::examples::setup_world;
use support::{ACCOUNT, Emulator, Output, Tf, hcl_string, paths, required_providers};

const MEMBER: &str = "111122223333";
const ORG_ROLE: &str = "OrganizationAccountAccessRole";
const CLUSTER: &str = "canary-cluster";
const CLUSTER_PROFILE: &str = "canary-cluster";
const SSO_PROFILE: &str = "canary-sso";
/// The Identity Center side's role in the management account, assumed by
/// `sso { assume_role }` in the environment run.
const SSO_ROLE: &str = "IdentityCenterAdmin";

/// `len` random characters from `alphabet`.
fn random(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A canary access key ID: the shape of a real one (`AKIA` or `ASIA` plus
/// 16 upper-case letters and digits), so no client rejects it as malformed.
fn key_id(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    )
}

/// A canary secret or token: random alphanumerics of a real one's length.
fn secret(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Named canaries: what each value is, and the value.
struct Canaries(Vec<(String, String)>);

impl Canaries {
    fn push(&mut self, what: impl Into<String>, value: impl Into<String>) {
        let value = value.into();
        assert!(
            value.len() >= 16,
            "a canary must be unmistakable: {value:?}"
        );
        self.0.push((what.into(), value));
    }
}

/// Everything the run wrote that a user, a log collector or a state
/// backend could see: where it came from, and its text.
#[derive(Default)]
struct Places(Vec<(String, String)>);

impl Places {
    fn add(&mut self, place: impl Into<String>, text: impl Into<String>) {
        self.0.push((place.into(), text.into()));
    }

    fn command(&mut self, what: &str, out: &Output) {
        self.add(format!("{what}: stdout"), out.stdout.clone());
        self.add(format!("{what}: stderr"), out.stderr.clone());
    }

    fn file(&mut self, place: &str, path: &Path) {
        let text = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        self.add(place, String::from_utf8_lossy(&text).into_owned());
    }

    fn bytes(&self) -> usize {
        self.0.iter().map(|(_, t)| t.len()).sum()
    }
}

/// The first line of `text` holding `value`, with the value masked and
/// the line cut short, to show where a leak happened.
fn first_line_with(text: &str, value: &str) -> String {
    let line = text.lines().find(|l| l.contains(value)).unwrap_or_default();
    let masked = line.replace(value, "<canary>");
    masked.chars().take(400).collect()
}

/// Each (place, canary, count) with at least one occurrence.
fn leaks(places: &Places, canaries: &Canaries) -> Vec<(String, String, usize)> {
    let mut found = Vec::new();
    for (place, text) in &places.0 {
        for (what, value) in &canaries.0 {
            let n = text.matches(value.as_str()).count();
            if n > 0 {
                found.push((place.clone(), what.clone(), n));
            }
        }
    }
    found
}

/// The built provider behind a wrapper that copies its stderr to `log`,
/// so what the provider itself wrote is checked, not only what Terraform
/// chose to relay into its own log.
fn provider_with_stderr_copy(dir: &Path, log: &Path) -> PathBuf {
    let wrapper = dir.join("provider-with-stderr-copy");
    let script = format!(
        "#!/bin/bash\nexec 2> >(tee -a {log} >&2)\nexec {bin} \"$@\"\n",
        log = shell_quote(&log.to_string_lossy()),
        bin = shell_quote(&paths::provider_binary().to_string_lossy()),
    );
    fs::write(&wrapper, script).expect("write provider wrapper");
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod wrapper");
    wrapper
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where the canary credentials come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    /// The environment, for both sides, each with its own `assume_role`.
    Environment,
    /// One credentials file per side, named in the provider block.
    Files,
}

/// One set of canary credentials: key ID, secret, session token.
struct Keys {
    id: String,
    secret: String,
    token: String,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            id: key_id("ASIA"),
            secret: secret(40),
            token: secret(356),
        }
    }

    fn add_to(&self, canaries: &mut Canaries, side: &str) {
        canaries.push(format!("{side} access key ID"), &self.id);
        canaries.push(format!("{side} secret access key"), &self.secret);
        canaries.push(format!("{side} session token"), &self.token);
    }

    /// A credentials-file profile holding these keys.
    fn profile(&self, name: &str) -> String {
        format!(
            "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            self.id, self.secret, self.token
        )
    }
}

/// The provider block for `source` (files: the two credentials files).
fn provider_block(source: Source, cluster_file: &Path, sso_file: &Path) -> String {
    let cluster_role = format!(
        "  assume_role {{\n    role_arn     = \"arn:aws:iam::{MEMBER}:role/{ORG_ROLE}\"\n    session_name = \"canary\"\n  }}\n"
    );
    match source {
        Source::Environment => format!(
            "provider \"eks\" {{\n  region = \"us-east-1\"\n{cluster_role}\n  sso {{\n    region = \"us-east-1\"\n    assume_role {{\n      role_arn     = \"arn:aws:iam::{ACCOUNT}:role/{SSO_ROLE}\"\n      session_name = \"canary-sso\"\n    }}\n  }}\n}}\n"
        ),
        Source::Files => format!(
            "provider \"eks\" {{\n  region                   = \"us-east-1\"\n  profile                  = {}\n  shared_credentials_files = [{}]\n{cluster_role}\n  sso {{\n    region                   = \"us-east-1\"\n    profile                  = {}\n    shared_credentials_files = [{}]\n  }}\n}}\n",
            hcl_string(CLUSTER_PROFILE),
            hcl_string(&cluster_file.to_string_lossy()),
            hcl_string(SSO_PROFILE),
            hcl_string(&sso_file.to_string_lossy()),
        ),
    }
}

/// J1's grant, creator role and the three data sources, with outputs.
const RESOURCES: &str = r#"
resource "eks_cluster_creator_role" "creator" {
  trusted_permission_sets = ["EKSClusterAdminAccess"]
}

resource "eks_sso_admin_access" "admins" {
  account_id    = "111122223333"
  cluster_names = ["canary-cluster"]
  groups        = ["EKS_Cluster_Admins"]

  permission_set {
    name = "EKSClusterAdminAccess"
    inline_policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = eks_cluster_creator_role.creator.arn
      }]
    })
  }

  access_policy {
    policy = "AmazonEKSClusterAdminPolicy"
  }
}

data "eks_sso_reserved_role" "admins" {
  permission_set_name = eks_sso_admin_access.admins.permission_set.name
  depends_on          = [eks_sso_admin_access.admins]
}

data "eks_sso_cli_profile" "admins" {
  profile_name             = "admins"
  account_id               = "111122223333"
  permission_set_name      = eks_sso_admin_access.admins.permission_set.name
  assume_role_arn          = eks_cluster_creator_role.creator.arn
  assume_role_profile_name = "creator"
}

data "eks_kubeconfig" "admins" {
  cluster_name = "canary-cluster"
  aws_profile  = data.eks_sso_cli_profile.admins.profile_name
  depends_on   = [eks_sso_admin_access.admins]
}

output "reserved_role_arn" {
  value = data.eks_sso_reserved_role.admins.arn
}

output "aws_config" {
  value = data.eks_sso_cli_profile.admins.config
}

output "kubeconfig" {
  value = data.eks_kubeconfig.admins.kubeconfig
}
"#;

/// The sessions STS issued to the provider's `assume_role` named `session`.
fn sessions_named<'a>(sessions: &'a [Value], session: &str) -> Vec<&'a Value> {
    sessions
        .iter()
        .filter(|s| {
            s["arn"]
                .as_str()
                .is_some_and(|a| a.ends_with(&format!("/{session}")))
        })
        .collect()
}

fn key_of(session: &Value) -> &str {
    session["access_key_id"].as_str().unwrap_or_default()
}

fn canary_run(source: Source) {
    let emu = Emulator::start();
    setup_world(
        &emu,
        &json!({
            "sso": {"region": "us-east-1", "groups": ["EKS_Cluster_Admins"], "users": []},
            "management_account": ACCOUNT,
            "accounts": {MEMBER: {"org_role": ORG_ROLE, "clusters": [{"region": "us-east-1", "name": CLUSTER}]}},
        }),
    );
    if source == Source::Environment {
        emu.create_role(json!({
            "account": ACCOUNT,
            "name": SSO_ROLE,
            "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]},
            "managed_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
        }));
    }

    let mut canaries = Canaries(Vec::new());
    let (cluster_keys, sso_keys) = (Keys::new(), Keys::new());
    let files = tempfile::Builder::new()
        .prefix("eks-canary-")
        .tempdir()
        .expect("temp dir");
    let cluster_file = files.path().join("cluster-credentials");
    let sso_file = files.path().join("sso-credentials");
    let provider_stderr = files.path().join("provider-stderr.log");
    let tf_log = files.path().join("terraform-trace.log");
    let wrapper = provider_with_stderr_copy(files.path(), &provider_stderr);
    let mut tf = Tf::with_provider(&emu, "us-east-1", &wrapper);
    match source {
        Source::Environment => {
            cluster_keys.add_to(&mut canaries, "environment");
            tf.set_env("AWS_ACCESS_KEY_ID", &cluster_keys.id);
            tf.set_env("AWS_SECRET_ACCESS_KEY", &cluster_keys.secret);
            tf.set_env("AWS_SESSION_TOKEN", &cluster_keys.token);
        }
        Source::Files => {
            cluster_keys.add_to(&mut canaries, "cluster-side file");
            sso_keys.add_to(&mut canaries, "sso-side file");
            fs::write(&cluster_file, cluster_keys.profile(CLUSTER_PROFILE))
                .expect("write the cluster side's credentials file");
            fs::write(&sso_file, sso_keys.profile(SSO_PROFILE))
                .expect("write the SSO side's credentials file");
            tf.unset_env("AWS_ACCESS_KEY_ID");
            tf.unset_env("AWS_SECRET_ACCESS_KEY");
        }
    }
    tf.set_env("TF_LOG", "TRACE");
    tf.set_env("TF_LOG_PATH", &tf_log.to_string_lossy());
    tf.write(&format!(
        "{}\n{}{RESOURCES}",
        required_providers(),
        provider_block(source, &cluster_file, &sso_file)
    ));

    let mut places = Places::default();
    let plan = tf.run_ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
    places.command("plan", &plan);
    let shown = tf.run_ok(&["show", "-json", "tfplan"]);
    assert!(
        shown.json()["resource_changes"]
            .as_array()
            .is_some_and(|a| a.len() >= 2),
        "the saved plan must hold the resources: {}",
        shown.stdout
    );
    places.command("show -json tfplan", &shown);
    places.command(
        "apply tfplan",
        &tf.run_ok(&["apply", "-input=false", "-no-color", "tfplan"]),
    );
    places.command("output -json", &tf.run_ok(&["output", "-json"]));
    places.command("show -json", &tf.run_ok(&["show", "-json"]));
    places.file("terraform.tfstate", &tf.dir().join("terraform.tfstate"));
    places.command("destroy", &tf.destroy());
    places.file(
        "terraform.tfstate after destroy",
        &tf.dir().join("terraform.tfstate"),
    );
    places.file("TF_LOG_PATH (TRACE)", &tf_log);
    places.file("provider stderr", &provider_stderr);

    // Every temporary credential STS issued is a canary too; the provider's
    // sessions are the ones named after its assume_role settings.
    let sessions = emu.sts_sessions();
    for (i, s) in sessions.iter().enumerate() {
        for key in ["access_key_id", "secret_access_key", "session_token"] {
            let value = s[key].as_str().unwrap_or_default();
            canaries.push(format!("STS session {i} ({}) {key}", s["arn"]), value);
        }
    }
    let cluster_sessions = sessions_named(&sessions, &format!("{ORG_ROLE}/canary"));
    assert!(
        !cluster_sessions.is_empty(),
        "the cluster side's assume_role issued no session: {sessions:?}"
    );

    // Each canary key really signed requests, so the values were in the
    // provider's hands.
    let requests = emu.requests();
    let signed = |key: &str, service: &str| {
        requests
            .iter()
            .any(|r| r.service == service && r.access_key_id.as_deref() == Some(key))
    };
    let signed_by_any =
        |sessions: &[&Value], service: &str| sessions.iter().any(|s| signed(key_of(s), service));
    assert!(
        signed(&cluster_keys.id, "sts"),
        "the cluster side's base key never called STS"
    );
    assert!(
        signed_by_any(&cluster_sessions, "eks") && signed_by_any(&cluster_sessions, "iam"),
        "the cluster side's session never called EKS and IAM"
    );
    match source {
        Source::Environment => {
            let sso_sessions = sessions_named(&sessions, &format!("{SSO_ROLE}/canary-sso"));
            assert!(
                signed_by_any(&sso_sessions, "sso-admin")
                    && signed_by_any(&sso_sessions, "identitystore"),
                "the SSO side's assume_role session never called Identity Center: {sessions:?}"
            );
        }
        Source::Files => assert!(
            signed(&sso_keys.id, "sso-admin") && signed(&sso_keys.id, "identitystore"),
            "the SSO side's file key never called Identity Center"
        ),
    }

    // The logs are not empty by accident: TRACE reached the provider, whose
    // own lines are in both Terraform's log and its stderr.
    let text_of = |place: &str| {
        places
            .0
            .iter()
            .find(|(p, _)| p == place)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    };
    let trace = text_of("TF_LOG_PATH (TRACE)");
    assert!(trace.contains("[TRACE]"), "Terraform wrote no TRACE lines");
    assert!(
        trace.contains("provider.terraform-provider-eks"),
        "the provider's lines are missing from Terraform's log"
    );
    let stderr = text_of("provider stderr");
    assert!(
        stderr.contains("\"@level\":\"trace\"") || stderr.contains("\"@level\":\"debug\""),
        "the provider logged nothing at TRACE/DEBUG:\n{stderr}"
    );
    eprintln!(
        "[{source:?}] scanned {} places, {} bytes (Terraform TRACE log {} bytes, provider stderr {} bytes) for {} canaries ({} STS sessions)",
        places.0.len(),
        places.bytes(),
        trace.len(),
        stderr.len(),
        canaries.0.len(),
        sessions.len()
    );

    let found = leaks(&places, &canaries);
    let text_at = |place: &str| text_of(place);
    let value_of = |what: &str| {
        canaries
            .0
            .iter()
            .find(|(w, _)| w == what)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    assert!(
        found.is_empty(),
        "credentials leaked:\n{}",
        found
            .iter()
            .map(|(place, what, n)| format!(
                "  {n} x {what} in {place}, e.g.: {}",
                first_line_with(text_at(place), value_of(what))
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The scanner finds what it looks for: each canary planted once in a
    // copy of a place (a different place for each, in turn) is reported
    // there exactly once, and nowhere else.
    for (i, (what, value)) in canaries.0.iter().enumerate() {
        let mut planted = Places::default();
        for (place, text) in &places.0 {
            planted.add(place.clone(), text.clone());
        }
        let at = i % planted.0.len();
        planted.0[at]
            .1
            .push_str(&format!("\n{{\"planted\":\"{value}\"}}\n"));
        let got = leaks(&planted, &canaries);
        assert_eq!(
            got,
            vec![(planted.0[at].0.clone(), what.clone(), 1)],
            "planted {what} in {} once",
            planted.0[at].0
        );
    }
}

#[test]
fn environment_credentials_never_reach_logs_state_plan_or_output() {
    canary_run(Source::Environment);
}

#[test]
fn credentials_file_credentials_never_reach_logs_state_plan_or_output() {
    canary_run(Source::Files);
}
