//! Start-up benchmark for the provider binary, run with `make bench`
//! (`cargo bench --bench startup`, i.e. the optimised build).
//!
//! Terraform launches a provider three times per plan (schema, validate,
//! plan), so the time to the handshake line and the memory a process needs to
//! answer GetProviderSchema are the costs users pay most often. This measures
//! them the way Terraform sees them: a fresh process with AutoMTLS, a client
//! certificate, and a real gRPC call over the unix socket.
//!
//! `make bench` sets `EKS_PROVIDER_BIN` to a copy of `cargo build --release`'s
//! binary: benchmarks build with dev-dependency features (aws-lc for the test
//! client's P-521 certificate), which would change what the provider uses to
//! generate its own key and so what start-up costs.

#[path = "../tests/support/plugin_client.rs"]
mod plugin_client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_client::{Auth, ClientCert, Launch};
use terraform_provider_eks::tfplugin::pb::tfplugin6 as pb;
use terraform_provider_eks::tfplugin::pb::tfplugin6::provider_client::ProviderClient;

const LAUNCHES: usize = 41;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not meaningful here.
    let client = Arc::new(ClientCert::generate());
    let binary = std::path::PathBuf::from(plugin_client::binary());
    let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");

    let mut to_handshake = Vec::with_capacity(LAUNCHES);
    let mut schema_call = Vec::with_capacity(LAUNCHES);
    let mut peak_rss_kib = Vec::with_capacity(LAUNCHES);
    for _ in 0..LAUNCHES {
        let started = Instant::now();
        let mut plugin = Launch::like_terraform(&client).spawn();
        let line = plugin
            .stdout_line(Duration::from_secs(10))
            .expect("handshake line");
        to_handshake.push(started.elapsed());
        let hs = plugin_client::Handshake::parse(line.trim_end());

        let auth = Auth::Tls {
            server_cert: hs.cert_der(),
            client: Some(client.clone()),
        };
        let call_started = Instant::now();
        let schema = runtime.block_on(async {
            let channel = plugin_client::connect(&hs.network, &hs.address, auth)
                .await
                .expect("connect");
            ProviderClient::new(channel)
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .expect("GetProviderSchema")
                .into_inner()
        });
        schema_call.push(call_started.elapsed());
        assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
        assert!(!schema.resource_schemas.is_empty());
        peak_rss_kib.push(peak_rss(plugin.pid()).expect("VmHWM of the provider"));
        let _ = plugin.child.kill();
        let _ = plugin.wait_exit(Duration::from_secs(5));
    }

    println!(
        "binary: {} ({:.1} MiB)",
        binary.display(),
        size as f64 / 1048576.0
    );
    report("start to handshake line (mTLS)", &mut to_handshake);
    report("connect + GetProviderSchema", &mut schema_call);
    peak_rss_kib.sort_unstable();
    println!(
        "peak RSS after GetProviderSchema: median {:.1} MiB, max {:.1} MiB ({LAUNCHES} processes)",
        peak_rss_kib[LAUNCHES / 2] as f64 / 1024.0,
        peak_rss_kib[LAUNCHES - 1] as f64 / 1024.0
    );
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: median {:.2} ms, p90 {:.2} ms, min {:.2} ms ({} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples.len()
    );
}

/// The process's high-water mark of resident memory, from /proc.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
