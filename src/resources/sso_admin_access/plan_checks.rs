//! Plan-time checks: the mistakes that would otherwise surface only at
//! apply (a wrong account, a missing or CONFIG_MAP-only cluster, a misspelt
//! group or user, a taken permission-set name, a policy that does not exist)
//! fail `terraform plan`, each at the attribute that is wrong.
//!
//! Rules:
//! - only what is new is checked: everything on create, and on update only
//!   the attributes whose value changed, so an unchanged grant (and a
//!   refresh-only or destroy plan, which never get here) costs no call;
//! - an unknown value is never checked; nor is anything while the provider
//!   configuration is unknown, or with `plan_checks = false`;
//! - every call reads, and they run in parallel: Identity Center calls pass
//!   the shared rate limiter, and what several grants share (principal IDs,
//!   the permission-set name index, policy existence) is asked once per
//!   provider process ([`crate::provider::AwsClients`]);
//! - the apply keeps its own preflight, for what a plan could not see.

use std::collections::BTreeSet;

use super::in_flight;
use super::messages;
use super::model::PrincipalKind;
use super::permission_set;
use super::preflight;
use super::principals::is_principal_id;
use super::schema as s;
use crate::aws::{AwsError, Class};
use crate::provider::clients::account_mismatch;
use crate::provider::{AwsClients, ProviderState};
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::value::Value;

/// Appended to the errors of calls that could not be made, not to findings.
const DISABLE_HINT: &str = "This check runs at plan time. If the plan's credentials cannot make \
     read-only calls, set `plan_checks = false` in the provider block; the apply still checks before its first write.";

/// A customer-managed policy reference: name and IAM path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyRef {
    pub name: String,
    pub path: String,
}

/// The permissions boundary, in whichever form the configuration gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boundary {
    Managed(String),
    Customer(PolicyRef),
}

/// What a plan has to check: the known values that are new (absent from
/// prior state). Empty when nothing relevant changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// `account_id`, when known; `account_is_new` says whether to check it.
    pub account: Option<String>,
    pub account_is_new: bool,
    /// New clusters with their index in `cluster_names`.
    pub clusters: Vec<(usize, String)>,
    /// New group and user names (IDs need no lookup).
    pub principals: Vec<(PrincipalKind, String)>,
    /// A new managed permission set's name.
    pub name: Option<String>,
    /// Every known cluster of the grant, for the import hint.
    pub all_clusters: Vec<String>,
    pub managed_policies: Vec<String>,
    pub customer_policies: Vec<PolicyRef>,
    pub boundary: Option<Boundary>,
}

impl Wanted {
    fn is_empty(&self) -> bool {
        !self.account_is_new
            && self.clusters.is_empty()
            && self.principals.is_empty()
            && self.name.is_none()
            && self.managed_policies.is_empty()
            && self.customer_policies.is_empty()
            && self.boundary.is_none()
    }

    /// Checks that need the cluster-side credentials (EKS, IAM).
    fn needs_cluster_side(&self) -> bool {
        !self.clusters.is_empty()
            || !self.managed_policies.is_empty()
            || !self.customer_policies.is_empty()
            || self.boundary.is_some()
    }
}

/// Known strings of a set or list (unknown elements left out).
fn known(v: &Value) -> Vec<String> {
    v.elements()
        .iter()
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect()
}

fn policy_ref(v: &Value) -> Option<PolicyRef> {
    let name = v.attr(s::NAME).as_str()?;
    let path = match v.attr(s::PATH) {
        Value::Null => s::DEFAULT_POLICY_PATH,
        p => p.as_str()?,
    };
    Some(PolicyRef {
        name: name.to_string(),
        path: path.to_string(),
    })
}

fn policy_refs(v: &Value) -> BTreeSet<PolicyRef> {
    v.elements().iter().filter_map(policy_ref).collect()
}

/// The boundary a `permissions_boundary` block names, when wholly known.
fn boundary(v: &Value) -> Option<Boundary> {
    if let Some(arn) = v.attr(s::MANAGED_POLICY_ARN).as_str() {
        return Some(Boundary::Managed(arn.to_string()));
    }
    policy_ref(v.attr(s::CUSTOMER_MANAGED_POLICY)).map(Boundary::Customer)
}

/// What is new in `config` compared with `prior` (null on create). Pure, so
/// Terraform's two plan calls decide alike.
pub fn wanted(prior: &Value, config: &Value) -> Wanted {
    let create = prior.is_null();
    let account = config.attr(s::ACCOUNT_ID).as_str().map(str::to_string);
    let account_is_new =
        account.is_some() && (create || prior.attr(s::ACCOUNT_ID).as_str() != account.as_deref());

    let prior_clusters: BTreeSet<String> =
        known(prior.attr(s::CLUSTER_NAMES)).into_iter().collect();
    let clusters = config
        .attr(s::CLUSTER_NAMES)
        .elements()
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_str().map(|c| (i, c.to_string())))
        .filter(|(_, c)| account_is_new || !prior_clusters.contains(c))
        .collect();

    let mut principals = Vec::new();
    for kind in [PrincipalKind::Group, PrincipalKind::User] {
        let had: BTreeSet<String> = known(prior.attr(kind.attribute())).into_iter().collect();
        for name in known(config.attr(kind.attribute())) {
            if !is_principal_id(&name) && !had.contains(&name) {
                principals.push((kind, name));
            }
        }
    }

    let ps = config.attr(s::PERMISSION_SET);
    let prior_ps = prior.attr(s::PERMISSION_SET);
    let name = ps
        .attr(s::NAME)
        .as_str()
        .filter(|n| create || prior_ps.attr(s::NAME).as_str() != Some(*n))
        .map(str::to_string);
    let fresh_set = name.is_some() || account_is_new;

    let had: BTreeSet<String> = known(prior_ps.attr(s::MANAGED_POLICY_ARNS))
        .into_iter()
        .collect();
    let managed_policies = known(ps.attr(s::MANAGED_POLICY_ARNS))
        .into_iter()
        .filter(|a| fresh_set || !had.contains(a))
        .collect();
    let had = policy_refs(prior_ps.attr(s::CUSTOMER_MANAGED_POLICY));
    let customer_policies = policy_refs(ps.attr(s::CUSTOMER_MANAGED_POLICY))
        .into_iter()
        .filter(|r| fresh_set || !had.contains(r))
        .collect();
    let boundary = boundary(ps.attr(s::PERMISSIONS_BOUNDARY)).filter(|b| {
        fresh_set || boundary(prior_ps.attr(s::PERMISSIONS_BOUNDARY)).as_ref() != Some(b)
    });

    Wanted {
        account,
        account_is_new,
        clusters,
        principals,
        name,
        all_clusters: known(config.attr(s::CLUSTER_NAMES)),
        managed_policies,
        customer_policies,
        boundary,
    }
}

/// Runs the checks a plan of `config` (over `prior`) needs. No diagnostics
/// and no AWS call when nothing new is known or the checks are off.
///
/// `sets_in_state` are the managed permission sets of grants Terraform has
/// in state: one of them holding the name is not a conflict a plan can
/// decide (a replacement deletes its old set first; anything else the
/// apply still refuses).
pub async fn check(
    state: &ProviderState,
    ctx: &Ctx,
    prior: &Value,
    config: &Value,
    sets_in_state: &BTreeSet<String>,
) -> Diagnostics {
    if !state.config().is_some_and(|c| c.plan_checks_enabled()) {
        return Diagnostics::new();
    }
    let want = wanted(prior, config);
    if want.is_empty() {
        return Diagnostics::new();
    }
    let clients = match state.clients().await {
        Ok(c) => c,
        Err(d) => return d,
    };
    let (cluster_side, identity) = tokio::join!(
        check_cluster_side(clients, &want),
        check_identity_center(ctx, clients, &want, sets_in_state),
    );
    let mut diags = cluster_side;
    diags.extend(identity);
    diags
}

/// The account, then (in it) the clusters and policies. The cluster side
/// acts only in the grant's own account: with an unknown or wrong account
/// its checks would look in the wrong place, so they are skipped.
async fn check_cluster_side(clients: &AwsClients, want: &Wanted) -> Diagnostics {
    let Some(account) = want.account.as_deref() else {
        return Diagnostics::new();
    };
    if !want.account_is_new && !want.needs_cluster_side() {
        return Diagnostics::new();
    }
    let at = || AttributePath::attr(s::ACCOUNT_ID);
    let actual = match clients.cluster_account_id().await {
        Ok(a) => a,
        Err(e) => {
            return Diagnostics(vec![hinted(
                &e,
                e.to_diagnostic("Could not determine the provider's AWS account"),
                at(),
            )]);
        }
    };
    if let Some(mismatch) = account_mismatch(account, &actual, at()) {
        // Reported when account_id is new; an unchanged one is the apply's
        // to report (its refresh already reads that account).
        return if want.account_is_new {
            mismatch
        } else {
            Diagnostics::new()
        };
    }
    let (mut diags, policies) = tokio::join!(
        check_clusters(clients, account, want),
        check_policies(clients, account, want),
    );
    diags.extend(policies);
    diags
}

/// `d` (made from `e`) at `path`. When the call was denied, the hint says
/// how to plan with credentials that cannot read; an unreachable endpoint or
/// a throttle is no credentials problem, so it gets no such hint.
fn hinted(e: &AwsError, mut d: Diagnostic, path: AttributePath) -> Diagnostic {
    if e.class() == Class::AccessDenied {
        d.detail = format!("{}\n\n{DISABLE_HINT}", d.detail);
    }
    d.attribute = Some(path);
    d
}

/// Every new cluster exists and accepts access entries, each reported at
/// its element of `cluster_names`.
async fn check_clusters(clients: &AwsClients, account: &str, want: &Wanted) -> Diagnostics {
    if want.clusters.is_empty() {
        return Diagnostics::new();
    }
    let names: Vec<String> = want.clusters.iter().map(|(_, c)| c.clone()).collect();
    let ps_name = want.name.as_deref().unwrap_or("<permission set name>");
    let found = preflight::cluster_problems(clients, account, &names, ps_name, None).await;
    Diagnostics(
        found
            .into_iter()
            .map(|(i, mut d)| {
                d.attribute =
                    Some(AttributePath::attr(s::CLUSTER_NAMES).then_index(want.clusters[i].0));
                d
            })
            .collect(),
    )
}

/// The Identity Center side: principals resolve, and the name is free.
async fn check_identity_center(
    ctx: &Ctx,
    clients: &AwsClients,
    want: &Wanted,
    sets_in_state: &BTreeSet<String>,
) -> Diagnostics {
    if want.principals.is_empty() && want.name.is_none() {
        return Diagnostics::new();
    }
    let instance = match clients.sso_instance(ctx).await {
        Ok(i) => i,
        Err(e) => {
            let at = match (&want.name, want.principals.first()) {
                (Some(_), _) | (None, None) => {
                    AttributePath::attr(s::PERMISSION_SET).then_attr(s::NAME)
                }
                (None, Some((kind, _))) => AttributePath::attr(kind.attribute()),
            };
            return Diagnostics(vec![hinted(
                &e,
                e.to_diagnostic("Could not find the IAM Identity Center instance"),
                at,
            )]);
        }
    };
    let (principals, name) = tokio::join!(
        preflight::resolve_principals(clients, &instance.identity_store_id, &want.principals),
        check_name(ctx, clients, &instance.instance_arn, want, sets_in_state),
    );
    let mut diags = principals.err().unwrap_or_default();
    diags.extend(name);
    diags
}

/// The name of a new permission set is free, or held by a set this grant's
/// own unfinished create left (its in-flight mark for this account): the
/// apply adopts that one, so it is not "taken"; nor is it when a grant in
/// state holds it (`sets_in_state`, see [`check`]).
async fn check_name(
    ctx: &Ctx,
    clients: &AwsClients,
    instance: &str,
    want: &Wanted,
    sets_in_state: &BTreeSet<String>,
) -> Diagnostics {
    let Some(name) = want.name.as_deref() else {
        return Diagnostics::new();
    };
    let at = || AttributePath::attr(s::PERMISSION_SET).then_attr(s::NAME);
    let index = clients
        .permission_set_names(instance, || {
            permission_set::name_index(ctx, &clients.ssoadmin, instance)
        })
        .await;
    let arn = match index {
        Ok(index) => match index.get(name) {
            Some(arn) if !sets_in_state.contains(arn) => arn.clone(),
            _ => return Diagnostics::new(),
        },
        Err(e) => {
            return Diagnostics(vec![hinted(
                &e,
                e.to_diagnostic("Could not list the permission sets"),
                at(),
            )]);
        }
    };
    let tags = match permission_set::list_tags(ctx, &clients.ssoadmin, instance, &arn).await {
        Ok(t) => t,
        // Deleted since the index was made: the name is free again.
        Err(e) if e.is_not_found() => return Diagnostics::new(),
        Err(e) => {
            return Diagnostics(vec![hinted(
                &e,
                e.to_diagnostic(format!("Could not read the tags of permission set {name}")),
                at(),
            )]);
        }
    };
    let mark = in_flight::permission_set_mark(&tags);
    let account = match want.account.as_deref() {
        Some(a) if in_flight::permission_set_is_ours(&tags, a) => return Diagnostics::new(),
        Some(a) => a,
        // Whose mark it is cannot be told yet: leave it to the apply.
        None if mark.is_some() => return Diagnostics::new(),
        None => "<account_id>",
    };
    messages::duplicate_permission_set(
        name,
        instance,
        Some(&arn),
        mark,
        account,
        &want.all_clusters,
    )
}

/// Every new managed, customer-managed and boundary policy exists in IAM.
async fn check_policies(clients: &AwsClients, account: &str, want: &Wanted) -> Diagnostics {
    if want.managed_policies.is_empty()
        && want.customer_policies.is_empty()
        && want.boundary.is_none()
    {
        return Diagnostics::new();
    }
    let partition = match clients.caller_partition().await {
        Ok(p) => p.to_string(),
        Err(e) => {
            return Diagnostics(vec![hinted(
                &e,
                e.to_diagnostic("Could not identify the caller's AWS partition"),
                AttributePath::attr(s::ACCOUNT_ID),
            )]);
        }
    };
    let ps = || AttributePath::attr(s::PERMISSION_SET);
    let cmp_arn =
        |r: &PolicyRef| format!("arn:{partition}:iam::{account}:policy{}{}", r.path, r.name);
    let mut asks: Vec<(String, Finding)> = Vec::new();
    for arn in &want.managed_policies {
        asks.push((
            arn.clone(),
            Finding::Managed(ps().then_attr(s::MANAGED_POLICY_ARNS)),
        ));
    }
    for r in &want.customer_policies {
        asks.push((
            cmp_arn(r),
            Finding::Customer(ps().then_attr(s::CUSTOMER_MANAGED_POLICY), r.clone()),
        ));
    }
    match &want.boundary {
        Some(Boundary::Managed(arn)) => asks.push((
            arn.clone(),
            Finding::Managed(
                ps().then_attr(s::PERMISSIONS_BOUNDARY)
                    .then_attr(s::MANAGED_POLICY_ARN),
            ),
        )),
        Some(Boundary::Customer(r)) => asks.push((
            cmp_arn(r),
            Finding::Customer(
                ps().then_attr(s::PERMISSIONS_BOUNDARY)
                    .then_attr(s::CUSTOMER_MANAGED_POLICY),
                r.clone(),
            ),
        )),
        None => {}
    }
    let answers =
        futures_util::future::join_all(asks.iter().map(|(arn, _)| clients.policy_exists(arn)))
            .await;
    let mut diags = Diagnostics::new();
    for ((arn, finding), answer) in asks.into_iter().zip(answers) {
        if let Some(d) = finding.report(&arn, account, answer) {
            diags.0.push(d);
        }
    }
    diags
}

/// The policy checks of a create, made by the apply before its first write,
/// so that with `plan_checks = false` (or a policy ARN unknown at plan) a
/// typo still creates nothing. Errors only: a plan already showed the
/// warnings. A checked plan left the answers cached for the process, so this
/// usually costs no call.
pub async fn policies_exist(clients: &AwsClients, account: &str, planned: &Value) -> Diagnostics {
    let want = wanted(&Value::Null, planned);
    let mut found = check_policies(clients, account, &want).await;
    found.0.retain(|d| d.severity == Severity::Error);
    found
}

/// Where a policy was named, and how.
enum Finding {
    /// By ARN (`managed_policy_arns`, a boundary's `managed_policy_arn`).
    Managed(AttributePath),
    /// By name and path, in the grant's account.
    Customer(AttributePath, PolicyRef),
}

impl Finding {
    fn report(
        self,
        arn: &str,
        account: &str,
        answer: Result<bool, AwsError>,
    ) -> Option<Diagnostic> {
        let (path, summary, detail) = match (self, answer) {
            (_, Ok(true)) => return None,
            (Finding::Managed(path), Ok(false)) => (
                path,
                "Managed policy not found".to_string(),
                format!(
                    "IAM has no policy {arn} (GetPolicy answered NoSuchEntity), so Identity Center could not attach it and \
                     the apply would stop after creating the permission set. Check the spelling: AWS managed policies \
                     look like arn:aws:iam::aws:policy/ReadOnlyAccess, some under a path such as \
                     arn:aws:iam::aws:policy/job-function/ViewOnlyAccess (`aws iam get-policy --policy-arn {arn}`)."
                ),
            ),
            (Finding::Customer(path, r), Ok(false)) => {
                // A policy made by this same configuration is known by name
                // before it exists, so this is a warning: the apply creates
                // it first if it is there.
                return Some(Diagnostic {
                    severity: Severity::Warning,
                    summary: format!(
                        "Customer-managed policy {} not found in account {account}",
                        r.name
                    ),
                    detail: format!(
                        "IAM in account {account} has no policy named {:?} under path {:?} ({arn}). Identity Center \
                         attaches customer-managed policies by name and path in each account the permission set is \
                         provisioned to, so provisioning fails unless the policy exists there by then. If this \
                         configuration creates it, make this resource depend on it; otherwise fix name and path, or \
                         create the policy first.",
                        r.name, r.path
                    ),
                    attribute: Some(path),
                });
            }
            (Finding::Managed(path) | Finding::Customer(path, _), Err(e)) => {
                return Some(hinted(
                    &e,
                    e.to_diagnostic(format!("Could not check policy {arn}")),
                    path,
                ));
            }
        };
        Some(Diagnostic {
            severity: Severity::Error,
            summary,
            detail,
            attribute: Some(path),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Only a denied call tells the user to turn the checks off; an
    /// unreachable endpoint is no credentials problem.
    #[test]
    fn only_denied_calls_get_the_plan_checks_hint() {
        use crate::aws::{ErrorKind, Service};
        let denied = AwsError {
            service: Service::Iam,
            operation: "GetPolicy",
            kind: ErrorKind::Service { status: 403 },
            code: Some("AccessDenied".into()),
            message: "not authorized to perform: iam:GetPolicy".into(),
            object: None,
            request_id: None,
        };
        let unreachable = AwsError::new(
            Service::Iam,
            "GetPolicy",
            ErrorKind::Transport,
            "could not connect to http://127.0.0.1:9",
        );
        let at = || AttributePath::attr(s::ACCOUNT_ID);
        let d = hinted(&denied, denied.to_diagnostic("Could not check"), at());
        assert!(d.detail.contains("plan_checks = false"), "{}", d.detail);
        assert_eq!(d.attribute, Some(at()));
        let d = hinted(
            &unreachable,
            unreachable.to_diagnostic("Could not check"),
            at(),
        );
        assert!(!d.detail.contains("plan_checks"), "{}", d.detail);
        assert!(!d.detail.contains("credentials"), "{}", d.detail);
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn grant(
        account: Value,
        clusters: Value,
        groups: &[&str],
        name: &str,
        managed: &[&str],
    ) -> Value {
        obj(&[
            (s::ACCOUNT_ID, account),
            (s::CLUSTER_NAMES, clusters),
            (
                s::GROUPS,
                Value::Set(groups.iter().map(|g| Value::string(*g)).collect()),
            ),
            (
                s::PERMISSION_SET,
                obj(&[
                    (s::NAME, Value::string(name)),
                    (
                        s::MANAGED_POLICY_ARNS,
                        Value::Set(managed.iter().map(|m| Value::string(*m)).collect()),
                    ),
                ]),
            ),
        ])
    }

    const ACCT: &str = "111122223333";
    const VIEW: &str = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";

    #[test]
    fn a_create_checks_everything_known() {
        let config = grant(
            Value::string(ACCT),
            strings(&["prod", "dev"]),
            &["Admins"],
            "EKSAdmin",
            &[VIEW],
        );
        let w = wanted(&Value::Null, &config);
        assert!(w.account_is_new);
        assert_eq!(
            w.clusters,
            vec![(0, "prod".to_string()), (1, "dev".to_string())]
        );
        assert_eq!(
            w.principals,
            vec![(PrincipalKind::Group, "Admins".to_string())]
        );
        assert_eq!(w.name.as_deref(), Some("EKSAdmin"));
        assert_eq!(w.managed_policies, vec![VIEW.to_string()]);
    }

    #[test]
    fn an_unchanged_grant_checks_nothing() {
        let g = grant(
            Value::string(ACCT),
            strings(&["prod"]),
            &["Admins"],
            "EKSAdmin",
            &[VIEW],
        );
        assert!(wanted(&g, &g).is_empty());
    }

    #[test]
    fn an_update_checks_only_what_is_new() {
        let prior = grant(
            Value::string(ACCT),
            strings(&["prod"]),
            &["Admins"],
            "EKSAdmin",
            &[VIEW],
        );
        let config = grant(
            Value::string(ACCT),
            strings(&["prod", "dev"]),
            &["Admins", "Viewers"],
            "EKSAdmin",
            &[VIEW, "arn:aws:iam::aws:policy/ReadOnlyAccess"],
        );
        let w = wanted(&prior, &config);
        assert!(!w.account_is_new);
        assert_eq!(w.clusters, vec![(1, "dev".to_string())]);
        assert_eq!(
            w.principals,
            vec![(PrincipalKind::Group, "Viewers".to_string())]
        );
        assert_eq!(w.name, None);
        assert_eq!(
            w.managed_policies,
            vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string()]
        );
    }

    #[test]
    fn unknown_values_are_never_checked() {
        let config = grant(
            Value::Unknown(None),
            Value::List(vec![Value::string("prod"), Value::Unknown(None)]),
            &[],
            "EKSAdmin",
            &[],
        );
        let w = wanted(&Value::Null, &config);
        assert_eq!(w.account, None);
        assert!(!w.account_is_new);
        assert_eq!(w.clusters, vec![(0, "prod".to_string())]);
        let all_unknown = grant(
            Value::Unknown(None),
            Value::Unknown(None),
            &[],
            "EKSAdmin",
            &[],
        );
        assert!(wanted(&Value::Null, &all_unknown).clusters.is_empty());
    }

    #[test]
    fn principal_ids_need_no_lookup() {
        let config = grant(
            Value::string(ACCT),
            strings(&["prod"]),
            &["906701a1b2-12345678-1234-1234-1234-123456789012"],
            "EKSAdmin",
            &[],
        );
        assert!(wanted(&Value::Null, &config).principals.is_empty());
    }

    #[test]
    fn boundaries_and_customer_policies_default_their_path() {
        let mut config = grant(
            Value::string(ACCT),
            strings(&["prod"]),
            &[],
            "EKSAdmin",
            &[],
        );
        if let Value::Object(m) = &mut config
            && let Some(Value::Object(ps)) = m.get_mut(s::PERMISSION_SET)
        {
            ps.insert(
                s::CUSTOMER_MANAGED_POLICY.to_string(),
                Value::Set(vec![obj(&[
                    (s::NAME, Value::string("eks-extra")),
                    (s::PATH, Value::Null),
                ])]),
            );
            ps.insert(
                s::PERMISSIONS_BOUNDARY.to_string(),
                obj(&[
                    (s::MANAGED_POLICY_ARN, Value::Null),
                    (
                        s::CUSTOMER_MANAGED_POLICY,
                        obj(&[
                            (s::NAME, Value::string("limit")),
                            (s::PATH, Value::string("/b/")),
                        ]),
                    ),
                ]),
            );
        }
        let w = wanted(&Value::Null, &config);
        assert_eq!(
            w.customer_policies,
            vec![PolicyRef {
                name: "eks-extra".into(),
                path: "/".into()
            }]
        );
        assert_eq!(
            w.boundary,
            Some(Boundary::Customer(PolicyRef {
                name: "limit".into(),
                path: "/b/".into()
            }))
        );
    }

    #[test]
    fn a_missing_managed_policy_is_an_error_at_its_attribute() {
        let path = AttributePath::attr(s::PERMISSION_SET).then_attr(s::MANAGED_POLICY_ARNS);
        let d = Finding::Managed(path.clone())
            .report("arn:aws:iam::aws:policy/ViewOnlyAcess", ACCT, Ok(false))
            .expect("a finding");
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.attribute, Some(path));
        assert!(
            d.detail.contains("arn:aws:iam::aws:policy/ViewOnlyAcess"),
            "{}",
            d.detail
        );
        assert!(
            Finding::Managed(AttributePath::root())
                .report(VIEW, ACCT, Ok(true))
                .is_none()
        );
    }
}
