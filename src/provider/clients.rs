//! AWS SDK clients for one provider instance, built lazily from the provider
//! block, plus the per-process caches and limits resources share.
//!
//! There are two credential "sides":
//! - the cluster side (`region`, `profile`, `assume_role`): EKS, IAM, STS;
//! - the Identity Center side (`sso.*`, falling back to the provider's
//!   `region` and `profile`, but not its `assume_role`): sso-admin and
//!   identitystore.
//!
//! Building a client reads config files and environment but makes no AWS
//! call; credentials are resolved (and cached) by the SDK on the first request.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
#[cfg(test)]
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::origin::Origin;
use tokio::sync::{OnceCell, OwnedSemaphorePermit};

use super::config::{AssumeRole, ProviderConfig};
use super::schema::DEFAULT_SESSION_NAME;
use crate::aws::arn::partition_of_arn;
use crate::aws::errors::{AwsError, ErrorKind, SdkResultExt, Service};
use crate::aws::http::{RateLimitedHttpClient, default_client};
use crate::aws::limiter::{AssignmentSlots, MAX_CONCURRENT_ASSIGNMENTS, TokenBucket};
use crate::aws::retry::retry_conflicts;
use crate::aws::sdk_retry::ConcurrentOperationClassifier;
use crate::aws::ssoadmin::{SsoInstance, list_instances, pick_instance};
use crate::aws::wait::cancellable;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::Ctx;

/// The SDK clients and shared per-process state. Obtain it from
/// [`super::ProviderState::clients`].
#[derive(Debug)]
pub struct AwsClients {
    /// Cluster side.
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    /// Identity Center side. Every request attempt of these two clients
    /// already waits for the shared rate limiter.
    pub ssoadmin: aws_sdk_ssoadmin::Client,
    pub identitystore: aws_sdk_identitystore::Client,
    /// Region of the cluster side.
    pub region: String,
    /// Identity Center home region.
    pub sso_region: String,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
    configured_instance_arn: Option<String>,
    caller: OnceCell<CallerIdentity>,
    sso_instance: OnceCell<SsoInstance>,
    /// Per (instance, account): the permission sets whose latest version is
    /// not provisioned there (see [`Self::sets_not_provisioned`]).
    not_provisioned: std::sync::Mutex<BTreeMap<(String, String), SetsOnce>>,
    /// Per (identity store, kind, name): the principal's identity-store ID
    /// (see [`Self::principal_id`]).
    principal_ids: std::sync::Mutex<BTreeMap<(String, &'static str, String), IdOnce>>,
    /// Per instance: permission set name -> ARN (see
    /// [`Self::permission_set_names`]).
    permission_set_names: std::sync::Mutex<BTreeMap<String, NamesOnce>>,
    /// Per policy ARN: whether IAM has it (see [`Self::policy_exists`]).
    policies: std::sync::Mutex<BTreeMap<String, Arc<OnceCell<bool>>>>,
    sso_limiter: Arc<TokenBucket>,
    assignment_slots: AssignmentSlots,
}

/// Permission set names to ARNs, listed once and shared.
type NamesOnce = Arc<OnceCell<BTreeMap<String, String>>>;

/// A set of permission set ARNs, computed once and shared.
type SetsOnce = Arc<OnceCell<BTreeSet<String>>>;

/// One identity-store ID, looked up once and shared.
type IdOnce = Arc<OnceCell<String>>;

/// Who the cluster-side credentials are, from STS GetCallerIdentity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    /// `arn:<partition>:sts::<account>:assumed-role/...` or an IAM user/role ARN.
    pub arn: String,
}

impl CallerIdentity {
    /// Checks that the response has both fields and that the ARN names a
    /// partition, so [`Self::partition`] never has to guess.
    fn from_response(account: Option<&str>, arn: Option<&str>) -> Result<Self, String> {
        let account = account
            .filter(|a| !a.is_empty())
            .ok_or("the response has no Account")?;
        let arn = arn.ok_or("the response has no Arn")?;
        if partition_of_arn(arn).is_none() {
            return Err(format!("the caller ARN {arn:?} names no partition"));
        }
        Ok(CallerIdentity {
            account: account.to_string(),
            arn: arn.to_string(),
        })
    }

    /// The partition the credentials live in (`aws`, `aws-cn`, ...): the one
    /// every ARN this provider builds for the cluster side must use.
    pub fn partition(&self) -> &str {
        partition_of_arn(&self.arn).unwrap_or_default()
    }
}

impl AwsClients {
    /// The cluster-side caller identity: one STS GetCallerIdentity per
    /// process (retried until it succeeds once), giving both the account and
    /// the partition.
    pub async fn caller_identity(&self) -> Result<&CallerIdentity, AwsError> {
        self.caller
            .get_or_try_init(|| async {
                let out = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .aws(Service::Sts, "GetCallerIdentity")?;
                CallerIdentity::from_response(out.account(), out.arn()).map_err(|msg| {
                    AwsError::new(
                        Service::Sts,
                        "GetCallerIdentity",
                        ErrorKind::Unexpected,
                        msg,
                    )
                })
            })
            .await
    }

    /// The account of the cluster-side credentials.
    pub async fn cluster_account_id(&self) -> Result<String, AwsError> {
        Ok(self.caller_identity().await?.account.clone())
    }

    /// The partition of the cluster-side credentials, read from the caller
    /// ARN rather than guessed from the region.
    pub async fn caller_partition(&self) -> Result<&str, AwsError> {
        Ok(self.caller_identity().await?.partition())
    }

    /// The Identity Center instance: `sso.instance_arn` if configured (its
    /// identity store ID is looked up once with ListInstances), otherwise the
    /// only instance visible to the sso-side credentials. Cached on success.
    ///
    /// ListInstances, like every sso-admin call, can answer "conflicting
    /// operation in process" while other writes run, so it is retried.
    ///
    /// The lookup is shared: the first caller runs it and the others wait on
    /// the cache. Each caller waits only as long as its own `ctx` allows
    /// (Ctrl-C, its `timeouts`): when it gives up, its part of the lookup is
    /// dropped, nothing is cached, and the next waiter runs the lookup itself.
    pub async fn sso_instance(&self, ctx: &Ctx) -> Result<SsoInstance, AwsError> {
        let lookup = self.sso_instance.get_or_try_init(|| async {
            let all =
                retry_conflicts(ctx, "ListInstances", || list_instances(&self.ssoadmin)).await?;
            pick_instance(
                all,
                self.configured_instance_arn.as_deref(),
                &self.sso_region,
            )
        });
        cancellable(ctx, Service::SsoAdmin, "ListInstances", async {
            lookup.await.cloned()
        })
        .await
    }

    /// The permission sets whose latest version is not provisioned to
    /// `account` (ListPermissionSetsProvisionedToAccount with
    /// `LATEST_PERMISSION_SET_NOT_PROVISIONED`, every page): one call per
    /// account and provider process, shared by every grant's refresh.
    ///
    /// A refresh compares the reserved role (what is provisioned) with the
    /// state and reads a permission set's policies only when this list or the
    /// role says something moved. Caching it for the process is sound because
    /// Terraform refreshes in plan walks, each in a provider process of its
    /// own, before anything is written; the apply walk never refreshes.
    pub async fn sets_not_provisioned(
        &self,
        ctx: &Ctx,
        instance_arn: &str,
        account: &str,
    ) -> Result<BTreeSet<String>, AwsError> {
        let cell = {
            let mut map = self
                .not_provisioned
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.entry((instance_arn.to_string(), account.to_string()))
                .or_default()
                .clone()
        };
        cell.get_or_try_init(|| async {
            retry_conflicts(ctx, "ListPermissionSetsProvisionedToAccount", || async {
                let mut pages = self
                    .ssoadmin
                    .list_permission_sets_provisioned_to_account()
                    .instance_arn(instance_arn)
                    .account_id(account)
                    .provisioning_status(
                        aws_sdk_ssoadmin::types::ProvisioningStatus::LatestPermissionSetNotProvisioned,
                    )
                    .into_paginator()
                    .items()
                    .send();
                let mut out = BTreeSet::new();
                while let Some(arn) = pages.next().await {
                    out.insert(arn.aws(Service::SsoAdmin, "ListPermissionSetsProvisionedToAccount")?);
                }
                Ok(out)
            })
            .await
        })
        .await
        .cloned()
    }

    /// The identity-store ID of the principal `name` of `kind` ("group" or
    /// "user") in `identity_store`, looked up with `lookup` once per provider
    /// process: every grant naming the same group shares one GetGroupId.
    ///
    /// Only a success is kept, so a misspelt name is asked again (and fails
    /// again) rather than remembered. Keeping the ID for the process is sound
    /// because an identity store maps a display name or user name to one
    /// principal (both are unique attributes, see the identitystore API
    /// reference for GetGroupId/GetUserId), and a Terraform walk runs in one
    /// short-lived provider process.
    pub async fn principal_id<F, Fut>(
        &self,
        identity_store: &str,
        kind: &'static str,
        name: &str,
        lookup: F,
    ) -> Result<String, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, AwsError>>,
    {
        let cell = {
            let mut map = self.principal_ids.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((identity_store.to_string(), kind, name.to_string()))
                .or_default()
                .clone()
        };
        cell.get_or_try_init(lookup).await.cloned()
    }

    /// Every permission set of `instance`, name to ARN, listed with `list`
    /// once per provider process and instance: the plan-time name check of
    /// every grant reads this one index (ListPermissionSets plus one
    /// DescribePermissionSet per set) instead of listing the instance again.
    ///
    /// Sound for a process because Terraform plans in a provider process of
    /// its own, before anything is written; in the apply walk a stale index
    /// only misses sets this apply creates, whose names its own grants hold.
    /// Only a success is kept.
    pub async fn permission_set_names<F, Fut>(
        &self,
        instance: &str,
        list: F,
    ) -> Result<BTreeMap<String, String>, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<BTreeMap<String, String>, AwsError>>,
    {
        let cell = {
            let mut map = self
                .permission_set_names
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.entry(instance.to_string()).or_default().clone()
        };
        cell.get_or_try_init(list).await.cloned()
    }

    /// Whether the managed policy `arn` exists in IAM (cluster side), asked
    /// once per process: grants naming the same policy share one GetPolicy.
    pub async fn policy_exists(&self, arn: &str) -> Result<bool, AwsError> {
        let cell = {
            let mut map = self.policies.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(arn.to_string()).or_default().clone()
        };
        cell.get_or_try_init(|| crate::aws::iam::policy_exists(&self.iam, arn))
            .await
            .copied()
    }

    /// Fails unless the cluster-side credentials belong to `expected`, with a
    /// diagnostic at `account_id` naming both accounts and the fix.
    pub async fn check_account(&self, expected: &str) -> Result<(), Diagnostics> {
        self.check_account_at(expected, AttributePath::attr("account_id"))
            .await
    }

    /// [`Self::check_account`] with the diagnostic at `path`.
    pub async fn check_account_at(
        &self,
        expected: &str,
        path: AttributePath,
    ) -> Result<(), Diagnostics> {
        let actual = self
            .cluster_account_id()
            .await
            .map_err(|e| e.to_diagnostics("Could not determine the provider's AWS account"))?;
        account_mismatch(expected, &actual, path).map_or(Ok(()), Err)
    }

    /// The token bucket all sso-admin and identitystore requests pass
    /// through. The clients use it already; call `acquire()` yourself only
    /// for Identity Center traffic that does not go through these clients.
    pub fn sso_limiter(&self) -> &Arc<TokenBucket> {
        &self.sso_limiter
    }

    /// A slot for one in-flight CreateAccountAssignment; hold it until the
    /// assignment's status leaves IN_PROGRESS. Cancellable.
    pub async fn assignment_permit(&self, ctx: &Ctx) -> Result<OwnedSemaphorePermit, AwsError> {
        self.assignment_slots.acquire(ctx).await
    }

    /// `default_tags` overlaid with a resource's own tags (which win).
    pub fn merged_tags(
        &self,
        resource_tags: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut out = self.default_tags.clone();
        out.extend(resource_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        out
    }
}

/// The mismatch diagnostic, if the accounts differ.
pub fn account_mismatch(expected: &str, actual: &str, path: AttributePath) -> Option<Diagnostics> {
    if expected == actual {
        return None;
    }
    let mut d = Diagnostics::new();
    d.attribute_error(
        path,
        "Wrong AWS account",
        format!(
            "This resource targets AWS account {expected}, but the provider's cluster-side credentials belong to account {actual}, so its EKS and IAM calls would land in the wrong account.\n\nUse an aliased provider with assume_role into {expected}, for example:\n\n  provider \"eks\" {{\n    alias = \"acct_{expected}\"\n    assume_role {{\n      role_arn = \"arn:aws:iam::{expected}:role/OrganizationAccountAccessRole\"\n    }}\n  }}\n\nand set `provider = eks.acct_{expected}` on this resource."
        ),
    );
    Some(d)
}

/// The effective settings of one credential side.
struct Side<'a> {
    what: &'static str,
    region: Option<&'a str>,
    region_hint: &'static str,
    profile: Option<&'a str>,
    config_files: &'a [String],
    credentials_files: &'a [String],
    assume_role: Option<&'a AssumeRole>,
}

/// Builds all clients. Reads config files and the environment; no AWS call.
pub(crate) async fn build(cfg: &ProviderConfig) -> Result<AwsClients, Diagnostics> {
    if !cfg.unknown.is_empty() {
        let names: Vec<String> = cfg.unknown.iter().map(|p| p.to_string()).collect();
        return Err(Diagnostics::from_error(
            "Provider configuration not known yet",
            format!(
                "The provider block uses values that are only known after apply ({}), and this operation needs AWS. Use values known at plan time, or apply the resources they come from first (terraform apply -target=...).",
                names.join(", ")
            ),
        ));
    }
    let http = default_client();
    let retry = RetryConfig::standard().with_max_attempts(cfg.max_attempts());

    let cluster = load_side(
        cfg,
        &Side {
            what: "the cluster account",
            region: cfg.region.as_deref(),
            region_hint: "Set `region` in the provider block, or AWS_REGION in the environment.",
            profile: cfg.profile.as_deref(),
            config_files: &cfg.shared_config_files,
            credentials_files: &cfg.shared_credentials_files,
            assume_role: cfg.assume_role.as_ref(),
        },
        &http,
        &retry,
    )
    .await?;
    let sso = load_side(
        cfg,
        &Side {
            what: "IAM Identity Center",
            region: cfg.sso_region(),
            region_hint: "Set `sso.region` (the Identity Center home region) or `region` in the provider block.",
            profile: cfg.sso_profile(),
            config_files: cfg.sso_shared_config_files(),
            credentials_files: cfg.sso_shared_credentials_files(),
            assume_role: cfg.sso.assume_role.as_ref(),
        },
        &http,
        &retry,
    )
    .await?;

    let region = cluster.region().map(|r| r.to_string()).unwrap_or_default();
    let sso_region = sso.region().map(|r| r.to_string()).unwrap_or_default();
    let e = &cfg.endpoints;
    tracing::debug!(
        region = %region,
        sso_region = %sso_region,
        max_attempts = cfg.max_attempts(),
        cluster_assume_role = cfg.assume_role.is_some(),
        sso_assume_role = cfg.sso.assume_role.is_some(),
        endpoint_overrides = ?[("eks", e.eks.is_some()), ("iam", e.iam.is_some()), ("sts", e.sts.is_some()), ("ssoadmin", e.ssoadmin.is_some()), ("identitystore", e.identitystore.is_some())],
        "building AWS clients"
    );

    // Aliased providers are separate processes; the bucket is shared with
    // those that talk to the same Identity Center (see aws::limiter). The
    // endpoint is the `endpoints.ssoadmin` override, else AWS_ENDPOINT_URL or
    // a profile's `endpoint_url`, else AWS's own.
    let limiter = Arc::new(TokenBucket::identity_center(
        &sso_region,
        e.ssoadmin.as_deref().or(sso.endpoint_url()),
    ));
    let limited = SharedHttpClient::new(RateLimitedHttpClient::new(http.clone(), limiter.clone()));

    // IAM ConcurrentModification and EKS "resource in use" are retried by
    // the SDK's standard retry, like throttling (see aws::sdk_retry).
    let mut eks = aws_sdk_eks::config::Builder::from(&cluster)
        .retry_classifier(ConcurrentOperationClassifier::new(Service::Eks));
    if let Some(u) = &e.eks {
        eks = eks.endpoint_url(u);
    }
    let mut iam = aws_sdk_iam::config::Builder::from(&cluster)
        .retry_classifier(ConcurrentOperationClassifier::new(Service::Iam));
    if let Some(u) = &e.iam {
        iam = iam.endpoint_url(u);
    }
    let mut sts = aws_sdk_sts::config::Builder::from(&cluster);
    if let Some(u) = &e.sts {
        sts = sts.endpoint_url(u);
    }
    let mut ssoadmin = aws_sdk_ssoadmin::config::Builder::from(&sso).http_client(limited.clone());
    if let Some(u) = &e.ssoadmin {
        ssoadmin = ssoadmin.endpoint_url(u);
    }
    let mut identitystore = aws_sdk_identitystore::config::Builder::from(&sso).http_client(limited);
    if let Some(u) = &e.identitystore {
        identitystore = identitystore.endpoint_url(u);
    }

    Ok(AwsClients {
        eks: aws_sdk_eks::Client::from_conf(eks.build()),
        iam: aws_sdk_iam::Client::from_conf(iam.build()),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
        ssoadmin: aws_sdk_ssoadmin::Client::from_conf(ssoadmin.build()),
        identitystore: aws_sdk_identitystore::Client::from_conf(identitystore.build()),
        region,
        sso_region,
        default_tags: cfg.default_tags.clone(),
        configured_instance_arn: cfg.sso.instance_arn.clone(),
        caller: OnceCell::new(),
        sso_instance: OnceCell::new(),
        not_provisioned: std::sync::Mutex::new(BTreeMap::new()),
        principal_ids: std::sync::Mutex::new(BTreeMap::new()),
        permission_set_names: std::sync::Mutex::new(BTreeMap::new()),
        policies: std::sync::Mutex::new(BTreeMap::new()),
        sso_limiter: limiter,
        assignment_slots: AssignmentSlots::new(MAX_CONCURRENT_ASSIGNMENTS),
    })
}

/// One side's config and credentials files replace the default file of
/// their kind; an empty list keeps it (and `AWS_CONFIG_FILE` /
/// `AWS_SHARED_CREDENTIALS_FILE`).
fn profile_files(config_files: &[String], credentials_files: &[String]) -> Option<EnvConfigFiles> {
    if config_files.is_empty() && credentials_files.is_empty() {
        return None;
    }
    let mut b = EnvConfigFiles::builder()
        .include_default_config_file(config_files.is_empty())
        .include_default_credentials_file(credentials_files.is_empty());
    for f in config_files {
        b = b.with_file(EnvConfigFileKind::Config, f);
    }
    for f in credentials_files {
        b = b.with_file(EnvConfigFileKind::Credentials, f);
    }
    Some(b.build())
}

/// Loads one side's SdkConfig: the standard chain, narrowed by region,
/// profile and files, then wrapped in AssumeRole if configured.
async fn load_side(
    cfg: &ProviderConfig,
    side: &Side<'_>,
    http: &SharedHttpClient,
    retry: &RetryConfig,
) -> Result<SdkConfig, Diagnostics> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http.clone())
        .retry_config(retry.clone());
    if let Some(r) = side.region {
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(p) = side.profile {
        loader = loader.profile_name(p);
    }
    if let Some(files) = profile_files(side.config_files, side.credentials_files) {
        loader = loader.profile_files(files);
    }
    let base = loader.load().await;
    if base.region().is_none() {
        return Err(Diagnostics::from_error(
            "No AWS region",
            format!(
                "No AWS region is configured for {}. {}",
                side.what, side.region_hint
            ),
        ));
    }
    let Some(ar) = side.assume_role else {
        return Ok(base);
    };
    // AssumeRole's own STS client follows the `endpoints.sts` override too.
    let sts_conf = match &cfg.endpoints.sts {
        Some(url) => {
            let mut b = base.clone().into_builder();
            b.set_endpoint_url(Some(url.clone()));
            b.insert_origin("endpoint_url", Origin::shared_config());
            b.build()
        }
        None => base.clone(),
    };
    let mut provider = AssumeRoleProvider::builder(ar.role_arn.clone())
        .session_name(
            ar.session_name
                .clone()
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
        )
        .configure(&sts_conf);
    if let Some(id) = &ar.external_id {
        provider = provider.external_id(id.clone());
    }
    if let Some(d) = ar.duration {
        provider = provider.session_length(d);
    }
    let provider = provider.build().await;
    Ok(base
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_mismatch_names_both_accounts_and_the_fix() {
        assert!(
            account_mismatch(
                "111122223333",
                "111122223333",
                AttributePath::attr("account_id")
            )
            .is_none()
        );
        let d = account_mismatch(
            "111122223333",
            "123456789012",
            AttributePath::attr("account_id"),
        )
        .unwrap();
        let diag = &d.0[0];
        assert_eq!(diag.attribute, Some(AttributePath::attr("account_id")));
        assert!(diag.detail.contains("111122223333") && diag.detail.contains("123456789012"));
        assert!(
            diag.detail.contains("assume_role into 111122223333"),
            "{}",
            diag.detail
        );
        assert!(diag.detail.contains("arn:aws:iam::111122223333:role/"));
    }

    #[test]
    fn caller_identity_needs_account_and_a_partitioned_arn() {
        let who = CallerIdentity::from_response(
            Some("111122223333"),
            Some("arn:aws-us-gov:sts::111122223333:assumed-role/Admin/jane"),
        )
        .unwrap();
        assert_eq!(who.account, "111122223333");
        assert_eq!(who.partition(), "aws-us-gov");
        assert_eq!(
            CallerIdentity::from_response(Some("1"), Some("arn:aws-cn:iam::1:user/moto"))
                .unwrap()
                .partition(),
            "aws-cn"
        );
        assert!(
            CallerIdentity::from_response(None, Some("arn:aws:iam::1:user/x"))
                .unwrap_err()
                .contains("no Account")
        );
        assert!(
            CallerIdentity::from_response(Some("1"), None)
                .unwrap_err()
                .contains("no Arn")
        );
        assert!(
            CallerIdentity::from_response(Some("1"), Some("not-an-arn"))
                .unwrap_err()
                .contains("names no partition")
        );
    }

    #[test]
    fn profile_files_replace_only_their_kind() {
        assert!(profile_files(&[], &[]).is_none());
        let files = format!("{:?}", profile_files(&["/tmp/a".into()], &[]).unwrap());
        assert!(files.contains("/tmp/a"), "{files}");
        assert!(files.contains("Default(Credentials)"), "{files}");
        assert!(!files.contains("Default(Config)"), "{files}");
    }

    /// Reads profile `ci`'s `region` through each side's files, the way the
    /// SDK will read its credentials settings: the proof that each side
    /// really loads its own file.
    #[tokio::test]
    async fn each_side_reads_its_own_shared_config_file() {
        // The environment's region would win over the files' (the SDK's order).
        if ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .any(|v| std::env::var_os(v).is_some())
        {
            eprintln!("skipped: AWS_REGION/AWS_DEFAULT_REGION is set, which overrides the files");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, region: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("[profile ci]\nregion = {region}\n")).unwrap();
            path.to_string_lossy().into_owned()
        };
        let cluster_file = write("cluster", "eu-west-1");
        let sso_file = write("sso", "ap-southeast-2");
        let cfg = ProviderConfig {
            profile: Some("ci".into()),
            shared_config_files: vec![cluster_file],
            sso: super::super::config::SsoSide {
                shared_config_files: Some(vec![sso_file]),
                ..Default::default()
            },
            ..ProviderConfig::default()
        };
        let c = build(&cfg).await.unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.sso_region, "ap-southeast-2");

        // Without its own files the sso side reads the provider's.
        let shared = ProviderConfig {
            sso: Default::default(),
            ..cfg
        };
        let c = build(&shared).await.unwrap();
        assert_eq!(c.sso_region, "eu-west-1");
    }

    #[tokio::test]
    async fn unknown_config_fails_only_when_clients_are_built() {
        let cfg = ProviderConfig {
            unknown: vec![AttributePath::attr("region")],
            ..ProviderConfig::default()
        };
        let d = build(&cfg).await.unwrap_err();
        assert!(d.0[0].detail.contains("(region)"), "{}", d.0[0].detail);
    }

    #[tokio::test]
    async fn builds_without_calling_aws_and_applies_endpoints() {
        let cfg = ProviderConfig {
            region: Some("eu-west-1".into()),
            sso: super::super::config::SsoSide {
                region: Some("us-east-1".into()),
                ..Default::default()
            },
            endpoints: super::super::config::Endpoints {
                eks: Some("http://127.0.0.1:1".into()),
                ssoadmin: Some("http://127.0.0.1:2".into()),
                ..Default::default()
            },
            ..ProviderConfig::default()
        };
        let c = build(&cfg).await.unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.sso_region, "us-east-1");
        assert_eq!(
            c.eks.config().region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
        assert_eq!(
            c.ssoadmin.config().region().map(|r| r.as_ref()),
            Some("us-east-1")
        );
    }

    /// The instance lookup is shared through a once-cell, yet a caller that
    /// Terraform cancels returns at once while another caller's lookup (here
    /// against an endpoint that accepts connections and never answers) goes
    /// on; and a caller whose deadline passes gets a deadline error.
    #[tokio::test]
    async fn a_cancelled_waiter_on_the_shared_instance_lookup_returns_promptly() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        // Test keys for a local socket, so the call gets as far as sending.
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        std::fs::write(
            &creds,
            "[ci]\naws_access_key_id = AKIDTEST\naws_secret_access_key = test\n",
        )
        .unwrap();
        let cfg = ProviderConfig {
            region: Some("us-east-1".into()),
            profile: Some("ci".into()),
            shared_credentials_files: vec![creds.to_string_lossy().into_owned()],
            endpoints: super::super::config::Endpoints {
                ssoadmin: Some(url.clone()),
                sts: Some(url),
                ..Default::default()
            },
            ..ProviderConfig::default()
        };
        let c = build(&cfg).await.unwrap();
        let first = Ctx::default();
        let second = Ctx::default();
        let stop_second = second.cancel.clone();
        let started = tokio::time::Instant::now();
        let (a, b) = tokio::join!(
            async { tokio::time::timeout(Duration::from_secs(3), c.sso_instance(&first)).await },
            async {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    stop_second.cancel();
                });
                let r = tokio::time::timeout(Duration::from_secs(5), c.sso_instance(&second))
                    .await
                    .expect("the cancelled waiter must not wait for the shared lookup");
                (r, started.elapsed())
            },
        );
        let (b, b_took) = b;
        assert!(b.unwrap_err().is_cancelled());
        assert!(b_took < Duration::from_secs(1), "{b_took:?}");
        // The first caller was still waiting on its own lookup.
        assert!(
            a.is_err(),
            "the silent endpoint cannot have answered: {a:?}"
        );

        let limited = Ctx::default().with_deadline(
            tokio::time::Instant::now() + Duration::from_millis(200),
            "timeouts.create = \"1s\"",
        );
        let e = c.sso_instance(&limited).await.unwrap_err();
        assert!(e.is_deadline(), "{e}");
        assert!(e.to_string().contains("timeouts.create"), "{e}");
        drop(silent);
    }
}
