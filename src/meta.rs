//! Names this provider is known by. The registry address lives here and
//! nowhere else, so renaming the provider is a one-line change.

/// The provider's source address, as Terraform keys it (for example in
/// TF_REATTACH_PROVIDERS and in lock files).
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/eks-sso/eks";

/// The executable's name, as Terraform's naming convention requires.
pub const BINARY_NAME: &str = "terraform-provider-eks";

/// The hclog module our log lines carry; Terraform shows it next to each line.
pub const LOG_MODULE: &str = "provider.terraform-provider-eks";

/// The provider's version: Cargo.toml's `version`, the one place it is kept,
/// unless `EKS_PROVIDER_VERSION` is set at build time. `make dist VERSION=x.y.z`
/// sets it, so a release binary reports the version its archive is named after
/// without editing Cargo.toml for every build. Cargo tracks the variable, so
/// changing it rebuilds this crate.
pub const VERSION: &str = match option_env!("EKS_PROVIDER_VERSION") {
    Some(v) if !v.is_empty() => v,
    _ => env!("CARGO_PKG_VERSION"),
};
