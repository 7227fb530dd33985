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
use crate::tfplugin::framework::{Ctx, Interrupted};
use crate::validate::format_duration;

/// Shortest delay of the default poller, and so the first one.
pub const FIRST_DELAY: Duration = Duration::from_millis(250);
/// Longest delay of the default poller.
pub const MAX_DELAY: Duration = Duration::from_secs(5);
/// How long a check may run past the deadline before the wait gives up on
/// it: enough for the final check at the deadline, well within the 2 s in
/// which a wait must stop once its time is up.
const CHECK_GRACE: Duration = Duration::from_secs(1);

/// When to check next: after a quarter of the time waited so far, clamped to
/// `[min, max]`.
///
/// Doubling backoff overshoots the moment the state settles by up to half
/// the wait; a chain of four waits (assignment, provisioning, role, access
/// entry) of about a second each would then add seconds to an apply. Waiting
/// in proportion keeps the overshoot near a quarter, while a long wait still
/// settles at one call every `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub min: Duration,
    pub max: Duration,
}

impl Schedule {
    /// 250 ms at first, growing to one check every 5 s.
    pub const DEFAULT: Schedule = Schedule {
        min: FIRST_DELAY,
        max: MAX_DELAY,
    };

    /// The delay before the next check, after `waited` of waiting.
    pub fn next_delay(&self, waited: Duration) -> Duration {
        (waited / 4).clamp(self.min, self.max.max(self.min))
    }
}

/// Why a wait ended without the state it waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError<E> {
    /// Terraform cancelled the operation.
    Cancelled,
    /// The deadline passed; `waited` is how long the poller ran, and
    /// `limit` names the operation's time limit (e.g. `timeouts.create =
    /// "20s"`) when that was the deadline that passed.
    TimedOut {
        waited: Duration,
        limit: Option<String>,
    },
    /// The check itself failed; waiting stopped at once.
    Failed(E),
}

/// A waited time as a user reads it: whole seconds from one second up
/// ("20s" rather than "19874ms"), milliseconds below.
fn waited_text(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format_duration(Duration::from_secs(d.as_secs_f64().round() as u64))
    } else {
        format_duration(Duration::from_millis(d.as_millis() as u64))
    }
}

impl WaitError<AwsError> {
    /// Flattens into an [`AwsError`]: `what` describes the awaited state, e.g.
    /// "role AWSReservedSSO_Admin_* to appear".
    pub fn into_aws(self, service: Service, operation: &'static str, what: &str) -> AwsError {
        match self {
            WaitError::Cancelled => AwsError::cancelled(service, operation),
            WaitError::TimedOut { waited, limit } => AwsError::deadline(
                service,
                operation,
                match limit {
                    Some(l) => format!(
                        "waited {} for {what}, and the operation's time limit ({l}) ran out. If AWS is only slow, raise that limit in the resource's `timeouts` block and apply again: the next apply resumes from what exists",
                        waited_text(waited)
                    ),
                    None => format!("waited {} for {what}", waited_text(waited)),
                },
            ),
            // A check cut short by the operation's deadline is the wait
            // timing out: say what was awaited, and keep the limit's words.
            WaitError::Failed(e) if e.is_deadline() => AwsError::deadline(
                service,
                operation,
                format!("gave up waiting for {what}: {}", e.message),
            )
            .about_opt(e.object),
            WaitError::Failed(e) => e,
        }
    }
}

/// Calls `check` until it returns `Ok(Some(v))`, an error, the deadline passes
/// or Terraform cancels. The first check runs immediately; after that the
/// delays follow `schedule`, and the last sleep is cut short so one final
/// check happens at the deadline.
pub async fn poll_until<T, E, F, Fut>(
    ctx: &Ctx,
    deadline: Instant,
    schedule: Schedule,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let started = Instant::now();
    let deadline = ctx.cap(deadline);
    let limit = ctx
        .deadline
        .as_ref()
        .filter(|d| d.at <= deadline)
        .map(|d| d.label.clone());
    let timed_out = |started: Instant| WaitError::TimedOut {
        waited: Instant::now() - started,
        limit: limit.clone(),
    };
    loop {
        // A check that hangs (an SDK call in its own retries) ends shortly
        // after the deadline too; the grace lets the final check at the
        // deadline finish.
        let outcome = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return Err(WaitError::Cancelled),
            r = check() => r,
            _ = tokio::time::sleep_until(deadline + CHECK_GRACE) => return Err(timed_out(started)),
        };
        match outcome {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => return Err(WaitError::Failed(e)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(started));
        }
        let delay = schedule.next_delay(now - started).min(deadline - now);
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// [`poll_until`] with [`Schedule::DEFAULT`].
pub async fn poll<T, E, F, Fut>(ctx: &Ctx, deadline: Instant, check: F) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    poll_until(ctx, deadline, Schedule::DEFAULT, check).await
}

/// Runs one AWS call, returning a cancellation error if Terraform stops
/// first, or a deadline error naming the time limit if that passes first.
pub async fn cancellable<T>(
    ctx: &Ctx,
    service: Service,
    operation: &'static str,
    call: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    match ctx.bounded(call).await {
        Ok(r) => r,
        Err(Interrupted::Cancelled) => Err(AwsError::cancelled(service, operation)),
        Err(Interrupted::DeadlineExceeded(d)) => Err(AwsError::deadline(
            service,
            operation,
            format!("the operation's time limit ({}) ran out", d.label),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn schedule(min_ms: u64, max_ms: u64) -> Schedule {
        Schedule {
            min: Duration::from_millis(min_ms),
            max: Duration::from_millis(max_ms),
        }
    }

    /// The delays a poll makes when every check is instantaneous.
    fn delays(s: Schedule, n: usize) -> Vec<u128> {
        let mut waited = Duration::ZERO;
        (0..n)
            .map(|_| {
                let d = s.next_delay(waited);
                waited += d;
                d.as_millis()
            })
            .collect()
    }

    #[test]
    fn default_schedule_starts_at_250ms_and_grows_by_a_quarter() {
        assert_eq!(
            delays(Schedule::DEFAULT, 10),
            vec![250, 250, 250, 250, 250, 312, 390, 488, 610, 762]
        );
    }

    #[test]
    fn default_schedule_settles_at_5s() {
        let s = Schedule::DEFAULT;
        assert_eq!(s.next_delay(Duration::ZERO), FIRST_DELAY);
        assert_eq!(
            s.next_delay(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
        assert_eq!(s.next_delay(Duration::from_secs(8)), Duration::from_secs(2));
        assert_eq!(s.next_delay(Duration::from_secs(20)), MAX_DELAY);
        assert_eq!(s.next_delay(Duration::from_secs(600)), MAX_DELAY);
        assert!(delays(s, 40).iter().all(|&d| (250..=5000).contains(&d)));
        assert_eq!(*delays(s, 40).last().unwrap(), 5000);
    }

    #[test]
    fn a_min_above_the_max_wins() {
        let s = schedule(3000, 1000);
        assert_eq!(
            s.next_delay(Duration::from_secs(60)),
            Duration::from_secs(3)
        );
    }

    #[tokio::test]
    async fn returns_once_the_check_succeeds() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<u32, WaitError<()>> = poll_until(
            &Ctx::default(),
            Instant::now() + Duration::from_secs(10),
            schedule(1, 4),
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
            schedule(50, 50),
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
            Err(WaitError::TimedOut { waited, .. }) => {
                assert!(waited >= Duration::from_millis(120))
            }
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
            schedule(20_000, 20_000),
            || async { Ok(None) },
        )
        .await;
        assert_eq!(out, Err(WaitError::Cancelled));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn first_recheck_comes_after_about_250ms() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let started = Instant::now();
        let out: Result<u32, WaitError<()>> = poll(
            &Ctx::default(),
            Instant::now() + Duration::from_secs(5),
            || {
                let c = c.clone();
                async move { Ok((c.fetch_add(1, Ordering::SeqCst) == 1).then_some(1)) }
            },
        )
        .await;
        assert_eq!(out, Ok(1));
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(240) && took < Duration::from_millis(600),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn a_cancelled_ctx_stops_the_wait_before_it_starts() {
        let ctx = Ctx::default();
        ctx.cancel.cancel();
        let out: Result<(), WaitError<()>> =
            poll(&ctx, Instant::now() + Duration::from_secs(60), || async {
                Ok(None)
            })
            .await;
        assert_eq!(out, Err(WaitError::Cancelled));
    }

    #[tokio::test]
    async fn default_poll_times_out() {
        let out: Result<(), WaitError<()>> = poll(
            &Ctx::default(),
            Instant::now() + Duration::from_millis(300),
            || async { Ok(None) },
        )
        .await;
        assert!(matches!(out, Err(WaitError::TimedOut { .. })));
    }

    #[tokio::test]
    async fn a_hanging_check_ends_soon_after_the_deadline() {
        let started = Instant::now();
        let out: Result<(), WaitError<()>> = poll(
            &Ctx::default(),
            Instant::now() + Duration::from_millis(200),
            std::future::pending,
        )
        .await;
        assert!(matches!(out, Err(WaitError::TimedOut { .. })), "{out:?}");
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(200) + CHECK_GRACE + Duration::from_millis(500),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn the_operation_limit_cuts_a_longer_wait_and_is_named() {
        let ctx = Ctx::default().with_deadline(
            Instant::now() + Duration::from_millis(300),
            "timeouts.create = \"20s\"",
        );
        let started = Instant::now();
        let out: Result<(), WaitError<AwsError>> =
            poll(&ctx, Instant::now() + Duration::from_secs(60), || async {
                Ok(None)
            })
            .await;
        assert!(started.elapsed() < Duration::from_secs(2));
        let e = out
            .unwrap_err()
            .into_aws(Service::Iam, "ListRoles", "the role to appear");
        let text = e.to_string();
        assert!(text.contains("timeouts.create = \"20s\""), "{text}");
        assert!(text.contains("the role to appear"), "{text}");
    }

    #[test]
    fn waited_time_reads_in_whole_seconds() {
        assert_eq!(waited_text(Duration::from_millis(19_874)), "20s");
        assert_eq!(waited_text(Duration::from_millis(250)), "250ms");
        assert_eq!(waited_text(Duration::from_secs(125)), "2m5s");
    }

    #[test]
    fn timeouts_become_deadline_errors() {
        let e = WaitError::<AwsError>::TimedOut {
            waited: Duration::from_secs(120),
            limit: None,
        }
        .into_aws(Service::Iam, "ListRoles", "the role to appear");
        assert_eq!(
            e.to_string(),
            "iam ListRoles timed out: waited 2m for the role to appear"
        );
    }
}
