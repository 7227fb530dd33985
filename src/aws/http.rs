//! The HTTP client under every AWS SDK client of a provider instance.
//!
//! One client is built per provider so all services share a connection pool.
//! Identity Center clients get it wrapped in [`RateLimitedHttpClient`], which
//! takes a token from the shared [`TokenBucket`] before each request attempt
//! (SDK retries included), so the limit holds across all resources without
//! any caller having to remember it.

use std::sync::Arc;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

use super::limiter::TokenBucket;

/// The SDK's HTTPS client (hyper 1, rustls on ring, proxies from
/// `HTTPS_PROXY`/`NO_PROXY`), built explicitly so it can be shared and wrapped.
/// Plain `http://` endpoints (emulators, LocalStack) work too.
pub fn default_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// An HTTP client that waits for a rate-limiter token before every request.
#[derive(Debug, Clone)]
pub struct RateLimitedHttpClient {
    inner: SharedHttpClient,
    bucket: Arc<TokenBucket>,
}

impl RateLimitedHttpClient {
    pub fn new(inner: SharedHttpClient, bucket: Arc<TokenBucket>) -> RateLimitedHttpClient {
        RateLimitedHttpClient { inner, bucket }
    }
}

impl HttpClient for RateLimitedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        RateLimitedConnector {
            inner: self.inner.http_connector(settings, components),
            bucket: self.bucket.clone(),
        }
        .into_shared()
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct RateLimitedConnector {
    inner: SharedHttpConnector,
    bucket: Arc<TokenBucket>,
}

impl HttpConnector for RateLimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let bucket = self.bucket.clone();
        HttpConnectorFuture::new(async move {
            bucket.acquire().await;
            inner.call(request).await
        })
    }
}
