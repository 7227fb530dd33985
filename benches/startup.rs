//! Start-up benchmark for the release binary of the provider, run with
//! `make bench`.
//!
//! Terraform launches a provider three times per plan (schema, validate,
//! plan), so the time to the handshake line and the memory a process needs to
//! answer GetProviderSchema are the costs users pay most often. This measures
//! them the way Terraform sees them: a fresh process with AutoMTLS, a client
//! certificate, and a real gRPC call over the unix socket.
//!
//! Every time is reported as a ratio to a floor measured in the same run,
//! launch for launch in turn with the provider: a trivial static binary that
//! prints a handshake-like line (benches/handshake_floor/floor.rs, compiled
//! here with rustc). Both are measured idle and with one CPU-burning process
//! per core running beside them ("under load"), which is where start-up
//! jitter shows. `EKS_BENCH_COMPARE_BIN` names another go-plugin provider to
//! launch the same way, for a one-off comparison.
//!
//! `make bench` sets `EKS_PROVIDER_BIN` to a copy of `cargo build --release`'s
//! binary: benchmarks build with dev-dependency features (aws-lc for the test
//! client's P-521 certificate), which would change what the provider links.

#[path = "../tests/support/plugin_client.rs"]
mod plugin_client;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_client::{Auth, ClientCert, Launch};
use terraform_provider_eks::tfplugin::pb::tfplugin6 as pb;
use terraform_provider_eks::tfplugin::pb::tfplugin6::provider_client::ProviderClient;

/// Launches of each program per condition (idle, under load).
const LAUNCHES: usize = 41;
/// Set in the environment of this executable's CPU-burning children.
const BURN: &str = "EKS_BENCH_BURN";

fn main() {
    if std::env::var_os(BURN).is_some() {
        burn();
    }
    let client = Arc::new(ClientCert::generate());
    let provider = PathBuf::from(plugin_client::binary());
    let floor = build_floor();
    let compare = std::env::var_os("EKS_BENCH_COMPARE_BIN").map(PathBuf::from);

    let mut programs = vec![("provider", provider.clone()), ("floor", floor.clone())];
    if let Some(other) = &compare {
        programs.push(("compare", other.clone()));
    }

    println!("== start-up (benches/startup.rs) ==");
    let size = file_size(&provider);
    let floor_size = file_size(&floor);
    println!(
        "binary size: {:.2} MB ({:.2} MiB, {} bytes) = {:.0}x the floor's {:.2} MB; goal <= 16 MB: {}",
        size as f64 / 1e6,
        size as f64 / 1048576.0,
        size,
        size as f64 / floor_size as f64,
        floor_size as f64 / 1e6,
        verdict(size as f64 <= 16e6)
    );
    if let Some(other) = &compare {
        let s = file_size(other);
        println!(
            "compare binary size: {:.2} MB (provider/compare {:.2}x)",
            s as f64 / 1e6,
            size as f64 / s as f64
        );
    }

    for loaded in [false, true] {
        let burners = if loaded {
            start_burners()
        } else {
            Burners(Vec::new())
        };
        let samples = time_launches(&client, &programs);
        drop(burners);
        let condition = if loaded {
            format!("under load ({} CPU burners)", cores())
        } else {
            "idle".to_string()
        };
        report_startup(&condition, &programs, &samples);
    }

    schema_and_memory(&client, &floor);
}

/// Start to handshake line, `LAUNCHES` times for each program, taking turns
/// so the machine's drift affects all alike.
fn time_launches(client: &ClientCert, programs: &[(&str, PathBuf)]) -> Vec<Vec<Duration>> {
    let mut samples = vec![Vec::with_capacity(LAUNCHES); programs.len()];
    // One unmeasured round warms the page cache for every binary.
    for (_, program) in programs {
        let _ = time_to_line(client, program);
    }
    for _ in 0..LAUNCHES {
        for (i, (_, program)) in programs.iter().enumerate() {
            samples[i].push(time_to_line(client, program));
        }
    }
    samples
}

fn time_to_line(client: &ClientCert, program: &Path) -> Duration {
    let started = Instant::now();
    let mut plugin = Launch::like_terraform(client).program(program).spawn();
    let line = plugin.stdout_line(Duration::from_secs(10));
    let took = started.elapsed();
    assert!(
        line.is_some(),
        "{} printed no handshake line:\n{}",
        program.display(),
        plugin.stderr()
    );
    let _ = plugin.child.kill();
    let _ = plugin.wait_exit(Duration::from_secs(5));
    took
}

fn report_startup(condition: &str, programs: &[(&str, PathBuf)], samples: &[Vec<Duration>]) {
    println!("start to handshake line, {condition}, {LAUNCHES} launches each, in turn:");
    let stats: Vec<(f64, f64)> = samples.iter().map(|s| median_p90(s)).collect();
    for ((name, _), (median, p90)) in programs.iter().zip(&stats) {
        println!("  {name:<8} median {median:.2} ms, p90 {p90:.2} ms");
    }
    let (pm, pp) = stats[0];
    let (fm, fp) = stats[1];
    println!(
        "  provider/floor: median {:.2}x, p90 {:.2}x",
        pm / fm,
        pp / fp
    );
    if let Some((cm, cp)) = stats.get(2) {
        println!(
            "  provider/compare: median {:.2}x, p90 {:.2}x",
            pm / cm,
            pp / cp
        );
    }
}

/// Median and 90th percentile, in milliseconds.
fn median_p90(samples: &[Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

/// Connect plus GetProviderSchema, and the peak RSS of a provider process
/// that has answered it, against the floor process's peak RSS.
fn schema_and_memory(client: &Arc<ClientCert>, floor: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut schema_call = Vec::with_capacity(LAUNCHES);
    let mut peak_kib = Vec::with_capacity(LAUNCHES);
    for _ in 0..LAUNCHES {
        let mut plugin = Launch::like_terraform(client).spawn();
        let hs = plugin.handshake();
        let auth = Auth::Tls {
            server_cert: hs.cert_der(),
            client: Some(client.clone()),
        };
        let started = Instant::now();
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
        schema_call.push(started.elapsed());
        assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
        assert!(!schema.resource_schemas.is_empty());
        peak_kib.push(peak_rss_kib(plugin.pid()).expect("VmHWM of the provider"));
        let _ = plugin.child.kill();
        let _ = plugin.wait_exit(Duration::from_secs(5));
    }
    let floor_kib = {
        let mut plugin = Launch::like_terraform(client).program(floor).spawn();
        plugin.handshake();
        let kib = peak_rss_kib(plugin.pid()).expect("VmHWM of the floor");
        let _ = plugin.child.kill();
        kib
    };
    let (median, p90) = median_p90(&schema_call);
    println!(
        "connect + mTLS + GetProviderSchema: median {median:.2} ms, p90 {p90:.2} ms ({LAUNCHES} runs)"
    );
    peak_kib.sort_unstable();
    let med = peak_kib[LAUNCHES / 2] as f64 / 1024.0;
    println!(
        "peak RSS after GetProviderSchema: median {med:.1} MiB, max {:.1} MiB ({LAUNCHES} processes) = {:.1}x the floor's {:.1} MiB",
        peak_kib[LAUNCHES - 1] as f64 / 1024.0,
        med / (floor_kib as f64 / 1024.0),
        floor_kib as f64 / 1024.0
    );
}

/// The process's high-water mark of resident memory, from /proc.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Compiles the floor: static, optimised, stripped, with the rustc that
/// builds this crate.
fn build_floor() -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/handshake_floor/floor.rs");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("handshake-floor");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = Command::new(&rustc)
        .args([
            "--edition=2024",
            "-Copt-level=3",
            "-Cpanic=abort",
            "-Cstrip=symbols",
            "-Ctarget-feature=+crt-static",
            "-o",
        ])
        .arg(&out)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {rustc:?} to build the floor: {e}"));
    assert!(status.success(), "building {} failed", source.display());
    out
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// CPU-burning children, killed when dropped (a panicking bench included).
struct Burners(Vec<Child>);

impl Drop for Burners {
    fn drop(&mut self) {
        for b in &mut self.0 {
            let _ = b.kill();
            let _ = b.wait();
        }
    }
}

/// One process per core that spins until killed.
fn start_burners() -> Burners {
    let me = std::env::current_exe().expect("own path");
    let burners = Burners(
        (0..cores())
            .map(|_| {
                Command::new(&me)
                    .env(BURN, "1")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("start a CPU burner")
            })
            .collect(),
    );
    // Let the scheduler see them as busy before measuring.
    std::thread::sleep(Duration::from_millis(200));
    burners
}

/// Spins until killed, or until the bench that started it is gone.
fn burn() -> ! {
    let parent = std::os::unix::process::parent_id();
    let mut x: u64 = 1;
    loop {
        for _ in 0..10_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
