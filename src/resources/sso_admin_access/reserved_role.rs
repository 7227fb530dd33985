//! The `AWSReservedSSO_<name>_<suffix>` role Identity Center creates in the
//! account: looked up by name (never constructed), and waited for after an
//! assignment, because IAM shows it a little after the assignment succeeds.

use aws_sdk_iam::Client;
use tokio::time::Instant;

use super::model::Grant;
use crate::aws::iam::{ReservedRole, RoleArn, find_reserved_roles};
use crate::aws::wait::WaitError;
use crate::aws::wait::poll;
use crate::aws::{AwsError, ErrorKind, Service};
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
            WaitError::Failed(e) => e,
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
}
