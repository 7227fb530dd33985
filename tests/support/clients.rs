//! Running the real clients our outputs are handed to (aws, kubectl, python),
//! isolated from the developer's environment.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::paths;

/// What a client process did.
#[derive(Debug)]
pub struct ClientRun {
    pub what: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ClientRun {
    pub fn ok(self) -> ClientRun {
        assert!(
            self.code == Some(0),
            "{} failed ({:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what,
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{} printed non-JSON ({e}):\n{}", self.what, self.stdout))
    }
}

/// Runs `program` with `env` on top of the harness's scrubbed environment
/// (PATH and locale only), so no developer profile, credential, kubeconfig or
/// token cache takes part.
pub fn run_client<K, V>(program: &Path, args: &[&str], env: &[(K, V)]) -> ClientRun
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    paths::scrub_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    ClientRun {
        what: format!("{} {}", program.display(), args.join(" ")),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
