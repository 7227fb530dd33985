//! Running the directories under `examples/` the way a user would: the HCL is
//! copied unchanged into a Terraform working directory, the emulator is
//! reached only through `AWS_ENDPOINT_URL` and test credentials in the
//! environment, and inputs arrive as `TF_VAR_*`. The AWS world each example
//! assumes (Identity Center, member accounts with OrganizationAccountAccessRole,
//! API-mode clusters) is built by `tools/demo_setup.py`, the same script
//! `make demo` uses.
//!
//! Outputs are handed to the real clients that consume them: `kubectl config
//! view` for kubeconfigs and the AWS CLI (`configure get`) for config text.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::clients::run_client;
use super::emulator::Emulator;
use super::paths;
use super::terraform::Tf;

/// `examples/<name>` in the repository.
pub fn example_dir(name: &str) -> PathBuf {
    paths::repo_root().join("examples").join(name)
}

/// The example's Terraform files (`*.tf`), sorted; panics when there are none.
pub fn example_files(name: &str) -> Vec<PathBuf> {
    let dir = example_dir(name);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "tf"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no .tf files", dir.display());
    files
}

/// Copies the example's `*.tf` files (and nothing else: no state, no
/// `.terraform`) into the working directory of `tf`.
pub fn copy_example(tf: &Tf, name: &str) {
    for file in example_files(name) {
        let text =
            fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        let file_name = file
            .file_name()
            .and_then(|n| n.to_str())
            .expect("example file name");
        tf.write_file(file_name, &text);
    }
}

/// Text in an example that would tie it to the emulator instead of real AWS.
/// The runner injects endpoints through `AWS_ENDPOINT_URL`; an example
/// containing any of these would not work as copied.
pub fn emulator_specific_text(name: &str) -> Vec<String> {
    const FORBIDDEN: &[&str] = &[
        "127.0.0.1",
        "localhost",
        "http://",
        "endpoints",
        "access_key",
        "secret_key",
        "testing",
    ];
    let mut found = Vec::new();
    for file in example_files(name) {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            for needle in FORBIDDEN {
                if line.contains(needle) {
                    found.push(format!("{}:{}: {line}", file.display(), n + 1));
                }
            }
        }
    }
    found
}

/// Builds the world an example starts from (see `tools/demo_setup.py world`)
/// and returns the script's JSON summary.
pub fn setup_world(emulator: &Emulator, spec: &Value) -> Value {
    let script = paths::repo_root().join("tools/demo_setup.py");
    let mut cmd = Command::new(paths::venv_python());
    cmd.arg(&script)
        .arg("world")
        .arg("--endpoint")
        .arg(emulator.endpoint())
        .arg("--spec")
        .arg(spec.to_string())
        .current_dir(paths::repo_root())
        .stdin(Stdio::null());
    paths::scrub_env(&mut cmd);
    cmd.env("HOME", emulator.dir())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    let out = cmd.output().expect("run tools/demo_setup.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo_setup.py world failed ({}):\n{stdout}\n{stderr}\n--- emulator log ---\n{}",
        out.status,
        emulator.log()
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("demo_setup.py printed non-JSON ({e}): {stdout}"))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// kubectl (`EKS_KUBECTL` or PATH). Missing is a failure, not a skip: a check
/// that silently did not run would prove nothing.
pub fn kubectl() -> PathBuf {
    std::env::var_os("EKS_KUBECTL")
        .map(PathBuf::from)
        .or_else(|| find_on_path("kubectl"))
        .unwrap_or_else(|| {
            panic!("kubectl is not installed: run `make clients` (installs Debian's kubernetes-client as root), or set EKS_KUBECTL")
        })
}

/// `kubectl config view -o json` of `kubeconfig`: kubectl's own parse of the YAML.
pub fn kubectl_view(kubeconfig: &str) -> Value {
    let dir = tempfile::tempdir().expect("temp dir for kubectl");
    let file = dir.path().join("config");
    fs::write(&file, kubeconfig).expect("write kubeconfig");
    run_client(
        &kubectl(),
        &["config", "view", "-o", "json"],
        &[("KUBECONFIG", file.as_path()), ("HOME", dir.path())],
    )
    .ok()
    .json()
}

/// The venv's AWS CLI (pinned in tests/requirements.txt).
pub fn aws_cli() -> PathBuf {
    let bin = paths::venv_dir().join("bin/aws");
    assert!(
        bin.is_file(),
        "{} is missing: run `make venv`",
        bin.display()
    );
    bin
}

/// A `~/.aws/config` text as the AWS CLI reads it through `AWS_CONFIG_FILE`.
pub struct AwsConfigFile {
    dir: tempfile::TempDir,
}

impl AwsConfigFile {
    pub fn new(text: &str) -> AwsConfigFile {
        let dir = tempfile::tempdir().expect("temp dir for the AWS config");
        fs::write(dir.path().join("config"), text).expect("write AWS config");
        AwsConfigFile { dir }
    }

    /// `aws configure get <key> --profile <profile>`: the value, or a panic
    /// with the CLI's output when it cannot read the file or the key.
    pub fn get(&self, profile: &str, key: &str) -> String {
        let config = self.dir.path().join("config");
        let missing = self.dir.path().join("credentials");
        let run = run_client(
            &aws_cli(),
            &["configure", "get", key, "--profile", profile],
            &[
                ("AWS_CONFIG_FILE", config.as_path()),
                ("AWS_SHARED_CREDENTIALS_FILE", missing.as_path()),
                ("HOME", self.dir.path()),
            ],
        )
        .ok();
        run.stdout.trim().to_string()
    }
}

/// The one user entry's exec block of a kubeconfig as kubectl parsed it.
pub fn exec_of(view: &Value) -> &Value {
    let users = view["users"].as_array().expect("kubeconfig users");
    assert_eq!(users.len(), 1, "one user entry expected: {view}");
    &users[0]["user"]["exec"]
}

/// The value of `name` in an exec block's `env` list.
pub fn exec_env<'a>(exec: &'a Value, name: &str) -> Option<&'a str> {
    exec["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
}

/// Everything the emulator still holds that an example could have created:
/// permission sets, assignments, reserved roles, access entries, and IAM roles
/// and customer-managed policies other than the `keep_roles` names (the
/// pre-existing OrganizationAccountAccessRole). Empty after a clean destroy.
pub fn leftovers(state: &Value, keep_roles: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for key in [
        "permission_sets",
        "assignments",
        "reserved_roles",
        "access_entries",
        "iam_policies",
    ] {
        for item in state[key].as_array().into_iter().flatten() {
            out.push(format!("{key}: {item}"));
        }
    }
    for role in state["iam_roles"].as_array().into_iter().flatten() {
        let name = role["name"].as_str().unwrap_or_default();
        if !keep_roles.contains(&name) {
            out.push(format!("iam_roles: {role}"));
        }
    }
    out
}
