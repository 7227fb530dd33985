//! Data source `eks_sso_cli_profile`: the `~/.aws/config` text that lets a
//! person use a permission set from the command line, in the shape
//! `aws configure sso` writes (an `[sso-session]` section shared by profiles,
//! and a `[profile]` naming the account and permission set), plus an optional
//! chained profile that assumes a role through it (seed J1's creator role).
//!
//! Rendering is pure. The only AWS call is the identity-store lookup behind
//! the default start URL, made only when `start_url` is not set.

use std::sync::Arc;

use async_trait::async_trait;

use crate::provider::ProviderState;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::framework::{Ctx, DataSource};
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;
use crate::validate;

use super::common::{check_args, object, opt_string, read_response};

/// The scope `aws configure sso` registers: enough to list accounts and roles
/// and fetch role credentials.
pub const SSO_REGISTRATION_SCOPES: &str = "sso:account:access";

/// A role the rendered SSO profile can assume, written as its own profile with
/// `source_profile` pointing at the SSO profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedProfile {
    pub profile_name: String,
    pub role_arn: String,
}

/// Everything the config text is rendered from, defaults already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliProfileSpec {
    pub profile_name: String,
    pub account_id: String,
    pub permission_set_name: String,
    pub region: String,
    pub output: String,
    pub sso_session_name: String,
    pub start_url: String,
    pub sso_region: String,
    pub chained: Option<ChainedProfile>,
}

/// Renders the config text. Every value has been validated to be a single
/// token without whitespace, so no INI quoting is needed.
pub fn render_config(spec: &CliProfileSpec) -> String {
    let mut out = String::new();
    section(&mut out, &format!("sso-session {}", spec.sso_session_name));
    entry(&mut out, "sso_start_url", &spec.start_url);
    entry(&mut out, "sso_region", &spec.sso_region);
    entry(&mut out, "sso_registration_scopes", SSO_REGISTRATION_SCOPES);

    out.push('\n');
    section(&mut out, &format!("profile {}", spec.profile_name));
    entry(&mut out, "sso_session", &spec.sso_session_name);
    entry(&mut out, "sso_account_id", &spec.account_id);
    entry(&mut out, "sso_role_name", &spec.permission_set_name);
    entry(&mut out, "region", &spec.region);
    entry(&mut out, "output", &spec.output);

    if let Some(chained) = &spec.chained {
        out.push('\n');
        section(&mut out, &format!("profile {}", chained.profile_name));
        entry(&mut out, "role_arn", &chained.role_arn);
        entry(&mut out, "source_profile", &spec.profile_name);
        entry(&mut out, "region", &spec.region);
        entry(&mut out, "output", &spec.output);
    }
    out
}

fn section(out: &mut String, name: &str) {
    out.push('[');
    out.push_str(name);
    out.push_str("]\n");
}

fn entry(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push('\n');
}

/// The AWS access portal URL Identity Center gives every instance until an
/// administrator customizes it.
pub fn default_start_url(identity_store_id: &str) -> String {
    format!("https://{identity_store_id}.awsapps.com/start")
}

/// Output formats the AWS CLI accepts for `output`.
const OUTPUT_FORMATS: &[&str] = &["json", "text", "table", "yaml", "yaml-stream"];

/// A profile or sso-session name that can be written into an INI section
/// header and an environment variable unquoted: letters, digits and
/// `_.@+=,-`, starting with a letter, digit or underscore.
pub fn profile_name(s: &str) -> Result<(), String> {
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.@+=,-".contains(c));
    if first_ok && rest_ok && s.len() <= 128 {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a usable AWS CLI profile name: use 1 to 128 letters, digits and _.@+=,- starting with a letter, digit or underscore, such as \"EKSClusterAdminAccess-111122223333\"."
        ))
    }
}

/// The AWS access portal URL: https, with a host, no whitespace.
pub fn start_url(s: &str) -> Result<(), String> {
    if s.starts_with("https://") && validate::http_url(s).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS access portal URL. Use the https URL shown in IAM Identity Center settings, such as \"https://d-1234567890.awsapps.com/start\", or remove the argument to use the identity store's default portal URL."
        ))
    }
}

fn output_format(s: &str) -> Result<(), String> {
    if OUTPUT_FORMATS.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS CLI output format: use one of {}.",
            OUTPUT_FORMATS.join(", ")
        ))
    }
}

/// The data source. Holds the provider's shared state; the Identity Center
/// instance is looked up only when `start_url` is not given.
pub struct SsoCliProfile {
    state: Arc<ProviderState>,
}

impl SsoCliProfile {
    pub fn new(state: Arc<ProviderState>) -> SsoCliProfile {
        SsoCliProfile { state }
    }
}

pub fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Renders `~/.aws/config` text for using a permission set from the AWS CLI and kubectl, in the shape `aws configure sso` writes: an `[sso-session NAME]` section and a `[profile NAME]` for the account and permission set, optionally followed by a profile that assumes a role through it (for example a cluster creator role). Only the default `start_url` needs an AWS call (to find the identity store ID).".to_string(),
            attributes: vec![
                Attribute::required("profile_name", CtyType::String, "Name of the SSO profile, e.g. `EKSClusterAdminAccess-EKSAccount1`."),
                Attribute::required("account_id", CtyType::String, "12-digit ID of the account the permission set is assigned in."),
                Attribute::required(
                    "permission_set_name",
                    CtyType::String,
                    "Name of the permission set; written as `sso_role_name`.",
                ),
                Attribute::optional_computed(
                    "region",
                    CtyType::String,
                    "Default region for commands run with the profile. Defaults to the provider's `region`.",
                ),
                Attribute::optional_computed("output", CtyType::String, "CLI output format: json (default), text, table, yaml or yaml-stream."),
                Attribute::optional_computed(
                    "sso_session_name",
                    CtyType::String,
                    "Name of the `[sso-session]` section. Defaults to `sso`.",
                ),
                Attribute::optional_computed(
                    "start_url",
                    CtyType::String,
                    "AWS access portal URL. Defaults to the identity store's default portal URL, `https://<identity-store-id>.awsapps.com/start`; set it if your portal URL was customized.",
                ),
                Attribute::optional_computed(
                    "sso_region",
                    CtyType::String,
                    "IAM Identity Center's home region. Defaults to the provider's SSO region (`sso.region`, else `region`).",
                ),
                Attribute::optional(
                    "assume_role_arn",
                    CtyType::String,
                    "Adds a profile that assumes this role with the SSO profile's credentials (`source_profile`). Requires `assume_role_profile_name`.",
                ),
                Attribute::optional(
                    "assume_role_profile_name",
                    CtyType::String,
                    "Name of the profile that assumes `assume_role_arn`.",
                ),
                Attribute::computed("config", CtyType::String, "The config file text. It holds no credentials."),
            ],
            ..Block::default()
        },
    }
}

/// Offline checks with attribute paths; unknown values pass.
pub fn validate_config(config: &Value) -> Diagnostics {
    let profile = "Invalid profile name";
    let mut d = check_args(
        config,
        &[
            ("profile_name", profile, profile_name),
            ("account_id", "Invalid account ID", validate::account_id),
            (
                "permission_set_name",
                "Invalid permission set name",
                validate::permission_set_name,
            ),
            ("region", "Invalid region", validate::region),
            ("sso_region", "Invalid region", validate::region),
            ("output", "Invalid output format", output_format),
            ("sso_session_name", profile, profile_name),
            ("start_url", "Invalid start URL", start_url),
            (
                "assume_role_arn",
                "Invalid role ARN",
                validate::iam_role_arn,
            ),
            ("assume_role_profile_name", profile, profile_name),
        ],
    );

    // The chained profile needs both arguments; unknown counts as present.
    let role = config.attr("assume_role_arn");
    let chained = config.attr("assume_role_profile_name");
    if !role.is_null() && chained.is_null() {
        d.attribute_error(
            AttributePath::attr("assume_role_profile_name"),
            "Missing assume_role_profile_name",
            "assume_role_arn adds a profile that assumes the role, and that profile needs a name: set assume_role_profile_name (for example \"eks-cluster-creator\").",
        );
    }
    if role.is_null() && !chained.is_null() {
        d.attribute_error(
            AttributePath::attr("assume_role_arn"),
            "Missing assume_role_arn",
            "assume_role_profile_name names a profile that assumes a role: set assume_role_arn to that role's ARN, or remove assume_role_profile_name.",
        );
    }
    if let (Some(a), Some(b)) = (config.attr("profile_name").as_str(), chained.as_str())
        && a == b
    {
        d.attribute_error(
            AttributePath::attr("assume_role_profile_name"),
            "Profile names collide",
            format!(
                "assume_role_profile_name and profile_name are both {a:?}; the chained profile needs its own name because its source_profile is the SSO profile."
            ),
        );
    }
    d
}

impl SsoCliProfile {
    async fn read_config(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let d = validate_config(config);
        if d.has_errors() {
            return Err(d);
        }
        let clients = self.state.clients().await?;
        let start_url = match opt_string(config, "start_url") {
            Some(url) => url,
            None => {
                let instance = clients.sso_instance(ctx).await.map_err(|e| {
                    e.to_diagnostics_at(
                        "Could not find the AWS access portal URL",
                        AttributePath::attr("start_url"),
                    )
                })?;
                default_start_url(&instance.identity_store_id)
            }
        };
        let chained = match (
            opt_string(config, "assume_role_arn"),
            opt_string(config, "assume_role_profile_name"),
        ) {
            (Some(role_arn), Some(profile_name)) => Some(ChainedProfile {
                profile_name,
                role_arn,
            }),
            _ => None,
        };
        let spec = CliProfileSpec {
            profile_name: opt_string(config, "profile_name").unwrap_or_default(),
            account_id: opt_string(config, "account_id").unwrap_or_default(),
            permission_set_name: opt_string(config, "permission_set_name").unwrap_or_default(),
            region: opt_string(config, "region").unwrap_or_else(|| clients.region.clone()),
            output: opt_string(config, "output").unwrap_or_else(|| "json".to_string()),
            sso_session_name: opt_string(config, "sso_session_name")
                .unwrap_or_else(|| "sso".to_string()),
            start_url,
            sso_region: opt_string(config, "sso_region")
                .unwrap_or_else(|| clients.sso_region.clone()),
            chained,
        };
        Ok(state_value(&spec))
    }
}

/// The data source's state: inputs with defaults applied, and `config`.
fn state_value(spec: &CliProfileSpec) -> Value {
    let s = |v: &str| Value::string(v);
    let (role, chained_name) = match &spec.chained {
        Some(c) => (s(&c.role_arn), s(&c.profile_name)),
        None => (Value::Null, Value::Null),
    };
    object([
        ("profile_name", s(&spec.profile_name)),
        ("account_id", s(&spec.account_id)),
        ("permission_set_name", s(&spec.permission_set_name)),
        ("region", s(&spec.region)),
        ("output", s(&spec.output)),
        ("sso_session_name", s(&spec.sso_session_name)),
        ("start_url", s(&spec.start_url)),
        ("sso_region", s(&spec.sso_region)),
        ("assume_role_arn", role),
        ("assume_role_profile_name", chained_name),
        ("config", Value::String(render_config(spec))),
    ])
}

#[async_trait]
impl DataSource for SsoCliProfile {
    fn type_name(&self) -> &'static str {
        "eks_sso_cli_profile"
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

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{self, error_paths};
    use super::*;

    fn spec() -> CliProfileSpec {
        CliProfileSpec {
            profile_name: "EKSClusterAdminAccess-EKSAccount1".into(),
            account_id: "111222333444".into(),
            permission_set_name: "EKSClusterAdminAccess".into(),
            region: "us-east-1".into(),
            output: "json".into(),
            sso_session_name: "sso".into(),
            start_url: default_start_url("d-1234567890"),
            sso_region: "us-east-1".into(),
            chained: None,
        }
    }

    #[test]
    fn renders_sso_session_and_profile() {
        let expected = "\
[sso-session sso]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile EKSClusterAdminAccess-EKSAccount1]
sso_session = sso
sso_account_id = 111222333444
sso_role_name = EKSClusterAdminAccess
region = us-east-1
output = json
";
        assert_eq!(render_config(&spec()), expected);
    }

    #[test]
    fn renders_chained_role_profile() {
        let mut s = spec();
        s.sso_session_name = "corp".into();
        s.region = "eu-west-1".into();
        s.output = "yaml".into();
        s.chained = Some(ChainedProfile {
            profile_name: "eks-creator".into(),
            role_arn: "arn:aws:iam::111222333444:role/EKSClusterCreator".into(),
        });
        let expected = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile EKSClusterAdminAccess-EKSAccount1]
sso_session = corp
sso_account_id = 111222333444
sso_role_name = EKSClusterAdminAccess
region = eu-west-1
output = yaml

[profile eks-creator]
role_arn = arn:aws:iam::111222333444:role/EKSClusterCreator
source_profile = EKSClusterAdminAccess-EKSAccount1
region = eu-west-1
output = yaml
";
        assert_eq!(render_config(&s), expected);
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        test_support::config(&schema(), pairs)
    }

    fn valid() -> Vec<(&'static str, Value)> {
        vec![
            (
                "profile_name",
                Value::string("EKSClusterAdminAccess-EKSAccount1"),
            ),
            ("account_id", Value::string("111222333444")),
            (
                "permission_set_name",
                Value::string("EKSClusterAdminAccess"),
            ),
        ]
    }

    #[test]
    fn accepts_a_minimal_and_a_full_config() {
        assert!(!validate_config(&config(&valid())).has_errors());
        let mut full = valid();
        full.extend([
            ("region", Value::string("eu-west-1")),
            ("output", Value::string("yaml-stream")),
            ("sso_session_name", Value::string("corp")),
            (
                "start_url",
                Value::string("https://my-portal.awsapps.com/start"),
            ),
            ("sso_region", Value::string("us-east-1")),
            (
                "assume_role_arn",
                Value::string("arn:aws:iam::111222333444:role/EKSClusterCreator"),
            ),
            ("assume_role_profile_name", Value::string("eks-creator")),
        ]);
        let d = validate_config(&config(&full));
        assert!(!d.has_errors(), "{d:?}");
    }

    #[test]
    fn rejects_bad_inputs_with_their_paths() {
        let bad = config(&[
            ("profile_name", Value::string("my profile]")),
            ("account_id", Value::string("12345")),
            ("permission_set_name", Value::string("Admin*")),
            ("region", Value::string("EU-WEST-1")),
            ("output", Value::string("xml")),
            ("sso_session_name", Value::string("[x")),
            ("start_url", Value::string("http://d-123.awsapps.com/start")),
            ("sso_region", Value::string("useast1")),
        ]);
        let d = validate_config(&bad);
        assert_eq!(
            error_paths(&d),
            [
                "profile_name",
                "account_id",
                "permission_set_name",
                "region",
                "sso_region",
                "output",
                "sso_session_name",
                "start_url",
            ]
        );
        assert!(d.0[1].detail.contains("12-digit"), "{}", d.0[1].detail);
        assert!(d.0[5].detail.contains("yaml-stream"), "{}", d.0[5].detail);
    }

    #[test]
    fn chained_profile_needs_both_arguments_and_its_own_name() {
        let mut only_role = valid();
        only_role.push((
            "assume_role_arn",
            Value::string("arn:aws:iam::111222333444:role/X"),
        ));
        assert_eq!(
            error_paths(&validate_config(&config(&only_role))),
            ["assume_role_profile_name"]
        );

        let mut only_name = valid();
        only_name.push(("assume_role_profile_name", Value::string("x")));
        assert_eq!(
            error_paths(&validate_config(&config(&only_name))),
            ["assume_role_arn"]
        );

        let mut same = valid();
        same.push((
            "assume_role_arn",
            Value::string("arn:aws:iam::111222333444:role/X"),
        ));
        same.push((
            "assume_role_profile_name",
            Value::string("EKSClusterAdminAccess-EKSAccount1"),
        ));
        let d = validate_config(&config(&same));
        assert_eq!(error_paths(&d), ["assume_role_profile_name"]);
        assert!(d.0[0].summary.contains("collide"));

        let mut bad_arn = valid();
        bad_arn.push((
            "assume_role_arn",
            Value::string("arn:aws:iam::111222333444:user/X"),
        ));
        bad_arn.push(("assume_role_profile_name", Value::string("x")));
        assert_eq!(
            error_paths(&validate_config(&config(&bad_arn))),
            ["assume_role_arn"]
        );
    }

    #[test]
    fn unknown_values_pass_validation() {
        let d = validate_config(&config(&[
            ("profile_name", Value::Unknown(None)),
            ("account_id", Value::Unknown(None)),
            ("permission_set_name", Value::Unknown(None)),
            ("assume_role_arn", Value::Unknown(None)),
            ("assume_role_profile_name", Value::string("creator")),
        ]));
        assert!(!d.has_errors(), "{d:?}");
    }

    #[test]
    fn state_carries_defaults_and_config() {
        let mut s = spec();
        s.chained = Some(ChainedProfile {
            profile_name: "creator".into(),
            role_arn: "arn:aws:iam::111222333444:role/EKSClusterCreator".into(),
        });
        let v = state_value(&s);
        let names: Vec<String> = schema()
            .block
            .attributes
            .iter()
            .map(|a| a.name.clone())
            .collect();
        match &v {
            Value::Object(m) => {
                assert_eq!(m.keys().cloned().collect::<Vec<_>>().len(), names.len())
            }
            other => panic!("not an object: {other:?}"),
        }
        for n in &names {
            assert!(
                matches!(v, Value::Object(ref m) if m.contains_key(n)),
                "missing {n}"
            );
        }
        assert_eq!(v.attr("config").as_str(), Some(render_config(&s).as_str()));
        assert_eq!(v.attr("assume_role_profile_name").as_str(), Some("creator"));
        assert_eq!(v.attr("sso_session_name").as_str(), Some("sso"));
    }
}
