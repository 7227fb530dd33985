//! The provider block as typed Rust, and its static validation.
//!
//! [`validate`] runs in ValidateProviderConfig: offline, tolerant of unknown
//! values, every error at its attribute path with a fix. [`ProviderConfig::from_value`]
//! runs in ConfigureProvider; it repeats the same checks (Terraform may skip
//! validation for some workflows) and records which values were still
//! unknown, so the failure happens only if AWS clients are actually needed.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::tags;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::value::Value;
use crate::validate;

use super::schema::DEFAULT_MAX_RETRIES;

/// Shortest and longest `assume_role.duration` STS accepts.
pub const MIN_SESSION: Duration = Duration::from_secs(15 * 60);
pub const MAX_SESSION: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    /// Credentials for the cluster account.
    pub assume_role: Option<AssumeRole>,
    pub sso: SsoSide,
    pub endpoints: Endpoints,
    /// As configured; see [`ProviderConfig::max_attempts`] for the effective value.
    pub max_retries: Option<u32>,
    pub default_tags: BTreeMap<String, String>,
    /// `plan_checks`: `None` when unset (checks on).
    pub plan_checks: Option<bool>,
    /// Values that were not known yet when Terraform configured the provider
    /// (they depend on resources not yet created).
    pub unknown: Vec<AttributePath>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// The Identity Center side; unset fields fall back as documented on
/// [`ProviderConfig::sso_region`] and [`ProviderConfig::sso_profile`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SsoSide {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// `None` when unset: the provider's files apply.
    pub shared_config_files: Option<Vec<String>>,
    pub shared_credentials_files: Option<Vec<String>>,
    pub instance_arn: Option<String>,
    pub assume_role: Option<AssumeRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoints {
    pub eks: Option<String>,
    pub iam: Option<String>,
    pub sts: Option<String>,
    pub ssoadmin: Option<String>,
    pub identitystore: Option<String>,
}

/// Static checks of a provider config value (see module docs).
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let p = AttributePath::attr;
    validate::check_str(
        &mut d,
        config.attr("region"),
        p("region"),
        "Invalid region",
        validate::region,
    );
    validate::check_not_empty(&mut d, config.attr("profile"), p("profile"), "profile");
    for name in ["shared_config_files", "shared_credentials_files"] {
        for (i, v) in config.attr(name).elements().iter().enumerate() {
            validate::check_not_empty(&mut d, v, p(name).then_index(i), "file path");
        }
    }
    validate_assume_role(&mut d, config.attr("assume_role"), p("assume_role"));

    let sso = config.attr("sso");
    validate::check_str(
        &mut d,
        sso.attr("region"),
        p("sso").then_attr("region"),
        "Invalid region",
        validate::region,
    );
    validate::check_not_empty(
        &mut d,
        sso.attr("profile"),
        p("sso").then_attr("profile"),
        "profile",
    );
    for name in ["shared_config_files", "shared_credentials_files"] {
        let list = sso.attr(name);
        let path = p("sso").then_attr(name);
        if matches!(list, Value::List(items) if items.is_empty()) {
            d.attribute_error(
                path.clone(),
                "Empty file list",
                format!(
                    "sso.{name} is an empty list, which would leave Identity Center calls with no {kind} file. List at least one file, or remove the argument to use the provider's {name}.",
                    kind = if name == "shared_config_files" { "config" } else { "credentials" }
                ),
            );
        }
        for (i, v) in list.elements().iter().enumerate() {
            validate::check_not_empty(&mut d, v, path.clone().then_index(i), "file path");
        }
    }
    validate::check_str(
        &mut d,
        sso.attr("instance_arn"),
        p("sso").then_attr("instance_arn"),
        "Invalid Identity Center instance ARN",
        validate::sso_instance_arn,
    );
    validate_assume_role(
        &mut d,
        sso.attr("assume_role"),
        p("sso").then_attr("assume_role"),
    );

    let endpoints = config.attr("endpoints");
    for name in ["eks", "iam", "sts", "ssoadmin", "identitystore"] {
        validate::check_str(
            &mut d,
            endpoints.attr(name),
            p("endpoints").then_attr(name),
            "Invalid endpoint URL",
            validate::http_url,
        );
    }

    if let Value::Number(n) = config.attr("max_retries") {
        match n.as_i64() {
            Some(v) if (0..=1000).contains(&v) => {}
            _ => d.attribute_error(
                p("max_retries"),
                "Invalid max_retries",
                format!(
                    "max_retries must be a whole number from 0 to 1000, got {}. The default, {DEFAULT_MAX_RETRIES}, suits most uses.",
                    n.as_str()
                ),
            ),
        }
    }

    // Default tags land on the same objects as resource tags, so the same
    // rule applies, `aws:` prefix included.
    tags::check_tags(
        &mut d,
        config.attr("default_tags").attr("tags"),
        p("default_tags").then_attr("tags"),
        None,
    );
    d
}

fn validate_assume_role(d: &mut Diagnostics, block: &Value, path: AttributePath) {
    if !matches!(block, Value::Object(_)) {
        return;
    }
    let at = |name: &str| path.clone().then_attr(name);
    if block.attr("role_arn").is_null() {
        d.attribute_error(
            at("role_arn"),
            "Missing role_arn",
            "An assume_role block needs role_arn, e.g. role_arn = \"arn:aws:iam::111122223333:role/OrganizationAccountAccessRole\"; remove the block to use the credentials as they are.",
        );
    }
    validate::check_str(
        d,
        block.attr("role_arn"),
        at("role_arn"),
        "Invalid role ARN",
        validate::iam_role_arn,
    );
    validate::check_str(
        d,
        block.attr("session_name"),
        at("session_name"),
        "Invalid session name",
        validate::session_name,
    );
    validate::check_str(
        d,
        block.attr("external_id"),
        at("external_id"),
        "Invalid external ID",
        validate::external_id,
    );
    validate::check_str(
        d,
        block.attr("duration"),
        at("duration"),
        "Invalid duration",
        |s| validate::duration_between(s, MIN_SESSION, MAX_SESSION).map(|_| ()),
    );
}

/// Collects known values and remembers the paths of unknown ones.
struct Reader {
    unknown: Vec<AttributePath>,
}

impl Reader {
    fn string(&mut self, v: &Value, path: AttributePath) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Unknown(_) => {
                self.unknown.push(path);
                None
            }
            _ => None,
        }
    }

    fn strings(&mut self, v: &Value, path: AttributePath) -> Vec<String> {
        if v.is_unknown() {
            self.unknown.push(path);
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, e) in v.elements().iter().enumerate() {
            if let Some(s) = self.string(e, path.clone().then_index(i)) {
                out.push(s);
            }
        }
        out
    }

    /// `None` for a null list; otherwise as [`Self::strings`].
    fn optional_strings(&mut self, v: &Value, path: AttributePath) -> Option<Vec<String>> {
        (!v.is_null()).then(|| self.strings(v, path))
    }

    /// A nested block's object; `None` when absent (or unknown, recorded).
    fn block<'v>(&mut self, v: &'v Value, path: AttributePath) -> Option<&'v Value> {
        match v {
            Value::Object(_) => Some(v),
            Value::Unknown(_) => {
                self.unknown.push(path);
                None
            }
            _ => None,
        }
    }

    fn assume_role(&mut self, v: &Value, path: AttributePath) -> Option<AssumeRole> {
        let block = self.block(v, path.clone())?;
        let role_arn = self.string(block.attr("role_arn"), path.clone().then_attr("role_arn"))?;
        let duration = self
            .string(block.attr("duration"), path.clone().then_attr("duration"))
            .and_then(|s| validate::parse_go_duration(&s).ok());
        Some(AssumeRole {
            role_arn,
            session_name: self.string(
                block.attr("session_name"),
                path.clone().then_attr("session_name"),
            ),
            external_id: self.string(block.attr("external_id"), path.then_attr("external_id")),
            duration,
        })
    }
}

impl ProviderConfig {
    /// Reads the configure-time value: validation errors are returned;
    /// unknown values are recorded in [`ProviderConfig::unknown`].
    pub fn from_value(config: &Value) -> Result<ProviderConfig, Diagnostics> {
        let diags = validate(config);
        if diags.has_errors() {
            return Err(diags);
        }
        let p = AttributePath::attr;
        let mut r = Reader {
            unknown: Vec::new(),
        };
        let mut cfg = ProviderConfig {
            region: r.string(config.attr("region"), p("region")),
            profile: r.string(config.attr("profile"), p("profile")),
            shared_config_files: r
                .strings(config.attr("shared_config_files"), p("shared_config_files")),
            shared_credentials_files: r.strings(
                config.attr("shared_credentials_files"),
                p("shared_credentials_files"),
            ),
            assume_role: r.assume_role(config.attr("assume_role"), p("assume_role")),
            ..ProviderConfig::default()
        };
        if let Some(sso) = r.block(config.attr("sso"), p("sso")) {
            cfg.sso = SsoSide {
                region: r.string(sso.attr("region"), p("sso").then_attr("region")),
                profile: r.string(sso.attr("profile"), p("sso").then_attr("profile")),
                shared_config_files: r.optional_strings(
                    sso.attr("shared_config_files"),
                    p("sso").then_attr("shared_config_files"),
                ),
                shared_credentials_files: r.optional_strings(
                    sso.attr("shared_credentials_files"),
                    p("sso").then_attr("shared_credentials_files"),
                ),
                instance_arn: r
                    .string(sso.attr("instance_arn"), p("sso").then_attr("instance_arn")),
                assume_role: r
                    .assume_role(sso.attr("assume_role"), p("sso").then_attr("assume_role")),
            };
        }
        if let Some(e) = r.block(config.attr("endpoints"), p("endpoints")) {
            let at = |n: &str| p("endpoints").then_attr(n);
            cfg.endpoints = Endpoints {
                eks: r.string(e.attr("eks"), at("eks")),
                iam: r.string(e.attr("iam"), at("iam")),
                sts: r.string(e.attr("sts"), at("sts")),
                ssoadmin: r.string(e.attr("ssoadmin"), at("ssoadmin")),
                identitystore: r.string(e.attr("identitystore"), at("identitystore")),
            };
        }
        match config.attr("max_retries") {
            Value::Unknown(_) => r.unknown.push(p("max_retries")),
            v => cfg.max_retries = v.as_i64().and_then(|n| u32::try_from(n).ok()),
        }
        match config.attr("plan_checks") {
            Value::Unknown(_) => r.unknown.push(p("plan_checks")),
            v => cfg.plan_checks = v.as_bool(),
        }
        if let Some(tags_block) = r.block(config.attr("default_tags"), p("default_tags")) {
            match tags_block.attr("tags") {
                Value::Map(m) => {
                    for (k, v) in m {
                        if let Some(s) =
                            r.string(v, p("default_tags").then_attr("tags").then_key(k))
                        {
                            cfg.default_tags.insert(k.clone(), s);
                        }
                    }
                }
                Value::Unknown(_) => r.unknown.push(p("default_tags").then_attr("tags")),
                _ => {}
            }
        }
        cfg.unknown = r.unknown;
        Ok(cfg)
    }

    /// Whether plans check a grant's names against AWS (`plan_checks`,
    /// default on). Off while any provider value is unknown: the clients
    /// cannot be built yet, and a plan must still work then.
    pub fn plan_checks_enabled(&self) -> bool {
        self.unknown.is_empty() && self.plan_checks.unwrap_or(true)
    }

    /// Region of Identity Center calls: `sso.region`, else the provider's.
    pub fn sso_region(&self) -> Option<&str> {
        self.sso.region.as_deref().or(self.region.as_deref())
    }

    /// Profile of Identity Center calls: `sso.profile`, else the provider's.
    pub fn sso_profile(&self) -> Option<&str> {
        self.sso.profile.as_deref().or(self.profile.as_deref())
    }

    /// Config files of Identity Center calls: `sso.shared_config_files`, else
    /// the provider's.
    pub fn sso_shared_config_files(&self) -> &[String] {
        self.sso
            .shared_config_files
            .as_deref()
            .unwrap_or(&self.shared_config_files)
    }

    /// Credentials files of Identity Center calls:
    /// `sso.shared_credentials_files`, else the provider's.
    pub fn sso_shared_credentials_files(&self) -> &[String] {
        self.sso
            .shared_credentials_files
            .as_deref()
            .unwrap_or(&self.shared_credentials_files)
    }

    /// Effective maximum attempts per request: `max_retries`, else
    /// `AWS_MAX_ATTEMPTS`, else 25; at least 1.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts_with_env(std::env::var("AWS_MAX_ATTEMPTS").ok().as_deref())
    }

    fn max_attempts_with_env(&self, env: Option<&str>) -> u32 {
        let n = self
            .max_retries
            .or_else(|| env.and_then(|s| s.trim().parse::<u32>().ok()))
            .unwrap_or(DEFAULT_MAX_RETRIES as u32);
        n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::Number;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn s(v: &str) -> Value {
        Value::string(v)
    }
    fn paths(d: &Diagnostics) -> Vec<String> {
        d.attribute_paths()
    }

    #[test]
    fn bad_endpoint_points_at_endpoints_eks_with_an_example() {
        let cfg = obj(&[("endpoints", obj(&[("eks", s("not a url"))]))]);
        let d = validate(&cfg);
        assert_eq!(paths(&d), vec!["endpoints.eks"]);
        assert!(
            d.0[0]
                .detail
                .contains("must be an absolute http(s) URL such as http://127.0.0.1:5000")
        );
    }

    #[test]
    fn assume_role_without_role_arn_points_at_role_arn() {
        let cfg = obj(&[("assume_role", obj(&[("role_arn", Value::Null)]))]);
        assert_eq!(paths(&validate(&cfg)), vec!["assume_role.role_arn"]);
        let nested = obj(&[("sso", obj(&[("assume_role", obj(&[]))]))]);
        assert_eq!(paths(&validate(&nested)), vec!["sso.assume_role.role_arn"]);
    }

    #[test]
    fn every_bad_value_is_reported_at_its_path() {
        let cfg = obj(&[
            ("region", s("Europe")),
            (
                "assume_role",
                obj(&[
                    ("role_arn", s("arn:aws:iam::1:role/x")),
                    ("duration", s("5m")),
                    ("session_name", s("x")),
                ]),
            ),
            (
                "sso",
                obj(&[
                    ("region", s("us_east_1")),
                    ("instance_arn", s("ssoins-123")),
                    (
                        "assume_role",
                        obj(&[
                            ("role_arn", s("arn:aws:iam::111122223333:role/ok")),
                            ("duration", s("soon")),
                        ]),
                    ),
                ]),
            ),
            ("max_retries", Value::Number(Number::from_i64(-1))),
        ]);
        let mut got = paths(&validate(&cfg));
        got.sort();
        assert_eq!(
            got,
            vec![
                "assume_role.duration",
                "assume_role.role_arn",
                "assume_role.session_name",
                "max_retries",
                "region",
                "sso.assume_role.duration",
                "sso.instance_arn",
                "sso.region",
            ]
        );
    }

    #[test]
    fn reserved_default_tag_keys_are_refused_at_the_key() {
        let tags = Value::Map(
            [
                ("AWS:team".to_string(), s("platform")),
                ("team".to_string(), s("platform")),
            ]
            .into(),
        );
        let d = validate(&obj(&[("default_tags", obj(&[("tags", tags)]))]));
        assert_eq!(paths(&d), vec!["default_tags.tags[\"AWS:team\"]"]);
        assert!(d.0[0].detail.contains("reserves"), "{}", d.0[0].detail);
    }

    #[test]
    fn unknown_values_pass_validation_and_are_recorded_at_configure() {
        let cfg = obj(&[
            ("region", Value::Unknown(None)),
            ("assume_role", obj(&[("role_arn", Value::Unknown(None))])),
            ("endpoints", obj(&[("eks", Value::Unknown(None))])),
            ("max_retries", Value::Unknown(None)),
        ]);
        assert!(validate(&cfg).0.is_empty());
        let parsed = ProviderConfig::from_value(&cfg).unwrap();
        let got: Vec<String> = parsed.unknown.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            got,
            vec![
                "region",
                "assume_role.role_arn",
                "endpoints.eks",
                "max_retries"
            ]
        );
        assert_eq!(parsed.assume_role, None);
    }

    #[test]
    fn full_config_round_trips_into_typed_form() {
        let cfg = obj(&[
            ("region", s("eu-west-1")),
            ("profile", s("cluster-admin")),
            ("shared_config_files", Value::List(vec![s("/tmp/config")])),
            (
                "assume_role",
                obj(&[
                    (
                        "role_arn",
                        s("arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"),
                    ),
                    ("session_name", s("terraform")),
                    ("external_id", s("ext-123")),
                    ("duration", s("1h")),
                ]),
            ),
            (
                "sso",
                obj(&[
                    ("region", s("us-east-1")),
                    (
                        "instance_arn",
                        s("arn:aws:sso:::instance/ssoins-1234567890abcdef"),
                    ),
                ]),
            ),
            (
                "endpoints",
                obj(&[("eks", s("http://127.0.0.1:5000")), ("iam", Value::Null)]),
            ),
            ("max_retries", Value::Number(Number::from_i64(5))),
            (
                "default_tags",
                obj(&[(
                    "tags",
                    Value::Map([("team".to_string(), s("platform"))].into()),
                )]),
            ),
        ]);
        let c = ProviderConfig::from_value(&cfg).unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.shared_config_files, vec!["/tmp/config"]);
        let ar = c.assume_role.as_ref().unwrap();
        assert_eq!(ar.duration, Some(Duration::from_secs(3600)));
        assert_eq!(ar.external_id.as_deref(), Some("ext-123"));
        assert_eq!(c.sso_region(), Some("us-east-1"));
        assert_eq!(c.sso_profile(), Some("cluster-admin"));
        assert_eq!(
            c.sso.assume_role, None,
            "top-level assume_role is not inherited"
        );
        assert_eq!(c.endpoints.eks.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(c.endpoints.iam, None);
        assert_eq!(c.max_attempts_with_env(Some("3")), 5);
        assert_eq!(
            c.default_tags.get("team").map(String::as_str),
            Some("platform")
        );
        assert!(c.unknown.is_empty());
    }

    #[test]
    fn plan_checks_default_on_and_off_while_anything_is_unknown() {
        assert!(ProviderConfig::default().plan_checks_enabled());
        let off = ProviderConfig::from_value(&obj(&[("plan_checks", Value::Bool(false))])).unwrap();
        assert_eq!(off.plan_checks, Some(false));
        assert!(!off.plan_checks_enabled());
        let on = ProviderConfig::from_value(&obj(&[("plan_checks", Value::Bool(true))])).unwrap();
        assert!(on.plan_checks_enabled());
        let pending =
            ProviderConfig::from_value(&obj(&[("region", Value::Unknown(None))])).unwrap();
        assert!(
            !pending.plan_checks_enabled(),
            "no clients can be built yet"
        );
    }

    #[test]
    fn max_attempts_defaults() {
        let c = ProviderConfig::default();
        assert_eq!(c.max_attempts_with_env(None), 25);
        assert_eq!(c.max_attempts_with_env(Some("7")), 7);
        assert_eq!(c.max_attempts_with_env(Some("junk")), 25);
        let zero = ProviderConfig {
            max_retries: Some(0),
            ..ProviderConfig::default()
        };
        assert_eq!(zero.max_attempts_with_env(None), 1);
    }

    #[test]
    fn from_value_rejects_what_validate_rejects() {
        let cfg = obj(&[("endpoints", obj(&[("sts", s("localhost:5000"))]))]);
        let d = ProviderConfig::from_value(&cfg).unwrap_err();
        assert_eq!(paths(&d), vec!["endpoints.sts"]);
    }

    #[test]
    fn sso_files_are_validated_at_their_own_paths() {
        let cfg = obj(&[(
            "sso",
            obj(&[
                ("shared_config_files", Value::List(vec![])),
                (
                    "shared_credentials_files",
                    Value::List(vec![s("/tmp/ok"), s("")]),
                ),
            ]),
        )]);
        let d = validate(&cfg);
        assert_eq!(
            paths(&d),
            vec!["sso.shared_config_files", "sso.shared_credentials_files[1]"]
        );
        assert!(
            d.0[0].detail.contains("remove the argument"),
            "{}",
            d.0[0].detail
        );
    }

    #[test]
    fn sso_uses_its_own_files_when_set_else_the_providers() {
        let cfg = obj(&[
            ("shared_config_files", Value::List(vec![s("/hcp/default")])),
            (
                "shared_credentials_files",
                Value::List(vec![s("/creds/top")]),
            ),
            (
                "sso",
                obj(&[("shared_config_files", Value::List(vec![s("/hcp/sso")]))]),
            ),
        ]);
        let c = ProviderConfig::from_value(&cfg).unwrap();
        assert_eq!(c.shared_config_files, vec!["/hcp/default"]);
        assert_eq!(c.sso_shared_config_files(), ["/hcp/sso"]);
        // Each kind falls back on its own.
        assert_eq!(c.sso_shared_credentials_files(), ["/creds/top"]);
        assert_eq!(c.sso.shared_credentials_files, None);

        let unset = ProviderConfig::from_value(&obj(&[(
            "shared_config_files",
            Value::List(vec![s("/hcp/default")]),
        )]))
        .unwrap();
        assert_eq!(unset.sso_shared_config_files(), ["/hcp/default"]);
    }

    #[test]
    fn unknown_sso_files_are_recorded() {
        let cfg = obj(&[("sso", obj(&[("shared_config_files", Value::Unknown(None))]))]);
        assert!(validate(&cfg).0.is_empty());
        let c = ProviderConfig::from_value(&cfg).unwrap();
        let got: Vec<String> = c.unknown.iter().map(|p| p.to_string()).collect();
        assert_eq!(got, vec!["sso.shared_config_files"]);
    }

    #[test]
    fn sso_falls_back_to_provider_region_and_profile() {
        let c = ProviderConfig {
            region: Some("eu-west-1".into()),
            profile: Some("p".into()),
            ..ProviderConfig::default()
        };
        assert_eq!(c.sso_region(), Some("eu-west-1"));
        assert_eq!(c.sso_profile(), Some("p"));
    }
}
