//! Account assignments: which principals hold the permission set in the
//! account. Creation and deletion are asynchronous; both are polled until
//! AWS reports SUCCEEDED or FAILED (with its FailureReason verbatim).
//!
//! Every status poll counts against Identity Center's shared 20 requests a
//! second. When the caller knows a cheaper sign that the change is done (a
//! [`Settled`] check: the reserved role appearing in IAM after the first
//! assignment in an account, or going after the last one's removal), that
//! is checked first and AWS's status only now and then, so a failure still
//! surfaces with its FailureReason (see [`SIGN_ONLY_FOR`]).

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use aws_sdk_ssoadmin::Client;
use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PrincipalType, StatusValues, TargetType,
};
use futures_util::FutureExt;
use tokio::time::Instant;

use super::model::PrincipalKind;
use crate::aws::retry::retry_conflicts;
use crate::aws::wait::{WaitError, poll};
use crate::aws::{AwsError, AwsResultExt, ErrorKind, SdkResultExt, Service};
use crate::tfplugin::framework::Ctx;

const SSO: Service = Service::SsoAdmin;

/// A cheaper sign than the status call that an assignment change finished.
#[async_trait]
pub trait Settled: Send + Sync {
    /// True once the change shows; errors end the wait.
    async fn check(&self) -> Result<bool, AwsError>;
    /// What the sign waits for, for a timeout message, e.g. "the reserved
    /// role AWSReservedSSO_Admin_* to appear in IAM".
    fn awaited(&self) -> String;
}

/// With a [`Settled`] sign, how long only the sign is checked before AWS's
/// own status is asked too (a failed assignment never shows the sign), and
/// then how often at most. Assignments usually settle within seconds, so
/// most need no status call at all.
pub const SIGN_ONLY_FOR: Duration = Duration::from_secs(3);
const STATUS_EVERY: Duration = Duration::from_secs(5);

/// Where assignments live: one permission set in one account.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub sso: &'a Client,
    pub instance: &'a str,
    pub permission_set_arn: &'a str,
    pub account: &'a str,
}

fn principal_type(kind: PrincipalKind) -> PrincipalType {
    match kind {
        PrincipalKind::Group => PrincipalType::Group,
        PrincipalKind::User => PrincipalType::User,
    }
}

/// Every principal the permission set is assigned to in the account.
pub async fn list(ctx: &Ctx, t: Target<'_>) -> Result<BTreeSet<(PrincipalKind, String)>, AwsError> {
    retry_conflicts(ctx, "ListAccountAssignments", || async move {
        let mut pages = t
            .sso
            .list_account_assignments()
            .instance_arn(t.instance)
            .account_id(t.account)
            .permission_set_arn(t.permission_set_arn)
            .into_paginator()
            .items()
            .send();
        let mut out = BTreeSet::new();
        while let Some(a) = pages.next().await {
            let a = a.aws(SSO, "ListAccountAssignments")?;
            let kind = match a.principal_type() {
                Some(PrincipalType::Group) => PrincipalKind::Group,
                Some(PrincipalType::User) => PrincipalKind::User,
                _ => continue,
            };
            if let Some(id) = a.principal_id() {
                out.insert((kind, id.to_string()));
            }
        }
        Ok(out)
    })
    .await
}

#[derive(Clone, Copy)]
enum Direction {
    Create,
    Delete,
}

impl Direction {
    fn start_op(self) -> &'static str {
        match self {
            Direction::Create => "CreateAccountAssignment",
            Direction::Delete => "DeleteAccountAssignment",
        }
    }
    fn status_op(self) -> &'static str {
        match self {
            Direction::Create => "DescribeAccountAssignmentCreationStatus",
            Direction::Delete => "DescribeAccountAssignmentDeletionStatus",
        }
    }
    fn verb(self) -> &'static str {
        match self {
            Direction::Create => "assigning",
            Direction::Delete => "removing the assignment of",
        }
    }
}

/// Assigns the permission set to one principal and waits until AWS reports
/// the outcome. Callers hold one of the provider's assignment permits
/// meanwhile, so a parallel apply stays within Identity Center's limit.
pub async fn create(
    ctx: &Ctx,
    t: Target<'_>,
    kind: PrincipalKind,
    id: &str,
    label: &str,
    deadline: Instant,
    sign: Option<&dyn Settled>,
) -> Result<(), AwsError> {
    run(ctx, t, Direction::Create, kind, id, label, deadline, sign).await
}

/// Removes one principal's assignment and waits for it; an assignment that
/// is already gone counts as removed.
pub async fn delete(
    ctx: &Ctx,
    t: Target<'_>,
    kind: PrincipalKind,
    id: &str,
    label: &str,
    deadline: Instant,
    sign: Option<&dyn Settled>,
) -> Result<(), AwsError> {
    match run(ctx, t, Direction::Delete, kind, id, label, deadline, sign).await {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    ctx: &Ctx,
    t: Target<'_>,
    dir: Direction,
    kind: PrincipalKind,
    id: &str,
    label: &str,
    deadline: Instant,
    sign: Option<&dyn Settled>,
) -> Result<(), AwsError> {
    let object = format!(
        "{} {label} in account {} ({})",
        kind.noun(),
        t.account,
        t.permission_set_arn
    );
    let op = dir.start_op();
    let started = retry_conflicts(ctx, op, || match dir {
        Direction::Create => t
            .sso
            .create_account_assignment()
            .instance_arn(t.instance)
            .target_id(t.account)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(t.permission_set_arn)
            .principal_type(principal_type(kind))
            .principal_id(id)
            .send()
            .map(|r| {
                r.aws(SSO, op)
                    .map(|o| o.account_assignment_creation_status().cloned())
            })
            .boxed(),
        Direction::Delete => t
            .sso
            .delete_account_assignment()
            .instance_arn(t.instance)
            .target_id(t.account)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(t.permission_set_arn)
            .principal_type(principal_type(kind))
            .principal_id(id)
            .send()
            .map(|r| {
                r.aws(SSO, op)
                    .map(|o| o.account_assignment_deletion_status().cloned())
            })
            .boxed(),
    })
    .await
    .about(object.clone())?;
    let request_id = started
        .as_ref()
        .and_then(|s| s.request_id())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::new(
                SSO,
                op,
                ErrorKind::Unexpected,
                "the response has no RequestId",
            )
            .about(object.clone())
        })?;
    let mut first = started;
    let begun = Instant::now();
    let last_status = std::sync::Mutex::new(begun);
    let outcome = poll(ctx, deadline, || {
        let initial = first.take();
        let request_id = request_id.clone();
        let object = object.clone();
        let last_status = &last_status;
        async move {
            if let Some(s) = initial {
                return settled(&s, dir, t.account).map_err(|e| e.about(object));
            }
            if let Some(sign) = sign {
                if sign.check().await? {
                    return Ok(Some(()));
                }
                let now = Instant::now();
                let mut last = last_status.lock().unwrap_or_else(|e| e.into_inner());
                if now - begun < SIGN_ONLY_FOR || now - *last < STATUS_EVERY {
                    return Ok(None);
                }
                *last = now;
            }
            let s = describe(ctx, t, dir, &request_id).await?;
            settled(&s, dir, t.account).map_err(|e| e.about(object))
        }
    })
    .await;
    // Name what the wait really watched: with a sign, mostly the sign.
    let awaited = match sign {
        Some(sign) => format!(
            "{} {} {label} to finish (request {request_id}): {} (checked first), or AWS's status to leave IN_PROGRESS",
            dir.verb(),
            kind.noun(),
            sign.awaited()
        ),
        None => format!(
            "{} {} {label} to finish (request {request_id}): AWS's status to leave IN_PROGRESS",
            dir.verb(),
            kind.noun()
        ),
    };
    outcome.map_err(|e| match e {
        WaitError::Failed(e) if !e.is_deadline() => e,
        other => other
            .into_aws(SSO, dir.status_op(), &awaited)
            .about(object.clone()),
    })
}

async fn describe(
    ctx: &Ctx,
    t: Target<'_>,
    dir: Direction,
    request_id: &str,
) -> Result<AccountAssignmentOperationStatus, AwsError> {
    let op = dir.status_op();
    let status = retry_conflicts(ctx, op, || match dir {
        Direction::Create => t
            .sso
            .describe_account_assignment_creation_status()
            .instance_arn(t.instance)
            .account_assignment_creation_request_id(request_id)
            .send()
            .map(move |r| {
                r.aws(SSO, op)
                    .map(|o| o.account_assignment_creation_status().cloned())
            })
            .boxed(),
        Direction::Delete => t
            .sso
            .describe_account_assignment_deletion_status()
            .instance_arn(t.instance)
            .account_assignment_deletion_request_id(request_id)
            .send()
            .map(move |r| {
                r.aws(SSO, op)
                    .map(|o| o.account_assignment_deletion_status().cloned())
            })
            .boxed(),
    })
    .await?;
    status
        .ok_or_else(|| AwsError::new(SSO, op, ErrorKind::Unexpected, "the response has no status"))
}

/// `Some(())` once SUCCEEDED, `None` while in progress, an error on FAILED.
fn settled(
    s: &AccountAssignmentOperationStatus,
    dir: Direction,
    account: &str,
) -> Result<Option<()>, AwsError> {
    match s.status() {
        Some(StatusValues::Succeeded) => Ok(Some(())),
        Some(StatusValues::Failed) => Err(AwsError::new(
            SSO,
            dir.start_op(),
            ErrorKind::Unexpected,
            format!(
                "{} in account {account} FAILED: {}",
                match dir {
                    Direction::Create => "the assignment",
                    Direction::Delete => "removing the assignment",
                },
                s.failure_reason().unwrap_or("AWS gave no FailureReason")
            ),
        )),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(v: StatusValues, reason: Option<&str>) -> AccountAssignmentOperationStatus {
        AccountAssignmentOperationStatus::builder()
            .status(v)
            .set_failure_reason(reason.map(str::to_string))
            .build()
    }

    #[test]
    fn failure_reason_is_kept_verbatim() {
        let e = settled(
            &status(
                StatusValues::Failed,
                Some(
                    "Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/X.",
                ),
            ),
            Direction::Create,
            "111122223333",
        )
        .unwrap_err();
        assert!(
            e.message.ends_with("FAILED: Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/X."),
            "{}",
            e.message
        );
        assert!(e.message.contains("111122223333"));
    }

    #[test]
    fn statuses() {
        assert_eq!(
            settled(
                &status(StatusValues::Succeeded, None),
                Direction::Delete,
                "1"
            )
            .unwrap(),
            Some(())
        );
        assert_eq!(
            settled(
                &status(StatusValues::InProgress, None),
                Direction::Create,
                "1"
            )
            .unwrap(),
            None
        );
    }
}
