//! Real Terraform (or OpenTofu) driven from tests, loading the provider Cargo
//! just built.
//!
//! Each `Tf` owns a temporary working directory that is also its HOME, data
//! dir and CLI-config location, so tests never share state and run safely in
//! parallel. The provider is loaded through `dev_overrides`, exactly as a
//! developer would load a local build; no registry or network is involved.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::emulator::Emulator;
use super::paths;

/// The fully qualified provider address Terraform reports (for example in
/// `providers schema -json`). It comes from the crate so it is spelled once.
pub const PROVIDER_ADDRESS: &str = terraform_provider_eks::meta::PROVIDER_SOURCE;

/// The source address written in HCL (`eks-sso/eks`): the address without the
/// default registry host.
pub fn provider_source() -> &'static str {
    PROVIDER_ADDRESS
        .strip_prefix("registry.terraform.io/")
        .unwrap_or(PROVIDER_ADDRESS)
}

/// Default per-command limit; `EKS_TF_TIMEOUT_SECS` overrides it.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// What one terraform invocation produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub args: Vec<String>,
    /// Exit code; `None` when killed by a signal or the timeout.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout and stderr together, for assertions on diagnostics.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics, showing everything terraform printed, unless it exited 0.
    pub fn expect_success(self) -> Output {
        assert!(self.success(), "terraform command failed\n{self}");
        self
    }

    /// Panics, showing everything terraform printed, if it exited 0.
    pub fn expect_failure(self) -> Output {
        assert!(
            !self.success() && self.code.is_some(),
            "terraform command was expected to fail\n{self}"
        );
        self
    }

    /// Panics unless the combined output contains `needle`.
    pub fn assert_contains(&self, needle: &str) -> &Output {
        let all = self.combined();
        assert!(
            all.contains(needle),
            "expected terraform output to contain {needle:?}\n{self}"
        );
        self
    }

    /// Diagnostic text with Terraform's source excerpts removed, so an
    /// assertion cannot be satisfied by the configuration being echoed back.
    pub fn diagnostics(&self) -> String {
        self.combined()
            .lines()
            .filter(|l| !is_source_excerpt(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Panics unless the diagnostics (source excerpts excluded) contain `needle`.
    pub fn assert_diagnostic_contains(&self, needle: &str) -> &Output {
        assert!(
            self.diagnostics().contains(needle),
            "expected a diagnostic message (not the echoed config) to contain {needle:?}\n{self}"
        );
        self
    }

    /// Parses the JSON document on stdout, ignoring any human-oriented lines
    /// (such as the dev_overrides warning) around it.
    pub fn json(&self) -> Value {
        if let Ok(v) = serde_json::from_str(self.stdout.trim()) {
            return v;
        }
        self.stdout
            .lines()
            .filter(|l| l.trim_start().starts_with('{'))
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("no JSON document on stdout\n{self}"))
    }
}

/// Lines Terraform prints around a diagnostic to show where it is:
/// `  with data.x.y,`, `  on main.tf line 3, in ...:` and `   3:   code`.
fn is_source_excerpt(line: &str) -> bool {
    let t = line.trim_start();
    let numbered = t
        .split_once(':')
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    numbered
        || (t.starts_with("on ") && t.contains(" line ") && t.ends_with(':'))
        || (t.starts_with("with ") && t.ends_with(','))
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ terraform {}", self.args.join(" "))?;
        match self.code {
            Some(code) => writeln!(f, "exit code: {code}")?,
            None => writeln!(f, "exit code: none (killed or timed out)")?,
        }
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

/// One planned resource change from `terraform show -json <planfile>`.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    pub address: String,
    /// Terraform's action list, e.g. `["create"]`, `["delete","create"]`, `["no-op"]`.
    pub actions: Vec<String>,
    /// Whether the change imports the object (an `import {}` block).
    pub importing: bool,
}

/// A saved plan, summarized.
#[derive(Debug, Clone)]
pub struct PlanSummary {
    pub changes: Vec<ResourceChange>,
    /// The full `show -json` document for anything the summary does not cover.
    pub json: Value,
}

impl PlanSummary {
    /// The actions planned for `address`, if it appears in the plan.
    pub fn actions(&self, address: &str) -> Option<Vec<String>> {
        self.changes
            .iter()
            .find(|c| c.address == address)
            .map(|c| c.actions.clone())
    }

    /// True when no resource has anything but `no-op` (or `read`) planned.
    pub fn is_empty(&self) -> bool {
        self.changes
            .iter()
            .all(|c| c.actions.iter().all(|a| a == "no-op" || a == "read"))
    }
}

/// A terraform command still running (see [`Tf::spawn`]).
pub struct Running {
    child: std::process::Child,
    args: Vec<String>,
    out_reader: std::thread::JoinHandle<Vec<u8>>,
    err_reader: std::thread::JoinHandle<Vec<u8>>,
    deadline: Instant,
    timeout: Duration,
}

impl Running {
    /// The terraform process's ID (its providers are its descendants).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether terraform has exited.
    pub fn finished(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits for terraform to exit (killing it after the per-command limit).
    pub fn wait(mut self) -> Output {
        let code = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if Instant::now() > self.deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("waiting for terraform: {e}"),
            }
        };
        let stdout =
            String::from_utf8_lossy(&self.out_reader.join().unwrap_or_default()).into_owned();
        let mut stderr =
            String::from_utf8_lossy(&self.err_reader.join().unwrap_or_default()).into_owned();
        if code.is_none() && Instant::now() > self.deadline {
            stderr.push_str(&format!("\n[harness] killed after {:?}", self.timeout));
        }
        Output {
            args: self.args,
            code,
            stdout,
            stderr,
        }
    }
}

fn summarize(json: Value) -> PlanSummary {
    let changes = json["resource_changes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|rc| ResourceChange {
                    address: rc["address"].as_str().unwrap_or_default().to_string(),
                    actions: rc["change"]["actions"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    importing: rc["change"].get("importing").is_some_and(|i| !i.is_null()),
                })
                .collect()
        })
        .unwrap_or_default();
    PlanSummary { changes, json }
}

/// The totals line of a human plan: `Plan: 2 to import, 0 to add, 0 to
/// change, 0 to destroy.` (Terraform leaves out "to import" when nothing is
/// imported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanCounts {
    pub import: u32,
    pub add: u32,
    pub change: u32,
    pub destroy: u32,
}

impl PlanCounts {
    pub fn new(import: u32, add: u32, change: u32, destroy: u32) -> PlanCounts {
        PlanCounts {
            import,
            add,
            change,
            destroy,
        }
    }

    /// The counts `out` printed; panics (showing the output) when it
    /// printed none.
    pub fn of(out: &Output) -> PlanCounts {
        let line = out
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("Plan: "))
            .unwrap_or_else(|| panic!("no \"Plan:\" line in the output\n{out}"));
        let mut counts = PlanCounts::new(0, 0, 0, 0);
        for part in line
            .trim()
            .trim_start_matches("Plan: ")
            .trim_end_matches('.')
            .split(", ")
        {
            let (n, what) = part.split_once(' ').unwrap_or((part, ""));
            let n: u32 = n
                .parse()
                .unwrap_or_else(|_| panic!("bad count in {line:?}"));
            match what {
                "to import" => counts.import = n,
                "to add" => counts.add = n,
                "to change" => counts.change = n,
                "to destroy" => counts.destroy = n,
                other => panic!("unexpected {other:?} in {line:?}"),
            }
        }
        counts
    }
}

/// One result of `terraform query -json`.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The list block, e.g. `list.eks_cluster_creator_role.sso`.
    pub address: String,
    pub display_name: String,
    /// The identity object, e.g. `{"account_id": "...", "name": "..."}`.
    pub identity: Value,
    /// The full object, when the list block set `include_resource`.
    pub resource_object: Option<Value>,
}

pub struct Tf {
    dir: TempDir,
    /// Where terraform runs, relative to `dir` (empty: `dir` itself).
    workdir: PathBuf,
    bin: PathBuf,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Tf {
    /// A fresh working directory wired to `emulator`, with `AWS_REGION=us-east-1`.
    pub fn new(emulator: &Emulator) -> Tf {
        Tf::with_region(emulator, "us-east-1")
    }

    /// Like [`Tf::new`], driving the machine image's older Terraform
    /// (`paths::legacy_terraform_bin`, 1.11): for the tests that must also
    /// hold where identity, `terraform query` and GenerateResourceConfig do
    /// not exist.
    pub fn legacy(emulator: &Emulator) -> Tf {
        let mut tf = Tf::new(emulator);
        tf.bin = paths::legacy_terraform_bin();
        let (major, minor, _) = tf.version();
        assert!(
            (major, minor) < (1, 12),
            "{} is Terraform {major}.{minor}, not a pre-1.12 release; point EKS_TF_LEGACY_BIN at one",
            tf.bin.display()
        );
        tf
    }

    /// A fresh working directory for `terraform` at `bin`.
    pub fn with_bin(emulator: &Emulator, bin: &Path) -> Tf {
        let mut tf = Tf::new(emulator);
        tf.bin = bin.to_path_buf();
        tf
    }

    pub fn with_region(emulator: &Emulator, region: &str) -> Tf {
        Tf::with_provider(emulator, region, &paths::provider_binary())
    }

    /// As [`Tf::with_region`], loading `provider` (any executable that acts
    /// as the provider, such as a measuring wrapper) instead of the build.
    pub fn with_provider(emulator: &Emulator, region: &str, provider: &Path) -> Tf {
        let dir = tempfile::Builder::new()
            .prefix("eks-tf-")
            .tempdir()
            .expect("temp dir for terraform");
        // dev_overrides loads any `terraform-provider-eks*` file in the
        // directory, and Cargo's target dir also holds `…-eks.d` dep-info that
        // it rewrites while relinking. A private directory holding only a
        // link to the binary keeps Terraform from ever picking that up.
        let provider_dir = dir.path().join("provider");
        fs::create_dir(&provider_dir).expect("provider dir");
        std::os::unix::fs::symlink(provider, provider_dir.join("terraform-provider-eks"))
            .expect("link the provider binary");
        let cli_config = dir.path().join("terraform.rc");
        fs::write(&cli_config, cli_config_text(&provider_dir)).expect("write CLI config");

        let timeout = std::env::var("EKS_TF_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TIMEOUT);

        let home = dir.path().to_string_lossy().into_owned();
        // Terraform's and the provider's temp files (plugin sockets, the
        // shared Identity Center rate-limit file) go with the directory.
        let tmp = dir.path().join("tmp");
        fs::create_dir(&tmp).expect("temp dir for terraform");
        let mut env = vec![
            ("HOME".to_string(), home.clone()),
            ("TMPDIR".into(), tmp.to_string_lossy().into_owned()),
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.to_string_lossy().into_owned(),
            ),
            (
                "TF_DATA_DIR".into(),
                dir.path().join(".terraform").to_string_lossy().into_owned(),
            ),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), region.into()),
            ("AWS_ENDPOINT_URL".into(), emulator.endpoint().into()),
            // Never fall through to instance metadata on a machine without credentials.
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_CONFIG_FILE".into(), format!("{home}/.aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                format!("{home}/.aws/credentials"),
            ),
        ];
        // Opt-in debugging: EKS_TEST_TF_LOG=DEBUG shows provider logs in failures.
        if let Ok(level) = std::env::var("EKS_TEST_TF_LOG") {
            env.push(("TF_LOG".into(), level));
        }
        Tf {
            dir,
            workdir: PathBuf::new(),
            bin: paths::terraform_bin(),
            env,
            timeout,
        }
    }

    /// Sets (or overrides) an environment variable for every later command.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.into(), value.into()));
    }

    /// Runs `bin` (another terraform or tofu) instead of `TF_BIN`/the venv's.
    pub fn set_bin(&mut self, bin: PathBuf) {
        self.bin = bin;
    }

    /// Runs terraform in `rel` (a subdirectory of [`Self::dir`]) from now on,
    /// for root modules that refer to sibling directories (`../modules/x`).
    pub fn set_workdir(&mut self, rel: &str) {
        self.workdir = PathBuf::from(rel);
    }

    /// The CLI binary this working directory runs.
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Replaces the CLI config (`dev_overrides` by default) with `text`, for
    /// tests that install the provider the way users do.
    pub fn write_cli_config(&self, text: &str) {
        self.write_file("terraform.rc", text);
    }

    /// Removes an environment variable from every later command.
    pub fn unset_env(&mut self, name: &str) {
        self.env.retain(|(k, _)| k != name);
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces main.tf.
    pub fn write(&self, main_tf: &str) {
        self.write_file("main.tf", main_tf);
    }

    pub fn write_file(&self, name: &str, content: &str) {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create config subdirectory");
        }
        fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// The file `name` in the working directory (for example what
    /// `-generate-config-out` wrote).
    pub fn read_file(&self, name: &str) -> String {
        let path = self.dir.path().join(name);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// `terraform version`, as (major, minor, patch).
    pub fn version(&self) -> (u32, u32, u32) {
        let out = self.run_ok(&["version", "-json"]).json();
        let text = out["terraform_version"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut parts = text
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }

    /// Panics, saying why, unless this Terraform is at least `major.minor`:
    /// for tests of a feature older releases do not have (with `TF_BIN`
    /// pointing at one, they fail with this message rather than a puzzling
    /// Terraform error).
    pub fn require(&self, major: u32, minor: u32, feature: &str) {
        let (a, b, c) = self.version();
        assert!(
            (a, b) >= (major, minor),
            "{feature} needs Terraform {major}.{minor} or later; {} is {a}.{b}.{c} (unset TF_BIN to use the venv's)",
            self.bin.display()
        );
    }

    /// Runs terraform with `args` in the working directory; never panics on exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.spawn(args).wait()
    }

    /// Starts terraform with `args` and returns at once, so a test can act
    /// while it runs (for example kill its provider, see `support::crash`).
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(self.dir.path().join(&self.workdir))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        paths::scrub_env(&mut cmd);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));

        let mut out_pipe = child.stdout.take().expect("piped stdout");
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out_pipe.read_to_end(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err_pipe.read_to_end(&mut s);
            s
        });
        Running {
            child,
            args,
            out_reader,
            err_reader,
            deadline: Instant::now() + self.timeout,
            timeout: self.timeout,
        }
    }

    /// Runs terraform and panics with its full output unless it exits 0.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        self.run(args).expect_success()
    }

    /// `terraform init`. Not needed with dev_overrides for this provider alone,
    /// but available for configurations that use other providers or modules.
    pub fn init(&self) -> Output {
        self.run_ok(&["init", "-input=false", "-no-color"])
    }

    pub fn validate(&self) -> Output {
        self.run(&["validate", "-no-color"])
    }

    /// Plans into a saved plan file and summarizes it via `show -json`.
    pub fn plan(&self) -> PlanSummary {
        self.run_ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        self.show_plan()
    }

    /// Plans and returns the output without asserting success.
    pub fn plan_raw(&self) -> Output {
        self.run(&["plan", "-input=false", "-no-color"])
    }

    /// `plan -generate-config-out=<file>` for the `import {}` blocks that
    /// have no resource block yet (by ID or by identity): Terraform imports,
    /// writes the configuration to `file` and plans with it. Returns the
    /// human output (for [`PlanCounts`]) and the saved plan's summary.
    pub fn plan_generating_config(&self, file: &str) -> (Output, PlanSummary) {
        let out = self.run_ok(&[
            "plan",
            "-input=false",
            "-no-color",
            &format!("-generate-config-out={file}"),
            "-out=tfplan",
        ]);
        (out, self.show_plan())
    }

    /// The saved plan `tfplan`, summarized.
    pub fn show_plan(&self) -> PlanSummary {
        let json = self.run_ok(&["show", "-json", "tfplan"]).json();
        summarize(json)
    }

    /// `terraform query` over the `*.tfquery.hcl` files (Terraform 1.14+),
    /// with `extra` arguments (such as `-generate-config-out=found.tf`).
    pub fn query(&self, extra: &[&str]) -> Output {
        let mut args = vec!["query", "-no-color"];
        args.extend_from_slice(extra);
        self.run_ok(&args)
    }

    /// `terraform query -json`: the results, in the order Terraform
    /// printed them.
    pub fn query_results(&self) -> Vec<QueryResult> {
        let out = self.run_ok(&["query", "-no-color", "-json"]);
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["type"] == "list_resource_found")
            .map(|m| {
                let r = &m["list_resource_found"];
                QueryResult {
                    address: r["address"].as_str().unwrap_or_default().to_string(),
                    display_name: r["display_name"].as_str().unwrap_or_default().to_string(),
                    identity: r["identity"].clone(),
                    resource_object: r.get("resource_object").cloned(),
                }
            })
            .collect()
    }

    /// `plan -detailed-exitcode`: true for no changes (0), false for changes (2).
    pub fn plan_is_empty(&self) -> bool {
        let out = self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        match out.code {
            Some(0) => true,
            Some(2) => false,
            _ => panic!("terraform plan failed\n{out}"),
        }
    }

    pub fn apply(&self) -> Output {
        self.run_ok(&["apply", "-input=false", "-no-color", "-auto-approve"])
    }

    /// Applies and returns the output, panicking if the apply succeeded.
    pub fn apply_expect_error(&self) -> Output {
        self.run(&["apply", "-input=false", "-no-color", "-auto-approve"])
            .expect_failure()
    }

    /// `terraform output -json` as `{name: {value, type, sensitive}}`.
    pub fn output_json(&self) -> Value {
        self.run_ok(&["output", "-json"]).json()
    }

    /// The value of one root output.
    pub fn output(&self, name: &str) -> Value {
        let all = self.output_json();
        match all.get(name) {
            Some(o) => o["value"].clone(),
            None => panic!("no output {name:?} in {all}"),
        }
    }

    pub fn show_state_json(&self) -> Value {
        self.run_ok(&["show", "-json"]).json()
    }

    pub fn import(&self, address: &str, id: &str) -> Output {
        self.run_ok(&["import", "-input=false", "-no-color", address, id])
    }

    pub fn destroy(&self) -> Output {
        self.run_ok(&["destroy", "-input=false", "-no-color", "-auto-approve"])
    }

    /// True when the CLI under test is OpenTofu (via `TF_BIN`), which keys
    /// providers under `registry.opentofu.org` instead.
    pub fn is_opentofu(&self) -> bool {
        self.run_ok(&["version"]).stdout.starts_with("OpenTofu")
    }

    /// The provider address this CLI reports in `providers schema -json`.
    pub fn provider_address(&self) -> String {
        if self.is_opentofu() {
            format!("registry.opentofu.org/{}", provider_source())
        } else {
            PROVIDER_ADDRESS.to_string()
        }
    }

    pub fn providers_schema_json(&self) -> Value {
        self.run_ok(&["providers", "schema", "-json"]).json()
    }
}

fn cli_config_text(provider_dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    {source} = {dir}\n  }}\n  direct {{}}\n}}\n",
        source = hcl_string(provider_source()),
        dir = hcl_string(&provider_dir.to_string_lossy()),
    )
}

/// Quotes `s` as an HCL string literal.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            // Template sequences `${` and `%{` are escaped by doubling the sigil.
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `terraform { required_providers }` block every test configuration needs.
pub fn required_providers() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    eks = {{\n      source = {}\n    }}\n  }}\n}}\n",
        hcl_string(provider_source())
    )
}

/// `required_providers` plus a provider block in `region` whose five service
/// endpoints point at `emulator`; `extra` is pasted inside the provider block
/// (for example an `sso { region = "eu-west-1" }` block).
pub fn provider_config(emulator: &Emulator, region: &str, extra: &str) -> String {
    let ep = hcl_string(emulator.endpoint());
    format!(
        "{required}\nprovider \"eks\" {{\n  region = {region}\n  endpoints {{\n    eks           = {ep}\n    iam           = {ep}\n    sts           = {ep}\n    ssoadmin      = {ep}\n    identitystore = {ep}\n  }}\n{extra}\n}}\n",
        required = required_providers(),
        region = hcl_string(region),
    )
}
