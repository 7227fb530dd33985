//! Waiting for AWS to reach a state: one adaptive poller for every waiter.
//!
//! Identity Center assignments, provisioning, role propagation and EKS
//! statuses usually settle in well under a second against an emulator and in
//! seconds against AWS, but occasionally take minutes. Polling fast at first
//! and backing off to a cap keeps short waits short without hammering the API
//! (and the Identity Center rate limit) during long ones.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::errors::{AwsError, Service};
use crate::tfplugin::framework::Ctx;
use crate::validate::format_duration;

/// First delay of the default poller.
pub const FIRST_DELAY: Duration = Duration::from_millis(250);
/// Longest delay of the default poller.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// A delay sequence starting at `first` and doubling up to `cap`.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    cap: Duration,
}

impl Backoff {
    pub fn new(first: Duration, cap: Duration) -> Backoff {
        Backoff {
            next: first.min(cap),
            cap,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.cap);
        d
    }
}

/// Why a wait ended without the state it waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError<E> {
    /// Terraform cancelled the operation.
    Cancelled,
    /// The deadline passed; `waited` is how long the poller ran.
    TimedOut { waited: Duration },
    /// The check itself failed; waiting stopped at once.
    Failed(E),
}

impl WaitError<AwsError> {
    /// Flattens into an [`AwsError`]: `what` describes the awaited state, e.g.
    /// "role AWSReservedSSO_Admin_* to appear".
    pub fn into_aws(self, service: Service, operation: &'static str, what: &str) -> AwsError {
        match self {
            WaitError::Cancelled => AwsError::cancelled(service, operation),
            WaitError::TimedOut { waited } => AwsError::deadline(
                service,
                operation,
                format!("waited {} for {what}", format_duration(waited)),
            ),
            WaitError::Failed(e) => e,
        }
    }
}

/// Calls `check` until it returns `Ok(Some(v))`, an error, the deadline passes
/// or Terraform cancels. The first check runs immediately; after that the
/// delays follow [`Backoff`] from `first` to `cap`, and the last sleep is cut
/// short so one final check happens at the deadline.
pub async fn poll_until<T, E, F, Fut>(
    ctx: &Ctx,
    deadline: Instant,
    first: Duration,
    cap: Duration,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let started = Instant::now();
    let mut backoff = Backoff::new(first, cap);
    loop {
        let outcome = tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(WaitError::Cancelled),
            r = check() => r,
        };
        match outcome {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => return Err(WaitError::Failed(e)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut {
                waited: now - started,
            });
        }
        let delay = backoff.next_delay().min(deadline - now);
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// [`poll_until`] with the default 250 ms → 5 s delays.
pub async fn poll<T, E, F, Fut>(ctx: &Ctx, deadline: Instant, check: F) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    poll_until(ctx, deadline, FIRST_DELAY, MAX_DELAY, check).await
}

/// Runs one AWS call, returning a cancellation error if Terraform stops first.
pub async fn cancellable<T>(
    ctx: &Ctx,
    service: Service,
    operation: &'static str,
    call: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    tokio::select! {
        _ = ctx.cancel.cancelled() => Err(AwsError::cancelled(service, operation)),
        r = call => r,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap() {
        let mut b = Backoff::new(FIRST_DELAY, MAX_DELAY);
        let seq: Vec<u128> = (0..8).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(seq, vec![250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }

    #[test]
    fn backoff_first_above_cap_is_capped() {
        let mut b = Backoff::new(Duration::from_secs(10), Duration::from_secs(3));
        assert_eq!(b.next_delay(), Duration::from_secs(3));
    }

    #[tokio::test]
    async fn returns_once_the_check_succeeds() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<u32, WaitError<()>> = poll_until(
            &Ctx::default(),
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(1),
            Duration::from_millis(4),
            || {
                let c = c.clone();
                async move {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    Ok((n == 3).then_some(n))
                }
            },
        )
        .await;
        assert_eq!(out, Ok(3));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn times_out_after_a_final_check_at_the_deadline() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let started = Instant::now();
        let out: Result<(), WaitError<()>> = poll_until(
            &Ctx::default(),
            Instant::now() + Duration::from_millis(120),
            Duration::from_millis(50),
            Duration::from_millis(50),
            || {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    Ok(None)
                }
            },
        )
        .await;
        match out {
            Err(WaitError::TimedOut { waited }) => assert!(waited >= Duration::from_millis(120)),
            other => panic!("{other:?}"),
        }
        // checks at ~0, 50, 100 and the deadline (120)
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn errors_stop_the_wait() {
        let out: Result<(), WaitError<&str>> = poll(
            &Ctx::default(),
            Instant::now() + Duration::from_secs(10),
            || async { Err("boom") },
        )
        .await;
        assert_eq!(out, Err(WaitError::Failed("boom")));
    }

    #[tokio::test]
    async fn cancellation_interrupts_a_sleep() {
        let ctx = Ctx::default();
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let out: Result<(), WaitError<()>> = poll_until(
            &ctx,
            Instant::now() + Duration::from_secs(60),
            Duration::from_secs(20),
            Duration::from_secs(20),
            || async { Ok(None) },
        )
        .await;
        assert_eq!(out, Err(WaitError::Cancelled));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn timeouts_become_deadline_errors() {
        let e = WaitError::<AwsError>::TimedOut {
            waited: Duration::from_secs(120),
        }
        .into_aws(Service::Iam, "ListRoles", "the role to appear");
        assert_eq!(
            e.to_string(),
            "iam ListRoles timed out: waited 2m for the role to appear"
        );
    }
}
