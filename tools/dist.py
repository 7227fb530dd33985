#!/usr/bin/env python3
"""Build the Terraform Registry's release assets for one version into dist/.

    GPG_FINGERPRINT=<40 hex> tools/dist.py [--version X.Y.Z] [--platforms "linux_amd64 ..."] [--out dist]

`make dist VERSION=x.y.z` runs this. It writes exactly these files, named as
HashiCorp's provider publishing docs require:

    terraform-provider-eks_X.Y.Z_<os>_<arch>.zip   one per platform, holding terraform-provider-eks_vX.Y.Z
    terraform-provider-eks_X.Y.Z_manifest.json     a copy of terraform-registry-manifest.json
    terraform-provider-eks_X.Y.Z_SHA256SUMS        the zips and the manifest
    terraform-provider-eks_X.Y.Z_SHA256SUMS.sig    binary detached signature by GPG_FINGERPRINT
    terraform-provider-eks_X.Y.Z_signing-key.asc   that key's armored public key

The version comes from Cargo.toml unless --version is given; the release
binary is built with EKS_PROVIDER_VERSION set to it (src/meta.rs), so
`--version` prints the version the archive is named after. gpg runs with the
caller's environment, so GNUPGHOME is honoured. Nothing unsigned is ever left
behind: without a usable signing key the command fails before building.

Only the Python standard library, cargo and gpg are used.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "terraform-provider-eks"

# Registry platform (os_arch) -> Rust target triple. The platforms built are
# chosen by DIST_PLATFORMS in the Makefile; this table only says how to build
# each one. Any of them needs that target's standard library
# (`rustup target add <triple>`) and, for cross builds, a linker for it.
RUST_TARGETS = {
    "linux_amd64": "x86_64-unknown-linux-gnu",
    "linux_arm64": "aarch64-unknown-linux-gnu",
    "darwin_amd64": "x86_64-apple-darwin",
    "darwin_arm64": "aarch64-apple-darwin",
    "windows_amd64": "x86_64-pc-windows-msvc",
    "freebsd_amd64": "x86_64-unknown-freebsd",
}

# Semantic versions as the Registry accepts them (no leading "v").
VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
FINGERPRINT_RE = re.compile(r"^[0-9A-Fa-f]{40}$")
# OpenPGP public-key algorithms the Registry accepts: RSA (1, 2, 3) and DSA (17).
ACCEPTED_KEY_ALGOS = {"1": "RSA", "2": "RSA", "3": "RSA", "17": "DSA"}


class DistError(Exception):
    pass


def cargo_version() -> str:
    with open(ROOT / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["package"]["version"]


def host_triple() -> str:
    out = run(["rustc", "-vV"], capture=True)
    for line in out.splitlines():
        if line.startswith("host: "):
            return line.split(" ", 1)[1].strip()
    raise DistError("cannot read the host triple from `rustc -vV`")


def run(cmd: list[str], *, capture: bool = False, env: dict | None = None, cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
        )
    except FileNotFoundError:
        raise DistError(f"{cmd[0]} is not installed (needed for `{' '.join(cmd)}`)")
    if proc.returncode != 0:
        detail = (proc.stderr or "").strip() if capture else ""
        raise DistError(f"`{' '.join(cmd)}` failed with exit code {proc.returncode}" + (f":\n{detail}" if detail else ""))
    return proc.stdout if capture else ""


def gpg() -> str:
    return os.environ.get("GPG", "gpg")


def check_signing_key(fingerprint: str) -> str:
    """Fails unless gpg holds the secret key `fingerprint` and it is RSA or DSA;
    returns a one-line description of the key."""
    if not fingerprint:
        raise DistError(
            "GPG_FINGERPRINT is not set. make dist signs SHA256SUMS with that key and never ships an "
            "unsigned release. Pass the 40-hex fingerprint of an RSA signing key in your keyring, e.g.\n"
            "  make dist VERSION=1.2.3 GPG_FINGERPRINT=$(gpg --list-secret-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')\n"
            "(GNUPGHOME selects another keyring.)"
        )
    if not FINGERPRINT_RE.match(fingerprint):
        raise DistError(f"GPG_FINGERPRINT must be a full 40-hex-digit key fingerprint, got {fingerprint!r}")
    try:
        listing = run([gpg(), "--batch", "--with-colons", "--list-secret-keys", fingerprint], capture=True)
    except DistError as e:
        home = os.environ.get("GNUPGHOME", "~/.gnupg")
        raise DistError(f"gpg has no secret key {fingerprint} in {home}: {e}")
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] == "sec":
            algo = fields[3]
            if algo not in ACCEPTED_KEY_ALGOS:
                raise DistError(
                    f"key {fingerprint} uses OpenPGP algorithm {algo}; the Terraform Registry accepts only RSA or DSA signing keys"
                )
            return f"{ACCEPTED_KEY_ALGOS[algo]} {fields[2]}-bit key {fingerprint}"
    raise DistError(f"gpg listed no secret key for {fingerprint}")


# Variables cargo sets for the programs it runs (`cargo test`, build scripts).
# Passed on to this build they would change its inputs: ring's build script,
# for one, tracks CARGO_MANIFEST_DIR, and a change rebuilds everything that
# depends on ring. A release build from `cargo test` and one from a shell must
# reuse each other's work.
CARGO_RUNTIME_VARS = {"CARGO_MANIFEST_DIR", "CARGO_MANIFEST_PATH", "CARGO_CRATE_NAME", "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR", "LD_LIBRARY_PATH"}
CARGO_RUNTIME_PREFIXES = ("CARGO_PKG_", "CARGO_BIN_EXE_")


def cargo_env(version: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in CARGO_RUNTIME_VARS and not k.startswith(CARGO_RUNTIME_PREFIXES)
    }
    env["EKS_PROVIDER_VERSION"] = version
    return env


def build(version: str, platform: str, host: str) -> Path:
    """The stripped release binary for `platform`, built with `version`."""
    triple = RUST_TARGETS[platform]
    cmd = [os.environ.get("CARGO", "cargo"), "build", "--release", "--bin", NAME]
    if triple != host:
        cmd += ["--target", triple]
    env = cargo_env(version)
    print(f"dist: building {platform} ({triple}); a release build can take several minutes", flush=True)
    run(cmd, env=env, cwd=ROOT)
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    out_dir = target_dir / "release" if triple == host else target_dir / triple / "release"
    binary = out_dir / (NAME + (".exe" if platform.startswith("windows_") else ""))
    if not binary.is_file():
        raise DistError(f"cargo finished but {binary} does not exist")
    if triple == host:
        reported = run([str(binary), "--version"], capture=True).strip()
        if reported != f"{NAME} {version}":
            raise DistError(f"{binary} --version printed {reported!r}, expected {NAME} {version!r}")
    if binary.read_bytes()[:4] == b"\x7fELF" and elf_has_symbols(binary):
        raise DistError(f"{binary} still has a symbol table; keep `strip = true` in [profile.release] of Cargo.toml")
    return binary


def elf_has_symbols(path: Path) -> bool:
    """True when a 64-bit little-endian ELF file has .symtab or .debug_* sections."""
    data = path.read_bytes()
    if data[4] != 2 or data[5] != 1:
        return False  # not ELF64 LE; nothing we build here
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0:
        return False

    def section(i: int) -> tuple[int, int, int]:
        base = shoff + i * shentsize
        name, _type = struct.unpack_from("<II", data, base)
        offset, size = struct.unpack_from("<QQ", data, base + 0x18)
        return name, offset, size

    _, str_off, str_size = section(shstrndx)
    names = data[str_off : str_off + str_size]
    for i in range(shnum):
        name_off = section(i)[0]
        name = names[name_off : names.index(b"\0", name_off)].decode("ascii", "replace")
        if name == ".symtab" or name.startswith(".debug_"):
            return True
    return False


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """Entry time: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    t = time.gmtime(int(epoch)) if epoch else time.gmtime()
    return max(t[:6], (1980, 1, 1, 0, 0, 0))


def write_zip(binary: Path, archive: Path, member: str) -> None:
    info = zipfile.ZipInfo(member, date_time=zip_timestamp())
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the mode below is honoured on extraction
    info.external_attr = (0o100755 & 0xFFFF) << 16
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(info, binary.read_bytes(), compresslevel=9)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_dist(version: str, platforms: list[str], out: Path, fingerprint: str) -> list[Path]:
    if not VERSION_RE.match(version):
        raise DistError(f"VERSION must be a semantic version such as 1.2.3 (no leading v), got {version!r}")
    unknown = [p for p in platforms if p not in RUST_TARGETS]
    if not platforms or unknown:
        raise DistError(
            f"unknown platform(s) {unknown or platforms}; known: {', '.join(RUST_TARGETS)} (set DIST_PLATFORMS)"
        )
    key = check_signing_key(fingerprint)
    manifest_src = ROOT / "terraform-registry-manifest.json"
    if not manifest_src.is_file():
        raise DistError(f"{manifest_src} is missing")

    changelog = ROOT / "CHANGELOG.md"
    if changelog.is_file() and f"## [{version}]" not in changelog.read_text():
        print(
            f"dist: warning: CHANGELOG.md has no '## [{version}]' section; move the [Unreleased] entries there before publishing",
            file=sys.stderr,
        )

    host = host_triple()
    prefix = f"{NAME}_{version}"
    staging = Path(tempfile.mkdtemp(prefix="eks-dist-"))
    try:
        for platform in platforms:
            binary = build(version, platform, host)
            member = f"{NAME}_v{version}" + (".exe" if platform.startswith("windows_") else "")
            write_zip(binary, staging / f"{prefix}_{platform}.zip", member)
        shutil.copyfile(manifest_src, staging / f"{prefix}_manifest.json")

        summed = sorted(p.name for p in staging.iterdir())
        sums = staging / f"{prefix}_SHA256SUMS"
        sums.write_text("".join(f"{sha256(staging / n)}  {n}\n" for n in summed))

        sig = staging / f"{prefix}_SHA256SUMS.sig"
        print(f"dist: signing {sums.name} with the {key}", flush=True)
        run([gpg(), "--batch", "--yes", "--local-user", fingerprint, "--detach-sign", "--output", str(sig), str(sums)])
        run([gpg(), "--batch", "--verify", str(sig), str(sums)], capture=True)
        armored = run([gpg(), "--batch", "--armor", "--export", fingerprint], capture=True)
        if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
            raise DistError(f"gpg exported no public key for {fingerprint}")
        (staging / f"{prefix}_signing-key.asc").write_text(armored)

        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(out.iterdir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="", help="release version (default: Cargo.toml's)")
    parser.add_argument("--platforms", default="linux_amd64", help="space-separated os_arch list")
    parser.add_argument("--out", default=str(ROOT / "dist"), help="output directory (replaced)")
    args = parser.parse_args(argv)
    version = args.version or cargo_version()
    try:
        files = make_dist(version, args.platforms.split(), Path(args.out).resolve(), os.environ.get("GPG_FINGERPRINT", "").strip())
    except DistError as e:
        print(f"make dist: {e}", file=sys.stderr)
        return 2
    for f in files:
        print(f"dist: {f.stat().st_size:>10}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
