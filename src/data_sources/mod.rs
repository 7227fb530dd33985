//! Data sources: read-only lookups, one file each. Registered in
//! [`crate::registry`].

pub mod common;
pub mod kubeconfig;
pub mod sso_cli_profile;
pub mod sso_reserved_role;
