//! ECDSA P-521 with SHA-512 for rustls, so the TLS server needs one crypto
//! backend (ring) rather than two.
//!
//! go-plugin makes its client certificates with P-521 keys, so Terraform and
//! OpenTofu sign their TLS handshakes with `ecdsa_secp521r1_sha512`. ring has
//! no P-521. Rather than link a second crypto library (aws-lc, about 2 MB)
//! for that one signature check, this adds it to ring's list of verification
//! algorithms, implemented with RustCrypto's `p521`. Verification needs no
//! randomness and no secret, so constant-time concerns do not arise.

use std::sync::LazyLock;

use p521::ecdsa::signature::Verifier as _;
use rustls::SignatureScheme;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};

/// The `SignatureVerificationAlgorithm` webpki and rustls call with the
/// certificate's `subjectPublicKey` (an uncompressed SEC1 point), the signed
/// bytes and the DER-encoded signature.
#[derive(Debug)]
struct EcdsaP521Sha512;

impl SignatureVerificationAlgorithm for EcdsaP521Sha512 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key =
            p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let signature =
            p521::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        // `verify` hashes `message` with SHA-512, the digest the scheme names.
        key.verify(message, &signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }
}

static ECDSA_P521_SHA512: EcdsaP521Sha512 = EcdsaP521Sha512;
static P521_ONLY: [&dyn SignatureVerificationAlgorithm; 1] = [&ECDSA_P521_SHA512];

/// rustls wants `'static` slices; ring's lists plus ours are built once.
static ALL: LazyLock<Vec<&'static dyn SignatureVerificationAlgorithm>> = LazyLock::new(|| {
    let mut all = ring_algorithms().all.to_vec();
    all.push(&ECDSA_P521_SHA512);
    all
});

type SchemeMapping = (
    SignatureScheme,
    &'static [&'static dyn SignatureVerificationAlgorithm],
);

static MAPPING: LazyLock<Vec<SchemeMapping>> = LazyLock::new(|| {
    let mut mapping = ring_algorithms().mapping.to_vec();
    mapping.push((SignatureScheme::ECDSA_NISTP521_SHA512, &P521_ONLY));
    mapping
});

fn ring_algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

/// Every signature ring verifies, plus ECDSA P-521 with SHA-512.
pub fn ring_with_p521() -> WebPkiSupportedAlgorithms {
    WebPkiSupportedAlgorithms {
        all: ALL.as_slice(),
        mapping: MAPPING.as_slice(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P521_SHA512, SigningKey as _};

    /// A P-521 key as go-plugin makes one (rcgen, on aws-lc in test builds),
    /// its raw public key, and its DER signature over `message`.
    fn p521_signed(message: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
        (key.public_key_raw().to_vec(), key.sign(message).unwrap())
    }

    #[test]
    fn verifies_a_p521_sha512_signature() {
        let (public, sig) = p521_signed(b"TLS 1.3, client CertificateVerify");
        assert!(
            ECDSA_P521_SHA512
                .verify_signature(&public, b"TLS 1.3, client CertificateVerify", &sig)
                .is_ok()
        );
    }

    #[test]
    fn rejects_another_message_another_key_and_a_damaged_signature() {
        let (public, sig) = p521_signed(b"signed");
        let alg = &ECDSA_P521_SHA512;
        assert!(alg.verify_signature(&public, b"not signed", &sig).is_err());

        let (other_public, _) = p521_signed(b"signed");
        assert!(
            alg.verify_signature(&other_public, b"signed", &sig)
                .is_err()
        );

        let mut damaged = sig.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(alg.verify_signature(&public, b"signed", &damaged).is_err());

        // A P-256 key is not a P-521 key.
        let p256 = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        assert!(
            alg.verify_signature(p256.public_key_raw(), b"signed", &sig)
                .is_err()
        );
    }

    #[test]
    fn extends_rings_list_with_the_p521_scheme() {
        let algorithms = ring_with_p521();
        let schemes = algorithms.supported_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        for scheme in ring_algorithms().supported_schemes() {
            assert!(schemes.contains(&scheme), "{scheme:?} dropped");
        }
    }
}
