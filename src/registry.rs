//! Every resource and data source type the provider serves, and the provider
//! built from them. Adding a type means adding one line here (and its module
//! under `src/resources/` or `src/data_sources/`).
//!
//! The list lives above both the provider and the product: resources depend
//! on `provider` for the shared state and clients, so the provider itself
//! must not name them, or the two would import each other.

use std::sync::Arc;

use crate::data_sources;
use crate::provider::{EksProvider, ProviderState};
use crate::resources;
use crate::tfplugin::framework::{DataSource, Resource};

/// The provider `main` serves: one shared state, every type registered.
pub fn provider() -> EksProvider {
    let state = Arc::new(ProviderState::new());
    EksProvider::new(state.clone(), resources(&state), data_sources(&state))
}

fn resources(state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(resources::cluster_creator_role::ClusterCreatorRole::new(
            state.clone(),
        )),
        Arc::new(resources::sso_admin_access::SsoAdminAccess::new(
            state.clone(),
        )),
    ]
}

fn data_sources(state: &Arc<ProviderState>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(data_sources::sso_reserved_role::SsoReservedRole::new(
            state.clone(),
        )),
        Arc::new(data_sources::kubeconfig::Kubeconfig::new(state.clone())),
        Arc::new(data_sources::sso_cli_profile::SsoCliProfile::new(
            state.clone(),
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::Provider;

    #[test]
    fn serves_every_type_once_sharing_one_state() {
        let p = provider();
        let resources: Vec<&str> = p.resources().iter().map(|r| r.type_name()).collect();
        assert_eq!(
            resources,
            vec!["eks_cluster_creator_role", "eks_sso_admin_access"]
        );
        let data: Vec<&str> = p.data_sources().iter().map(|d| d.type_name()).collect();
        assert_eq!(
            data,
            vec![
                "eks_sso_reserved_role",
                "eks_kubeconfig",
                "eks_sso_cli_profile"
            ]
        );
    }
}
