"""A provider registry on loopback, serving a `make dist` directory over HTTPS.

    python tests/support/registry.py --dist DIR --state-dir DIR

It speaks the provider registry protocol that `terraform init` uses:

    GET /v1/providers/<namespace>/<type>/versions
    GET /v1/providers/<namespace>/<type>/<version>/download/<os>/<arch>
    GET /files/<name>                                   the archives, SHA256SUMS and .sig

The download document carries `shasum` (taken from SHA256SUMS, as the real
registry records it at publish time, so a zip changed afterwards is caught by
Terraform's own check), `download_url`, `shasums_url`,
`shasums_signature_url` and `signing_keys` (the dist's `_signing-key.asc`).

TLS uses a CA created here: `<state-dir>/ca.pem` is what the test hands to
Terraform as SSL_CERT_FILE. Service discovery is not served; tests point
`registry.terraform.io` here with a CLI-config `host` block. Every request is
appended to `<state-dir>/requests.log` as one JSON line, so a test can see that
Terraform fetched the checksums and the signature. The chosen port is written
to `<state-dir>/port` once listening. The server exits when its parent does.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ARCHIVE_RE = re.compile(r"^terraform-provider-(?P<type>[a-z0-9-]+)_(?P<version>[^_]+)_(?P<os>[a-z0-9]+)_(?P<arch>[a-z0-9]+)\.zip$")


def make_tls(state: Path) -> ssl.SSLContext:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "terraform-provider-eks test registry CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (state / "ca.pem").write_bytes(ca.public_bytes(pem))
    (state / "server.pem").write_bytes(cert.public_bytes(pem))
    (state / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(state / "server.pem", state / "server.key")
    return ctx


def openpgp_key_id(armored: str) -> str:
    """The 16-hex key ID of the first (primary) public key in an armored block:
    the low 64 bits of its v4 fingerprint, SHA-1 over 0x99, a two-byte length
    and the public-key packet body (RFC 4880, 12.2)."""
    lines = armored.strip().splitlines()
    try:
        start = lines.index("-----BEGIN PGP PUBLIC KEY BLOCK-----") + 1
    except ValueError:
        raise ValueError("not an armored OpenPGP public key block")
    while start < len(lines) and lines[start].strip():
        start += 1  # armor headers end at the first blank line
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("=") or line.startswith("-----END"):
            break
        body.append(line.strip())
    data = base64.b64decode("".join(body))
    tag_byte = data[0]
    if tag_byte & 0x40:  # new-format packet header
        tag = tag_byte & 0x3F
        first = data[1]
        if first < 192:
            length, off = first, 2
        elif first < 224:
            length, off = ((first - 192) << 8) + data[2] + 192, 3
        else:
            length, off = int.from_bytes(data[2:6], "big"), 6
    else:  # old format
        tag = (tag_byte >> 2) & 0x0F
        size = {0: 1, 1: 2, 2: 4}[tag_byte & 0x03]
        length, off = int.from_bytes(data[1 : 1 + size], "big"), 1 + size
    if tag != 6:
        raise ValueError(f"first packet is tag {tag}, not a public key")
    packet = data[off : off + length]
    if packet[0] != 4:
        raise ValueError(f"public key packet version {packet[0]} is not 4")
    fpr = hashlib.sha1(b"\x99" + len(packet).to_bytes(2, "big") + packet).hexdigest().upper()
    return fpr[-16:]


class Registry:
    def __init__(self, dist: Path, namespace: str, log_path: Path) -> None:
        self.dist = dist
        self.namespace = namespace
        self.log_path = log_path
        self.log_lock = threading.Lock()
        self.base_url = ""
        self.archives: dict[tuple[str, str, str, str], str] = {}  # (type, version, os, arch) -> file
        for f in sorted(dist.iterdir()):
            m = ARCHIVE_RE.match(f.name)
            if m:
                self.archives[(m["type"], m["version"], m["os"], m["arch"])] = f.name
        if not self.archives:
            raise SystemExit(f"registry: no terraform-provider-*.zip in {dist}")

    def prefix(self, ptype: str, version: str) -> str:
        return f"terraform-provider-{ptype}_{version}"

    def protocols(self, ptype: str, version: str) -> list[str]:
        manifest = self.dist / f"{self.prefix(ptype, version)}_manifest.json"
        if manifest.is_file():
            return json.loads(manifest.read_text())["metadata"]["protocol_versions"]
        return ["5.0"]  # what the real registry assumes without a manifest

    def versions(self, ptype: str) -> dict | None:
        found: dict[str, list[dict]] = {}
        for (t, v, os_, arch) in self.archives:
            if t == ptype:
                found.setdefault(v, []).append({"os": os_, "arch": arch})
        if not found:
            return None
        return {
            "versions": [
                {"version": v, "protocols": self.protocols(ptype, v), "platforms": plats} for v, plats in sorted(found.items())
            ]
        }

    def download(self, ptype: str, version: str, os_: str, arch: str) -> dict | None:
        filename = self.archives.get((ptype, version, os_, arch))
        if filename is None:
            return None
        prefix = self.prefix(ptype, version)
        sums = (self.dist / f"{prefix}_SHA256SUMS").read_text()
        shasum = next((line.split()[0] for line in sums.splitlines() if line.split()[1:] == [filename]), None)
        if shasum is None:
            raise ValueError(f"{filename} is not listed in {prefix}_SHA256SUMS")
        armored = (self.dist / f"{prefix}_signing-key.asc").read_text()
        file_url = lambda name: f"{self.base_url}/files/{quote(name)}"  # noqa: E731
        return {
            "protocols": self.protocols(ptype, version),
            "os": os_,
            "arch": arch,
            "filename": filename,
            "download_url": file_url(filename),
            "shasums_url": file_url(f"{prefix}_SHA256SUMS"),
            "shasums_signature_url": file_url(f"{prefix}_SHA256SUMS.sig"),
            "shasum": shasum,
            "signing_keys": {
                "gpg_public_keys": [
                    {
                        "key_id": openpgp_key_id(armored),
                        "ascii_armor": armored,
                        "trust_signature": "",
                        "source": self.namespace,
                        "source_url": None,
                    }
                ]
            },
        }

    def log(self, method: str, path: str, status: int) -> None:
        with self.log_lock, open(self.log_path, "a") as f:
            f.write(json.dumps({"method": method, "path": path, "status": status}) + "\n")


def handler_for(reg: Registry):
    api = re.compile(rf"^/v1/providers/{re.escape(reg.namespace)}/(?P<type>[a-z0-9-]+)/(?:(?P<versions>versions)|(?P<version>[^/]+)/download/(?P<os>[a-z0-9]+)/(?P<arch>[a-z0-9]+))$")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # the JSON log replaces stderr chatter
            pass

        def send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            reg.log(self.command, self.path, status)

        def send_json(self, status: int, doc) -> None:
            self.send(status, json.dumps(doc).encode(), "application/json")

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path.startswith("/files/"):
                name = path[len("/files/") :]
                f = reg.dist / name
                if "/" in name or not f.is_file():
                    return self.send_json(404, {"errors": ["Not Found"]})
                return self.send(200, f.read_bytes(), "application/octet-stream")
            m = api.match(path)
            doc = None
            if m and m["versions"]:
                doc = reg.versions(m["type"])
            elif m:
                doc = reg.download(m["type"], m["version"], m["os"], m["arch"])
            if doc is None:
                return self.send_json(404, {"errors": ["Not Found"]})
            self.send_json(200, doc)

        do_HEAD = do_GET

    return Handler


def watch_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="provider registry over HTTPS on loopback")
    p.add_argument("--dist", required=True, type=Path)
    p.add_argument("--state-dir", required=True, type=Path)
    p.add_argument("--namespace", default="eks-sso")
    args = p.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    reg = Registry(args.dist.resolve(), args.namespace, args.state_dir / "requests.log")
    tls = make_tls(args.state_dir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(reg))
    server.daemon_threads = True
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    reg.base_url = f"https://127.0.0.1:{port}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    watch_parent()
    tmp = args.state_dir / "port.tmp"
    tmp.write_text(f"{port}\n")
    os.replace(tmp, args.state_dir / "port")
    try:
        server.serve_forever()
    except SystemExit:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
