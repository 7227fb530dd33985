//! Our own retries: what waiting helps with, decided by the error's
//! [`Class`] (see [`super::classify`]).
//!
//! Division of labour:
//! - Throttling, timeouts and HTTP 5xx are retried by the SDK's standard retry
//!   strategy (configured from `max_retries`); nothing here retries them.
//! - [`retry_conflicts`] retries sso-admin `ConflictException` "There is a
//!   conflicting operation in process." — another write on the same permission
//!   set or instance is running. A ConflictException saying "already exists"
//!   is a duplicate, which waiting cannot fix, so it is never retried.
//! - [`retry_eks_propagation`] retries EKS's "invalid principal" and
//!   "principalArn could not be found" until a deadline: IAM is eventually
//!   consistent, and a role created (or re-created by Identity Center) moments
//!   ago is not yet visible to EKS.
//!
//! - IAM `ConcurrentModification` and EKS `ResourceInUseException` (not a
//!   duplicate) go to the SDK's standard retry through
//!   [`super::sdk_retry`]; [`retry_concurrent`] retries them in our own loop
//!   where a caller wants that.
//!
//! Every loop stops at once when Terraform cancels (`Ctx.cancel`) and at the
//! operation's deadline (`Ctx.deadline`, from the resource's `timeouts`),
//! cutting short the call in flight as well as the sleep between calls.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use super::classify::Class;
use super::errors::{AwsError, Service};
use crate::tfplugin::framework::{Ctx, Interrupted};

/// True for the EKS errors that mean "IAM has not propagated this principal
/// to EKS yet": CreateAccessEntry's "invalid principal", and "principalArn
/// could not be found" from calls made right after the entry was created.
pub fn is_eks_propagation(err: &AwsError) -> bool {
    if err.service != Service::Eks {
        return false;
    }
    match err.class() {
        Class::PrincipalNotVisible => true,
        Class::NotFound => err
            .message
            .to_ascii_lowercase()
            .contains("principalarn could not be found"),
        _ => false,
    }
}

/// Timing of our own retries. Delays grow from `initial` doubling to `max`,
/// each jittered to a random point in `[d/2, d]` so parallel resources that
/// collided do not collide again in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Total time spent retrying before giving up with the last error.
    pub budget: Duration,
}

impl RetryPolicy {
    /// For sso-admin conflicts: they clear when the other operation finishes,
    /// usually within seconds; Terraform's AWS provider gives up after 5 minutes.
    pub const CONFLICTS: RetryPolicy = RetryPolicy {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(10),
        budget: Duration::from_secs(300),
    };
}

/// The un-jittered delays of a [`RetryPolicy`]: `first`, doubling up to `cap`.
///
/// Retries use doubling rather than the proportional schedule of
/// [`super::wait`]: a retry follows a collision, and spreading callers apart
/// quickly matters more than noticing the moment the other side finishes.
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

/// A jittered delay in `[d/2, d]`.
pub fn jitter(d: Duration) -> Duration {
    let half = d / 2;
    let extra = rand::rng().random_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(extra)
}

/// Retries `f` while it fails with an sso-admin ConflictException "conflicting
/// operation in process", within [`RetryPolicy::CONFLICTS`] and the
/// context's deadline. Any other error (including "already exists") is
/// returned at once.
pub async fn retry_conflicts<T, F, Fut>(
    ctx: &Ctx,
    op_name: &'static str,
    f: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    retry_concurrent(ctx, Service::SsoAdmin, op_name, f).await
}

/// Retries `f` on `service` while another operation on the same object is
/// running ([`Class::ConcurrentOperation`]: sso-admin "conflicting operation
/// in process", IAM `ConcurrentModification`, EKS `ResourceInUseException`
/// other than a duplicate), within [`RetryPolicy::CONFLICTS`] and the
/// context's deadline.
pub async fn retry_concurrent<T, F, Fut>(
    ctx: &Ctx,
    service: Service,
    op_name: &'static str,
    f: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let deadline = Instant::now() + RetryPolicy::CONFLICTS.budget;
    retry_while(
        ctx,
        service,
        op_name,
        RetryPolicy::CONFLICTS,
        deadline,
        |e| e.class() == Class::ConcurrentOperation,
        f,
    )
    .await
}

/// Retries `f` while EKS cannot see the IAM principal yet (see
/// [`is_eks_propagation`]) or another operation on the same cluster object
/// is running, until `deadline` (or the context's). After the deadline the
/// last error is returned, so the user sees what EKS said.
pub async fn retry_eks_propagation<T, F, Fut>(
    ctx: &Ctx,
    op_name: &'static str,
    deadline: Instant,
    f: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let policy = RetryPolicy {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(5),
        budget: deadline.saturating_duration_since(Instant::now()),
    };
    retry_while(
        ctx,
        Service::Eks,
        op_name,
        policy,
        deadline,
        |e| is_eks_propagation(e) || e.class() == Class::ConcurrentOperation,
        f,
    )
    .await
}

/// The loop behind both helpers: call, and while `retryable(err)` and time
/// remains, sleep a jittered backoff. The retries stop at `deadline` or at
/// the context's deadline (a resource's `timeouts`), whichever comes first,
/// and at once when Terraform cancels: the call in flight is dropped then,
/// so neither a slow call nor a sleep outlives the operation.
pub async fn retry_while<T, F, Fut>(
    ctx: &Ctx,
    service: Service,
    op_name: &'static str,
    policy: RetryPolicy,
    deadline: Instant,
    retryable: impl Fn(&AwsError) -> bool,
    mut f: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut backoff = Backoff::new(policy.initial, policy.max);
    let mut attempt = 1u32;
    let mut last: Option<AwsError> = None;
    let cut_short =
        |why: Interrupted, last: Option<AwsError>| interrupted(why, service, op_name, last);
    loop {
        let err = match ctx.bounded(f()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => e,
            Err(why) => return Err(cut_short(why, last)),
        };
        if !retryable(&err) {
            return Err(err);
        }
        let now = Instant::now();
        let own_end = deadline.min(ctx.cap(deadline));
        if now >= own_end {
            tracing::debug!(
                operation = op_name,
                attempt,
                "retry budget exhausted: {err}"
            );
            // The operation's own timeout ran out: say so, with the last error.
            if let Some(d) = ctx.deadline.as_ref().filter(|d| d.at <= deadline) {
                return Err(cut_short(
                    Interrupted::DeadlineExceeded(d.clone()),
                    Some(err),
                ));
            }
            return Err(err);
        }
        let delay = jitter(backoff.next_delay()).min(own_end - now);
        tracing::debug!(
            operation = op_name,
            attempt,
            delay_ms = delay.as_millis() as u64,
            "retrying: {err}"
        );
        last = Some(err);
        if let Err(why) = ctx.bounded(tokio::time::sleep(delay)).await {
            return Err(cut_short(why, last));
        }
        attempt += 1;
    }
}

/// One call with no retry loop of its own, stopped when Terraform cancels
/// or the operation's time limit passes: the call in flight is dropped, so
/// the SDK's own retries inside it (throttles, 5xx) cannot outlive Ctrl-C.
pub async fn cancellable<T, Fut>(
    ctx: &Ctx,
    service: Service,
    op_name: &'static str,
    call: Fut,
) -> Result<T, AwsError>
where
    Fut: Future<Output = Result<T, AwsError>>,
{
    match ctx.bounded(call).await {
        Ok(result) => result,
        Err(why) => Err(interrupted(why, service, op_name, None)),
    }
}

/// The error for a retry loop that Terraform cancelled or whose operation
/// timeout passed. It keeps the service, operation and object of the last
/// error, and repeats that error, so the user sees what kept failing.
fn interrupted(
    why: Interrupted,
    service: Service,
    op_name: &'static str,
    last: Option<AwsError>,
) -> AwsError {
    let (service, operation, object) = match &last {
        Some(e) => (e.service, e.operation, e.object.clone()),
        None => (service, op_name, None),
    };
    let e = match why {
        Interrupted::Cancelled => AwsError::cancelled(service, operation),
        Interrupted::DeadlineExceeded(d) => AwsError::deadline(
            service,
            operation,
            match &last {
                Some(l) => format!(
                    "the operation's time limit ({}) ran out while {op_name} was being retried; the last attempt said: {l}",
                    d.label
                ),
                None => format!(
                    "the operation's time limit ({}) ran out during {op_name}",
                    d.label
                ),
            },
        ),
    };
    e.about_opt(object)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::aws::errors::ErrorKind;

    fn err(service: Service, code: &str, message: &str, status: u16) -> AwsError {
        AwsError {
            service,
            operation: "Op",
            kind: ErrorKind::Service { status },
            code: Some(code.into()),
            message: message.into(),
            object: None,
            request_id: None,
        }
    }

    #[test]
    fn eks_propagation_is_told_from_a_missing_cluster() {
        use Service::Eks;
        let nf = err(
            Eks,
            "ResourceNotFoundException",
            "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.",
            404,
        );
        assert_eq!(nf.class(), Class::NotFound);
        assert!(nf.is_not_found());
        assert!(is_eks_propagation(&nf));
        let cluster_missing = err(
            Eks,
            "ResourceNotFoundException",
            "No cluster found for name: prod.",
            404,
        );
        assert!(!is_eks_propagation(&cluster_missing));
        let invalid = err(
            Eks,
            "InvalidParameterException",
            "The specified principalArn is invalid: invalid principal.",
            400,
        );
        assert_eq!(invalid.class(), Class::PrincipalNotVisible);
        assert!(is_eks_propagation(&invalid));
        // The same words from another service are not EKS propagation.
        let iam = err(
            Service::Iam,
            "InvalidParameterException",
            "invalid principal",
            400,
        );
        assert!(!is_eks_propagation(&iam));
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
        let seq: Vec<u128> = (0..8).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(seq, vec![250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }

    #[test]
    fn backoff_first_above_cap_is_capped() {
        let mut b = Backoff::new(Duration::from_secs(10), Duration::from_secs(3));
        assert_eq!(b.next_delay(), Duration::from_secs(3));
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        for _ in 0..200 {
            let d = jitter(Duration::from_millis(1000));
            assert!(
                d >= Duration::from_millis(500) && d <= Duration::from_millis(1000),
                "{d:?}"
            );
        }
    }

    fn conflict() -> AwsError {
        err(
            Service::SsoAdmin,
            "ConflictException",
            "There is a conflicting operation in process.",
            409,
        )
    }

    #[tokio::test]
    async fn retries_concurrent_operation_until_success() {
        let calls = Arc::new(AtomicU32::new(0));
        let policy = RetryPolicy {
            initial: Duration::from_millis(1),
            max: Duration::from_millis(2),
            budget: Duration::from_secs(5),
        };
        let c = calls.clone();
        let out = retry_while(
            &Ctx::default(),
            Service::SsoAdmin,
            "Op",
            policy,
            Instant::now() + policy.budget,
            |e| e.class() == Class::ConcurrentOperation,
            || {
                let c = c.clone();
                async move {
                    if c.fetch_add(1, Ordering::SeqCst) < 3 {
                        Err(conflict())
                    } else {
                        Ok(7)
                    }
                }
            },
        )
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn does_not_retry_already_exists() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<(), _> = retry_conflicts(&Ctx::default(), "CreatePermissionSet", || {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Err(err(
                    Service::SsoAdmin,
                    "ConflictException",
                    "PermissionSet with name X already exists.",
                    409,
                ))
            }
        })
        .await;
        assert!(out.unwrap_err().is_already_exists());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn gives_up_at_the_deadline_with_the_last_error() {
        let started = Instant::now();
        let out: Result<(), _> = retry_eks_propagation(
            &Ctx::default(),
            "CreateAccessEntry",
            Instant::now() + Duration::from_millis(300),
            || async {
                Err(err(
                    Service::Eks,
                    "InvalidParameterException",
                    "The specified principalArn is invalid: invalid principal.",
                    400,
                ))
            },
        )
        .await;
        let e = out.unwrap_err();
        assert_eq!(e.class(), Class::PrincipalNotVisible);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(3),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn cancellation_stops_the_retry() {
        let ctx = Ctx::default();
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let out: Result<(), _> =
            retry_conflicts(&ctx, "DeletePermissionSet", || async { Err(conflict()) }).await;
        assert!(out.unwrap_err().is_cancelled());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// A single call that would hang (an SDK retrying a throttle for
    /// minutes, say) ends when Terraform cancels, naming the operation; and
    /// at the operation's time limit, naming the limit.
    #[tokio::test]
    async fn a_single_call_stops_on_cancel_and_at_the_limit() {
        let ctx = Ctx::default();
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let hang = std::future::pending::<Result<(), AwsError>>();
        let e = cancellable(&ctx, Service::Iam, "DeleteRole", hang)
            .await
            .unwrap_err();
        assert!(e.is_cancelled(), "{e}");
        assert_eq!(e.operation, "DeleteRole");
        assert!(started.elapsed() < Duration::from_secs(2));

        let ctx = Ctx::default().with_deadline(
            Instant::now() + Duration::from_millis(100),
            "timeouts.delete = \"1s\"",
        );
        let hang = std::future::pending::<Result<(), AwsError>>();
        let e = cancellable(&ctx, Service::Iam, "DeleteRole", hang)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("timeouts.delete"), "{e}");

        let done = cancellable(&Ctx::default(), Service::Iam, "GetRole", async {
            Ok::<_, AwsError>(7)
        })
        .await;
        assert_eq!(done, Ok(7));
    }

    #[tokio::test]
    async fn the_operation_limit_ends_the_conflict_retries_and_is_named() {
        let ctx = Ctx::default().with_deadline(
            Instant::now() + Duration::from_millis(400),
            "timeouts.create = \"20s\"",
        );
        let started = Instant::now();
        let out: Result<(), _> =
            retry_conflicts(&ctx, "DeletePermissionSet", || async { Err(conflict()) }).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "{took:?}");
        let e = out.unwrap_err();
        assert_eq!(e.class(), Class::DeadlineExceeded);
        let text = e.to_string();
        assert!(text.contains("timeouts.create = \"20s\""), "{text}");
        assert!(text.contains("conflicting operation in process"), "{text}");
    }

    #[tokio::test]
    async fn cancellation_interrupts_a_call_in_flight() {
        let ctx = Ctx::default();
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let out: Result<(), _> =
            retry_concurrent(&ctx, Service::Iam, "CreateRole", std::future::pending).await;
        let e = out.unwrap_err();
        assert!(e.is_cancelled());
        assert_eq!((e.service, e.operation), (Service::Iam, "CreateRole"));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn iam_and_eks_concurrent_operations_are_retried() {
        for e in [
            err(
                Service::Iam,
                "ConcurrentModification",
                "The request was rejected because multiple requests to change this object were submitted simultaneously.",
                409,
            ),
            err(
                Service::Eks,
                "ResourceInUseException",
                "The specified resource is in use.",
                409,
            ),
        ] {
            let calls = Arc::new(AtomicU32::new(0));
            let c = calls.clone();
            let service = e.service;
            let out = retry_concurrent(&Ctx::default(), service, "Op", || {
                let c = c.clone();
                let e = e.clone();
                async move {
                    if c.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err(e)
                    } else {
                        Ok(1)
                    }
                }
            })
            .await;
            assert_eq!(out.unwrap(), 1);
            assert_eq!(calls.load(Ordering::SeqCst), 3);
        }
    }
}
