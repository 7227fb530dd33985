//! terraform-provider-eks: IAM Identity Center to Amazon EKS access, as a
//! Terraform/OpenTofu provider. See ARCHITECTURE.md for the module map.

pub mod tfplugin;
pub mod meta;
pub mod provider;
pub mod aws;
pub mod data_sources;
pub mod validate;
pub mod resources;
