//! The AWS emulator (tests/emulator/server.py) as a per-test child process.
//!
//! Every test gets its own emulator on a kernel-chosen port, so tests can run
//! in parallel and assert on request logs and state without seeing each
//! other's traffic. The process is killed when the handle is dropped.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use tempfile::TempDir;

use super::http;
use super::paths;

/// How long a cold emulator may take to import moto and bind its port. Two
/// cores shared by parallel tests make this slower than on a workstation.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// One AWS request as recorded by the emulator's request log.
#[derive(Debug, Clone, Deserialize)]
pub struct AwsRequest {
    pub service: String,
    pub operation: String,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    /// Whether the operation writes (the emulator's one definition: Create*,
    /// Delete*, Put*, Attach*, Update*, Provision*, Tag*, ...; AssumeRole and
    /// GetRoleCredentials do not).
    #[serde(default)]
    pub mutating: bool,
    /// The injected fault that answered instead of the service, if any:
    /// "quota" (the sso_tps_quota bucket), "throttle", "error5xx", "conflict"
    /// or "lost_response" (the operation ran, the client got a 503).
    #[serde(default)]
    pub fault: Option<String>,
    /// The access key ID the request was signed with (unsigned requests,
    /// such as the access portal's, have none).
    #[serde(default)]
    pub access_key_id: Option<String>,
}

/// What `tools/sso_fixture.py grant` should wait for before returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantWait {
    /// Return as soon as the assignment request is accepted.
    Nothing,
    /// Wait until the assignment status leaves IN_PROGRESS.
    Assignment,
    /// Wait until the reserved role is visible through IAM.
    Role,
}

pub struct Emulator {
    child: Child,
    endpoint: String,
    dir: TempDir,
}

impl Emulator {
    /// Starts a fresh emulator and waits until its health endpoint answers.
    pub fn start() -> Emulator {
        let dir = tempfile::Builder::new()
            .prefix("eks-emulator-")
            .tempdir()
            .expect("temp dir for the emulator");
        let port_file = dir.path().join("port");
        let log_path = dir.path().join("emulator.log");
        let log = File::create(&log_path).expect("emulator log file");
        let python = paths::venv_python();
        let server = paths::repo_root().join("tests/emulator/server.py");
        assert!(
            server.exists(),
            "{} does not exist yet (the emulator is not built)",
            server.display()
        );

        let mut cmd = Command::new(&python);
        cmd.arg(&server)
            .arg("--port")
            .arg("0")
            .arg("--port-file")
            .arg(&port_file)
            .current_dir(paths::repo_root())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        paths::scrub_env(&mut cmd);
        cmd.env("HOME", dir.path());
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} {} ({e}); run `make venv` first",
                python.display(),
                server.display()
            )
        });

        let mut emulator = Emulator {
            child,
            endpoint: String::new(),
            dir,
        };
        emulator.endpoint = emulator.wait_ready(&port_file);
        emulator
    }

    fn wait_ready(&mut self, port_file: &Path) -> String {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("emulator exited during startup ({status}):\n{}", self.log());
            }
            let port = fs::read_to_string(port_file)
                .ok()
                .and_then(|s| s.trim().parse::<u16>().ok());
            if let Some(port) = port {
                let endpoint = format!("http://127.0.0.1:{port}");
                if let Ok(r) = http::request(&endpoint, "GET", "/_emulator/health", None)
                    && r.status == 200
                {
                    return endpoint;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "emulator not ready after {STARTUP_TIMEOUT:?}:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`: one URL for every emulated AWS service.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The emulator's own stdout/stderr so far, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("emulator.log")).unwrap_or_default()
    }

    /// Calls the control API and panics (with the emulator log) unless it returns 2xx.
    pub fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        match http::request(&self.endpoint, method, path, body) {
            Ok(r) if (200..300).contains(&r.status) => r.body,
            Ok(r) => panic!(
                "emulator {method} {path} returned {}: {}\n--- emulator log ---\n{}",
                r.status,
                r.body,
                self.log()
            ),
            Err(e) => panic!(
                "emulator {method} {path} failed: {e}\n--- emulator log ---\n{}",
                self.log()
            ),
        }
    }

    pub fn reset(&self) {
        self.control("POST", "/_emulator/reset", None);
    }

    /// Timing knobs: assignment_delay, provisioning_delay, deletion_delay,
    /// role_visibility_delay, eks_principal_delay, sso_write_duration (seconds),
    /// conflict_on_concurrent, hold_assignments (assignment creations stay
    /// IN_PROGRESS while true), and sso_tps_quota (requests per second shared by
    /// sso-admin and identitystore, or null for none).
    pub fn config(&self, settings: Value) -> Value {
        self.control("POST", "/_emulator/config", Some(&settings))
    }

    /// Installs fault rules: `{"rules": [{service, operation, kind, ...}], "seed": n}`.
    pub fn faults(&self, rules: Value) -> Value {
        self.control("POST", "/_emulator/faults", Some(&rules))
    }

    pub fn clear_faults(&self) {
        self.control("DELETE", "/_emulator/faults", None);
    }

    /// The AWS requests received so far, oldest first.
    pub fn requests(&self) -> Vec<AwsRequest> {
        let body = self.control("GET", "/_emulator/requests", None);
        serde_json::from_value(body["requests"].clone())
            .unwrap_or_else(|e| panic!("unexpected request log shape ({e}): {body}"))
    }

    /// How many logged requests match `service` and `operation`.
    pub fn count(&self, service: &str, operation: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.service == service && r.operation == operation)
            .count()
    }

    pub fn clear_requests(&self) {
        self.control("DELETE", "/_emulator/requests", None);
    }

    /// The logged requests that write (`mutating`), oldest first.
    pub fn writes(&self) -> Vec<AwsRequest> {
        self.requests().into_iter().filter(|r| r.mutating).collect()
    }

    /// A member account as AWS Organizations creates it, with its
    /// OrganizationAccountAccessRole trusting the management account's root
    /// (AdministratorAccess attached). Returns the role's ARN.
    pub fn member_account(&self, account: &str) -> String {
        let made = self.control(
            "POST",
            "/_emulator/accounts",
            Some(&serde_json::json!({ "account": account })),
        );
        made["org_role_arn"]
            .as_str()
            .unwrap_or_else(|| panic!("no org_role_arn in {made}"))
            .to_string()
    }

    /// An IAM role made directly in an account:
    /// `{account, name, path?, trust_policy, managed_policy_arns?, inline_policies?}`.
    /// Returns `{account, name, arn, path, role_id}`.
    pub fn create_role(&self, role: Value) -> Value {
        self.control("POST", "/_emulator/iam/roles", Some(&role))
    }

    /// An access-portal token for an identity-store user, with what `aws sso
    /// login` caches beside it: `{accessToken, expiresAt, region, startUrl, user_id}`.
    pub fn sso_token(&self, user_name: &str) -> Value {
        self.control(
            "POST",
            "/_emulator/sso/tokens",
            Some(&serde_json::json!({ "user_name": user_name })),
        )
    }

    /// Whether a session of `principal_arn` (an IAM role or user ARN, or an
    /// account root) may call sts:AssumeRole on `role_arn`, by the emulator's
    /// trust and identity-policy evaluation. Returns (allowed, reason).
    pub fn can_assume(&self, principal_arn: &str, role_arn: &str) -> (bool, String) {
        let verdict = self.control(
            "POST",
            "/_emulator/iam/simulate-assume-role",
            Some(&serde_json::json!({ "principal_arn": principal_arn, "role_arn": role_arn })),
        );
        (
            verdict["allowed"].as_bool().unwrap_or(false),
            verdict["reason"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// Every temporary credential the emulator's STS issued:
    /// `[{account, arn, access_key_id, secret_access_key, session_token}]`.
    pub fn sts_sessions(&self) -> Vec<Value> {
        let body = self.control("GET", "/_emulator/sts/sessions", None);
        body["sessions"].as_array().cloned().unwrap_or_default()
    }

    /// Creates an Identity Center instance with groups and users:
    /// `{region, groups: [..], users: [..]}` ->
    /// `{instance_arn, identity_store_id, groups: {name: id}, users: {name: id}}`.
    pub fn sso_setup(&self, setup: Value) -> Value {
        self.control("POST", "/_emulator/sso/setup", Some(&setup))
    }

    /// Pre-creates an EKS cluster: `{account, region, name, authentication_mode, status}`.
    pub fn create_cluster(&self, cluster: Value) -> Value {
        self.control("POST", "/_emulator/eks/clusters", Some(&cluster))
    }

    /// Everything the emulator holds: permission_sets, assignments, reserved_roles,
    /// access_entries, iam_roles, iam_policies.
    pub fn state(&self) -> Value {
        self.control("GET", "/_emulator/state", None)
    }

    /// Creates a permission set through the real AWS APIs (boto3 against this
    /// emulator) and, when `group_id` is given, assigns that group to `account`.
    /// Returns `{permission_set_arn, status, role_name, role_arn, ...}`.
    pub fn grant(
        &self,
        region: &str,
        instance_arn: &str,
        permission_set: &str,
        account: &str,
        group_id: Option<&str>,
        wait: GrantWait,
    ) -> Value {
        self.grant_with_policy(
            region,
            instance_arn,
            permission_set,
            account,
            group_id,
            wait,
            None,
        )
    }

    /// [`Emulator::grant`] with `inline_policy` put on the permission set
    /// before the assignment, so the reserved role carries it (what a set
    /// needs for its sessions to act, such as calling sts:AssumeRole on a
    /// role whose trust names only the account root).
    #[allow(clippy::too_many_arguments)]
    pub fn grant_with_policy(
        &self,
        region: &str,
        instance_arn: &str,
        permission_set: &str,
        account: &str,
        group_id: Option<&str>,
        wait: GrantWait,
        inline_policy: Option<&Value>,
    ) -> Value {
        let mut args = vec![
            "grant".to_string(),
            "--region".into(),
            region.into(),
            "--instance-arn".into(),
            instance_arn.into(),
            "--name".into(),
            permission_set.into(),
            "--account".into(),
            account.into(),
            "--wait".into(),
            match wait {
                GrantWait::Nothing => "nothing",
                GrantWait::Assignment => "assignment",
                GrantWait::Role => "role",
            }
            .into(),
        ];
        match group_id {
            Some(id) => args.extend(["--group-id".into(), id.into()]),
            None => args.push("--no-assign".into()),
        }
        if let Some(policy) = inline_policy {
            args.extend(["--inline-policy".into(), policy.to_string()]);
        }
        self.fixture(&args)
    }

    /// Runs `tools/sso_fixture.py` with this emulator's endpoint and test credentials.
    pub fn fixture(&self, args: &[String]) -> Value {
        let script = paths::repo_root().join("tools/sso_fixture.py");
        let mut cmd = Command::new(paths::venv_python());
        cmd.arg(&script)
            .args(args)
            .arg("--endpoint")
            .arg(&self.endpoint)
            .current_dir(paths::repo_root());
        paths::scrub_env(&mut cmd);
        cmd.env("HOME", self.dir.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        let out = cmd.output().expect("run tools/sso_fixture.py");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "sso_fixture {args:?} failed ({}):\n{stdout}\n{stderr}\n--- emulator log ---\n{}",
            out.status,
            self.log()
        );
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("sso_fixture printed non-JSON ({e}): {stdout}"))
    }

    /// The directory holding this emulator's log and port file.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
