//! A stand-in for Terraform's plugin client (HashiCorp go-plugin): starts
//! the provider binary with the environment Terraform sets, reads the
//! handshake line, and dials it over unix or TCP with automatic mTLS.
//!
//! Included by tests/protocol.rs with `#[path]`; independent of the
//! acceptance harness in this directory.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

pub const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-eks");

/// The binary to launch: `EKS_PROVIDER_BIN` when set (the benchmark points it
/// at the plain release build, whose features the test build does not share),
/// otherwise the one Cargo built for this test run.
pub fn binary() -> String {
    std::env::var("EKS_PROVIDER_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| BIN.to_string())
}
pub const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Variables that must not leak from the developer's shell into a test.
const SCRUBBED: &[&str] = &[
    "TF_PLUGIN_MAGIC_COOKIE",
    "PLUGIN_PROTOCOL_VERSIONS",
    "PLUGIN_CLIENT_CERT",
    "PLUGIN_MIN_PORT",
    "PLUGIN_MAX_PORT",
    "PLUGIN_UNIX_SOCKET_DIR",
    "PLUGIN_UNIX_SOCKET_GROUP",
    "PLUGIN_MULTIPLEX_GRPC",
    "TF_LOG",
    "TF_LOG_PROVIDER",
    "TF_REATTACH_PROVIDERS",
];

/// A client certificate made the way go-plugin makes Terraform's: a
/// self-signed ECDSA P-521 CA for localhost with client and server auth.
pub struct ClientCert {
    pub pem: String,
    pub der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ClientCert {
    pub fn generate() -> ClientCert {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).unwrap();
        ClientCert {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    /// This certificate with another P-521 key: what someone who copied
    /// PLUGIN_CLIENT_CERT, but not the launcher's private key, could present.
    pub fn impostor(&self) -> ClientCert {
        let other = ClientCert::generate();
        ClientCert {
            pem: self.pem.clone(),
            der: self.der.clone(),
            key: other.key,
        }
    }
}

/// Presents a certificate and signs with a key, without rustls checking
/// that the two belong together (so tests can present an impostor).
#[derive(Debug)]
struct Presents(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for Presents {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The six fields of go-plugin's handshake line.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub raw: String,
    pub core_version: String,
    pub app_version: String,
    pub network: String,
    pub address: String,
    pub protocol: String,
    pub cert: String,
}

impl Handshake {
    pub fn parse(line: &str) -> Handshake {
        let parts: Vec<&str> = line.trim_end_matches('\n').split('|').collect();
        assert_eq!(
            parts.len(),
            6,
            "handshake line must have 6 fields: {line:?}"
        );
        Handshake {
            raw: line.to_string(),
            core_version: parts[0].into(),
            app_version: parts[1].into(),
            network: parts[2].into(),
            address: parts[3].into(),
            protocol: parts[4].into(),
            cert: parts[5].into(),
        }
    }

    /// The server certificate's DER (the field is unpadded standard base64).
    pub fn cert_der(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&self.cert)
            .expect("certificate field is unpadded standard base64")
    }
}

/// How to launch the plugin.
pub struct Launch {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    /// Start through a shell that exits soon after, orphaning the plugin.
    pub orphan: bool,
    /// Per-test directory, used as PLUGIN_UNIX_SOCKET_DIR by default.
    pub dir: tempfile::TempDir,
    /// Another executable to start instead of [`binary()`] (the benchmark's
    /// floor, or another provider to compare with).
    pub program: Option<std::path::PathBuf>,
}

impl Launch {
    /// Exactly what Terraform sets (with AutoMTLS on), sockets in a private dir.
    pub fn like_terraform(client: &ClientCert) -> Launch {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![
            ("TF_PLUGIN_MAGIC_COOKIE".into(), COOKIE.into()),
            ("PLUGIN_PROTOCOL_VERSIONS".into(), "5,6".into()),
            ("PLUGIN_MIN_PORT".into(), "10000".into()),
            ("PLUGIN_MAX_PORT".into(), "25000".into()),
            ("PLUGIN_CLIENT_CERT".into(), client.pem.clone()),
            (
                "PLUGIN_UNIX_SOCKET_DIR".into(),
                dir.path().display().to_string(),
            ),
        ];
        Launch {
            env,
            args: Vec::new(),
            orphan: false,
            dir,
            program: None,
        }
    }

    /// Nothing set: a person running the binary in a shell.
    pub fn by_hand() -> Launch {
        Launch {
            env: Vec::new(),
            args: Vec::new(),
            orphan: false,
            dir: tempfile::tempdir().unwrap(),
            program: None,
        }
    }

    pub fn set(mut self, key: &str, value: &str) -> Launch {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn unset(mut self, key: &str) -> Launch {
        self.env.retain(|(k, _)| k != key);
        self
    }

    pub fn arg(mut self, a: &str) -> Launch {
        self.args.push(a.into());
        self
    }

    /// Launches through `sh -c 'plugin & sleep 2'`: the shell exits while
    /// the plugin runs on, as when Terraform dies without cleaning up.
    pub fn orphaned(mut self) -> Launch {
        self.orphan = true;
        self
    }

    /// Starts `program` instead of the provider.
    pub fn program(mut self, program: impl Into<std::path::PathBuf>) -> Launch {
        self.program = Some(program.into());
        self
    }

    pub fn spawn(self) -> Plugin {
        let program = self
            .program
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from(binary()));
        let mut cmd = if self.orphan {
            let mut c = Command::new("sh");
            c.arg("-c").arg("\"$0\" \"$@\" & sleep 2").arg(&program);
            c
        } else {
            Command::new(&program)
        };
        for k in SCRUBBED {
            cmd.env_remove(k);
        }
        // Real temp dir stays the fallback only if a test unsets the dir.
        cmd.env("TMPDIR", self.dir.path());
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start provider binary");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut r = BufReader::new(pipe);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Plugin {
            child,
            stdout_lines: rx,
            stderr,
            stderr_reader: Some(stderr_reader),
            dir: self.dir,
        }
    }
}

/// A running (or finished) provider process.
pub struct Plugin {
    pub child: Child,
    stdout_lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    pub dir: tempfile::TempDir,
}

impl Plugin {
    /// The next stdout line, waiting up to `timeout`.
    pub fn stdout_line(&self, timeout: Duration) -> Option<String> {
        self.stdout_lines.recv_timeout(timeout).ok()
    }

    /// Reads and parses the handshake line.
    pub fn handshake(&self) -> Handshake {
        let line = self
            .stdout_line(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no handshake line; stderr:\n{}", self.stderr()));
        Handshake::parse(&line)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whatever else reached stdout, once the process has exited.
    pub fn remaining_stdout(&self) -> String {
        let mut s = String::new();
        while let Ok(line) = self.stdout_lines.recv_timeout(Duration::from_millis(500)) {
            s.push_str(&line);
        }
        s
    }

    /// True when stdout reaches end of file (every process holding it has
    /// exited) within `timeout`.
    pub fn stdout_closes_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_lines.recv_timeout(left) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader drain what the process wrote before exiting.
                if let Some(reader) = self.stderr_reader.take() {
                    let _ = reader.join();
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A byte stream of any kind, so one connector serves unix/TCP, TLS/plain.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// How a test client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// No TLS at all (debug mode).
    Plain,
    /// TLS, trusting only `server_cert`, optionally presenting a client cert.
    Tls {
        server_cert: Vec<u8>,
        client: Option<Arc<ClientCert>>,
    },
}

/// Dials the address from a handshake line. The connection is made lazily
/// by tonic; errors surface on the first call or from `connect`.
pub async fn connect(
    network: &str,
    address: &str,
    auth: Auth,
) -> Result<Channel, tonic::transport::Error> {
    let (network, address) = (network.to_string(), address.to_string());
    let tls = match &auth {
        Auth::Plain => None,
        Auth::Tls {
            server_cert,
            client,
        } => Some(TlsConnector::from(Arc::new(client_config(
            server_cert,
            client.as_deref(),
        )))),
    };
    let connector = tower::service_fn(move |_: Uri| {
        let (network, address, tls) = (network.clone(), address.clone(), tls.clone());
        async move {
            let raw: Box<dyn Io> = match network.as_str() {
                "unix" => Box::new(tokio::net::UnixStream::connect(&address).await?),
                "tcp" => Box::new(tokio::net::TcpStream::connect(&address).await?),
                other => return Err(std::io::Error::other(format!("unknown network {other}"))),
            };
            let io: Box<dyn Io> = match tls {
                None => raw,
                Some(tls) => {
                    let name = ServerName::try_from("localhost").unwrap();
                    Box::new(tls.connect(name, raw).await?)
                }
            };
            Ok::<_, std::io::Error>(TokioIo::new(io))
        }
    });
    Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .connect_with_connector(connector)
        .await
}

fn client_config(server_cert: &[u8], client: Option<&ClientCert>) -> ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServer {
        cert: server_cert.to_vec(),
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some(c) => {
            let key = provider
                .key_provider
                .load_private_key(PrivateKeyDer::Pkcs8(c.key.clone_key()))
                .unwrap();
            let certified = rustls::sign::CertifiedKey::new(vec![c.der.clone()], key);
            builder.with_client_cert_resolver(Arc::new(Presents(Arc::new(certified))))
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// Trusts exactly the certificate from the handshake line, as go-plugin
/// does (it makes that certificate the only root).
#[derive(Debug)]
struct PinnedServer {
    cert: Vec<u8>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A free TCP port on loopback (released before returning; fine for tests
/// that only need "a port nobody is using right now").
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
