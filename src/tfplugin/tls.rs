//! go-plugin's automatic mutual TLS.
//!
//! When Terraform sets `PLUGIN_CLIENT_CERT`, both sides authenticate with
//! throwaway self-signed certificates: we generate ours at startup, send its
//! DER in the handshake line, and accept only connections that present the
//! launcher's certificate.
//!
//! go-plugin marks both certificates as CAs (each side uses the peer's
//! certificate as its trust root). rustls' stock WebPKI client verifier
//! rejects a CA certificate used as an end entity, so we verify the client
//! by pinning: the presented certificate must be byte-for-byte the one from
//! `PLUGIN_CLIENT_CERT`, and the handshake signature must verify with its key.
//! That is what go-plugin's pool-of-one check amounts to for this client.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use thiserror::Error;

use super::ecdsa_p521;

#[derive(Debug, Error)]
pub enum TlsError {
    #[error("could not generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("PLUGIN_CLIENT_CERT holds no usable PEM certificate: {0}")]
    ClientCert(String),
    #[error("could not build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Our freshly generated certificate and its private key.
pub struct ServerIdentity {
    pub cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// A self-signed CA certificate for `localhost`, shaped like the one
    /// go-plugin's Go servers make so Terraform's verifier treats it alike:
    /// CA, SAN localhost, server and client auth, valid from 30 s ago.
    pub fn generate() -> Result<ServerIdentity, TlsError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "localhost");
        dn.push(DnType::OrganizationName, "terraform-provider-eks");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs() as i64;
        // Clock skew between Terraform and us is nil (same host), but a
        // certificate dated "now" can look future-dated to a verifier that
        // truncates differently; go-plugin backdates by 30 s for that reason.
        params.not_before = unix_time(now - 30);
        // The certificate lives as long as the process; a year is ample.
        params.not_after = unix_time(now + 366 * 24 * 3600);
        let cert = params.self_signed(&key)?;
        Ok(ServerIdentity {
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The handshake line's certificate field: DER in standard base64
    /// without padding (go-plugin's `RawStdEncoding`).
    pub fn handshake_field(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.cert.as_ref())
    }
}

fn unix_time(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The server side of automatic mTLS: our identity, client certificate
/// required and pinned, HTTP/2 negotiated via ALPN (Go's gRPC insists on it).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(server_crypto());
    let verifier = PinnedClientCert::from_pem(client_cert_pem, &provider)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert.clone()],
            PrivateKeyDer::Pkcs8(identity.key.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// The crypto behind our TLS server: ring for everything, plus RustCrypto's
/// P-521 to verify the client's signature (see [`super::ecdsa_p521`]).
///
/// ring reads the OS random generator. aws-lc, the other backend rustls
/// offers, seeds its generator from CPU jitter on first use, which cost about
/// 30 ms of every start-up when it was used here.
fn server_crypto() -> CryptoProvider {
    CryptoProvider {
        signature_verification_algorithms: ecdsa_p521::ring_with_p521(),
        ..rustls::crypto::ring::default_provider()
    }
}

/// Accepts exactly the certificates Terraform gave us in PLUGIN_CLIENT_CERT.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: Vec<CertificateDer<'static>>,
    /// Sent in the CertificateRequest so Go's client sees its own issuer and
    /// picks its certificate.
    hints: Vec<rustls::DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    fn from_pem(pem: &str, provider: &CryptoProvider) -> Result<PinnedClientCert, TlsError> {
        let pinned = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::ClientCert(e.to_string()))?;
        if pinned.is_empty() {
            return Err(TlsError::ClientCert(
                "no CERTIFICATE block found".to_string(),
            ));
        }
        let mut roots = RootCertStore::empty();
        for c in &pinned {
            roots
                .add(c.clone())
                .map_err(|e| TlsError::ClientCert(e.to_string()))?;
        }
        Ok(PinnedClientCert {
            pinned,
            hints: roots.subjects(),
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_field_is_unpadded_base64_of_the_der() {
        let id = ServerIdentity::generate().unwrap();
        let field = id.handshake_field();
        assert!(!field.contains('='));
        assert!(
            field.len() > 50,
            "go-plugin ignores certificate fields of 50 chars or less"
        );
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&field)
            .unwrap();
        assert_eq!(der, id.cert.as_ref());
    }

    #[test]
    fn each_start_gets_a_fresh_certificate() {
        let a = ServerIdentity::generate().unwrap();
        let b = ServerIdentity::generate().unwrap();
        assert_ne!(a.cert, b.cert);
    }

    #[test]
    fn rejects_a_client_cert_variable_without_pem() {
        let id = ServerIdentity::generate().unwrap();
        assert!(matches!(
            server_config(&id, "not a certificate"),
            Err(TlsError::ClientCert(_))
        ));
    }

    #[test]
    fn pins_exactly_the_given_certificate() {
        let provider = server_crypto();
        let client = ServerIdentity::generate().unwrap();
        let other = ServerIdentity::generate().unwrap();
        let pem_text = pem_of(&client.cert);
        let v = PinnedClientCert::from_pem(&pem_text, &provider).unwrap();
        assert!(v.client_auth_mandatory());
        assert_eq!(v.root_hint_subjects().len(), 1);
        let now = UnixTime::now();
        assert!(v.verify_client_cert(&client.cert, &[], now).is_ok());
        assert!(v.verify_client_cert(&other.cert, &[], now).is_err());
    }

    fn pem_of(der: &CertificateDer<'_>) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(chunk).unwrap());
            s.push('\n');
        }
        s.push_str("-----END CERTIFICATE-----\n");
        s
    }
}
