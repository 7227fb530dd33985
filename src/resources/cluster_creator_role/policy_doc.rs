//! The size limits of the documents this resource writes, and IAM's
//! URL-encoding of the documents it reads back. What the documents mean is
//! compared in [`crate::aws::policy_json`].

/// IAM's limit for a customer-managed policy, counted without whitespace.
pub const MANAGED_POLICY_MAX_CHARS: usize = 6144;
/// IAM's default quota for a role trust policy (raisable to 4096), without whitespace.
pub const TRUST_POLICY_DEFAULT_MAX_CHARS: usize = 2048;

/// Characters IAM counts towards its size limits.
pub fn counted_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

pub use crate::aws::iam::decode_policy_document as decode_document;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_encoded_and_plain() {
        assert_eq!(decode_document("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(decode_document(r#"{"a":"100%"}"#), r#"{"a":"100%"}"#);
    }

    #[test]
    fn counted_len_ignores_whitespace() {
        assert_eq!(counted_len("{ \"a\" :\n 1 }"), 7);
    }
}
