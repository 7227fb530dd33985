//! Refresh: read every part of the grant at once and fold the differences
//! into state (see `drift`). For a one-cluster grant of a managed set whose
//! policies did not move that is seven calls, made concurrently, two of them
//! against Identity Center's shared quota: DescribePermissionSet and
//! ListAccountAssignments (Identity Center); GetRolePolicy and
//! ListAttachedRolePolicies on the reserved role (IAM); DescribeAccessEntry
//! and ListAssociatedAccessPolicies (EKS); plus one
//! ListPermissionSetsProvisionedToAccount per account and provider process,
//! shared by every grant. The set's own policies are read from Identity
//! Center only when the role or that list says they moved (see
//! `observe_managed`); tags are read only when the state has some.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::access_entries;
use super::assignments::{self, Target};
use super::drift::{self, ImportNames, Observed};
use super::model::Grant;
use super::permission_set::{self, ObservedPs, ReadParts};
use super::principals;
use super::private::Private;
use super::reserved_role;
use crate::aws::arn::partition_of_arn;
use crate::aws::iam::ReservedRole;
use crate::aws::ssoadmin::instance_visible;
use crate::aws::{AwsError, Class};
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Ctx, ReadRequest, ReadResponse};
use crate::tfplugin::value::Value;

fn respond(state: Value, private: &Private, diagnostics: Diagnostics) -> ReadResponse {
    ReadResponse {
        new_state: state,
        private: private.encode(),
        diagnostics,
    }
}

pub async fn read(state: &ProviderState, ctx: &Ctx, req: ReadRequest) -> ReadResponse {
    let mut private = Private::decode(&req.private);
    let prior = match Grant::from_value(&req.current_state) {
        Ok(g) => g,
        Err(e) => {
            return respond(
                req.current_state,
                &private,
                Diagnostics::from_error("Invalid state", e.to_string()),
            );
        }
    };
    let clients = match state.clients().await {
        Ok(c) => c,
        Err(d) => return respond(req.current_state, &private, d),
    };
    let importing = private.importing;
    match refresh(ctx, clients, &prior, importing).await {
        Ok(Some(g)) => {
            private.importing = false;
            match g.to_value() {
                Ok(v) => respond(v, &private, Diagnostics::new()),
                Err(e) => respond(
                    req.current_state,
                    &private,
                    Diagnostics::from_error("Could not encode the state", e.to_string()),
                ),
            }
        }
        Ok(None) => respond(Value::Null, &Private::default(), Diagnostics::new()),
        Err(d) => respond(req.current_state, &private, d),
    }
}

/// AWS said the permission set is not found. That means it was deleted only
/// if the instance is still there: the same error comes back for an instance
/// AWS cannot see (a wrong `sso.region`, or credentials of another
/// organization), and dropping the grant from state then would orphan
/// everything it made. So `Ok(None)` (drop from state) only once the
/// instance is confirmed; otherwise an error that keeps state unchanged.
async fn confirm_gone(
    clients: &AwsClients,
    instance_arn: &str,
    ps_arn: &str,
) -> Result<Option<Grant>, Diagnostics> {
    match instance_visible(&clients.ssoadmin, instance_arn).await {
        Ok(true) => Ok(None),
        Ok(false) => Err(instance_missing(clients, instance_arn, ps_arn)),
        Err(e) => Err(e.to_diagnostics(format!(
            "Could not confirm that permission set {ps_arn} was deleted"
        ))),
    }
}

fn instance_missing(clients: &AwsClients, instance_arn: &str, ps_arn: &str) -> Diagnostics {
    Diagnostics::from_error(
        "IAM Identity Center instance not found",
        format!(
            "The Identity Center instance {instance_arn} was not found in {}; is `sso.region` right? (Also check that \
             `sso.profile`/`sso.assume_role` reach the organization's management or delegated-admin account.) The \
             state was left unchanged: permission set {ps_arn} was not treated as deleted.",
            clients.sso_region
        ),
    )
}

/// The diagnostic for a failed Identity Center read. Denied access or "not
/// found" may just mean the provider is looking in the wrong place (the
/// instance lives in another region, or the credentials belong to another
/// organization); one ListInstances tells, and then the error says so.
async fn sso_read_error(
    clients: &AwsClients,
    instance_arn: &str,
    ps_arn: &str,
    e: AwsError,
    summary: &str,
) -> Diagnostics {
    let suspicious = matches!(e.class(), Class::AccessDenied | Class::NotFound);
    if suspicious
        && matches!(
            instance_visible(&clients.ssoadmin, instance_arn).await,
            Ok(false)
        )
    {
        return instance_missing(clients, instance_arn, ps_arn);
    }
    e.to_diagnostics(summary)
}

/// A managed permission set as a refresh sees it, and whether the reserved
/// role in state was found on the way.
struct Managed {
    ps: Option<ObservedPs>,
    role_seen: bool,
}

/// The reserved role the state records, confirmed to exist.
fn state_role(prior: &Grant) -> Option<ReservedRole> {
    let name = prior.reserved_role_name.clone()?;
    let arn = prior.reserved_role_arn.clone()?;
    let path = arn
        .split_once(":role")
        .map(|(_, rest)| rest.strip_suffix(name.as_str()).unwrap_or("/").to_string())
        .unwrap_or_else(|| "/".to_string());
    Some(ReservedRole {
        name,
        arn,
        path,
        unique_id: String::new(),
    })
}

/// Reads a managed permission set at the least Identity Center cost.
///
/// Identity Center's API shares 20 requests a second across an organization,
/// and IAM's does not, so the policies are read from the reserved role, the
/// copy IAM holds of the set as last provisioned to the account. When the
/// role holds exactly the policies in state, and the account's list of sets
/// not provisioned with their latest version (one call per account and
/// process) does not name this set, the set's policies are the state's, and
/// only DescribePermissionSet is asked (for the attributes the role does not
/// carry: description, session duration, relay state). Anything else (a
/// changed role, a set changed but not provisioned, a missing role) reads
/// every policy part from Identity Center, so what moved shows, including a
/// customer-managed reference or a boundary added out of band.
///
/// The one thing the role cannot show is tags, which are read only when the
/// state has some (a trade-off kept to stay within the call budget).
async fn observe_managed(
    ctx: &Ctx,
    clients: &AwsClients,
    instance_arn: &str,
    account: &str,
    ps_arn: &str,
    prior: &Grant,
    parts: ReadParts,
) -> Result<Managed, AwsError> {
    let sso = &clients.ssoadmin;
    let Some(prior_ps) = prior.permission_set.as_ref() else {
        let ps = permission_set::observe(ctx, sso, instance_arn, ps_arn, parts).await?;
        return Ok(Managed {
            ps,
            role_seen: false,
        });
    };
    let quick_parts = ReadParts {
        policies: false,
        customer_managed: false,
        ..parts
    };
    let role_policies = async {
        match prior.reserved_role_name.as_deref() {
            Some(name) => reserved_role::policies_of(&clients.iam, name).await,
            None => Ok(None),
        }
    };
    let (attrs, role, stale) = tokio::join!(
        permission_set::observe(ctx, sso, instance_arn, ps_arn, quick_parts),
        role_policies,
        clients.sets_not_provisioned(ctx, instance_arn, account),
    );
    let Some(mut attrs) = attrs? else {
        return Ok(Managed {
            ps: None,
            role_seen: false,
        });
    };
    let role = role?;
    let role_seen = role.is_some();
    let partition = partition_of_arn(ps_arn).unwrap_or("aws");
    let unchanged = !stale?.contains(ps_arn)
        && role
            .as_ref()
            .is_some_and(|r| reserved_role::holds(r, prior_ps, partition, account));
    if unchanged {
        attrs.inline_policy = prior_ps.inline_policy.clone();
        attrs.managed_policy_arns = prior_ps.managed_policy_arns.clone().unwrap_or_default();
        attrs.customer_managed_policy = Some(prior_ps.customer_managed_policy.clone());
        return Ok(Managed {
            ps: Some(attrs),
            role_seen,
        });
    }
    let full = ReadParts {
        policies: true,
        customer_managed: true,
        boundary: true,
        tags: parts.tags,
    };
    let ps = permission_set::observe(ctx, sso, instance_arn, ps_arn, full).await?;
    Ok(Managed { ps, role_seen })
}

/// The refreshed grant, or `None` when the permission set is gone.
async fn refresh(
    ctx: &Ctx,
    clients: &AwsClients,
    prior: &Grant,
    importing: bool,
) -> Result<Option<Grant>, Diagnostics> {
    let account = prior.account_id.clone().unwrap_or_default();
    let ps_arn = prior.permission_set_arn.clone().unwrap_or_default();
    let (instance_arn, identity_store_id) = match (&prior.instance_arn, &prior.identity_store_id) {
        (Some(i), Some(s)) => (i.clone(), s.clone()),
        _ => {
            let i = clients
                .sso_instance(ctx)
                .await
                .map_err(|e| e.to_diagnostics("Could not find the IAM Identity Center instance"))?;
            (i.instance_arn, i.identity_store_id)
        }
    };
    let managed = prior.permission_set.is_some();
    let sso_err = |e: AwsError, summary: &'static str| {
        let (instance_arn, ps_arn) = (instance_arn.clone(), ps_arn.clone());
        async move { sso_read_error(clients, &instance_arn, &ps_arn, e, summary).await }
    };
    let parts = if importing {
        ReadParts::all()
    } else {
        ReadParts {
            policies: true,
            customer_managed: prior
                .permission_set
                .as_ref()
                .is_some_and(|p| !p.customer_managed_policy.is_empty()),
            boundary: prior
                .permission_set
                .as_ref()
                .is_some_and(|p| p.permissions_boundary.is_some()),
            tags: !prior.tags_all_map().is_empty(),
        }
    };

    // The permission set name drives the role lookup. On import it comes from
    // AWS first; otherwise state knows it.
    let mut observed_ps = None;
    let ps_name = if importing && managed {
        let p = permission_set::observe(ctx, &clients.ssoadmin, &instance_arn, &ps_arn, parts)
            .await
            .map_err(|e| e.to_diagnostics("Could not read the permission set"))?;
        let Some(p) = p else {
            return Err(Diagnostics::from_error(
                "Permission set not found",
                format!(
                    "permission set {ps_arn} does not exist in IAM Identity Center instance {instance_arn}."
                ),
            ));
        };
        let name = p.name.clone();
        observed_ps = Some(p);
        name
    } else if let Some(p) = &prior.permission_set {
        p.name.clone()
    } else if let Some(n) = prior
        .reserved_role_name
        .as_deref()
        .and_then(reserved_role::permission_set_name_of_role)
    {
        n.to_string()
    } else {
        match permission_set::describe_name(ctx, &clients.ssoadmin, &instance_arn, &ps_arn).await {
            Ok(Some(n)) => n,
            Ok(None) => return confirm_gone(clients, &instance_arn, &ps_arn).await,
            Err(e) => return Err(sso_err(e, "Could not read the permission set").await),
        }
    };

    let target = Target {
        sso: &clients.ssoadmin,
        instance: &instance_arn,
        permission_set_arn: &ps_arn,
        account: &account,
    };
    // Import needs the role before it can look at entries; a refresh looks
    // entries up by the principal recorded in state, all at once.
    let role_first = if importing {
        Some(
            reserved_role::lookup(&clients.iam, &ps_name, &account)
                .await
                .map_err(|e| e.to_diagnostics("Could not look up the reserved role"))?,
        )
    } else {
        None
    };
    let mut clusters: BTreeSet<String> = prior.clusters().cloned().collect();
    clusters.extend(
        prior
            .access_entries
            .iter()
            .flatten()
            .map(|(c, _)| c.clone()),
    );
    let principal_for = |c: &String| -> Option<String> {
        prior
            .access_entries
            .as_ref()
            .and_then(|m| m.get(c))
            .map(|e| e.principal_arn.clone())
            .or_else(|| match &role_first {
                Some(r) => r.as_ref().map(|r| r.arn.clone()),
                None => prior.reserved_role_arn.clone(),
            })
    };
    // A managed set's policies come from the reserved role when it shows
    // nothing moved (see `observe_managed`), which also confirms the role.
    let quick = managed && observed_ps.is_none() && !importing;
    let ps_read = async {
        if quick {
            observe_managed(ctx, clients, &instance_arn, &account, &ps_arn, prior, parts)
                .await
                .map(Some)
        } else if managed && observed_ps.is_none() {
            permission_set::observe(ctx, &clients.ssoadmin, &instance_arn, &ps_arn, parts)
                .await
                .map(|p| {
                    Some(Managed {
                        ps: p,
                        role_seen: false,
                    })
                })
        } else {
            Ok(None)
        }
    };
    let role_read = async {
        match &role_first {
            Some(r) => Ok(Some(r.clone())),
            // Confirmed by the policies read when that finds the role.
            None if quick && prior.reserved_role_name.is_some() => Ok(None),
            None => reserved_role::lookup(&clients.iam, &ps_name, &account)
                .await
                .map(Some),
        }
    };
    let entries_read = join_all(clusters.iter().map(|c| {
        let principal = principal_for(c);
        async move {
            let r = match principal {
                Some(p) => access_entries::observe(&clients.eks, c, &p).await,
                None => Ok(None),
            };
            (c.clone(), r)
        }
    }));
    let (ps_obs, assigned, role, entries) = tokio::join!(
        ps_read,
        assignments::list(ctx, target),
        role_read,
        entries_read
    );

    let managed_obs = match ps_obs {
        Ok(p) => p,
        Err(e) => return Err(sso_err(e, "Could not read the permission set").await),
    };
    let mut role_seen = false;
    let ps_obs = managed_obs.map(|m| {
        role_seen = m.role_seen;
        m.ps
    });
    if let Some(None) = ps_obs {
        // Deleted out of band: Terraform plans to create it again.
        return confirm_gone(clients, &instance_arn, &ps_arn).await;
    }
    let observed_ps = observed_ps.or(ps_obs.flatten());
    let assigned = match assigned {
        Ok(a) => a,
        Err(e) if e.is_not_found() && !managed => {
            return confirm_gone(clients, &instance_arn, &ps_arn).await;
        }
        Err(e) => {
            return Err(sso_err(e, "Could not list the permission set's assignments").await);
        }
    };
    let role = match role.map_err(|e| e.to_diagnostics("Could not look up the reserved role"))? {
        Some(found) => found,
        None if role_seen => state_role(prior),
        // The role in state is gone (or was never known): look for the one
        // Identity Center has now, which may carry a new suffix.
        None => reserved_role::lookup(&clients.iam, &ps_name, &account)
            .await
            .map_err(|e| e.to_diagnostics("Could not look up the reserved role"))?,
    };
    let mut clusters_obs = BTreeMap::new();
    for (c, r) in entries {
        let r: Result<_, AwsError> = r;
        clusters_obs.insert(
            c.clone(),
            r.map_err(|e| {
                e.to_diagnostics(format!("Could not read the access entry on cluster {c}"))
            })?,
        );
    }

    // Before reporting things as gone, make sure we looked in the right account.
    let something_missing = role.is_none() || clusters_obs.values().any(Option::is_none);
    if something_missing {
        clients.check_account(&account).await?;
    }

    let import_names = if importing {
        let store = identity_store_id.as_str();
        let names = join_all(assigned.iter().map(|(kind, id)| async move {
            let n = principals::display_name(&clients.identitystore, store, *kind, id).await;
            ((*kind, id.clone()), n)
        }))
        .await;
        let mut out = BTreeMap::new();
        for (key, n) in names {
            out.insert(
                key,
                n.map_err(|e| e.to_diagnostics("Could not read a principal's name"))?,
            );
        }
        Some(ImportNames { names: out })
    } else {
        None
    };
    let partition = match partition_of_arn(&ps_arn) {
        Some(p) => p.to_string(),
        // The permission set's ARN names the partition; only a state
        // without one has to ask STS.
        None => clients
            .caller_partition()
            .await
            .map_err(|e| e.to_diagnostics("Could not determine the AWS partition"))?
            .to_string(),
    };
    let observed = Observed {
        permission_set: observed_ps,
        assigned,
        role,
        clusters: clusters_obs,
        partition,
    };
    let mut g = drift::apply_drift(
        prior,
        &observed,
        &clients.default_tags,
        import_names.as_ref(),
    );
    g.instance_arn = Some(instance_arn);
    g.identity_store_id = Some(identity_store_id);
    if importing {
        // Tags live on a managed set; a referenced one's are not the grant's.
        g.tags.get_or_insert_with(BTreeMap::new);
        g.tags_all.get_or_insert_with(BTreeMap::new);
    }
    Ok(Some(g))
}
