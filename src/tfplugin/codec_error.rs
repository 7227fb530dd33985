//! The one error type of the value layer (msgpack, JSON, type JSON and the
//! typed-model bridge), so the server can turn any of them into a diagnostic.
//! Every variant that concerns part of a value says where, because "number
//! required" is useless without knowing which of forty attributes it was.

use super::diagnostics::AttributePath;

#[derive(thiserror::Error, Debug)]
pub enum CodecError {
    /// The bytes or JSON hold a value of the wrong kind for the type.
    #[error("{}: expected {expected}, found {found}", at(path))]
    Mismatch {
        path: AttributePath,
        expected: String,
        found: String,
    },
    /// The input is structurally broken (truncated, bad lengths, bad text).
    #[error("{}: {message}", at(path))]
    Malformed {
        path: AttributePath,
        message: String,
    },
    /// An object carries an attribute its type does not declare.
    #[error("{}: unsupported attribute {name:?}", at(path))]
    UnexpectedAttribute { path: AttributePath, name: String },
    /// A value that is not known yet reached a format that cannot say so.
    #[error(
        "{}: value is unknown, and {format} cannot represent unknown values",
        at(path)
    )]
    Unknown {
        path: AttributePath,
        format: &'static str,
    },
    /// A type description (JSON type constraint) that is not a cty type.
    #[error("invalid type description: {0}")]
    InvalidType(String),
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Paths print as attribute paths; the whole value prints as "value".
fn at(path: &AttributePath) -> String {
    if path.0.is_empty() {
        "value".to_string()
    } else {
        path.to_string()
    }
}

impl CodecError {
    pub(crate) fn mismatch(path: &AttributePath, expected: &str, found: impl Into<String>) -> Self {
        CodecError::Mismatch {
            path: path.clone(),
            expected: expected.to_string(),
            found: found.into(),
        }
    }
    pub(crate) fn malformed(path: &AttributePath, message: impl Into<String>) -> Self {
        CodecError::Malformed {
            path: path.clone(),
            message: message.into(),
        }
    }
    /// The path the error is about, when it is about part of a value.
    pub fn path(&self) -> Option<&AttributePath> {
        match self {
            CodecError::Mismatch { path, .. }
            | CodecError::Malformed { path, .. }
            | CodecError::UnexpectedAttribute { path, .. }
            | CodecError::Unknown { path, .. } => Some(path),
            CodecError::InvalidType(_) | CodecError::Json(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_path() {
        let p = AttributePath::attr("rules").then_index(2).then_attr("port");
        let e = CodecError::mismatch(&p, "number", "string");
        assert_eq!(
            e.to_string(),
            "rules[2].port: expected number, found string"
        );
        assert_eq!(e.path(), Some(&p));
        let root = CodecError::malformed(&AttributePath::root(), "truncated input");
        assert_eq!(root.to_string(), "value: truncated input");
        let unk = CodecError::Unknown {
            path: AttributePath::attr("arn"),
            format: "JSON",
        };
        assert_eq!(
            unk.to_string(),
            "arn: value is unknown, and JSON cannot represent unknown values"
        );
        assert!(CodecError::InvalidType("x".into()).path().is_none());
    }
}
