//! Client-side limits for IAM Identity Center, shared by every resource of
//! one provider instance.
//!
//! Terraform applies up to 10 resources in parallel, each making several
//! sso-admin and identitystore calls; Identity Center throttles around 20
//! requests per second per account and handles only a few account-assignment
//! creations at a time. Pacing ourselves is cheaper than being throttled and
//! backing off for seconds. The token bucket is wired into the sso-admin and
//! identitystore clients' HTTP layer (see [`super::http`]), so every request
//! attempt is paced without callers doing anything.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::errors::{AwsError, Service};
use crate::tfplugin::framework::Ctx;

/// Requests per second allowed to Identity Center (sso-admin + identitystore).
pub const IDENTITY_CENTER_TPS: f64 = 20.0;
/// In-flight CreateAccountAssignment operations allowed at once.
pub const MAX_CONCURRENT_ASSIGNMENTS: usize = 10;

/// A token bucket: `rate` tokens per second, holding at most `burst`.
/// Callers that find it empty reserve a future token (the balance goes
/// negative) and sleep until it is theirs, so waiters are served in order.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug, Clone, Copy)]
struct BucketState {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// Starts full.
    pub fn new(rate_per_sec: f64, burst: f64) -> TokenBucket {
        TokenBucket {
            rate: rate_per_sec.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            state: Mutex::new(BucketState {
                tokens: burst.max(1.0),
                last: Instant::now(),
            }),
        }
    }

    /// The Identity Center default: 20 per second, bursts of 20.
    pub fn identity_center() -> TokenBucket {
        TokenBucket::new(IDENTITY_CENTER_TPS, IDENTITY_CENTER_TPS)
    }

    /// Takes one token at `now` and says how long the caller must wait for it.
    fn reserve_at(&self, now: Instant) -> Duration {
        // A poisoned lock only means another thread panicked mid-update; the
        // state is two numbers and stays usable.
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.tokens = (s.tokens + elapsed * self.rate).min(self.burst);
        s.last = now.max(s.last);
        s.tokens -= 1.0;
        if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / self.rate)
        }
    }

    /// Waits until the caller may send one request.
    pub async fn acquire(&self) {
        let wait = self.reserve_at(Instant::now());
        if !wait.is_zero() {
            tracing::trace!(
                wait_ms = wait.as_millis() as u64,
                "Identity Center rate limiter"
            );
            tokio::time::sleep(wait).await;
        }
    }
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
    /// Terraform stops first.
    pub async fn acquire(&self, ctx: &Ctx) -> Result<OwnedSemaphorePermit, AwsError> {
        tokio::select! {
            _ = ctx.cancel.cancelled() => Err(AwsError::cancelled(Service::SsoAdmin, "CreateAccountAssignment")),
            permit = self.slots.clone().acquire_owned() => permit
                .map_err(|_| AwsError::cancelled(Service::SsoAdmin, "CreateAccountAssignment")),
        }
    }

    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_bucket_serves_a_burst_then_paces() {
        let b = TokenBucket::new(20.0, 20.0);
        let t0 = Instant::now();
        for _ in 0..20 {
            assert_eq!(b.reserve_at(t0), Duration::ZERO);
        }
        // The 21st waits one token's time (50 ms), the 22nd two.
        let w21 = b.reserve_at(t0);
        let w22 = b.reserve_at(t0);
        assert!((w21.as_secs_f64() - 0.05).abs() < 1e-6, "{w21:?}");
        assert!((w22.as_secs_f64() - 0.10).abs() < 1e-6, "{w22:?}");
    }

    #[test]
    fn refills_over_time_up_to_the_burst() {
        let b = TokenBucket::new(10.0, 5.0);
        let t0 = Instant::now();
        for _ in 0..5 {
            b.reserve_at(t0);
        }
        assert!(b.reserve_at(t0) > Duration::ZERO); // balance now -1
        // After 10 s, the bucket is full again (5), not 99.
        let t1 = t0 + Duration::from_secs(10);
        for _ in 0..5 {
            assert_eq!(b.reserve_at(t1), Duration::ZERO);
        }
        assert!(b.reserve_at(t1) > Duration::ZERO);
    }

    #[test]
    fn sustained_rate_matches_the_limit() {
        let b = TokenBucket::new(20.0, 20.0);
        let t0 = Instant::now();
        let mut last = Duration::ZERO;
        for _ in 0..120 {
            last = b.reserve_at(t0);
        }
        // 120 requests at 20/s with 20 free: the last one goes out at 5 s.
        assert!((last.as_secs_f64() - 5.0).abs() < 1e-6, "{last:?}");
    }

    #[tokio::test]
    async fn acquire_paces_real_time() {
        let b = TokenBucket::new(100.0, 1.0);
        let started = Instant::now();
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
