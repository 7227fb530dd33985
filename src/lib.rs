//! terraform-provider-eks: IAM Identity Center to Amazon EKS access, as a
//! Terraform/OpenTofu provider. See ARCHITECTURE.md for the module map.

pub mod aws;
pub mod data_sources;
pub mod meta;
pub mod provider;
pub mod registry;
pub mod resources;
pub mod tfplugin;
pub mod validate;
