//! The `AWSReservedSSO_<name>_<suffix>` role Identity Center creates in the
//! account: looked up by name (never constructed), and waited for after an
//! assignment, because IAM shows it a little after the assignment succeeds.

use aws_sdk_iam::Client;
use tokio::time::Instant;

use super::model::{Grant, PermissionSetModel};
use crate::aws::policy_json::semantically_equal;
use std::collections::BTreeSet;

use crate::aws::iam::{ReservedRole, RoleArn, decode_policy_document, find_reserved_roles};
use crate::aws::wait::WaitError;
use crate::aws::wait::poll;
use crate::aws::{AwsError, ErrorKind, SdkResultExt, Service};
use crate::tfplugin::framework::Ctx;

/// The one reserved role of `permission_set_name`, if IAM shows it yet.
/// Several matches means two roles briefly coexist (an old one being deleted
/// while Identity Center creates the new one); that is an error the caller
/// reports, since picking one would be a guess.
pub async fn lookup(
    iam: &Client,
    permission_set_name: &str,
    account_id: &str,
) -> Result<Option<ReservedRole>, AwsError> {
    let roles = find_reserved_roles(iam, permission_set_name).await?;
    match roles.len() {
        0 => Ok(None),
        1 => Ok(roles.into_iter().next()),
        _ => Err(AwsError::new(
            Service::Iam,
            "ListRoles",
            ErrorKind::Unexpected,
            format!(
                "account {account_id} has {} roles for permission set {permission_set_name}: {}. Identity Center keeps one; \
                 wait a minute for it to finish replacing the role and apply again.",
                roles.len(),
                roles
                    .iter()
                    .map(|r| r.arn.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The inline policy Identity Center writes into the reserved role.
pub const INLINE_POLICY_NAME: &str = "AwsSSOInlinePolicy";

/// The policies the reserved role holds, as IAM shows them: the copy of the
/// permission set's policies as last provisioned to the account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RolePolicies {
    /// `AwsSSOInlinePolicy`, decoded; `None` when the role has none.
    pub inline: Option<String>,
    /// Every attached policy ARN: AWS-managed ones, and the account's own
    /// policies that customer-managed references resolve to.
    pub attached: BTreeSet<String>,
}

/// Reads the role's policies (two IAM calls, made together); `Ok(None)`
/// when the role does not exist. Used by refresh instead of reading the
/// permission set's policies from Identity Center: IAM calls do not count
/// against Identity Center's shared 20 requests a second.
pub async fn policies_of(iam: &Client, role_name: &str) -> Result<Option<RolePolicies>, AwsError> {
    let inline = async {
        match iam
            .get_role_policy()
            .role_name(role_name)
            .policy_name(INLINE_POLICY_NAME)
            .send()
            .await
            .aws(Service::Iam, "GetRolePolicy")
        {
            Ok(o) => Ok(Some(decode_policy_document(o.policy_document()))),
            // Either no such policy or no such role; ListAttachedRolePolicies
            // below tells which.
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.about(format!("role {role_name}"))),
        }
    };
    let attached = async {
        let mut pages = iam
            .list_attached_role_policies()
            .role_name(role_name)
            .into_paginator()
            .items()
            .send();
        let mut out = BTreeSet::new();
        while let Some(p) = pages.next().await {
            match p.aws(Service::Iam, "ListAttachedRolePolicies") {
                Ok(p) => {
                    if let Some(arn) = p.policy_arn() {
                        out.insert(arn.to_string());
                    }
                }
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e.about(format!("role {role_name}"))),
            }
        }
        Ok(Some(out))
    };
    let (inline, attached) = tokio::join!(inline, attached);
    let Some(attached) = attached? else {
        return Ok(None);
    };
    Ok(Some(RolePolicies {
        inline: inline?,
        attached,
    }))
}

/// True when `role` holds exactly the policies `ps` asks for: the inline
/// policy by meaning, and the attached policies by ARN (AWS-managed ones as
/// given, customer-managed references as the account's own policy ARN,
/// `arn:<partition>:iam::<account>:policy<path><name>`).
pub fn holds(role: &RolePolicies, ps: &PermissionSetModel, partition: &str, account: &str) -> bool {
    let inline_same = match (&role.inline, &ps.inline_policy) {
        (None, None) => true,
        (Some(a), Some(b)) => semantically_equal(a, b),
        _ => false,
    };
    let mut want: BTreeSet<String> = ps.managed_policy_arns.clone().unwrap_or_default();
    for r in &ps.customer_managed_policy {
        want.insert(format!(
            "arn:{partition}:iam::{account}:policy{}{}",
            r.path_or_default(),
            r.name
        ));
    }
    inline_same && role.attached == want
}

/// Waits until the reserved role is visible, polling fast at first.
pub async fn wait_for(
    ctx: &Ctx,
    iam: &Client,
    permission_set_name: &str,
    account_id: &str,
    deadline: Instant,
) -> Result<ReservedRole, AwsError> {
    poll(ctx, deadline, || lookup(iam, permission_set_name, account_id))
        .await
        .map_err(|e| match e {
            WaitError::Failed(e) if !e.is_deadline() => e,
            other => other.into_aws(
                Service::Iam,
                "ListRoles",
                &format!(
                    "role AWSReservedSSO_{permission_set_name}_<suffix> to appear in account {account_id} after the \
                     assignment and provisioning succeeded. Identity Center may still be creating it; apply again \
                     (or raise timeouts) to resume"
                ),
            ),
        })
}

/// The default Kubernetes username EKS gives an IAM role principal:
/// `arn:<partition>:sts::<account>:assumed-role/<role name>/{{SessionName}}`
/// (path removed). `None` when `role_arn` is not a role ARN.
pub fn default_username(role_arn: &str) -> Option<String> {
    let r = RoleArn::parse(role_arn)?;
    Some(format!(
        "arn:{}:sts::{}:assumed-role/{}/{{{{SessionName}}}}",
        r.partition, r.account, r.name
    ))
}

/// Records the reserved role in the grant.
pub fn record_role(progress: &mut Grant, role: &ReservedRole) {
    progress.reserved_role_name = Some(role.name.clone());
    progress.reserved_role_arn = Some(role.arn.clone());
    progress.reserved_role_arn_without_path = Some(role.arn_without_path());
}

/// The permission set name inside a reserved role name
/// (`AWSReservedSSO_<name>_<16 hex>`).
pub fn permission_set_name_of_role(role_name: &str) -> Option<&str> {
    let rest = role_name.strip_prefix("AWSReservedSSO_")?;
    let (name, suffix) = rest.rsplit_once('_')?;
    (suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()) && !name.is_empty())
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_username_drops_the_path() {
        assert_eq!(
            default_username(
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
            )
            .as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/{{SessionName}}")
        );
        assert_eq!(
            default_username("arn:aws:iam::111122223333:user/jane"),
            None
        );
    }

    #[test]
    fn permission_set_name_from_role_name() {
        assert_eq!(
            permission_set_name_of_role("AWSReservedSSO_EKS_Admin_0123456789abcdef"),
            Some("EKS_Admin")
        );
        assert_eq!(
            permission_set_name_of_role("AWSReservedSSO_Admin_xyz"),
            None
        );
        assert_eq!(permission_set_name_of_role("Other_0123456789abcdef"), None);
    }

    #[test]
    fn a_role_holds_the_sets_policies_by_meaning_and_arn() {
        use crate::resources::sso_admin_access::model::PolicyRef;
        let ps = PermissionSetModel {
            name: "EKSAdmin".into(),
            inline_policy: Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#.into()),
            managed_policy_arns: Some(["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string()].into()),
            customer_managed_policy: vec![PolicyRef { name: "Team".into(), path: Some("/eks/".into()) }],
            ..Default::default()
        };
        let role = RolePolicies {
            inline: Some(r#"{"Statement":[{"Resource":"*","Action":["eks:*"],"Effect":"Allow"}],"Version":"2012-10-17"}"#.into()),
            attached: [
                "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string(),
                "arn:aws:iam::111122223333:policy/eks/Team".to_string(),
            ]
            .into(),
        };
        assert!(holds(&role, &ps, "aws", "111122223333"));
        let mut extra = role.clone();
        extra
            .attached
            .insert("arn:aws:iam::111122223333:policy/Boundaryish".into());
        assert!(
            !holds(&extra, &ps, "aws", "111122223333"),
            "an attachment added out of band"
        );
        let mut no_inline = role.clone();
        no_inline.inline = None;
        assert!(!holds(&no_inline, &ps, "aws", "111122223333"));
        assert!(
            !holds(&role, &ps, "aws", "444455556666"),
            "customer policies are the account's own"
        );
    }
}
