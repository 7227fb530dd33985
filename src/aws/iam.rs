//! IAM helpers: finding the role IAM Identity Center creates for a permission
//! set in an account (`AWSReservedSSO_<name>_<16 hex>`), and whether a
//! managed policy exists (plan-time checks).
//!
//! The role's ARN is never constructed: its suffix is random, it changes when
//! the role is re-created, and its path carries the Identity Center region
//! except for us-east-1. We list roles under the reserved path and match the
//! whole name with an anchored regex, so permission set `Admin` does not match
//! `AWSReservedSSO_Admin_Prod_...`.

use aws_sdk_iam::Client;
use regex::Regex;

use super::arn::Arn;
use super::errors::{AwsError, SdkResultExt, Service};

/// The path prefix of every Identity Center role, with or without the region segment.
pub const RESERVED_SSO_PATH_PREFIX: &str = "/aws-reserved/sso.amazonaws.com/";

/// One AWSReservedSSO role as IAM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedRole {
    pub name: String,
    /// The full ARN, path included: what EKS access entries need.
    pub arn: String,
    pub path: String,
    /// IAM's stable role ID (`AROA...`).
    pub unique_id: String,
}

impl ReservedRole {
    /// `arn:<partition>:iam::<account>:role/<name>`: the form aws-auth's
    /// `mapRoles` needs, which must not contain the path.
    pub fn arn_without_path(&self) -> String {
        arn_without_path(&self.arn).unwrap_or_else(|| self.arn.clone())
    }
}

/// The anchored regex that matches exactly the reserved role names of one
/// permission set.
pub fn reserved_role_regex(permission_set_name: &str) -> Regex {
    let pattern = format!(
        "^AWSReservedSSO_{}_[0-9a-f]{{16}}$",
        regex::escape(permission_set_name)
    );
    // An escaped literal inside a fixed pattern always compiles.
    Regex::new(&pattern).expect("escaped pattern compiles")
}

/// What an IAM role ARN says, its path set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleArn<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    /// The role name, without the path.
    pub name: &'a str,
}

impl<'a> RoleArn<'a> {
    /// `arn:<partition>:iam::<account>:role/<path/><name>`; `None` for any
    /// other ARN.
    pub fn parse(arn: &'a str) -> Option<RoleArn<'a>> {
        let a = Arn::parse(arn)?;
        if a.service != "iam" || !a.region.is_empty() || a.account.is_empty() {
            return None;
        }
        let name = a.resource.strip_prefix("role/")?.rsplit('/').next()?;
        (!name.is_empty()).then_some(RoleArn {
            partition: a.partition,
            account: a.account,
            name,
        })
    }
}

/// Strips the path from a role ARN: `arn:aws:iam::1:role/a/b/Name` →
/// `arn:aws:iam::1:role/Name`. `None` if `arn` is not a role ARN.
pub fn arn_without_path(arn: &str) -> Option<String> {
    let r = RoleArn::parse(arn)?;
    Some(format!(
        "arn:{}:iam::{}:role/{}",
        r.partition, r.account, r.name
    ))
}

/// IAM returns policy documents (GetRole, GetRolePolicy, GetPolicyVersion)
/// URL-encoded (RFC 3986); some endpoints (emulators) return them plain.
/// Decode only when the text is not already a JSON object.
pub fn decode_policy_document(raw: &str) -> String {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('{') {
        return raw.to_string();
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| raw.to_string())
}

/// Lists every role under [`RESERVED_SSO_PATH_PREFIX`] (all pages) whose
/// name is a reserved role of `permission_set_name`.
pub async fn find_reserved_roles(
    iam: &Client,
    permission_set_name: &str,
) -> Result<Vec<ReservedRole>, AwsError> {
    let wanted = reserved_role_regex(permission_set_name);
    let mut pages = iam
        .list_roles()
        .path_prefix(RESERVED_SSO_PATH_PREFIX)
        .into_paginator()
        .items()
        .send();
    let mut found = Vec::new();
    while let Some(role) = pages.next().await {
        let role = role.aws(Service::Iam, "ListRoles")?;
        if wanted.is_match(role.role_name()) {
            found.push(ReservedRole {
                name: role.role_name().to_string(),
                arn: role.arn().to_string(),
                path: role.path().to_string(),
                unique_id: role.role_id().to_string(),
            });
        }
    }
    found.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(found)
}

/// Whether the managed policy `arn` exists (IAM GetPolicy, read-only). AWS
/// managed policies (`arn:aws:iam::aws:policy/...`) answer GetPolicy from any
/// account; a customer-managed one only in its own account. `NoSuchEntity`
/// is `Ok(false)`; anything else (AccessDenied, say) is an error.
pub async fn policy_exists(iam: &Client, arn: &str) -> Result<bool, AwsError> {
    match iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .aws(Service::Iam, "GetPolicy")
    {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e.about(format!("policy {arn}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_encoded_and_plain() {
        assert_eq!(decode_policy_document("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(decode_policy_document(r#"{"a":"100%"}"#), r#"{"a":"100%"}"#);
    }

    #[test]
    fn regex_is_anchored_and_exact() {
        let re = reserved_role_regex("Admin");
        assert!(re.is_match("AWSReservedSSO_Admin_0123456789abcdef"));
        assert!(!re.is_match("AWSReservedSSO_Admin_Prod_0123456789abcdef"));
        assert!(!re.is_match("AWSReservedSSO_Admin_0123456789abcde")); // 15 hex
        assert!(!re.is_match("AWSReservedSSO_Admin_0123456789abcdef0"));
        assert!(!re.is_match("AWSReservedSSO_Admin_0123456789ABCDEF"));
        assert!(!re.is_match("xAWSReservedSSO_Admin_0123456789abcdef"));
        assert!(!re.is_match("AWSReservedSSO_admin_0123456789abcdef"));
    }

    #[test]
    fn regex_escapes_special_characters() {
        let re = reserved_role_regex("a.b+c");
        assert!(re.is_match("AWSReservedSSO_a.b+c_0123456789abcdef"));
        assert!(!re.is_match("AWSReservedSSO_aXbbc_0123456789abcdef"));
    }

    #[test]
    fn strips_paths_from_role_arns() {
        assert_eq!(
            arn_without_path(
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
            )
            .as_deref(),
            Some("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef")
        );
        assert_eq!(
            arn_without_path("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_0123456789abcdef")
                .as_deref(),
            Some("arn:aws:iam::111122223333:role/AWSReservedSSO_A_0123456789abcdef")
        );
        assert_eq!(
            arn_without_path("arn:aws-us-gov:iam::111122223333:role/x/y/Z").as_deref(),
            Some("arn:aws-us-gov:iam::111122223333:role/Z")
        );
        assert_eq!(
            arn_without_path("arn:aws:iam::111122223333:role/NoPath").as_deref(),
            Some("arn:aws:iam::111122223333:role/NoPath")
        );
        assert_eq!(arn_without_path("arn:aws:iam::111122223333:user/x"), None);
        assert_eq!(
            arn_without_path("arn:aws:sts::111122223333:assumed-role/x/y"),
            None
        );
        assert_eq!(arn_without_path("not an arn"), None);
    }
}
