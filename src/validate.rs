//! Shared input validators: ARNs, durations, names, URLs.
//!
//! Every check here runs offline, in ValidateProviderConfig or a resource's
//! validate/plan, so invalid input costs no AWS call. Validators take a known
//! string and return `Err(detail)` where the detail says what was expected,
//! with an example, so the user knows the fix. [`check_str`] and friends apply
//! them to a [`Value`], skipping null and unknown values (Terraform validates
//! again once unknowns are known).
//!
//! Patterns follow the AWS API models (IAM, sso-admin, EKS); `\w` in those
//! models is ASCII `[A-Za-z0-9_]`.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
use crate::tfplugin::value::Value;

/// A validator for one known string; `Err` holds the detail shown to the user.
pub type Check = fn(&str) -> Result<(), String>;

/// Compiles one of this file's literal patterns (covered by the unit tests).
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("literal regex compiles")
}

static REGION: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"));
static ACCOUNT_ID: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{12}$"));
static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/(?:[\x21-\x7E]+/)?[A-Za-z0-9_+=,.@-]{1,64}$")
});
static IAM_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_+=,.@-]+$"));
static IAM_PATH: LazyLock<Regex> = LazyLock::new(|| re(r"^(/|/[\x21-\x7E]+/)$"));
static SSO_INSTANCE_ARN: LazyLock<Regex> =
    LazyLock::new(|| re(r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9.-]{16}$"));
static PERMISSION_SET_ARN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9.-]{16}/ps-[a-zA-Z0-9./-]{16}$",
    )
});
static SESSION_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_+=,.@-]{2,64}$"));
static EXTERNAL_ID: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$"));
static CLUSTER_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$"));

/// An AWS region name such as `eu-west-1` or `us-gov-west-1`.
pub fn region(s: &str) -> Result<(), String> {
    if REGION.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS region name. Use a region code such as \"eu-west-1\" or \"us-east-1\"."
        ))
    }
}

/// A 12-digit AWS account ID.
pub fn account_id(s: &str) -> Result<(), String> {
    if ACCOUNT_ID.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS account ID. Use the 12-digit number, such as \"111122223333\" (keep leading zeros; quote it as a string)."
        ))
    }
}

/// An IAM role ARN, path allowed: `arn:aws:iam::111122223333:role/path/Name`.
pub fn iam_role_arn(s: &str) -> Result<(), String> {
    if ROLE_ARN.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM role ARN. Use the form arn:aws:iam::111122223333:role/OrganizationAccountAccessRole (a path between \"role/\" and the name is allowed)."
        ))
    }
}

/// An IAM role or policy name: 1 to `max` characters of `[A-Za-z0-9_+=,.@-]`.
pub fn iam_name(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() || s.len() > max || !IAM_NAME.is_match(s) {
        Err(format!(
            "{s:?} is not a valid IAM name: use 1 to {max} characters from letters, digits and _+=,.@-"
        ))
    } else {
        Ok(())
    }
}

/// An IAM role name (1–64 characters).
pub fn iam_role_name(s: &str) -> Result<(), String> {
    iam_name(s, 64)
}

/// An IAM path: `/` or `/segments/`, 1–512 printable ASCII characters.
pub fn iam_path(s: &str) -> Result<(), String> {
    if s.len() <= 512 && IAM_PATH.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM path. A path starts and ends with \"/\", such as \"/\" or \"/platform/eks/\"."
        ))
    }
}

/// An IAM Identity Center permission set name: 1–32 characters of `[\w+=,.@-]`.
pub fn permission_set_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 32 || !IAM_NAME.is_match(s) {
        Err(format!(
            "{s:?} is not a valid permission set name: use 1 to 32 characters from letters, digits and _+=,.@- (for example \"EKSClusterAdminAccess\")."
        ))
    } else {
        Ok(())
    }
}

/// An IAM Identity Center instance ARN: `arn:aws:sso:::instance/ssoins-<16 chars>`.
pub fn sso_instance_arn(s: &str) -> Result<(), String> {
    if SSO_INSTANCE_ARN.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM Identity Center instance ARN. Use the form arn:aws:sso:::instance/ssoins-1234567890abcdef (see `aws sso-admin list-instances`), or omit it to discover the only instance."
        ))
    }
}

/// A permission set ARN: `arn:aws:sso:::permissionSet/ssoins-<16>/ps-<16>`.
pub fn permission_set_arn(s: &str) -> Result<(), String> {
    if PERMISSION_SET_ARN.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a permission set ARN. Use the form arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef."
        ))
    }
}

/// An STS role session name: 2–64 characters of `[\w+=,.@-]`.
pub fn session_name(s: &str) -> Result<(), String> {
    if SESSION_NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid session name: use 2 to 64 characters from letters, digits and _+=,.@-"
        ))
    }
}

/// An STS external ID: 2–1224 characters of `[\w+=,.@:/-]`.
pub fn external_id(s: &str) -> Result<(), String> {
    if EXTERNAL_ID.is_match(s) {
        Ok(())
    } else {
        Err(
            "The external ID must be 2 to 1224 characters from letters, digits and _+=,.@:/-"
                .to_string(),
        )
    }
}

/// An EKS cluster name: 1–100 characters, starting with a letter or digit.
pub fn eks_cluster_name(s: &str) -> Result<(), String> {
    if CLUSTER_NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid EKS cluster name: use 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit."
        ))
    }
}

/// An absolute `http://` or `https://` URL with a host, as endpoint overrides need.
pub fn http_url(s: &str) -> Result<(), String> {
    let fail = || {
        Err(format!(
            "{s:?} must be an absolute http(s) URL such as http://127.0.0.1:5000 or https://eks.eu-west-1.amazonaws.com"
        ))
    };
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(rest) => rest,
        None => return fail(),
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail();
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match host_port.strip_prefix('[') {
        // IPv6 literal: [::1]:5000
        Some(v6) => match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, tail)) => match tail.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return fail(),
            },
            None => return fail(),
        },
        None => match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return fail();
    }
    if let Some(p) = port
        && p.parse::<u16>().is_err()
    {
        return fail();
    }
    Ok(())
}

/// Parses a Go-style duration (`"90s"`, `"15m"`, `"1h30m"`, `"2.5h"`), the
/// syntax Terraform users know from hashicorp/aws. Negative durations are
/// rejected: every duration here is a length of time.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let err = || {
        format!(
            "{s:?} is not a duration. Use a number with a unit, such as \"90s\", \"15m\" or \"1h30m\" (units: ns, us, ms, s, m, h)."
        )
    };
    let body = s.strip_prefix('+').unwrap_or(s);
    if body.starts_with('-') {
        return Err(format!(
            "{s:?} is negative; use a positive duration such as \"2m\"."
        ));
    }
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    if body.is_empty() {
        return Err(err());
    }
    let mut total_nanos: f64 = 0.0;
    let mut rest = body;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err());
        }
        let value: f64 = num.parse().map_err(|_| err())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(err()),
        };
        total_nanos += value * scale;
        rest = next;
    }
    if !total_nanos.is_finite() || total_nanos > (u64::MAX as f64) {
        return Err(format!("{s:?} is too long a duration."));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// A Go-style duration within `[min, max]`.
pub fn duration_between(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = parse_go_duration(s)?;
    if d < min || d > max {
        return Err(format!(
            "{s:?} is out of range: use a duration from {} to {}.",
            format_duration(min),
            format_duration(max)
        ));
    }
    Ok(d)
}

/// Renders a duration the way users write it (`"15m"`, `"1h30m"`, `"250ms"`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Applies `check` to `value` when it is a known string; null, unknown and
/// (already type-checked) non-strings pass. Errors point at `path`.
pub fn check_str(
    diags: &mut Diagnostics,
    value: &Value,
    path: AttributePath,
    summary: &str,
    check: impl FnOnce(&str) -> Result<(), String>,
) {
    if let Value::String(s) = value
        && let Err(detail) = check(s)
    {
        diags.attribute_error(path, summary, detail);
    }
}

/// Like [`check_str`] for a non-empty-string requirement: an explicitly empty
/// string is an error (null is left to the schema's Required/Optional rules).
pub fn check_not_empty(diags: &mut Diagnostics, value: &Value, path: AttributePath, what: &str) {
    if let Value::String(s) = value
        && s.trim().is_empty()
    {
        diags.attribute_error(
            path,
            format!("Empty {what}"),
            format!("{what} must not be empty; remove the argument to use the default."),
        );
    }
}

/// Applies `check` to each known string element of a list or set, with the
/// element's index in the path.
pub fn check_each_str(
    diags: &mut Diagnostics,
    value: &Value,
    path: AttributePath,
    summary: &str,
    check: Check,
) {
    for (i, v) in value.elements().iter().enumerate() {
        check_str(diags, v, path.clone().then_index(i), summary, check);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "eu-west-1",
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-5",
            "us-isob-east-1",
        ] {
            assert!(region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "eu-west",
            "EU-WEST-1",
            "euwest1",
            "eu_west_1",
            "eu-west-1 ",
        ] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns() {
        assert!(
            iam_role_arn("arn:aws:iam::111122223333:role/OrganizationAccountAccessRole").is_ok()
        );
        assert!(
            iam_role_arn(
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_A_0123456789abcdef"
            )
            .is_ok()
        );
        assert!(iam_role_arn("arn:aws-us-gov:iam::111122223333:role/x").is_ok());
        for bad in [
            "arn:aws:iam::11112222333:role/x",
            "arn:aws:iam::111122223333:user/x",
            "arn:aws:iam::111122223333:role/",
            "OrganizationAccountAccessRole",
            "arn:aws:sts::111122223333:assumed-role/x/y",
        ] {
            let e = iam_role_arn(bad).unwrap_err();
            assert!(e.contains("arn:aws:iam::111122223333:role/"), "{e}");
        }
    }

    #[test]
    fn permission_set_names() {
        assert!(permission_set_name("EKSClusterAdminAccess").is_ok());
        assert!(permission_set_name("a.b,c=d+e@f_g-h").is_ok());
        assert!(permission_set_name(&"x".repeat(32)).is_ok());
        assert!(permission_set_name(&"x".repeat(33)).is_err());
        assert!(permission_set_name("").is_err());
        assert!(permission_set_name("has space").is_err());
        assert!(permission_set_name("Admin*").is_err());
    }

    #[test]
    fn instance_and_permission_set_arns() {
        assert!(sso_instance_arn("arn:aws:sso:::instance/ssoins-1234567890abcdef").is_ok());
        assert!(sso_instance_arn("arn:aws:sso:::instance/ssoins-123").is_err());
        assert!(sso_instance_arn("ssoins-1234567890abcdef").is_err());
        assert!(
            permission_set_arn(
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"
            )
            .is_ok()
        );
        assert!(permission_set_arn("arn:aws:sso:::permissionSet/ps-1234567890abcdef").is_err());
    }

    #[test]
    fn urls() {
        for ok in [
            "http://127.0.0.1:5000",
            "https://eks.eu-west-1.amazonaws.com",
            "http://localhost:4566/",
            "http://[::1]:5000",
            "https://vpce-1.eks.eu-west-1.vpce.amazonaws.com/path",
        ] {
            assert!(http_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "not a url",
            "127.0.0.1:5000",
            "ftp://example.com",
            "http://",
            "http://:5000",
            "http://host:notaport",
            "http://host:99999",
            "http://exa mple.com",
        ] {
            let e = http_url(bad).unwrap_err();
            assert!(e.contains("http://127.0.0.1:5000"), "{bad}: {e}");
        }
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_go_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_go_duration("1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("2.5s").unwrap(),
            Duration::from_millis(2500)
        );
        assert_eq!(
            parse_go_duration("250ms").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        for bad in [
            "", "1", "h", "1d", "1 h", "-1m", "1h-5m", "..5s", "1.2.3s", "5sec",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_go_duration("-1m").unwrap_err().contains("negative"));
    }

    #[test]
    fn duration_ranges() {
        let (min, max) = (Duration::from_secs(900), Duration::from_secs(43200));
        assert!(duration_between("1h", min, max).is_ok());
        assert!(duration_between("15m", min, max).is_ok());
        assert!(duration_between("12h", min, max).is_ok());
        let e = duration_between("14m", min, max).unwrap_err();
        assert!(e.contains("from 15m to 12h"), "{e}");
        assert!(duration_between("13h", min, max).is_err());
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn check_str_skips_unknown_and_null_and_points_at_path() {
        let mut d = Diagnostics::new();
        check_str(
            &mut d,
            &Value::Unknown(None),
            AttributePath::attr("a"),
            "Bad",
            region,
        );
        check_str(
            &mut d,
            &Value::Null,
            AttributePath::attr("a"),
            "Bad",
            region,
        );
        assert!(d.0.is_empty());
        check_str(
            &mut d,
            &Value::string("nope"),
            AttributePath::attr("a"),
            "Bad",
            region,
        );
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].attribute, Some(AttributePath::attr("a")));
    }

    #[test]
    fn check_each_str_indexes_elements() {
        let mut d = Diagnostics::new();
        let list = Value::List(vec![
            Value::string("eu-west-1"),
            Value::Unknown(None),
            Value::string("bad"),
        ]);
        check_each_str(
            &mut d,
            &list,
            AttributePath::attr("regions"),
            "Bad region",
            region,
        );
        assert_eq!(d.0.len(), 1);
        assert_eq!(
            d.0[0].attribute,
            Some(AttributePath::attr("regions").then_index(2))
        );
    }

    #[test]
    fn other_names() {
        assert!(account_id("012345678901").is_ok());
        assert!(account_id("12345678901").is_err());
        assert!(iam_role_name("EKSClusterCreator").is_ok());
        assert!(iam_role_name(&"r".repeat(65)).is_err());
        assert!(iam_path("/").is_ok());
        assert!(iam_path("/platform/eks/").is_ok());
        assert!(iam_path("platform/").is_err());
        assert!(iam_path("/platform").is_err());
        assert!(session_name("terraform-provider-eks").is_ok());
        assert!(session_name("x").is_err());
        assert!(external_id("abc:def/ghi").is_ok());
        assert!(external_id("a").is_err());
        assert!(eks_cluster_name("prod-1").is_ok());
        assert!(eks_cluster_name("-prod").is_err());
    }
}
