//! Assigning the grant's principals to the permission set in its account,
//! and removing them, recording each success in the grant being built so a
//! failure part-way returns an honest state.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use tokio::time::Instant;

use super::apply_env::Env;
use async_trait::async_trait;

use super::assignments::{self, Settled, Target};
use super::model::{Grant, PrincipalKind};
use super::principals::Principal;
use super::private::Private;
use crate::aws::iam::find_reserved_roles;
use crate::aws::{AwsError, SdkResultExt, Service};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::Ctx;

/// The principals a grant wants, by kind and name.
pub fn wanted_principals(g: &Grant) -> Vec<(PrincipalKind, String)> {
    g.principal_names().map(|(k, n)| (k, n.clone())).collect()
}

/// Adds a principal to the grant's record of what is assigned.
fn record_principal(progress: &mut Grant, p: &Principal) {
    let set = match p.kind {
        PrincipalKind::Group => &mut progress.groups,
        PrincipalKind::User => &mut progress.users,
    };
    set.get_or_insert_with(BTreeSet::new).insert(p.name.clone());
    progress
        .principal_ids
        .get_or_insert_with(BTreeMap::new)
        .insert(p.name.clone(), p.id.clone());
}

/// Removes a principal from that record.
fn forget_principal(progress: &mut Grant, kind: PrincipalKind, name: &str) {
    let set = match kind {
        PrincipalKind::Group => &mut progress.groups,
        PrincipalKind::User => &mut progress.users,
    };
    if let Some(set) = set {
        set.remove(name);
    }
    if let Some(ids) = progress.principal_ids.as_mut() {
        ids.remove(name);
    }
}

/// Who owns an assignment that AWS already lists when the grant asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// The permission set is managed by this grant, so its assignments in the
    /// grant's account are the grant's, including one an interrupted apply
    /// made but never recorded.
    Ours,
    /// A referenced set: an assignment already there may be anyone's. It is
    /// recorded in `private.foreign_assignments` and never removed. (One a
    /// killed apply made looks the same; see README, "Crashes and lost
    /// responses".)
    Foreign,
    /// A permission set this very apply created: it cannot be assigned
    /// anywhere yet, so ListAccountAssignments is not asked (an Identity
    /// Center call saved per grant), and its reserved role cannot exist yet,
    /// so the role appearing tells that a lone assignment has settled.
    NoneYet,
}

/// The reserved role of a permission set appeared in IAM: AWS creates it in
/// the account when the set's first assignment there succeeds
/// (API_CreateAccountAssignment: the permission set is provisioned to the
/// account as part of the assignment). Roles that already existed (a stale
/// role of an older, deleted set of the same name) do not count.
struct RoleAppeared<'a> {
    iam: &'a aws_sdk_iam::Client,
    name: &'a str,
    before: BTreeSet<String>,
}

#[async_trait]
impl Settled for RoleAppeared<'_> {
    async fn check(&self) -> Result<bool, AwsError> {
        let roles = find_reserved_roles(self.iam, self.name).await?;
        Ok(roles.iter().any(|r| !self.before.contains(&r.arn)))
    }

    fn awaited(&self) -> String {
        format!(
            "the reserved role AWSReservedSSO_{}_* to appear in IAM",
            self.name
        )
    }
}

/// The reserved role of a permission set is gone from the account: AWS
/// deletes it when the set's last assignment there is removed
/// (userguide/referencingpermissionsets.html). Only a sign when the removals
/// under way are every assignment the account has.
pub struct RoleGone<'a> {
    pub iam: &'a aws_sdk_iam::Client,
    pub role_name: &'a str,
}

#[async_trait]
impl Settled for RoleGone<'_> {
    async fn check(&self) -> Result<bool, AwsError> {
        match self
            .iam
            .get_role()
            .role_name(self.role_name)
            .send()
            .await
            .aws(Service::Iam, "GetRole")
        {
            Ok(_) => Ok(false),
            Err(e) if e.is_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    }

    fn awaited(&self) -> String {
        format!("the reserved role {} to go from IAM", self.role_name)
    }
}

/// Assigns every principal in `todo`, concurrently within the provider's
/// assignment permits. A principal AWS already lists is not assigned again
/// (the API accepts duplicates); it is recorded in the grant like the
/// others, and `existing` says whether it is the grant's to remove later.
pub async fn assign(
    env: &Env<'_>,
    ps: (&str, &str),
    todo: &[Principal],
    existing_are: Existing,
    progress: &mut Grant,
    private: &mut Private,
) -> Diagnostics {
    let (ps_arn, ps_name) = ps;
    let mut diags = Diagnostics::new();
    if todo.is_empty() {
        return diags;
    }
    let target = env.target(ps_arn);
    let existing = if existing_are == Existing::NoneYet {
        BTreeSet::new()
    } else {
        match assignments::list(env.ctx, target).await {
            Ok(e) => e,
            Err(e) => return e.to_diagnostics("Could not list the permission set's assignments"),
        }
    };
    let existing = &existing;
    // With several principals the role appears after the first assignment
    // alone, so only a lone one may take it as its sign.
    let sign = if existing_are == Existing::NoneYet && todo.len() == 1 {
        match find_reserved_roles(&env.clients.iam, ps_name).await {
            Ok(roles) => Some(RoleAppeared {
                iam: &env.clients.iam,
                name: ps_name,
                before: roles.into_iter().map(|r| r.arn).collect(),
            }),
            Err(e) => {
                tracing::debug!("no role sign for the assignment: {e}");
                None
            }
        }
    } else {
        None
    };
    let sign = sign.as_ref().map(|s| s as &dyn Settled);
    let results = join_all(todo.iter().map(|p| async move {
        if existing.contains(&(p.kind, p.id.clone())) {
            return (p, Ok(true));
        }
        let _permit = match env.clients.assignment_permit(env.ctx).await {
            Ok(permit) => permit,
            Err(e) => return (p, Err(e)),
        };
        let r =
            assignments::create(env.ctx, target, p.kind, &p.id, &p.name, env.deadline, sign).await;
        (p, r.map(|()| false))
    }))
    .await;
    for (p, r) in results {
        match r {
            Ok(preexisting) => {
                record_principal(progress, p);
                if preexisting && existing_are == Existing::Foreign {
                    private.foreign_assignments.insert(p.id.clone());
                }
            }
            Err(e) => {
                let mut d = e.to_diagnostic(format!(
                    "Could not assign the permission set to {} {}",
                    p.kind.noun(),
                    p.name
                ));
                d.attribute = Some(AttributePath::attr(p.kind.attribute()));
                diags.0.push(d);
            }
        }
    }
    diags
}

/// Removes the assignments of `todo` (kind, name, id) from `target`, all at
/// once, and waits for each. Assignments in `private.foreign_assignments`
/// (made by someone else) only leave the grant's record; AWS keeps them.
pub async fn unassign(
    ctx: &Ctx,
    target: Target<'_>,
    deadline: Instant,
    todo: &[(PrincipalKind, String, String)],
    sign: Option<&dyn Settled>,
    progress: &mut Grant,
    private: &mut Private,
) -> Diagnostics {
    let foreign = &private.foreign_assignments;
    let results = join_all(todo.iter().map(|(kind, name, id)| async move {
        let r = if foreign.contains(id) {
            Ok(())
        } else {
            assignments::delete(ctx, target, *kind, id, name, deadline, sign).await
        };
        (kind, name, id, r)
    }))
    .await;
    let mut diags = Diagnostics::new();
    for (kind, name, id, r) in results {
        match r {
            Ok(()) => {
                forget_principal(progress, *kind, name);
                private.foreign_assignments.remove(id);
            }
            Err(e) => diags.0.push(e.to_diagnostic(format!(
                "Could not remove the assignment of {} {name}",
                kind.noun()
            ))),
        }
    }
    diags
}
