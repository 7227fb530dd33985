//! Killing the provider at a chosen point of an apply, the way a crash, an
//! OOM kill or a lost CI runner would.
//!
//! The point is chosen through the emulator, never by timing: a `latency`
//! fault holds the N-th matching AWS call for a moment, the test waits until
//! that call has reached the emulator (the rule's `seen` count), and then
//! SIGKILLs every `terraform-provider-eks` process under Terraform (found in
//! /proc). The held call itself still runs once its latency has passed, as a
//! request that reached AWS does; the test waits for the emulator to have
//! answered it, so what AWS holds afterwards is the same in every run.

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::emulator::Emulator;
use super::terraform::{Output, Tf};

/// How long the held call waits before it runs: long enough to find and
/// kill the provider on a loaded machine, short enough not to slow tests.
const HOLD_MS: u64 = 2000;

/// Where to kill: the `nth` call (1-based, counted from when the rule is
/// installed) of `operation` on `service`.
#[derive(Debug, Clone)]
pub struct KillPoint {
    pub service: &'static str,
    pub operation: &'static str,
    pub nth: u64,
    /// More fault rules installed with the hold (after it), e.g. to keep a
    /// concurrent call from getting as far as the held one.
    pub extra: Vec<Value>,
}

impl KillPoint {
    pub fn at(service: &'static str, operation: &'static str, nth: u64) -> KillPoint {
        KillPoint {
            service,
            operation,
            nth,
            extra: Vec::new(),
        }
    }
}

/// Runs `args` in `tf` and kills its provider once the call of `point` has
/// reached the emulator. Returns Terraform's output after it exited (it
/// fails, since its provider died). When this returns, the emulator has
/// answered the held call and has no fault rules left.
pub fn kill_provider_at(emulator: &Emulator, tf: &Tf, args: &[&str], point: &KillPoint) -> Output {
    let mut rules = vec![json!({
        "service": point.service,
        "operation": point.operation,
        "kind": "latency",
        "latency_ms": HOLD_MS,
        "nth": point.nth,
    })];
    rules.extend(point.extra.iter().cloned());
    let answered = || {
        emulator
            .requests()
            .iter()
            .filter(|r| r.service == point.service && r.operation == point.operation)
            .count() as u64
    };
    let seen = || {
        let listed = emulator.control("GET", "/_emulator/faults", None);
        listed["rules"][0]["seen"].as_u64().unwrap_or(0)
    };
    let before = answered();
    emulator.faults(json!({ "rules": rules, "seed": 1 }));
    let mut running = tf.spawn(args);
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if seen() >= point.nth {
            break;
        }
        if running.finished() {
            let out = running.wait();
            panic!(
                "terraform finished before {} {} #{} was called\n{out}",
                point.service, point.operation, point.nth
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} {} #{} never came",
            point.service,
            point.operation,
            point.nth
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pids = provider_pids(running.pid());
    assert!(
        !pids.is_empty(),
        "no terraform-provider-eks process under terraform (pid {})",
        running.pid()
    );
    for pid in &pids {
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL {pid} failed");
    }
    let out = running.wait();
    assert!(
        !out.success(),
        "terraform succeeded although its provider was killed\n{out}"
    );
    // The held call (and any others of its kind that had arrived) still
    // run: wait until the emulator has answered them all, so AWS's side is
    // settled.
    let arrived = seen();
    let deadline = Instant::now() + Duration::from_millis(HOLD_MS) + Duration::from_secs(60);
    loop {
        if answered() - before >= arrived {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the emulator never answered the held {} call",
            point.operation
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    emulator.clear_faults();
    out
}

/// The `terraform-provider-eks` processes among the descendants of `root`.
pub fn provider_pids(root: u32) -> Vec<u32> {
    descendants(root)
        .into_iter()
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .ok()
                .and_then(|c| {
                    c.split(|b| *b == 0)
                        .next()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                })
                .is_some_and(|argv0| argv0.ends_with("terraform-provider-eks"))
        })
        .collect()
}

/// Every process whose chain of parents leads to `root`.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold
            // spaces and parentheses, so parse after the last ')'.
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}
