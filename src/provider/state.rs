//! What every resource and data source of one provider instance shares: the
//! configuration Terraform sent, and the AWS clients built from it on first use.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use tokio::sync::OnceCell;

use super::clients::{AwsClients, build};
use super::config::ProviderConfig;
use crate::tfplugin::diagnostics::Diagnostics;

/// Shared by the provider and all its resources and data sources (hold it as
/// `Arc<ProviderState>`).
#[derive(Debug, Default)]
pub struct ProviderState {
    config: OnceLock<ProviderConfig>,
    terraform_version: OnceLock<String>,
    clients: OnceCell<AwsClients>,
}

impl ProviderState {
    pub fn new() -> ProviderState {
        ProviderState::default()
    }

    /// Stores the configuration; Terraform configures a provider process
    /// once. A second, different configuration is refused (the clients may
    /// already have been built from the first).
    pub(crate) fn set_config(
        &self,
        config: ProviderConfig,
        terraform_version: &str,
    ) -> Diagnostics {
        let _ = self.terraform_version.set(terraform_version.to_string());
        match self.config.get() {
            None => {
                let _ = self.config.set(config);
                Diagnostics::new()
            }
            Some(existing) if *existing == config => Diagnostics::new(),
            Some(_) => Diagnostics::from_error(
                "Provider configured twice",
                "This provider process was already configured with different settings. This is a bug in the calling tool; please report it.",
            ),
        }
    }

    /// The configuration, once Terraform has sent it.
    pub fn config(&self) -> Option<&ProviderConfig> {
        self.config.get()
    }

    /// The Terraform (or OpenTofu) version that configured the provider.
    pub fn terraform_version(&self) -> Option<&str> {
        self.terraform_version.get().map(String::as_str)
    }

    /// The provider's `default_tags` (empty before configuration). Available
    /// without AWS clients, for plan-time `tags_all` computation.
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.config
            .get()
            .map(|c| c.default_tags.clone())
            .unwrap_or_default()
    }

    /// The AWS clients, built on the first call (no AWS request is made to
    /// build them) and shared for the rest of the process.
    pub async fn clients(&self) -> Result<&AwsClients, Diagnostics> {
        let Some(config) = self.config.get() else {
            return Err(Diagnostics::from_error(
                "Provider not configured",
                "An AWS call was needed before Terraform configured the provider. This is a bug; please report it.",
            ));
        };
        self.clients.get_or_try_init(|| build(config)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clients_need_configuration() {
        let s = ProviderState::new();
        let d = s.clients().await.unwrap_err();
        assert_eq!(d.0[0].summary, "Provider not configured");
    }

    #[tokio::test]
    async fn clients_are_built_once() {
        let s = ProviderState::new();
        let cfg = ProviderConfig {
            region: Some("eu-west-1".into()),
            ..ProviderConfig::default()
        };
        assert!(s.set_config(cfg.clone(), "1.15.5").0.is_empty());
        assert!(
            s.set_config(cfg, "1.15.5").0.is_empty(),
            "same config again is fine"
        );
        let a = s.clients().await.unwrap() as *const AwsClients;
        let b = s.clients().await.unwrap() as *const AwsClients;
        assert_eq!(a, b);
        let other = ProviderConfig {
            region: Some("us-east-1".into()),
            ..ProviderConfig::default()
        };
        assert!(s.set_config(other, "1.15.5").has_errors());
        assert_eq!(s.terraform_version(), Some("1.15.5"));
    }
}
