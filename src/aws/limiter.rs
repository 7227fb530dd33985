//! Client-side limits for IAM Identity Center.
//!
//! Terraform applies up to 10 resources in parallel, each making several
//! sso-admin and identitystore calls; Identity Center throttles around 20
//! requests per second and handles only a few account-assignment creations at
//! a time. Pacing ourselves is cheaper than being throttled and backing off
//! for seconds. The token bucket is wired into the sso-admin and
//! identitystore clients' HTTP layer (see [`super::http`]), so every request
//! attempt is paced without callers doing anything.
//!
//! Terraform runs each aliased `eks` provider as its own process, and three
//! aliases pointed at one Identity Center would each allow themselves 20
//! requests a second. So the bucket's state lives in a small file in the temp
//! directory that every provider process of the same user opens; one
//! reservation is a read-modify-write of that file under `flock(2)`:
//! - **Crashed holders:** the kernel drops a process's flock when it dies, so
//!   a crash can never leave the bucket locked. A reservation a crashed
//!   process made is simply not used (we under-use, never over-use).
//! - **Bounded:** the lock is only taken with `LOCK_NB`, retried every
//!   millisecond between async sleeps. A holder that keeps it for more than
//!   [`LOCK_WAIT`] (stopped with SIGSTOP, say) is given up on: that request is
//!   paced by this process's own bucket instead. The wait for a token is an
//!   async sleep, so dropping the request (Terraform's cancellation) ends it.
//! - **Cheap:** the file stays open; a reservation is four syscalls on a
//!   24-byte page-cache file, microseconds, under a process-local mutex.
//! - **Fallback:** if the file cannot be opened safely (another user owns it,
//!   a symlink, a read-only temp dir) the process paces itself alone, as
//!   before.
//!
//! The file is keyed by the Identity Center region and the sso-admin
//! endpoint, not by instance ARN: the instance is only known after the
//! process's first call (ListInstances), which must be paced too, and an
//! organization has one Identity Center instance, in one region, so region
//! plus endpoint names it in practice. The cost of that choice is only in the
//! rare setup of two organizations' instances in one region driven by one
//! user at once: they would share one 20 TPS budget (slower, never
//! throttled). Keying by endpoint also keeps parallel test runs, each with
//! its own emulator, apart.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::errors::{AwsError, ErrorKind, Service};
use super::wait::cancellable;
use crate::tfplugin::framework::Ctx;

/// Requests per second allowed to Identity Center (sso-admin + identitystore).
pub const IDENTITY_CENTER_TPS: f64 = 20.0;
/// In-flight CreateAccountAssignment operations allowed at once.
pub const MAX_CONCURRENT_ASSIGNMENTS: usize = 10;
/// How long one reservation waits for another process to release the shared
/// bucket before pacing by this process's bucket alone.
pub const LOCK_WAIT: Duration = Duration::from_secs(1);
/// Pause between attempts to take the shared bucket's lock.
const LOCK_RETRY: Duration = Duration::from_millis(1);
/// A backlog longer than this many seconds of tokens cannot come from real
/// waiters (each holds one token; there are a few dozen at most): the shared
/// state is corrupt and is reset rather than obeyed.
const MAX_BACKLOG_SECS: f64 = 300.0;

/// A token bucket: `rate` tokens per second, holding at most `burst`.
/// Callers that find it empty reserve a future token (the balance goes
/// negative) and sleep until it is theirs, so waiters are served in order.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    /// This process's own state: the whole bucket when there is no shared
    /// file, the fallback when the shared file stays locked.
    local: Mutex<BucketState>,
    shared: Option<SharedBucket>,
    lock_wait: Duration,
}

/// Tokens and the time they were counted, on the system-wide monotonic
/// clock (nanoseconds), so states written by other processes compare.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BucketState {
    tokens: f64,
    at_ns: u64,
}

impl BucketState {
    /// Takes one token at `now_ns`; returns how long the caller must wait.
    fn reserve(&mut self, now_ns: u64, rate: f64, burst: f64) -> Duration {
        let elapsed = now_ns.saturating_sub(self.at_ns) as f64 / 1e9;
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        if !self.tokens.is_finite() || self.tokens < -rate * MAX_BACKLOG_SECS {
            self.tokens = 0.0;
        }
        // Always move to `now`: a clock that went backwards (another time
        // namespace) then costs at most the refill of that gap.
        self.at_ns = now_ns;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / rate)
        }
    }
}

/// Which state paid for a token; tests look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paced {
    Shared,
    Local,
}

impl TokenBucket {
    /// A bucket for this process alone. Starts full.
    pub fn new(rate_per_sec: f64, burst: f64) -> TokenBucket {
        let burst = burst.max(1.0);
        TokenBucket {
            rate: rate_per_sec.max(f64::MIN_POSITIVE),
            burst,
            local: Mutex::new(BucketState {
                tokens: burst,
                at_ns: monotonic_ns(),
            }),
            shared: None,
            lock_wait: LOCK_WAIT,
        }
    }

    /// A bucket shared through `path` with every process that opens the same
    /// file; local only if the file cannot be used safely.
    pub fn shared_at(rate_per_sec: f64, burst: f64, path: &Path) -> TokenBucket {
        let mut bucket = TokenBucket::new(rate_per_sec, burst);
        match SharedBucket::open(path) {
            Ok(shared) => bucket.shared = Some(shared),
            Err(e) => tracing::debug!(
                path = %path.display(),
                error = %e,
                "Identity Center rate limit not shared with other provider processes"
            ),
        }
        bucket
    }

    /// The Identity Center budget: 20 per second, bursts of 20, shared by
    /// every provider process of this user that talks to the same
    /// Identity Center (`region` and sso-admin `endpoint`, `None` for AWS's).
    pub fn identity_center(region: &str, endpoint: Option<&str>) -> TokenBucket {
        TokenBucket::shared_at(
            IDENTITY_CENTER_TPS,
            IDENTITY_CENTER_TPS,
            &shared_path(region, endpoint),
        )
    }

    /// True when other processes share this bucket.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    fn reserve_local(&self, now_ns: u64) -> Duration {
        // A poisoned lock only means another thread panicked mid-update; the
        // state is two numbers and stays usable.
        let mut s = self.local.lock().unwrap_or_else(|p| p.into_inner());
        s.reserve(now_ns, self.rate, self.burst)
    }

    /// Takes a token from the shared state if there is one and its lock can
    /// be had within `lock_wait`, else from the local state.
    async fn reserve(&self) -> (Duration, Paced) {
        if let Some(shared) = &self.shared {
            let deadline = tokio::time::Instant::now() + self.lock_wait;
            loop {
                match shared.try_reserve(monotonic_ns(), self.rate, self.burst) {
                    Ok(Some(wait)) => return (wait, Paced::Shared),
                    Ok(None) if tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(LOCK_RETRY).await;
                    }
                    Ok(None) => {
                        tracing::debug!(
                            "shared Identity Center rate limit stayed locked; pacing alone for this request"
                        );
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "shared Identity Center rate limit unreadable; pacing alone for this request");
                        break;
                    }
                }
            }
        }
        (self.reserve_local(monotonic_ns()), Paced::Local)
    }

    /// Waits until the caller may send one request. Dropping the future
    /// abandons the wait (the token stays spent).
    pub async fn acquire(&self) {
        let (wait, _) = self.reserve().await;
        if !wait.is_zero() {
            tracing::trace!(
                wait_ms = wait.as_millis() as u64,
                "Identity Center rate limiter"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// `<temp>/terraform-provider-eks-<uid>-sso-<region>-<hash>.bucket`. The uid
/// keeps users apart on a shared /tmp; the hash covers the endpoint.
pub fn shared_path(region: &str, endpoint: Option<&str>) -> PathBuf {
    let endpoint = endpoint.unwrap_or("aws");
    let region: String = region
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    // FNV-1a: stable across builds and Rust versions, unlike std's hasher.
    let hash = format!("{region}|{endpoint}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    std::env::temp_dir().join(format!(
        "terraform-provider-eks-{uid}-sso-{region}-{hash:016x}.bucket"
    ))
}

/// The system-wide monotonic clock, which every process on the host reads
/// alike (unlike `Instant`, whose values cannot leave the process).
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// The bucket file: magic, tokens (f64 bits) and time, little-endian.
#[derive(Debug)]
struct SharedBucket {
    /// The mutex keeps this process's tasks out of each other's way: flock
    /// locks belong to the open file, which all of them share.
    file: Mutex<File>,
}

const MAGIC: &[u8; 8] = b"EKSTB\x00\x00\x01";
const RECORD: usize = 24;

impl SharedBucket {
    /// Opens (creating if need be) a regular file owned by us, mode 0600,
    /// refusing symlinks so nobody can point us at another file.
    fn open(path: &Path) -> io::Result<SharedBucket> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)?;
        let meta = file.metadata()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        if !meta.is_file() || meta.uid() != uid {
            return Err(io::Error::other("not a regular file of ours"));
        }
        Ok(SharedBucket {
            file: Mutex::new(file),
        })
    }

    /// One reservation under the file lock; `Ok(None)` if another process
    /// holds it right now.
    fn try_reserve(&self, now_ns: u64, rate: f64, burst: f64) -> io::Result<Option<Duration>> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let result = Self::reserve_locked(&file, now_ns, rate, burst);
        // Closing would release it too; unlock now so others need not wait.
        let _ = file.unlock();
        result.map(Some)
    }

    fn reserve_locked(file: &File, now_ns: u64, rate: f64, burst: f64) -> io::Result<Duration> {
        let mut buf = [0u8; RECORD];
        let read = read_fully_at(file, &mut buf)?;
        let mut state = match read {
            // A new file: nobody has used the budget lately.
            0 => BucketState {
                tokens: burst,
                at_ns: now_ns,
            },
            RECORD if &buf[..8] == MAGIC => BucketState {
                tokens: f64::from_le_bytes(buf[8..16].try_into().unwrap_or_default()),
                at_ns: u64::from_le_bytes(buf[16..24].try_into().unwrap_or_default()),
            },
            // Torn or foreign content: assume the budget is spent, which
            // at worst delays one burst.
            _ => BucketState {
                tokens: 0.0,
                at_ns: now_ns,
            },
        };
        let wait = state.reserve(now_ns, rate, burst);
        buf[..8].copy_from_slice(MAGIC);
        buf[8..16].copy_from_slice(&state.tokens.to_le_bytes());
        buf[16..24].copy_from_slice(&state.at_ns.to_le_bytes());
        file.write_all_at(&buf, 0)?;
        Ok(wait)
    }
}

/// Reads up to `buf.len()` bytes from offset 0; returns how many there were.
fn read_fully_at(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Bounds how many CreateAccountAssignment operations are in flight.
#[derive(Debug, Clone)]
pub struct AssignmentSlots {
    slots: Arc<Semaphore>,
}

impl AssignmentSlots {
    pub fn new(n: usize) -> AssignmentSlots {
        AssignmentSlots {
            slots: Arc::new(Semaphore::new(n)),
        }
    }

    /// Waits for a slot; hold the permit from CreateAccountAssignment until
    /// its status leaves IN_PROGRESS. Returns a cancellation error if
    /// Terraform stops first, and a deadline error if the operation's
    /// `timeouts` pass while other assignments hold every slot.
    pub async fn acquire(&self, ctx: &Ctx) -> Result<OwnedSemaphorePermit, AwsError> {
        const OP: &str = "CreateAccountAssignment";
        let permit = cancellable(ctx, Service::SsoAdmin, OP, async {
            self.slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| AwsError::cancelled(Service::SsoAdmin, OP))
        })
        .await;
        permit.map_err(|e| match e.kind {
            ErrorKind::DeadlineExceeded => AwsError::deadline(
                Service::SsoAdmin,
                OP,
                format!(
                    "{} while waiting for one of the {} assignment slots other assignments held",
                    e.message, MAX_CONCURRENT_ASSIGNMENTS
                ),
            ),
            _ => e,
        })
    }

    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    use super::*;

    const S: u64 = 1_000_000_000;

    fn state(tokens: f64) -> BucketState {
        BucketState { tokens, at_ns: 0 }
    }

    #[test]
    fn full_bucket_serves_a_burst_then_paces() {
        let mut b = state(20.0);
        for _ in 0..20 {
            assert_eq!(b.reserve(0, 20.0, 20.0), Duration::ZERO);
        }
        // The 21st waits one token's time (50 ms), the 22nd two.
        let w21 = b.reserve(0, 20.0, 20.0);
        let w22 = b.reserve(0, 20.0, 20.0);
        assert!((w21.as_secs_f64() - 0.05).abs() < 1e-6, "{w21:?}");
        assert!((w22.as_secs_f64() - 0.10).abs() < 1e-6, "{w22:?}");
    }

    #[test]
    fn refills_over_time_up_to_the_burst() {
        let mut b = state(5.0);
        for _ in 0..5 {
            b.reserve(0, 10.0, 5.0);
        }
        assert!(b.reserve(0, 10.0, 5.0) > Duration::ZERO); // balance now -1
        // After 10 s, the bucket is full again (5), not 99.
        for _ in 0..5 {
            assert_eq!(b.reserve(10 * S, 10.0, 5.0), Duration::ZERO);
        }
        assert!(b.reserve(10 * S, 10.0, 5.0) > Duration::ZERO);
    }

    #[test]
    fn sustained_rate_matches_the_limit() {
        let mut b = state(20.0);
        let mut last = Duration::ZERO;
        for _ in 0..120 {
            last = b.reserve(0, 20.0, 20.0);
        }
        // 120 requests at 20/s with 20 free: the last one goes out at 5 s.
        assert!((last.as_secs_f64() - 5.0).abs() < 1e-6, "{last:?}");
    }

    #[test]
    fn a_clock_that_goes_back_or_a_corrupt_backlog_cannot_stall_it() {
        let mut b = BucketState {
            tokens: 0.0,
            at_ns: 100 * S,
        };
        // Earlier than the recorded time: no refill, but no stall either.
        assert!((b.reserve(S, 1.0, 1.0).as_secs_f64() - 1.0).abs() < 1e-6);
        assert_eq!(b.at_ns, S);
        // A balance no set of real waiters could build is reset, not obeyed.
        let mut b = state(-1e12);
        assert!(b.reserve(0, 20.0, 20.0) < Duration::from_secs(1));
        let mut b = state(f64::NAN);
        assert!(b.reserve(0, 20.0, 20.0) < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn acquire_paces_real_time() {
        let b = TokenBucket::new(100.0, 1.0);
        let started = tokio::time::Instant::now();
        for _ in 0..6 {
            b.acquire().await;
        }
        // 1 free + 5 at 10 ms each.
        assert!(
            started.elapsed() >= Duration::from_millis(45),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn shared_path_separates_users_regions_and_endpoints() {
        let a = shared_path("us-east-1", None);
        assert_eq!(a, shared_path("us-east-1", None));
        assert_ne!(a, shared_path("eu-west-1", None));
        assert_ne!(a, shared_path("us-east-1", Some("http://127.0.0.1:4566")));
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        assert!(
            name.starts_with(&format!("terraform-provider-eks-{uid}-sso-us-east-1-")),
            "{name}"
        );
        // Whatever the region string holds, the name stays one path component.
        let odd = shared_path("../../etc", Some("x"));
        assert_eq!(odd.parent(), Some(std::env::temp_dir().as_path()));
    }

    #[test]
    fn refuses_a_symlink_and_paces_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, b"keep me").unwrap();
        let link = dir.path().join("bucket");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let b = TokenBucket::shared_at(20.0, 20.0, &link);
        assert!(!b.is_shared());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    }

    #[test]
    fn torn_content_counts_as_a_spent_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bucket");
        std::fs::write(&path, b"garbage").unwrap();
        let shared = SharedBucket::open(&path).unwrap();
        let wait = shared.try_reserve(0, 1.0, 10.0).unwrap().unwrap();
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
        // ... and the record is whole again afterwards.
        assert_eq!(&std::fs::read(&path).unwrap()[..8], MAGIC);
    }

    // ---- across processes ------------------------------------------------
    //
    // The children are this test binary, run with `--ignored --exact` on one
    // of the `child_*` functions below and told what to do by environment.

    const CHILD_PATH: &str = "EKS_LIMITER_TEST_PATH";
    const CHILD_TOKENS: &str = "EKS_LIMITER_TEST_TOKENS";

    fn child(name: &str, path: &Path, tokens: usize) -> Command {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--ignored",
            "--exact",
            &format!("aws::limiter::tests::{name}"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PATH, path)
        .env(CHILD_TOKENS, tokens.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        cmd
    }

    fn child_env() -> (PathBuf, usize) {
        let path = std::env::var_os(CHILD_PATH).expect("run by a parent test");
        let tokens = std::env::var(CHILD_TOKENS).unwrap().parse().unwrap();
        (PathBuf::from(path), tokens)
    }

    /// Child: once a byte arrives on stdin (so that all children start
    /// together), takes `tokens` tokens at a frozen clock (t = 0) from a
    /// bucket of 1000 a second, and prints each wait in milliseconds, one per
    /// line, marked so libtest's own output is told apart.
    #[test]
    #[ignore = "child process of shared_bucket_serves_each_token_once_across_processes"]
    fn child_takes_tokens() {
        let (path, tokens) = child_env();
        let shared = SharedBucket::open(&path).unwrap();
        let mut go = [0u8; 1];
        std::io::Read::read_exact(&mut std::io::stdin(), &mut go).unwrap();
        let mut waits = Vec::with_capacity(tokens);
        for _ in 0..tokens {
            let wait = loop {
                if let Some(w) = shared.try_reserve(0, 1000.0, 5.0).unwrap() {
                    break w;
                }
                std::hint::spin_loop();
            };
            waits.push(wait);
        }
        let mut out = String::new();
        for w in waits {
            out.push_str(&format!("\nWAIT_MS {}", (w.as_secs_f64() * 1e3).round()));
        }
        println!("{out}");
    }

    /// Child: takes the file lock, says so, and keeps it until killed.
    #[test]
    #[ignore = "child process of the crashed- and stuck-holder tests"]
    fn child_holds_the_lock() {
        let (path, _) = child_env();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        file.lock().unwrap();
        println!("LOCKED");
        loop {
            std::thread::park();
        }
    }

    fn spawn_holder(path: &Path) -> std::process::Child {
        let mut holder = child("child_holds_the_lock", path, 0).spawn().unwrap();
        let mut out = BufReader::new(holder.stdout.take().unwrap());
        let mut line = String::new();
        // libtest prints the test's name on the same line first.
        while !line.contains("LOCKED") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "holder exited");
        }
        holder
    }

    #[test]
    fn shared_bucket_serves_each_token_once_across_processes() {
        const CHILDREN: usize = 3;
        const EACH: usize = 2000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bucket");
        // Three processes, started together, take 2000 tokens each from one
        // bucket (burst 5, 1000 a second) with the clock frozen at 0.
        // Whatever the interleaving, the waits must be those of one caller
        // taking all 6000: five free, then 1 ms, 2 ms, ... 5995 ms, each
        // exactly once. A read-modify-write that two processes did at once
        // would hand out one wait twice.
        let mut children: Vec<_> = (0..CHILDREN)
            .map(|_| {
                child("child_takes_tokens", &path, EACH)
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in &mut children {
            std::io::Write::write_all(c.stdin.as_mut().unwrap(), b"g").unwrap();
        }
        let mut waits = Vec::new();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "child failed: {out:?}");
            let text = String::from_utf8(out.stdout).unwrap();
            let mine: Vec<u64> = text
                .lines()
                .filter_map(|l| l.strip_prefix("WAIT_MS "))
                .map(|n| n.trim().parse().unwrap())
                .collect();
            assert_eq!(mine.len(), EACH, "{text}");
            waits.extend(mine);
        }
        waits.sort_unstable();
        let mut expected = vec![0u64; 5];
        expected.extend(1..=(CHILDREN * EACH - 5) as u64);
        assert!(waits == expected, "some waits were handed out twice");
    }

    #[test]
    fn a_crashed_holder_never_blocks_the_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bucket");
        let shared = SharedBucket::open(&path).unwrap();
        let mut holder = spawn_holder(&path);
        assert_eq!(shared.try_reserve(0, 1.0, 5.0).unwrap(), None);
        holder.kill().unwrap();
        holder.wait().unwrap();
        assert_eq!(
            shared.try_reserve(0, 1.0, 5.0).unwrap(),
            Some(Duration::ZERO)
        );
    }

    #[tokio::test]
    async fn a_stuck_holder_costs_a_bounded_wait_then_local_pacing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bucket");
        let mut bucket = TokenBucket::shared_at(20.0, 20.0, &path);
        assert!(bucket.is_shared());
        bucket.lock_wait = Duration::from_millis(20);
        let mut holder = spawn_holder(&path);
        assert_eq!(bucket.reserve().await.1, Paced::Local);
        holder.kill().unwrap();
        holder.wait().unwrap();
        assert_eq!(bucket.reserve().await.1, Paced::Shared);
    }

    #[tokio::test]
    async fn waiting_for_the_lock_is_cancellable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bucket");
        let mut bucket = TokenBucket::shared_at(20.0, 20.0, &path);
        bucket.lock_wait = Duration::from_secs(3600);
        let mut holder = spawn_holder(&path);
        // The lock wait is async sleeps, never a blocking flock: on this
        // single-threaded runtime the other branch (standing in for
        // Terraform's cancellation) can only ever run if so.
        let cancelled = tokio::select! {
            () = bucket.acquire() => false,
            () = tokio::time::sleep(Duration::from_millis(50)) => true,
        };
        assert!(cancelled);
        holder.kill().unwrap();
        holder.wait().unwrap();
    }

    #[tokio::test]
    async fn assignment_slots_bound_concurrency_and_release() {
        let slots = AssignmentSlots::new(2);
        let ctx = Ctx::default();
        let a = slots.acquire(&ctx).await.unwrap();
        let _b = slots.acquire(&ctx).await.unwrap();
        assert_eq!(slots.available(), 0);
        let third = tokio::time::timeout(Duration::from_millis(50), slots.acquire(&ctx)).await;
        assert!(third.is_err(), "a third slot must wait");
        drop(a);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), slots.acquire(&ctx))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn assignment_slot_wait_is_cancellable() {
        let slots = AssignmentSlots::new(1);
        let ctx = Ctx::default();
        let _held = slots.acquire(&ctx).await.unwrap();
        ctx.cancel.cancel();
        let e = slots.acquire(&ctx).await.unwrap_err();
        assert!(e.is_cancelled());
    }
}
