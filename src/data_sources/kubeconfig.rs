//! Data source `eks_kubeconfig`: a kubeconfig for one EKS cluster whose user
//! entry is what `aws eks update-kubeconfig --profile P` writes, so the file
//! behaves exactly like the one users already know, plus
//! `interactiveMode: Never`, so a missing or expired SSO token surfaces as an
//! error the client can show instead of a login prompt nobody sees (seed J2).
//!
//! The cluster is read with a single DescribeCluster. The YAML is written here
//! rather than through a YAML library: the document has a fixed shape, and
//! writing it by hand keeps the output byte-for-byte deterministic (Terraform
//! compares it across plans) with every scalar quoted only when a plain
//! scalar would be read back as something else.

use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::{AwsError, SdkResultExt, Service};
use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;

use crate::validate;

use super::common::{check_args, object, opt_string, read_response};
use super::sso_cli_profile::profile_name;

/// The exec credential API version `aws eks update-kubeconfig` writes today.
pub const EXEC_API_VERSION: &str = "client.authentication.k8s.io/v1beta1";

/// Everything the kubeconfig is rendered from: the cluster as DescribeCluster
/// reported it, and the caller's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigSpec {
    pub cluster_name: String,
    pub cluster_arn: String,
    pub endpoint: String,
    pub certificate_authority_data: String,
    /// The region `aws eks get-token` signs for (the cluster's region).
    pub region: String,
    /// Exported to the exec plugin as `AWS_PROFILE`.
    pub aws_profile: Option<String>,
    /// Passed to `aws eks get-token --role-arn`.
    pub role_arn: Option<String>,
    /// Defaults to the cluster ARN, as update-kubeconfig does.
    pub context_name: Option<String>,
}

impl KubeconfigSpec {
    pub fn context_name(&self) -> &str {
        self.context_name.as_deref().unwrap_or(&self.cluster_arn)
    }

    /// The exec plugin's argument list, in update-kubeconfig's order.
    ///
    /// `--role-arn` is get-token's real option name. update-kubeconfig writes
    /// the abbreviation `--role`, which only works through argparse prefix
    /// matching; the full name works in every CLI version.
    pub fn exec_args(&self) -> Vec<&str> {
        let mut args = vec![
            "--region",
            self.region.as_str(),
            "eks",
            "get-token",
            "--cluster-name",
            self.cluster_name.as_str(),
            "--output",
            "json",
        ];
        if let Some(role) = &self.role_arn {
            args.extend(["--role-arn", role.as_str()]);
        }
        args
    }
}

/// Cluster states in which the API server answers, so a kubeconfig is useful.
/// UPDATING is included because a version upgrade or config change keeps the
/// endpoint serving (update-kubeconfig accepts it for the same reason).
const USABLE_STATUSES: &[&str] = &["ACTIVE", "UPDATING"];

/// Why a described cluster cannot produce a kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterProblem {
    #[error(
        "EKS cluster {name:?} in {region} is {status}, so its API server is not available. A kubeconfig can only be built for an ACTIVE (or UPDATING) cluster: wait until the cluster is ACTIVE (`aws eks wait cluster-active --name {name} --region {region}`), or make this data source depend on the resource that creates it."
    )]
    NotActive {
        name: String,
        region: String,
        status: String,
    },
    #[error(
        "EKS cluster {name:?} in {region} has no {field} in its DescribeCluster response, so no kubeconfig can point at it. Check the cluster in the EKS console; an ACTIVE cluster always has one."
    )]
    Incomplete {
        name: String,
        region: String,
        field: &'static str,
    },
}

/// What the caller asked for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigRequest {
    pub cluster_name: String,
    pub region: String,
    pub aws_profile: Option<String>,
    pub role_arn: Option<String>,
    pub context_name: Option<String>,
}

/// Combines the request with DescribeCluster's answer.
pub fn spec_from_cluster(
    req: &KubeconfigRequest,
    cluster: &aws_sdk_eks::types::Cluster,
) -> Result<KubeconfigSpec, ClusterProblem> {
    let status = cluster
        .status()
        .map(|s| s.as_str())
        .unwrap_or("in an unknown state");
    if !USABLE_STATUSES.contains(&status) {
        return Err(ClusterProblem::NotActive {
            name: req.cluster_name.clone(),
            region: req.region.clone(),
            status: status.to_string(),
        });
    }
    let missing = |field| ClusterProblem::Incomplete {
        name: req.cluster_name.clone(),
        region: req.region.clone(),
        field,
    };
    let non_empty = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_string);
    let cluster_arn = non_empty(cluster.arn()).ok_or_else(|| missing("ARN"))?;
    let endpoint = non_empty(cluster.endpoint()).ok_or_else(|| missing("endpoint"))?;
    let certificate_authority_data =
        non_empty(cluster.certificate_authority().and_then(|c| c.data()))
            .ok_or_else(|| missing("certificate authority data"))?;
    Ok(KubeconfigSpec {
        cluster_name: req.cluster_name.clone(),
        cluster_arn,
        endpoint,
        certificate_authority_data,
        region: req.region.clone(),
        aws_profile: req.aws_profile.clone(),
        role_arn: req.role_arn.clone(),
        context_name: req.context_name.clone(),
    })
}

/// The data source. Holds the provider's shared state, from which AWS clients
/// are built on first use.
pub struct Kubeconfig {
    state: Arc<ProviderState>,
}

impl Kubeconfig {
    pub fn new(state: Arc<ProviderState>) -> Kubeconfig {
        Kubeconfig { state }
    }
}

pub fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "A kubeconfig for one EKS cluster, read with a single `DescribeCluster`. Its user entry is what `aws eks update-kubeconfig --profile P` writes: an exec plugin (`client.authentication.k8s.io/v1beta1`) running `aws --region R eks get-token --cluster-name N --output json`, with `AWS_PROFILE` set when `aws_profile` is given, plus `interactiveMode: Never` so that a missing or expired SSO token is reported as an error (run `aws sso login --profile P`) instead of a hidden login prompt. The cluster must be ACTIVE (or UPDATING).".to_string(),
            attributes: vec![
                Attribute::required("cluster_name", CtyType::String, "Name of the EKS cluster, e.g. `prod`, in `region` (default: the provider's `region`) and the cluster-side account."),
                Attribute::optional_computed(
                    "region",
                    CtyType::String,
                    "Region of the cluster. Defaults to the provider's `region`.",
                ),
                Attribute::optional(
                    "aws_profile",
                    CtyType::String,
                    "AWS CLI profile the exec plugin uses (exported as `AWS_PROFILE`), typically the SSO profile from `eks_sso_cli_profile`. When unset, the CLI's default credential chain applies.",
                ),
                Attribute::optional(
                    "role_arn",
                    CtyType::String,
                    "IAM role the exec plugin assumes before signing the token (`aws eks get-token --role-arn`).",
                ),
                Attribute::optional_computed(
                    "context_name",
                    CtyType::String,
                    "Name of the kubeconfig context (also the current context). Defaults to the cluster ARN, as `aws eks update-kubeconfig` does.",
                ),
                Attribute::computed("arn", CtyType::String, "ARN of the cluster; also the kubeconfig's cluster and user name."),
                Attribute::computed("endpoint", CtyType::String, "URL of the cluster's Kubernetes API server."),
                Attribute::computed(
                    "certificate_authority_data",
                    CtyType::String,
                    "Base64-encoded certificate authority of the API server.",
                ),
                Attribute::computed(
                    "kubeconfig",
                    CtyType::String,
                    "The kubeconfig YAML. It holds no credentials: the token is fetched by the AWS CLI whenever kubectl needs one.",
                ),
            ],
            ..Block::default()
        },
    }
}

/// Offline checks with attribute paths; unknown values pass.
pub fn validate_config(config: &Value) -> Diagnostics {
    check_args(
        config,
        &[
            (
                "cluster_name",
                "Invalid cluster name",
                validate::eks_cluster_name,
            ),
            ("region", "Invalid region", validate::region),
            ("aws_profile", "Invalid profile name", profile_name),
            ("role_arn", "Invalid role ARN", validate::iam_role_arn),
            ("context_name", "Invalid context name", context_name),
        ],
    )
}

fn context_name(s: &str) -> Result<(), String> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        Err(format!(
            "{s:?} cannot name a kubeconfig context: use a non-empty name without control characters, such as \"admin@my-cluster\", or remove the argument to use the cluster ARN."
        ))
    } else {
        Ok(())
    }
}

impl Kubeconfig {
    async fn read_config(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let d = validate_config(config);
        if d.has_errors() {
            return Err(d);
        }
        let clients = self.state.clients().await?;
        let cluster_name = opt_string(config, "cluster_name").unwrap_or_default();
        let region = opt_string(config, "region").unwrap_or_else(|| clients.region.clone());
        let req = KubeconfigRequest {
            cluster_name: cluster_name.clone(),
            region: region.clone(),
            aws_profile: opt_string(config, "aws_profile"),
            role_arn: opt_string(config, "role_arn"),
            context_name: opt_string(config, "context_name"),
        };

        // The provider's client already targets its region; another region
        // reuses its credentials, retries and endpoint override.
        let eks = if region == clients.region {
            clients.eks.clone()
        } else {
            let conf = clients
                .eks
                .config()
                .to_builder()
                .region(aws_sdk_eks::config::Region::new(region.clone()))
                .build();
            aws_sdk_eks::Client::from_conf(conf)
        };
        let call = eks.describe_cluster().name(&cluster_name).send();
        let result = tokio::select! {
            r = call => r.aws(Service::Eks, "DescribeCluster"),
            () = ctx.cancel.cancelled() => Err(AwsError::cancelled(Service::Eks, "DescribeCluster")),
        };
        let out = match result {
            Ok(out) => out,
            Err(e) if e.is_not_found() => {
                let account = clients.cluster_account_id().await.ok();
                return Err(Diagnostics(vec![not_found_diagnostic(
                    &cluster_name,
                    &region,
                    account.as_deref(),
                    &e,
                )]));
            }
            Err(e) => {
                return Err(e
                    .about(format!("EKS cluster {cluster_name} in {region}"))
                    .to_diagnostics("Could not read the EKS cluster"));
            }
        };
        let Some(cluster) = out.cluster() else {
            return Err(Diagnostics::from_error(
                "Could not read the EKS cluster",
                format!("DescribeCluster for {cluster_name:?} in {region} returned no cluster."),
            ));
        };
        let spec = spec_from_cluster(&req, cluster).map_err(|p| {
            let mut d = Diagnostics::new();
            d.attribute_error(
                AttributePath::attr("cluster_name"),
                "EKS cluster not usable",
                p.to_string(),
            );
            d
        })?;
        Ok(state_value(&spec))
    }
}

fn not_found_diagnostic(
    name: &str,
    region: &str,
    account: Option<&str>,
    err: &AwsError,
) -> Diagnostic {
    let account = account
        .map(|a| format!("account {a}"))
        .unwrap_or_else(|| "the provider's account".to_string());
    Diagnostic {
        severity: Severity::Error,
        summary: "EKS cluster not found".to_string(),
        detail: format!(
            "No EKS cluster named {name:?} exists in {region} in {account} (AWS said: {msg}). Check the name with `aws eks list-clusters --region {region}`; if the cluster is in another region or account, set `region` here or use a provider configured for that account.",
            msg = err.message,
        ),
        attribute: Some(AttributePath::attr("cluster_name")),
    }
}

/// The data source's state: inputs with defaults applied, and the outputs.
fn state_value(spec: &KubeconfigSpec) -> Value {
    let s = |v: &str| Value::string(v);
    let opt = |v: &Option<String>| v.as_deref().map(Value::string).unwrap_or(Value::Null);
    object([
        ("cluster_name", s(&spec.cluster_name)),
        ("region", s(&spec.region)),
        ("aws_profile", opt(&spec.aws_profile)),
        ("role_arn", opt(&spec.role_arn)),
        ("context_name", s(spec.context_name())),
        ("arn", s(&spec.cluster_arn)),
        ("endpoint", s(&spec.endpoint)),
        (
            "certificate_authority_data",
            s(&spec.certificate_authority_data),
        ),
        ("kubeconfig", Value::String(render_kubeconfig(spec))),
    ])
}

#[async_trait]
impl DataSource for Kubeconfig {
    fn type_name(&self) -> &'static str {
        "eks_kubeconfig"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics) {
        read_response(self.read_config(ctx, &config).await)
    }
}

/// Renders the kubeconfig: one cluster, one user, one context (the current
/// one). Keys are in the order update-kubeconfig writes them.
pub fn render_kubeconfig(spec: &KubeconfigSpec) -> String {
    let arn = spec.cluster_arn.as_str();
    let context = spec.context_name();
    let mut y = YamlWriter::default();
    y.line(0, "apiVersion", Some("v1"));
    y.line(0, "clusters", None);
    y.item_key(0, "cluster", None);
    y.line(
        2,
        "certificate-authority-data",
        Some(&spec.certificate_authority_data),
    );
    y.line(2, "server", Some(&spec.endpoint));
    y.line(1, "name", Some(arn));
    y.line(0, "contexts", None);
    y.item_key(0, "context", None);
    y.line(2, "cluster", Some(arn));
    y.line(2, "user", Some(arn));
    y.line(1, "name", Some(context));
    y.line(0, "current-context", Some(context));
    y.line(0, "kind", Some("Config"));
    y.raw(0, "preferences: {}");
    y.line(0, "users", None);
    y.item_key(0, "name", Some(arn));
    y.line(1, "user", None);
    y.line(2, "exec", None);
    y.line(3, "apiVersion", Some(EXEC_API_VERSION));
    y.line(3, "args", None);
    for arg in spec.exec_args() {
        y.item(3, arg);
    }
    y.line(3, "command", Some("aws"));
    if let Some(profile) = &spec.aws_profile {
        y.line(3, "env", None);
        y.item_key(3, "name", Some("AWS_PROFILE"));
        y.line(4, "value", Some(profile));
    }
    y.line(3, "interactiveMode", Some("Never"));
    y.finish()
}

/// A line-oriented writer for block-style YAML with two-space indentation,
/// where sequence items sit at their parent key's indentation (the style
/// kubectl and the AWS CLI write).
#[derive(Default)]
struct YamlWriter {
    out: String,
}

impl YamlWriter {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str("  ");
        }
    }

    /// `key: value`, or `key:` opening a nested block when `value` is `None`.
    fn line(&mut self, level: usize, key: &str, value: Option<&str>) {
        self.indent(level);
        self.out.push_str(key);
        self.out.push(':');
        if let Some(v) = value {
            self.out.push(' ');
            self.out.push_str(&yaml_scalar(v));
        }
        self.out.push('\n');
    }

    /// `- key: value`: the first key of a mapping that is a sequence item.
    fn item_key(&mut self, level: usize, key: &str, value: Option<&str>) {
        self.indent(level);
        self.out.push_str("- ");
        self.out.push_str(key);
        self.out.push(':');
        if let Some(v) = value {
            self.out.push(' ');
            self.out.push_str(&yaml_scalar(v));
        }
        self.out.push('\n');
    }

    /// `- value`: a scalar sequence item.
    fn item(&mut self, level: usize, value: &str) {
        self.indent(level);
        self.out.push_str("- ");
        self.out.push_str(&yaml_scalar(value));
        self.out.push('\n');
    }

    fn raw(&mut self, level: usize, text: &str) {
        self.indent(level);
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn finish(self) -> String {
        self.out
    }
}

/// Words YAML 1.1 reads as booleans or null. kubectl (through sigs.k8s.io/yaml
/// and go-yaml) still follows 1.1, so `no` or `on` as a plain scalar would
/// turn a string into a bool.
const YAML_RESERVED_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
];

/// `s` as a YAML scalar: plain when that is unambiguous, otherwise
/// double-quoted with escapes.
///
/// Plain is used only for a conservative character set that cannot start a
/// number, date, anchor, tag, comment or flow collection, so names, ARNs,
/// regions, URLs, base64 data and `--flags` stay readable while anything
/// unusual is quoted.
pub fn yaml_scalar(s: &str) -> String {
    if is_safe_plain(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

fn is_safe_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let body_ok = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:@+=".contains(b));
    let start_ok = first.is_ascii_alphabetic()
        || first == b'_'
        || first == b'/'
        || (first == b'-'
            && bytes
                .get(1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'-'));
    let reserved = YAML_RESERVED_WORDS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(s));
    body_ok && start_ok && !reserved && !s.ends_with(':')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            // C0/C1 controls and the characters YAML treats as line breaks or
            // byte-order marks must be escaped inside double quotes.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support;
    use super::*;

    fn spec() -> KubeconfigSpec {
        KubeconfigSpec {
            cluster_name: "demo".into(),
            cluster_arn: "arn:aws:eks:eu-west-1:111122223333:cluster/demo".into(),
            endpoint: "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com".into(),
            certificate_authority_data: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==".into(),
            region: "eu-west-1".into(),
            aws_profile: None,
            role_arn: None,
            context_name: None,
        }
    }

    #[test]
    fn renders_update_kubeconfig_layout_without_profile() {
        let expected = "\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:111122223333:cluster/demo
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/demo
    user: arn:aws:eks:eu-west-1:111122223333:cluster/demo
  name: arn:aws:eks:eu-west-1:111122223333:cluster/demo
current-context: arn:aws:eks:eu-west-1:111122223333:cluster/demo
kind: Config
preferences: {}
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/demo
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - demo
      - --output
      - json
      command: aws
      interactiveMode: Never
";
        assert_eq!(render_kubeconfig(&spec()), expected);
    }

    #[test]
    fn renders_profile_role_and_context() {
        let mut s = spec();
        s.aws_profile = Some("EKSClusterAdminAccess-EKSAccount1".into());
        s.role_arn = Some("arn:aws:iam::111122223333:role/EKSClusterCreator".into());
        s.context_name = Some("admin@demo".into());
        let expected = "\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:111122223333:cluster/demo
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/demo
    user: arn:aws:eks:eu-west-1:111122223333:cluster/demo
  name: admin@demo
current-context: admin@demo
kind: Config
preferences: {}
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/demo
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - demo
      - --output
      - json
      - --role-arn
      - arn:aws:iam::111122223333:role/EKSClusterCreator
      command: aws
      env:
      - name: AWS_PROFILE
        value: EKSClusterAdminAccess-EKSAccount1
      interactiveMode: Never
";
        assert_eq!(render_kubeconfig(&s), expected);
    }

    #[test]
    fn plain_scalars_only_when_unambiguous() {
        for plain in [
            "demo",
            "--region",
            "arn:aws:eks:us-east-1:123456789012:cluster/a_b-c",
            "https://x.example.com:443/path",
            "LS0t+/ab==",
            "admin",
        ] {
            assert_eq!(yaml_scalar(plain), plain, "{plain} should stay plain");
        }
        let quoted = [
            ("", "\"\""),
            ("yes", "\"yes\""),
            ("No", "\"No\""),
            ("on", "\"on\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("123", "\"123\""),
            ("1e5", "\"1e5\""),
            ("-1", "\"-1\""),
            (".inf", "\".inf\""),
            ("@team", "\"@team\""),
            ("a b", "\"a b\""),
            ("key:", "\"key:\""),
            ("a#b", "\"a#b\""),
            ("x: y", "\"x: y\""),
            ("[a]", "\"[a]\""),
            ("say \"hi\"\\", "\"say \\\"hi\\\"\\\\\""),
            ("line\nbreak\ttab", "\"line\\nbreak\\ttab\""),
            ("bell\u{7}", "\"bell\\x07\""),
            ("sep\u{2028}", "\"sep\\u2028\""),
            ("café", "\"café\""),
        ];
        for (input, expected) in quoted {
            assert_eq!(yaml_scalar(input), expected, "quoting {input:?}");
        }
    }

    fn request() -> KubeconfigRequest {
        KubeconfigRequest {
            cluster_name: "demo".into(),
            region: "eu-west-1".into(),
            aws_profile: Some("sso-admin".into()),
            role_arn: None,
            context_name: None,
        }
    }

    fn cluster(status: &str) -> aws_sdk_eks::types::Cluster {
        aws_sdk_eks::types::Cluster::builder()
            .name("demo")
            .arn("arn:aws:eks:eu-west-1:111122223333:cluster/demo")
            .endpoint("https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com")
            .certificate_authority(
                aws_sdk_eks::types::Certificate::builder()
                    .data("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==")
                    .build(),
            )
            .status(aws_sdk_eks::types::ClusterStatus::from(status))
            .build()
    }

    #[test]
    fn active_and_updating_clusters_give_a_spec() {
        for status in ["ACTIVE", "UPDATING"] {
            let s = spec_from_cluster(&request(), &cluster(status)).unwrap();
            assert_eq!(
                s.cluster_arn,
                "arn:aws:eks:eu-west-1:111122223333:cluster/demo"
            );
            assert_eq!(s.context_name(), s.cluster_arn);
            assert_eq!(s.aws_profile.as_deref(), Some("sso-admin"));
            assert_eq!(s.exec_args()[..2], ["--region", "eu-west-1"]);
        }
    }

    #[test]
    fn other_statuses_are_refused_with_the_status() {
        for status in ["CREATING", "DELETING", "FAILED", "PENDING"] {
            let e = spec_from_cluster(&request(), &cluster(status)).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(&format!("is {status}")), "{text}");
            assert!(text.contains("\"demo\" in eu-west-1"), "{text}");
            assert!(text.contains("aws eks wait cluster-active"), "{text}");
        }
    }

    #[test]
    fn missing_endpoint_or_ca_is_refused() {
        let mut c = cluster("ACTIVE");
        c.endpoint = None;
        let e = spec_from_cluster(&request(), &c).unwrap_err();
        assert!(e.to_string().contains("no endpoint"), "{e}");
        let mut c = cluster("ACTIVE");
        c.certificate_authority = None;
        let e = spec_from_cluster(&request(), &c).unwrap_err();
        assert!(e.to_string().contains("certificate authority"), "{e}");
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        test_support::config(&schema(), pairs)
    }

    #[test]
    fn validation_points_at_each_bad_argument() {
        let ok = config(&[
            ("cluster_name", Value::string("demo")),
            ("region", Value::string("eu-west-1")),
            (
                "aws_profile",
                Value::string("EKSClusterAdminAccess-EKSAccount1"),
            ),
            (
                "role_arn",
                Value::string("arn:aws:iam::111122223333:role/EKSClusterCreator"),
            ),
            ("context_name", Value::string("admin@demo")),
        ]);
        assert!(!validate_config(&ok).has_errors());

        let bad = config(&[
            ("cluster_name", Value::string("-demo")),
            ("region", Value::string("mars-1")),
            ("aws_profile", Value::string("a b")),
            ("role_arn", Value::string("EKSClusterCreator")),
            ("context_name", Value::string("")),
        ]);
        let d = validate_config(&bad);
        assert_eq!(
            test_support::error_paths(&d),
            [
                "cluster_name",
                "region",
                "aws_profile",
                "role_arn",
                "context_name"
            ]
        );

        let unknown = config(&[("cluster_name", Value::Unknown(None))]);
        assert!(!validate_config(&unknown).has_errors());
    }

    #[test]
    fn not_found_names_cluster_region_and_account() {
        let e = AwsError::new(
            Service::Eks,
            "DescribeCluster",
            crate::aws::ErrorKind::Service { status: 404 },
            "No cluster found for name: nope.",
        );
        let d = not_found_diagnostic("nope", "eu-west-1", Some("111122223333"), &e);
        assert!(d.detail.contains("\"nope\""), "{}", d.detail);
        assert!(d.detail.contains("eu-west-1"), "{}", d.detail);
        assert!(d.detail.contains("account 111122223333"), "{}", d.detail);
        assert!(
            d.detail.contains("No cluster found for name: nope."),
            "{}",
            d.detail
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("cluster_name")));
    }

    #[test]
    fn state_has_every_schema_attribute() {
        let v = state_value(&spec());
        for a in schema().block.attributes {
            assert!(
                matches!(v, Value::Object(ref m) if m.contains_key(&a.name)),
                "missing {}",
                a.name
            );
        }
        assert_eq!(
            v.attr("context_name").as_str(),
            Some("arn:aws:eks:eu-west-1:111122223333:cluster/demo")
        );
        assert_eq!(
            v.attr("kubeconfig").as_str(),
            Some(render_kubeconfig(&spec()).as_str())
        );
        assert!(v.attr("aws_profile").is_null());
    }
}
