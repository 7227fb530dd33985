//! Every resource and data source type the provider serves. Adding a type
//! means adding one line here (and its module under `src/resources/` or
//! `src/data_sources/`).

use std::sync::Arc;

use super::state::ProviderState;
use crate::data_sources;
use crate::tfplugin::framework::{DataSource, Resource};

pub fn resources(state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(crate::resources::cluster_creator_role::ClusterCreatorRole::new(state.clone())),
        Arc::new(crate::resources::sso_admin_access::SsoAdminAccess::new(
            state.clone(),
        )),
    ]
}

pub fn data_sources(state: &Arc<ProviderState>) -> Vec<Arc<dyn DataSource>> {
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
