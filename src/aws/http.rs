//! The HTTP client under every AWS SDK client of a provider instance.
//!
//! One client is built per provider so all services share a connection pool.
//! It gives up on an endpoint it cannot connect to after a few quick tries
//! ([`ConnectGuardClient`]) rather than leaving that to the SDK's long retry.
//! Identity Center clients get it wrapped in [`RateLimitedHttpClient`], which
//! takes a token from the shared [`TokenBucket`] before each request attempt
//! (SDK retries included), so the limit holds across all resources without
//! any caller having to remember it.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

use super::limiter::TokenBucket;

/// How many times one request is tried when its connection cannot be made
/// (refused, unreachable, DNS failure, connect timeout), and the pauses
/// between the tries.
///
/// The SDK's standard retry treats such failures as transient and would
/// retry them `max_retries` (25) times with backoff up to 20 s: minutes of
/// silence for an endpoint with nothing listening. A connection that cannot
/// be made three times in a row in ~1.5 s (plus the SDK's 3.1 s connect
/// timeout per try when packets are dropped) is reported at once instead,
/// with the URL, so a wrong `endpoints` entry or a dead network shows in
/// seconds. Throttling and 5xx, which come from a live service, keep the
/// SDK's full retry.
pub const CONNECT_ATTEMPTS: usize = 3;
const CONNECT_PAUSES: [Duration; CONNECT_ATTEMPTS - 1] =
    [Duration::from_millis(250), Duration::from_secs(1)];

/// The SDK's HTTPS client (hyper 1, rustls on ring, proxies from
/// `HTTPS_PROXY`/`NO_PROXY`), built explicitly so it can be shared and
/// wrapped, behind [`ConnectGuardClient`].
/// Plain `http://` endpoints (emulators, LocalStack) work too.
pub fn default_client() -> SharedHttpClient {
    let hyper = Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    });
    SharedHttpClient::new(ConnectGuardClient { inner: hyper })
}

/// An endpoint no connection could be made to, after [`CONNECT_ATTEMPTS`].
/// [`super::errors::AwsError::from_sdk`] finds it in an error's sources and
/// reports it as the cause, whatever the SDK wrapped around it.
#[derive(Debug)]
pub struct Unreachable {
    /// `scheme://host:port` of the request.
    pub endpoint: String,
    pub attempts: usize,
    /// What the last attempt failed with.
    pub cause: String,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not connect to {} ({} attempts): {}",
            self.endpoint, self.attempts, self.cause
        )
    }
}

impl std::error::Error for Unreachable {}

/// Retries a failed connection a few times itself, then fails the request
/// with [`Unreachable`], which the SDK does not retry (see
/// [`CONNECT_ATTEMPTS`]).
#[derive(Debug, Clone)]
pub struct ConnectGuardClient {
    inner: SharedHttpClient,
}

impl HttpClient for ConnectGuardClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        ConnectGuard {
            inner: self.inner.http_connector(settings, components),
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
struct ConnectGuard {
    inner: SharedHttpConnector,
}

impl HttpConnector for ConnectGuard {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            let endpoint = endpoint_of(request.uri());
            let mut request = request;
            let mut attempt = 1;
            loop {
                // A request whose body cannot be copied gets one try.
                let again = request.try_clone().filter(|_| attempt < CONNECT_ATTEMPTS);
                let err = match inner.call(request).await {
                    Err(e) if is_connect_failure(&e) => e,
                    other => return other,
                };
                match again {
                    Some(next) => {
                        tracing::debug!(endpoint = %endpoint, attempt, "connection failed, trying again: {err}");
                        tokio::time::sleep(CONNECT_PAUSES[attempt - 1]).await;
                        request = next;
                        attempt += 1;
                    }
                    None => {
                        return Err(ConnectorError::other(
                            Box::new(Unreachable {
                                endpoint,
                                attempts: attempt,
                                cause: super::errors::error_chain(&err),
                            }),
                            None,
                        ));
                    }
                }
            }
        })
    }
}

/// `scheme://authority` of a request URI: the endpoint, without the path.
fn endpoint_of(uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?']).next().unwrap_or(rest);
            format!("{scheme}://{authority}")
        }
        None => uri.to_string(),
    }
}

/// True when no connection was made, so the request never reached AWS:
/// hyper-util reports every failure of its connector (DNS, TCP, TLS
/// handshake, connect timeout) as a "Connect" error.
fn is_connect_failure(err: &ConnectorError) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(h) = e.downcast_ref::<hyper_util::client::legacy::Error>()
            && h.is_connect()
        {
            return true;
        }
        next = e.source();
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_scheme_and_authority() {
        assert_eq!(
            endpoint_of("http://127.0.0.1:9/clusters/prod?x=1"),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            endpoint_of("https://sso.us-east-1.amazonaws.com"),
            "https://sso.us-east-1.amazonaws.com"
        );
    }

    /// A port nothing listens on: bound, then closed again.
    fn dead_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        port
    }

    #[tokio::test]
    async fn a_refused_connection_fails_fast_naming_the_endpoint() {
        let port = dead_port();
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDTEST", "test", None, None, "test",
            ))
            .http_client(default_client())
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(25))
            .build();
        let client = aws_sdk_sts::Client::from_conf(conf);
        let started = std::time::Instant::now();
        let err = client
            .get_caller_identity()
            .send()
            .await
            .expect_err("nothing listens there");
        let took = started.elapsed();
        let e = super::super::errors::AwsError::from_sdk(
            super::super::service::Service::Sts,
            "GetCallerIdentity",
            err,
        );
        assert!(took < std::time::Duration::from_secs(10), "{took:?}: {e}");
        let text = e.to_string();
        assert!(
            text.contains(&format!(
                "could not connect to http://127.0.0.1:{port} (3 attempts)"
            )),
            "{text}"
        );
        assert!(!text.to_lowercase().contains("credential"), "{text}");
    }
}
