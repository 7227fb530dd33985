//! The poll schedule for this resource's waits: the next check comes after a
//! quarter of the time waited so far, at least 250 ms and at most 5 s.
//!
//! Doubling backoff overshoots by up to half the wait; a chain of four waits
//! (assignment, provisioning, role, entry) of about a second each would then
//! add seconds to an apply. Waiting proportionally keeps the overshoot near a
//! quarter while a long wait still settles at one call every five seconds.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::wait::WaitError;
use crate::tfplugin::framework::Ctx;

pub const MIN_DELAY: Duration = Duration::from_millis(250);
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// The delay before the next check, after `waited` of waiting.
pub fn next_delay(waited: Duration) -> Duration {
    (waited / 4).clamp(MIN_DELAY, MAX_DELAY)
}

/// Calls `check` until it returns `Ok(Some(_))`, fails, the deadline passes
/// (after one last check at the deadline) or Terraform cancels.
pub async fn poll<T, E, F, Fut>(
    ctx: &Ctx,
    deadline: Instant,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let started = Instant::now();
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
        let delay = next_delay(now - started).min(deadline - now);
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_grow_with_the_wait_within_bounds() {
        assert_eq!(next_delay(Duration::ZERO), MIN_DELAY);
        assert_eq!(
            next_delay(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
        assert_eq!(next_delay(Duration::from_secs(8)), Duration::from_secs(2));
        assert_eq!(next_delay(Duration::from_secs(600)), MAX_DELAY);
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
    async fn cancellation_stops_the_wait() {
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
    async fn times_out() {
        let out: Result<(), WaitError<()>> = poll(
            &Ctx::default(),
            Instant::now() + Duration::from_millis(300),
            || async { Ok(None) },
        )
        .await;
        assert!(matches!(out, Err(WaitError::TimedOut { .. })));
    }
}
