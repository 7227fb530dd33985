//! Names this provider is known by. The registry address lives here and
//! nowhere else, so renaming the provider is a one-line change.

/// The provider's source address, as Terraform keys it (for example in
/// TF_REATTACH_PROVIDERS and in lock files).
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/eks-sso/eks";

/// The executable's name, as Terraform's naming convention requires.
pub const BINARY_NAME: &str = "terraform-provider-eks";

/// The hclog module our log lines carry; Terraform shows it next to each line.
pub const LOG_MODULE: &str = "provider.terraform-provider-eks";

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
