//! The services go-plugin's client expects besides the provider itself:
//! health, controller (Shutdown), stdio and broker.
//!
//! Each long-lived stream ends when the process shuts down; otherwise the
//! gRPC server's graceful shutdown would wait for them forever.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_stream::Stream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::pb::health::{
    self, HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus,
};
use super::pb::plugin::{self, ConnInfo, StdioData};

/// The service name go-plugin asks the health service about.
pub const HEALTH_SERVICE: &str = "plugin";

/// A stream that yields nothing and ends when its token is cancelled.
pub struct Idle<T> {
    done: Pin<Box<WaitForCancellationFutureOwned>>,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T> Idle<T> {
    pub fn until(token: CancellationToken) -> Idle<T> {
        Idle {
            done: Box::pin(token.cancelled_owned()),
            _item: std::marker::PhantomData,
        }
    }
}

impl<T> Stream for Idle<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.done.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A stream that yields one item, then idles until the token is cancelled.
pub struct OnceThenIdle<T> {
    first: Option<T>,
    rest: Idle<T>,
}

impl<T: Unpin> Stream for OnceThenIdle<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(item) = self.first.take() {
            return Poll::Ready(Some(item));
        }
        Pin::new(&mut self.rest).poll_next(cx)
    }
}

/// `plugin.GRPCController`: Shutdown ends the process cleanly.
pub struct Controller {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: Request<plugin::Empty>,
    ) -> Result<Response<plugin::Empty>, Status> {
        tracing::debug!("shutdown requested by the plugin client");
        self.shutdown.cancel();
        Ok(Response::new(plugin::Empty {}))
    }
}

/// `plugin.GRPCStdio`: we never write to stdout after the handshake and log
/// to stderr directly, so there is nothing to relay; the stream stays open
/// (as go-plugin's does) until shutdown.
pub struct Stdio {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        let idle: Idle<Result<StdioData, Status>> = Idle::until(self.shutdown.child_token());
        Ok(Response::new(Box::pin(idle)))
    }
}

/// `plugin.GRPCBroker`: Terraform's client always opens this stream but
/// providers never broker extra connections. We drain what it sends and
/// answer nothing; our side ends when theirs does, or at shutdown.
pub struct Broker {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin::grpc_broker_server::GrpcBroker for Broker {
    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<BoxStream<ConnInfo>>, Status> {
        let mut inbound = request.into_inner();
        let done = self.shutdown.child_token();
        let drained = done.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = drained.cancelled() => break,
                    msg = inbound.message() => match msg {
                        Ok(Some(info)) => {
                            tracing::debug!(service_id = info.service_id, "ignoring broker request");
                        }
                        Ok(None) | Err(_) => break,
                    },
                }
            }
            drained.cancel();
        });
        let idle: Idle<Result<ConnInfo, Status>> = Idle::until(done);
        Ok(Response::new(Box::pin(idle)))
    }
}

/// `grpc.health.v1.Health`: the whole server and the "plugin" service are
/// SERVING for as long as the process runs.
pub struct Health {
    pub shutdown: CancellationToken,
}

fn known(service: &str) -> bool {
    service.is_empty() || service == HEALTH_SERVICE
}

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = &request.get_ref().service;
        if known(service) {
            Ok(Response::new(HealthCheckResponse {
                status: ServingStatus::Serving as i32,
            }))
        } else {
            Err(Status::not_found(format!("unknown service {service:?}")))
        }
    }

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<BoxStream<HealthCheckResponse>>, Status> {
        let status = if known(&request.get_ref().service) {
            ServingStatus::Serving
        } else {
            ServingStatus::ServiceUnknown
        };
        Ok(Response::new(Box::pin(OnceThenIdle {
            first: Some(Ok(HealthCheckResponse {
                status: status as i32,
            })),
            rest: Idle::until(self.shutdown.child_token()),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::pb::health::health_server::Health as _;
    use tokio_stream::StreamExt as _;

    fn req(service: &str) -> Request<HealthCheckRequest> {
        Request::new(HealthCheckRequest {
            service: service.into(),
        })
    }

    #[tokio::test]
    async fn health_serves_plugin_and_the_server_only() {
        let h = Health {
            shutdown: CancellationToken::new(),
        };
        for s in ["plugin", ""] {
            let status = h.check(req(s)).await.unwrap().into_inner().status;
            assert_eq!(status, ServingStatus::Serving as i32);
        }
        let err = h.check(req("other")).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound);
    }

    #[tokio::test]
    async fn watch_answers_once_then_ends_at_shutdown() {
        let shutdown = CancellationToken::new();
        let h = Health {
            shutdown: shutdown.clone(),
        };
        let mut stream = h.watch(req("plugin")).await.unwrap().into_inner();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.status, ServingStatus::Serving as i32);
        let pending =
            tokio::time::timeout(std::time::Duration::from_millis(50), stream.next()).await;
        assert!(pending.is_err(), "the stream stays open while serving");
        shutdown.cancel();
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn controller_shutdown_fires_the_token() {
        let shutdown = CancellationToken::new();
        let c = Controller {
            shutdown: shutdown.clone(),
        };
        use plugin::grpc_controller_server::GrpcController as _;
        c.shutdown(Request::new(plugin::Empty {})).await.unwrap();
        assert!(shutdown.is_cancelled());
    }
}
