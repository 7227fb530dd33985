//! The provider installed the way Terraform installs any provider, not
//! through dev_overrides:
//!
//! - `make dist VERSION=0.9.0` with a throwaway RSA key gives exactly the
//!   five Registry assets, and the zip holds a binary that says 0.9.0;
//! - a provider registry on loopback (tests/support/registry.py: HTTPS with a
//!   CA made for the test, reached through a CLI-config `host` block so the
//!   source stays `eks-sso/eks`) serves them, and `terraform init` under
//!   Terraform 1.15 (the venv's) and the machine's own Terraform (1.11 on the
//!   image) verifies the signature and the hashes and writes the lock file;
//!   the installed provider then applies and destroys a grant against the
//!   emulator;
//! - a zip with one byte changed, and a SHA256SUMS signed by another key,
//!   each make `init` fail;
//! - `terraform providers mirror` output installs through
//!   `filesystem_mirror` with the registry gone.
//!
//! The release build runs once per test process and every case shares it.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::admin_access::{Env, Grant, PermissionSet, Setup, assert_nothing_left, render_all};
use support::install::{
    DIST_VERSION, Dist, Gpg, PLATFORM, Registry, dist, image_terraform, make_dist, python,
};
use support::paths;
use support::terraform::{Output, Tf};

/// `registry.terraform.io/eks-sso/eks`, spelled once in src/meta.rs.
const ADDRESS: &str = support::terraform::PROVIDER_ADDRESS;

/// `required_providers` pinned the way a team pins a release.
fn pinned_config(env: &Env, body: &str) -> String {
    let source = support::terraform::provider_source();
    env.config(body).replacen(
        &format!("source = \"{source}\""),
        &format!("source  = \"{source}\"\n      version = \"~> 0.9\""),
        1,
    )
}

/// The members of a zip: `(name, unix mode)`.
fn zip_members(zip: &Path) -> Vec<(String, u32)> {
    let out = python(
        "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16))",
        &[&zip.to_string_lossy()],
    );
    out.lines()
        .map(|l| {
            let (name, mode) = l.rsplit_once(' ').expect("name and mode");
            (
                name.to_string(),
                u32::from_str_radix(mode.trim_start_matches("0o"), 8).expect("octal mode"),
            )
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    python(
        "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
        &[&path.to_string_lossy()],
    )
    .trim()
    .to_string()
}

#[test]
fn dist_writes_exactly_the_five_registry_assets() {
    let d = dist();
    let mut names: Vec<String> = fs::read_dir(&d.dir)
        .expect("read dist")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let p = d.prefix();
    assert_eq!(
        names,
        [
            format!("{p}_SHA256SUMS"),
            format!("{p}_SHA256SUMS.sig"),
            format!("{p}_linux_amd64.zip"),
            format!("{p}_manifest.json"),
            format!("{p}_signing-key.asc"),
        ],
        "make dist output:\n{}",
        d.log
    );

    // One executable member, named as the Registry requires.
    let members = zip_members(&d.zip());
    assert_eq!(
        members,
        [(format!("terraform-provider-eks_v{DIST_VERSION}"), 0o100755)]
    );
    let unpacked = tempfile::tempdir().expect("temp dir");
    python(
        "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        &[
            &d.zip().to_string_lossy(),
            &unpacked.path().to_string_lossy(),
        ],
    );
    let binary = unpacked
        .path()
        .join(format!("terraform-provider-eks_v{DIST_VERSION}"));
    // Python's extractall drops the mode the zip records (checked above);
    // Terraform's installer applies it.
    fs::set_permissions(
        &binary,
        <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .expect("chmod the extracted binary");
    let version = std::process::Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run the released binary");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("terraform-provider-eks {DIST_VERSION}")
    );
    // Stripped: no symbol table, no debug sections.
    let sections = python(
        "import sys\nfrom pathlib import Path\nsys.path.insert(0, sys.argv[2])\nimport dist\nprint(dist.elf_has_symbols(Path(sys.argv[1])))",
        &[
            &binary.to_string_lossy(),
            &paths::repo_root().join("tools").to_string_lossy(),
        ],
    );
    assert_eq!(sections.trim(), "False", "the released binary has symbols");

    // The manifest is the repository's, byte for byte.
    assert_eq!(
        fs::read(d.file("manifest.json")).expect("manifest"),
        fs::read(paths::repo_root().join("terraform-registry-manifest.json"))
            .expect("repo manifest")
    );

    // SHA256SUMS covers the zip and the manifest, with their real hashes.
    let sums = fs::read_to_string(d.file("SHA256SUMS")).expect("SHA256SUMS");
    let expected = [d.zip(), d.file("manifest.json")]
        .iter()
        .map(|f| {
            format!(
                "{}  {}\n",
                sha256_hex(f),
                f.file_name().unwrap().to_string_lossy()
            )
        })
        .collect::<Vec<_>>();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort_by_key(|l| l.split("  ").nth(1).unwrap_or_default().to_string());
    assert_eq!(sums, expected_sorted.concat());

    // A binary (not armored) detached signature by the release key, and that
    // key's armored public half.
    let sig = fs::read(d.file("SHA256SUMS.sig")).expect("sig");
    assert!(
        !sig.starts_with(b"-----BEGIN"),
        "the signature must be binary, not armored"
    );
    let verify = std::process::Command::new("gpg")
        .args(["--batch", "--status-fd", "1", "--verify"])
        .arg(d.file("SHA256SUMS.sig"))
        .arg(d.file("SHA256SUMS"))
        .env("GNUPGHOME", d.gpg.home())
        .output()
        .expect("gpg --verify");
    d.gpg.stop_agent();
    let status = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success() && status.contains(&format!("VALIDSIG {}", d.gpg.fingerprint)),
        "signature does not verify with the release key:\n{status}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let key = fs::read_to_string(d.file("signing-key.asc")).expect("signing key");
    assert!(
        key.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{key}"
    );
    assert!(!key.contains("PRIVATE KEY"), "only the public key ships");
}

#[test]
fn dist_without_gpg_fingerprint_fails_before_building() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let target = out_dir.path().join("dist");
    let out = make_dist(&target, None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "make dist must fail:\n{text}");
    assert!(
        text.contains("GPG_FINGERPRINT is not set") && text.contains("never ships an unsigned"),
        "{text}"
    );
    assert!(
        !text.contains("building"),
        "it must fail before the build:\n{text}"
    );
    assert!(!target.exists(), "nothing may be written without a key");
}

#[test]
fn dist_refuses_an_ecc_key_the_registry_would_reject() {
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-test/ecc-gnupg");
    let _ = fs::remove_dir_all(&home);
    fs::create_dir_all(&home).expect("GNUPGHOME");
    let gpg = |args: &[&str]| {
        std::process::Command::new("gpg")
            .arg("--batch")
            .args(args)
            .env("GNUPGHOME", &home)
            .output()
            .expect("gpg")
    };
    assert!(
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "ecc <ecc@example.invalid>",
            "ed25519",
            "sign",
            "1d"
        ])
        .status
        .success()
    );
    let listing =
        String::from_utf8_lossy(&gpg(&["--with-colons", "--list-secret-keys"]).stdout).into_owned();
    let fingerprint = listing
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|r| r.trim_matches(':').to_string())
        })
        .expect("fingerprint");
    let out = std::process::Command::new("make")
        .args(["--no-print-directory", "-C"])
        .arg(paths::repo_root())
        .args(["dist", "VERSION=0.9.0"])
        .arg(format!("DIST_DIR={}", home.join("dist").display()))
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL")
        .env("GNUPGHOME", &home)
        .env("GPG_FINGERPRINT", &fingerprint)
        .output()
        .expect("make dist");
    let _ = std::process::Command::new("gpgconf")
        .args(["--kill", "all"])
        .env("GNUPGHOME", &home)
        .status();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("accepts only RSA or DSA signing keys"),
        "{text}"
    );
    assert!(!home.join("dist").exists(), "{text}");
}

/// A working directory whose Terraform (`bin`) finds the provider only
/// through `reg`, trusting the registry's test CA.
fn registry_tf(env: &mut Env, bin: PathBuf, reg: &Registry) {
    env.tf.set_bin(bin);
    env.tf.write_cli_config(&reg.cli_config());
    env.tf
        .set_env("SSL_CERT_FILE", &reg.ca_file().to_string_lossy());
}

/// `terraform init` installed 0.9.0 from the registry, verified: the
/// signature (Terraform names the key), the checksums it fetched, and the
/// lock file with `h1:` and the zip's `zh:` hash.
fn assert_verified_install(d: &Dist, tf: &Tf, reg: &Registry, init: &Output) {
    init.assert_contains(&format!(
        "Installed eks-sso/eks v{DIST_VERSION} (self-signed, key ID {})",
        d.gpg.key_id()
    ));
    let requested = reg.requested();
    for suffix in ["SHA256SUMS", "SHA256SUMS.sig", &format!("{PLATFORM}.zip")] {
        let path = format!("/files/{}_{suffix}", d.prefix());
        assert!(
            requested.contains(&path),
            "Terraform never fetched {path}: {requested:?}"
        );
    }
    let lock = fs::read_to_string(tf.dir().join(".terraform.lock.hcl")).expect("lock file");
    let zip_name = format!("{}_{PLATFORM}.zip", d.prefix());
    assert!(
        lock.contains(&format!("provider \"{ADDRESS}\""))
            && lock.contains(&format!("version     = \"{DIST_VERSION}\""))
            && lock.contains("\"h1:")
            && lock.contains(&format!("\"zh:{}\"", d.listed_sha256(&zip_name))),
        "lock file lacks the provider, its version or its hashes:\n{lock}"
    );
    let installed = tf.dir().join(format!(
        ".terraform/providers/{ADDRESS}/{DIST_VERSION}/{PLATFORM}/terraform-provider-eks_v{DIST_VERSION}"
    ));
    assert!(
        installed.is_file(),
        "{} missing after init",
        installed.display()
    );
    tf.run_ok(&["version"])
        .assert_contains(&format!("+ provider {ADDRESS} v{DIST_VERSION}"));
}

/// The installed provider applies a grant, re-plans empty and destroys it.
fn apply_and_destroy_a_grant(env: &Env) {
    let grant = Grant::new(
        "installed",
        PermissionSet::named("InstalledAdmin"),
        &["prod"],
    );
    env.tf.write(&pinned_config(env, &render_all(&[&grant])));
    let out = env.tf.apply();
    assert!(
        !out.combined().contains("development overrides"),
        "the provider must not come from dev_overrides:\n{out}"
    );
    let state = env.state();
    let entries = state["access_entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 1, "one access entry expected: {state:#}");
    assert!(
        entries[0]["principal_arn"]
            .as_str()
            .is_some_and(|a| a.contains("AWSReservedSSO_InstalledAdmin_")),
        "{state:#}"
    );
    assert!(env.tf.plan_is_empty(), "{}", env.tf.plan_raw());
    env.tf.destroy();
    assert_nothing_left(env, None);
}

fn registry_install_with(bin: PathBuf) {
    let d = dist();
    let reg = Registry::serve(&d.dir);
    let mut env = Env::start(Setup::default());
    registry_tf(&mut env, bin, &reg);
    env.tf.write(&pinned_config(&env, ""));
    let init = env.tf.init();
    // For the report: what a user sees.
    eprintln!(
        "--- terraform init ({}) ---\n{}",
        env.tf
            .run_ok(&["version"])
            .stdout
            .lines()
            .next()
            .unwrap_or_default(),
        init.stdout
    );
    assert_verified_install(d, &env.tf, &reg, &init);
    apply_and_destroy_a_grant(&env);
}

#[test]
fn registry_install_on_the_venv_terraform() {
    registry_install_with(paths::terraform_bin());
}

#[test]
fn registry_install_on_the_machine_terraform() {
    let bin = image_terraform();
    registry_install_with(bin);
}

/// Terraform wraps diagnostics at 78 columns: compare with whitespace collapsed.
fn assert_says(out: &Output, needle: &str) {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&out.combined()).contains(&flat(needle)),
        "expected terraform to say {needle:?}\n{out}"
    );
}

/// `init` against a registry serving `dir`; must fail.
fn init_must_fail(dir: &Path) -> Output {
    let reg = Registry::serve(dir);
    let emulator = support::Emulator::start();
    let mut tf = Tf::new(&emulator);
    tf.write_cli_config(&reg.cli_config());
    tf.set_env("SSL_CERT_FILE", &reg.ca_file().to_string_lossy());
    tf.write(&support::required_providers());
    let out = tf
        .run(&["init", "-input=false", "-no-color"])
        .expect_failure();
    assert!(
        !tf.dir().join(".terraform.lock.hcl").exists(),
        "a failed install must not write a lock file"
    );
    let installed = tf.dir().join(format!(".terraform/providers/{ADDRESS}"));
    assert!(!installed.exists(), "nothing may be installed:\n{out}");
    out
}

#[test]
fn init_rejects_a_zip_with_one_byte_changed() {
    let d = dist();
    let copy = d.copy();
    let zip = copy.path().join(d.zip().file_name().unwrap());
    let mut bytes = fs::read(&zip).expect("read zip");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&zip, bytes).expect("write zip");
    let out = init_must_fail(copy.path());
    assert_says(&out, "archive has incorrect checksum");
    assert_says(
        &out,
        &format!(
            "(expected zh:{})",
            d.listed_sha256(&zip.file_name().unwrap().to_string_lossy())
        ),
    );
}

#[test]
fn init_rejects_a_signature_by_another_key() {
    let d = dist();
    let copy = d.copy();
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-test/impostor-gnupg");
    let impostor = Gpg::new_key(&home, "impostor <impostor@example.invalid>");
    let sums = copy.path().join(format!("{}_SHA256SUMS", d.prefix()));
    impostor.sign(
        &sums,
        &copy.path().join(format!("{}_SHA256SUMS.sig", d.prefix())),
    );
    impostor.stop_agent();
    // The registry still announces the release key; the signature is not by it.
    let out = init_must_fail(copy.path());
    assert_says(&out, "Failed to install provider");
    assert_says(
        &out,
        &format!(
            "Error while installing eks-sso/eks v{DIST_VERSION}: authentication signature from unknown issuer"
        ),
    );
}

#[test]
fn filesystem_mirror_from_providers_mirror_installs_without_the_registry() {
    let d = dist();
    let env = Env::start(Setup::default());
    let mirror = tempfile::Builder::new()
        .prefix("eks-mirror-")
        .tempdir()
        .expect("temp dir");
    {
        let reg = Registry::serve(&d.dir);
        let mut tf = env.new_tf();
        tf.write_cli_config(&reg.cli_config());
        tf.set_env("SSL_CERT_FILE", &reg.ca_file().to_string_lossy());
        tf.write(&pinned_config(&env, ""));
        tf.run_ok(&[
            "providers",
            "mirror",
            &format!("-platform={PLATFORM}"),
            &mirror.path().to_string_lossy(),
        ]);
        // The registry is dropped here: the install below cannot reach it.
    }
    let packed = mirror.path().join(format!(
        "registry.terraform.io/eks-sso/eks/{}_{PLATFORM}.zip",
        d.prefix()
    ));
    assert_eq!(
        fs::read(&packed).unwrap_or_else(|e| panic!("{}: {e}", packed.display())),
        fs::read(d.zip()).expect("dist zip"),
        "the mirror holds the released zip"
    );

    env.tf.write_cli_config(&format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{ADDRESS}\"]\n  }}\n  direct {{\n    exclude = [\"{ADDRESS}\"]\n  }}\n}}\n",
        mirror.path().display()
    ));
    let grant = Grant::new("mirrored", PermissionSet::named("MirroredAdmin"), &["prod"]);
    env.tf.write(&pinned_config(&env, &render_all(&[&grant])));
    let init = env.tf.init();
    init.assert_contains(&format!("Installed eks-sso/eks v{DIST_VERSION}"));
    let lock = fs::read_to_string(env.tf.dir().join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!("version     = \"{DIST_VERSION}\"")) && lock.contains("\"h1:"),
        "{lock}"
    );
    let plan = env.tf.plan();
    assert_eq!(
        plan.actions(&grant.address()),
        Some(vec!["create".to_string()]),
        "{:#}",
        plan.json
    );
}
