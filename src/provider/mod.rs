//! The `eks` provider: its configuration block, and the AWS clients every
//! resource and data source shares.
//!
//! # For resource and data source authors
//!
//! Construct your type with the shared state (and register it in
//! [`crate::registry`], which builds the provider):
//!
//! ```ignore
//! pub struct MyResource { state: Arc<ProviderState> }
//! ```
//!
//! In an operation that needs AWS:
//!
//! ```ignore
//! let clients = match self.state.clients().await {   // built once, lazily
//!     Ok(c) => c,
//!     Err(d) => return (Value::Null, d),
//! };
//! clients.check_account(&account_id).await?;          // resources with account_id
//! let inst = clients.sso_instance(ctx).await            // instance_arn + identity_store_id
//!     .map_err(|e| e.to_diagnostics("Could not find the Identity Center instance"))?;
//! let out = retry_conflicts(ctx, "CreatePermissionSet", || async {
//!     clients.ssoadmin.create_permission_set()
//!         .instance_arn(&inst.instance_arn).name(name)
//!         .send().await
//!         .aws(Service::SsoAdmin, "CreatePermissionSet")
//! }).await.about(format!("permission set {name}"))?;
//! ```
//!
//! What [`AwsClients`] gives you:
//! - `eks`, `iam`, `sts`: cluster-side clients (`region`, `profile`,
//!   `assume_role`, endpoint overrides);
//! - `ssoadmin`, `identitystore`: Identity Center clients (`sso.*`), whose
//!   every request attempt already passes the shared 20 TPS token bucket;
//! - `region`, `sso_region`, `default_tags`, [`AwsClients::merged_tags`];
//! - [`AwsClients::cluster_account_id`], [`AwsClients::caller_partition`]
//!   (both from one cached GetCallerIdentity) and [`AwsClients::sso_instance`]
//!   (cached after the first success);
//! - [`AwsClients::check_account`] for the "wrong account" error;
//! - [`AwsClients::assignment_permit`]: hold one per in-flight
//!   CreateAccountAssignment (at most 10 at once);
//! - [`AwsClients::sso_limiter`] for Identity Center traffic outside these clients.
//!
//! Errors, retries and waits live in [`crate::aws`]: `AwsError` (with
//! `to_diagnostics`), `retry::retry_conflicts`, `retry::retry_eks_propagation`,
//! `wait::poll`. Shared input validators are in [`crate::validate`].
//! [`ProviderState::default_tags`] is available at plan time without clients.
//!
//! # Behaviour
//!
//! - `validate` checks the block offline, with attribute paths; unknown
//!   values pass.
//! - `configure` only stores the block: no AWS call and no credential
//!   resolution. Clients are built on the first [`ProviderState::clients`]
//!   call, from aws-config's standard chain (environment, shared files and
//!   SSO profiles, web identity, ECS, IMDS), so plans that need no AWS call
//!   work without credentials.
//! - `endpoints.*` override `AWS_ENDPOINT_URL_<SERVICE>` (`EKS`, `IAM`, `STS`,
//!   `SSO_ADMIN`, `IDENTITYSTORE`) and `AWS_ENDPOINT_URL`, which the SDK
//!   honours when the block leaves a service unset.
//! - Throttling, timeouts and 5xx are retried by the SDK (standard mode,
//!   `max_retries` attempts).

pub mod clients;
pub mod config;
pub mod schema;
pub mod state;

use std::sync::Arc;

use async_trait::async_trait;

pub use crate::aws::ssoadmin::SsoInstance;
pub use clients::AwsClients;
pub use config::ProviderConfig;
pub use state::ProviderState;

use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Ctx, DataSource, Provider, Resource};
use crate::tfplugin::schema::Schema;
use crate::tfplugin::value::Value;

/// The provider served to Terraform. It does not know its types: they are
/// handed in (by [`crate::registry`]), built on the same `state`.
pub struct EksProvider {
    state: Arc<ProviderState>,
    resources: Vec<Arc<dyn Resource>>,
    data_sources: Vec<Arc<dyn DataSource>>,
}

impl EksProvider {
    pub fn new(
        state: Arc<ProviderState>,
        resources: Vec<Arc<dyn Resource>>,
        data_sources: Vec<Arc<dyn DataSource>>,
    ) -> EksProvider {
        EksProvider {
            state,
            resources,
            data_sources,
        }
    }

    /// The state shared with resources and data sources.
    pub fn state(&self) -> &Arc<ProviderState> {
        &self.state
    }
}

#[async_trait]
impl Provider for EksProvider {
    fn schema(&self) -> Schema {
        schema::provider_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, _ctx: &Ctx, terraform_version: &str, config: Value) -> Diagnostics {
        match ProviderConfig::from_value(&config) {
            Ok(cfg) => {
                tracing::debug!(
                    terraform_version,
                    unknown = cfg.unknown.len(),
                    "provider configured; AWS clients will be built on first use"
                );
                self.state.set_config(cfg, terraform_version)
            }
            Err(d) => d,
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        self.resources.clone()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        self.data_sources.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::BlockNesting;

    /// The provider without types: its own block is all these tests need.
    fn bare() -> EksProvider {
        EksProvider::new(Arc::new(ProviderState::new()), Vec::new(), Vec::new())
    }

    #[test]
    fn schema_has_the_spec_blocks_and_attributes() {
        let s = bare().schema();
        let attrs: Vec<&str> = s.block.attributes.iter().map(|a| a.name.as_str()).collect();
        for name in [
            "region",
            "profile",
            "shared_config_files",
            "shared_credentials_files",
            "max_retries",
        ] {
            assert!(attrs.contains(&name), "{name}");
        }
        let blocks: Vec<&str> = s.block.blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            blocks,
            vec!["assume_role", "sso", "endpoints", "default_tags"]
        );
        for b in &s.block.blocks {
            // Terraform requires min == max ∈ {0, 1} for single blocks.
            assert_eq!(
                (b.nesting, b.min_items, b.max_items),
                (BlockNesting::Single, 0, 0),
                "{}",
                b.name
            );
            assert!(!b.block.description.is_empty());
        }
        let sso = s.block.blocks.iter().find(|b| b.name == "sso").unwrap();
        assert_eq!(sso.block.blocks[0].name, "assume_role");
        assert!(s.block.attributes.iter().all(|a| !a.description.is_empty()));
    }

    #[tokio::test]
    async fn configure_stores_without_building_clients() {
        let p = bare();
        let cfg = Value::Object([("region".to_string(), Value::string("eu-west-1"))].into());
        let d = p.configure(&Ctx::default(), "1.15.5", cfg).await;
        assert!(d.0.is_empty(), "{d:?}");
        assert_eq!(
            p.state().config().and_then(|c| c.region.as_deref()),
            Some("eu-west-1")
        );
    }
}
