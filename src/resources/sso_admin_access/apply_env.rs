//! What every apply step shares: the clients (once the credentials are known
//! to act in the grant's account), the Identity Center instance, the
//! partition, the deadline from `timeouts`, and the two waits that turn into
//! diagnostics the same way everywhere (provisioning, the reserved role).

use std::time::Duration;

use tokio::time::Instant;

use super::assignments::Target;
use super::permission_set::{self, PsRef};
use super::reserved_role;
use crate::aws::Service;
use crate::aws::iam::ReservedRole;
use crate::aws::wait::cancellable;
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::Ctx;
use crate::validate::{format_duration, parse_go_duration};

/// Default for every operation's timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// An operation's time limit from the `timeouts` block.
pub fn timeout(value: Option<&str>) -> Duration {
    value
        .and_then(|t| parse_go_duration(t).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// The context for one create, update or delete: `ctx` with the deadline of
/// the `timeouts` attribute `kind` (`value`, or the default), named so that
/// a message can say which limit ran out. Returns the deadline too.
pub fn limited(ctx: &Ctx, kind: &str, value: Option<&str>) -> (Ctx, Instant) {
    let limit = timeout(value);
    let label = match value.filter(|v| parse_go_duration(v).is_ok_and(|d| !d.is_zero())) {
        Some(v) => format!("timeouts.{kind} = {v:?}"),
        None => format!(
            "the default {kind} timeout of {}; set timeouts.{kind} to change it",
            format_duration(limit)
        ),
    };
    let deadline = Instant::now() + limit;
    (ctx.with_deadline(deadline, label), deadline)
}

/// Everything an apply step needs.
pub struct Env<'a> {
    pub ctx: &'a Ctx,
    pub clients: &'a AwsClients,
    pub instance_arn: String,
    pub identity_store_id: String,
    pub account: String,
    pub partition: &'a str,
    pub deadline: Instant,
}

impl Env<'_> {
    pub fn target<'b>(&'b self, ps_arn: &'b str) -> Target<'b> {
        Target {
            sso: &self.clients.ssoadmin,
            instance: &self.instance_arn,
            permission_set_arn: ps_arn,
            account: &self.account,
        }
    }

    pub fn permission_set<'b>(&'b self, arn: &'b str, name: &'b str) -> PsRef<'b> {
        PsRef {
            sso: &self.clients.ssoadmin,
            instance: &self.instance_arn,
            arn,
            name,
        }
    }
}

/// The provider's AWS clients, once the credentials are known to act in
/// `account` (a mismatch is an error before anything is written). The STS
/// call behind the check stops on Ctrl-C and at the operation's deadline.
pub async fn clients_for<'s>(
    state: &'s ProviderState,
    ctx: &Ctx,
    account: &str,
) -> Result<&'s AwsClients, Diagnostics> {
    let clients = state.clients().await?;
    cancellable(ctx, Service::Sts, "GetCallerIdentity", async {
        Ok(clients.check_account(account).await)
    })
    .await
    .map_err(|e| e.to_diagnostics("Could not determine the provider's AWS account"))??;
    Ok(clients)
}

/// Provisions the permission set to the grant's account, so the role there
/// carries the set's current policies.
pub async fn provision(env: &Env<'_>, ps_arn: &str, ps_name: &str) -> Result<(), Diagnostics> {
    let ps = env.permission_set(ps_arn, ps_name);
    permission_set::provision(env.ctx, &ps, &env.account, env.deadline)
        .await
        .map_err(|e| e.to_diagnostics("Could not provision the permission set to the account"))
}

/// Waits for the reserved role Identity Center creates for the assignment.
pub async fn wait_for_role(env: &Env<'_>, ps_name: &str) -> Result<ReservedRole, Diagnostics> {
    reserved_role::wait_for(
        env.ctx,
        &env.clients.iam,
        ps_name,
        &env.account,
        env.deadline,
    )
    .await
    .map_err(|e| e.to_diagnostics("The reserved role did not appear"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_names_the_setting_that_ran_out() {
        let (ctx, at) = limited(&Ctx::default(), "create", Some("20s"));
        let d = ctx.deadline.expect("a deadline");
        assert_eq!(d.at, at);
        assert_eq!(d.label, "timeouts.create = \"20s\"");
        let left = at - Instant::now();
        assert!(left <= Duration::from_secs(20) && left > Duration::from_secs(19));
        let (ctx, _) = limited(&Ctx::default(), "delete", None);
        assert_eq!(
            ctx.deadline.expect("a deadline").label,
            "the default delete timeout of 20m; set timeouts.delete to change it"
        );
    }

    #[tokio::test]
    async fn an_earlier_deadline_in_force_is_kept() {
        let (outer, at) = limited(&Ctx::default(), "create", Some("1s"));
        let (inner, _) = limited(&outer, "create", Some("1h"));
        assert_eq!(inner.deadline.expect("a deadline").at, at);
    }

    #[test]
    fn timeouts_default_to_twenty_minutes() {
        assert_eq!(timeout(None), DEFAULT_TIMEOUT);
        assert_eq!(timeout(Some("90s")), Duration::from_secs(90));
        assert_eq!(timeout(Some("bogus")), DEFAULT_TIMEOUT);
    }
}
