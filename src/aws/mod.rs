//! AWS plumbing shared by every resource and data source: one error type,
//! one place that classifies errors and retries, one poller for waits, the
//! Identity Center rate limits, and per-service helpers.
//!
//! Resource authors mostly need:
//! - [`SdkResultExt::aws`] to turn an SDK result into `Result<_, AwsError>`,
//!   then [`AwsResultExt::about`] to name the object, and
//!   [`AwsError::to_diagnostics`] to report it;
//! - [`retry::retry_conflicts`] around sso-admin writes,
//!   [`retry::retry_eks_propagation`] around EKS calls that name a fresh role;
//! - [`wait::poll`] / [`wait::poll_until`] for every status wait.

pub mod arn;
pub mod classify;
pub mod errors;
pub mod http;
pub mod iam;
pub mod limiter;
pub mod policy_grammar;
pub mod policy_json;
pub mod retry;
pub mod sdk_retry;
pub mod service;
pub mod ssoadmin;
pub mod tags;
pub mod wait;

pub use classify::Class;
pub use errors::{AwsError, AwsResultExt, ErrorKind, SdkResultExt, Service};
