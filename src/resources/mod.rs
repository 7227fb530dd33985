//! Managed resources, one module each.

pub mod cluster_creator_role;
pub mod sso_admin_access;
