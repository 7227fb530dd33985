//! Private state: progress Terraform keeps for us but never shows, for work
//! that the visible attributes cannot express.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Private {
    /// The permission set changed but the account's role has not been
    /// re-provisioned yet (the provisioning failed or was interrupted). The
    /// next plan shows an update so the next apply provisions again.
    pub needs_provision: bool,
    /// Set by import so the read that follows fills every attribute from AWS.
    pub importing: bool,
    /// Identity-store IDs of principals whose assignment existed before this
    /// resource asked for it, with a referenced permission set (a managed
    /// set's assignments in the grant's account are the grant's, see
    /// `assign::Existing`). The grant lists them, but did not make them, so
    /// removing a principal from the grant or destroying it leaves them in
    /// place: removing someone else's last assignment would make AWS delete
    /// the reserved role their access hangs on.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub foreign_assignments: BTreeSet<String>,
}

impl Private {
    /// Unreadable or empty bytes mean "nothing pending".
    pub fn decode(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    /// Empty when there is nothing to remember, so ordinary state carries no
    /// private data at all.
    pub fn encode(&self) -> Vec<u8> {
        if *self == Private::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_defaults_to_empty() {
        assert!(Private::default().encode().is_empty());
        let p = Private {
            needs_provision: true,
            importing: false,
            foreign_assignments: ["g-1".to_string()].into(),
        };
        assert_eq!(Private::decode(&p.encode()), p);
        assert_eq!(Private::decode(b"garbage"), Private::default());
        assert_eq!(Private::decode(b""), Private::default());
    }
}
