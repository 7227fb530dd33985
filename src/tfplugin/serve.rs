//! Process lifecycle: read the launch environment, listen, announce the
//! address, serve gRPC until told to stop, clean up.
//!
//! Startup does nothing slow before the handshake line: no AWS, no schema
//! building (that happens on the first RPC), one certificate generation.
//!
//! Everything runs on one thread (tokio's current-thread runtime). The work
//! is waiting on AWS and on Terraform, never computing: at most ten
//! operations run at once by default and Identity Center lets through 20
//! requests a second. Worker threads bought nothing but start-up time (each
//! is a clone(2) before the handshake line, and under load a wait to be
//! scheduled) and memory (their stacks and allocator arenas). Blocking work
//! the SDK hands off (file reads, DNS) still gets tokio's blocking pool.

use std::io;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use super::framework::Provider;
use super::go_plugin::{Broker, Controller, Health, Stdio};
use super::grpc_provider::{ProviderService, StopSignal};
use super::handshake::{self, HandshakeError, LaunchConfig};
use super::listen::{self, Conn, ListenError, Listener};
use super::logging;
use super::pb::health::health_server::HealthServer;
use super::pb::plugin::grpc_broker_server::GrpcBrokerServer;
use super::pb::plugin::grpc_controller_server::GrpcControllerServer;
use super::pb::plugin::grpc_stdio_server::GrpcStdioServer;
use super::pb::tfplugin6::provider_server::ProviderServer;
use super::tls::{self, ServerIdentity, TlsError};
use crate::meta;

/// How long connections get to finish after shutdown is requested. go-plugin
/// kills the process 2 s after asking it to shut down; we leave first.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// How often we check that Terraform is still our parent.
const PARENT_CHECK: Duration = Duration::from_secs(1);
/// A TLS handshake that has not completed by then is abandoned.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Terraform sends whole states in one message; go-plugin lifts gRPC's
/// default 4 MiB limit to the maximum, and so do we.
const MAX_MESSAGE: usize = i32::MAX as usize;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("automatic mTLS: {0}")]
    Tls(#[from] TlsError),
    #[error("could not start: {0}")]
    Io(#[from] io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Runs the provider as a plugin (or, with `debug`, as a standalone server
/// Terraform reattaches to) and returns the process exit code.
pub fn run(provider: Arc<dyn Provider>, debug: bool) -> ExitCode {
    logging::init(meta::LOG_MODULE);
    let cfg = match LaunchConfig::from_env(debug) {
        Ok(cfg) => cfg,
        Err(e) => {
            // Plain text: whoever reads this ran the binary by hand, or is
            // looking at Terraform's "plugin exited" error.
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(provider, cfg, debug));
    // Abandon whatever is still running (a stuck AWS call, say): the client
    // has gone and the process is exiting.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "provider server stopped");
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(
    provider: Arc<dyn Provider>,
    cfg: LaunchConfig,
    debug: bool,
) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    // Before the handshake line: Terraform may forward Ctrl-C at any time.
    watch_signals(shutdown.clone(), debug)?;
    if !debug {
        watch_parent(shutdown.clone());
    }

    let listener = listen::bind(&cfg)?;
    let (cert_field, acceptor) = match &cfg.client_cert_pem {
        Some(pem) => {
            let identity = ServerIdentity::generate()?;
            let config = tls::server_config(&identity, pem)?;
            (identity.handshake_field(), Some(TlsAcceptor::from(config)))
        }
        None => (String::new(), None),
    };

    let stop = Arc::new(StopSignal::default());
    let router = Server::builder()
        .add_service(HealthServer::new(Health {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcBrokerServer::new(Broker {
            shutdown: shutdown.clone(),
        }))
        .add_service(
            ProviderServer::new(ProviderService::new(provider, stop.clone()))
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        );

    let network = listener.network();
    let address = listener.address();
    if debug {
        print_reattach_instructions(network, &address)?;
    } else {
        handshake::announce(&handshake::handshake_line(
            cfg.protocol_version,
            network,
            &address,
            &cert_field,
        ))?;
    }
    tracing::debug!(network, address = %address, tls = acceptor.is_some(), "serving");

    // Shutting down also cancels provider work still in flight.
    let cancel_work = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            stop.stop();
        })
    };

    let (incoming, acceptor_task) = accept_loop(listener, acceptor, shutdown.clone());
    let server = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    let grace_over = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        }
    };
    let result = tokio::select! {
        r = server => r.map_err(ServeError::from),
        () = grace_over => {
            tracing::warn!("connections still open after shutdown grace period; exiting anyway");
            Ok(())
        }
    };
    shutdown.cancel();
    // The accept loop owns the listener; once it has returned, the unix
    // socket file is gone.
    let _ = acceptor_task.await;
    cancel_work.abort();
    result
}

/// SIGINT: go-plugin plugins ignore it, because Terraform forwards Ctrl-C
/// as StopProvider and wants the plugin alive to finish cleanly. In debug
/// mode the operator's Ctrl-C stops the server. SIGTERM always stops it.
fn watch_signals(shutdown: CancellationToken, debug: bool) -> io::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = interrupt.recv() => {
                    if debug {
                        shutdown.cancel();
                        break;
                    }
                    tracing::trace!("ignoring SIGINT; Terraform sends StopProvider instead");
                }
                Some(()) = terminate.recv() => {
                    tracing::debug!("SIGTERM received; shutting down");
                    shutdown.cancel();
                    break;
                }
                else => break,
            }
        }
    });
    Ok(())
}

/// Terraform ends us with Shutdown, or kills us. If it dies without doing
/// either (SIGKILL, a crash, a closed pipe), we are re-parented and nobody
/// will ever call again: leave instead of lingering with a socket open.
fn watch_parent(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PARENT_CHECK);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if std::os::unix::process::parent_id() != parent {
                        tracing::warn!("Terraform exited without shutting the provider down; exiting");
                        shutdown.cancel();
                        break;
                    }
                }
            }
        }
    });
}

/// Accepts connections until shutdown and feeds them to the gRPC server,
/// TLS-wrapped when mTLS is on. Handshakes run concurrently so one slow or
/// hostile peer cannot hold up the next.
fn accept_loop(
    listener: Listener,
    acceptor: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> (ReceiverStream<Result<Conn, io::Error>>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(16);
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                a = listener.accept() => a,
            };
            let conn = match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Typically out of file descriptors; back off briefly.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match &acceptor {
                None => {
                    if tx.send(Ok(conn)).await.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let (acceptor, tx) = (acceptor.clone(), tx.clone());
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(conn))
                            .await
                        {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok(Conn::new(tls))).await;
                            }
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, "rejected a connection: TLS handshake failed");
                            }
                            Err(_) => {
                                tracing::warn!("rejected a connection: TLS handshake timed out")
                            }
                        }
                    });
                }
            }
        }
        drop(listener);
    });
    (ReceiverStream::new(rx), task)
}

/// Debug mode's stdout: what to paste into the shell running Terraform.
fn print_reattach_instructions(network: &str, address: &str) -> io::Result<()> {
    use std::io::Write as _;
    let value = reattach_json(network, address, std::process::id());
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{} {} is running in debug mode (no TLS).\n\
         To have Terraform or OpenTofu use this process instead of starting their own,\n\
         run this in the shell you run them from:\n\n\
         \tTF_REATTACH_PROVIDERS='{value}'\n\n\
         Stop it with Ctrl-C.",
        meta::BINARY_NAME,
        meta::VERSION,
    )?;
    out.flush()
}

/// The TF_REATTACH_PROVIDERS value for this process. `Test: true` tells
/// Terraform not to kill a process it did not start.
pub fn reattach_json(network: &str, address: &str, pid: u32) -> String {
    let mut entry = serde_json::Map::new();
    entry.insert("Protocol".into(), "grpc".into());
    entry.insert(
        "ProtocolVersion".into(),
        handshake::APP_PROTOCOL_VERSION.into(),
    );
    entry.insert("Pid".into(), pid.into());
    entry.insert("Test".into(), true.into());
    entry.insert(
        "Addr".into(),
        serde_json::json!({ "Network": network, "String": address }),
    );
    let mut map = serde_json::Map::new();
    map.insert(
        meta::PROVIDER_SOURCE.into(),
        serde_json::Value::Object(entry),
    );
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattach_value_is_terraforms_shape() {
        let s = reattach_json("unix", "/tmp/plugin\"x", 42);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        let e = &v[meta::PROVIDER_SOURCE];
        assert_eq!(e["Protocol"], "grpc");
        assert_eq!(e["ProtocolVersion"], 6);
        assert_eq!(e["Pid"], 42);
        assert_eq!(e["Test"], true);
        assert_eq!(e["Addr"]["Network"], "unix");
        assert_eq!(e["Addr"]["String"], "/tmp/plugin\"x");
    }
}
