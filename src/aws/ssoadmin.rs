//! sso-admin helpers: finding the IAM Identity Center instance.

use aws_sdk_ssoadmin::Client;

use super::errors::{AwsError, ErrorKind, SdkResultExt, Service};

/// The Identity Center instance the provider manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoInstance {
    pub instance_arn: String,
    /// The identity store that holds the instance's users and groups
    /// (`d-...`), needed for identitystore calls and the default portal URL.
    pub identity_store_id: String,
    /// The management or delegated-admin account that owns the instance.
    pub owner_account_id: Option<String>,
}

/// Every instance visible to the sso-side credentials in their region.
pub async fn list_instances(client: &Client) -> Result<Vec<SsoInstance>, AwsError> {
    let mut pages = client.list_instances().into_paginator().items().send();
    let mut out = Vec::new();
    while let Some(item) = pages.next().await {
        let item = item.aws(Service::SsoAdmin, "ListInstances")?;
        if let (Some(arn), Some(store)) = (item.instance_arn(), item.identity_store_id()) {
            out.push(SsoInstance {
                instance_arn: arn.to_string(),
                identity_store_id: store.to_string(),
                owner_account_id: item.owner_account_id().map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// Whether `instance_arn` is visible where the sso-side clients point.
///
/// Asked only after an sso-admin call failed with "not found" or "access
/// denied": AWS answers a deleted permission set with the first, and a call
/// to an instance in another region (a wrong `sso.region`) or of another
/// organization with either, and only a deleted set may drop a grant from
/// state. ListInstances settles it: outside the home region it lists no
/// instance at all.
pub async fn instance_visible(client: &Client, instance_arn: &str) -> Result<bool, AwsError> {
    Ok(list_instances(client)
        .await?
        .iter()
        .any(|i| i.instance_arn == instance_arn))
}

/// Chooses the instance: the configured one (which must be listed, since its
/// identity store ID comes from the listing), or the only one there is.
pub fn pick_instance(
    instances: Vec<SsoInstance>,
    configured: Option<&str>,
    sso_region: &str,
) -> Result<SsoInstance, AwsError> {
    let unexpected = |msg: String| {
        AwsError::new(
            Service::SsoAdmin,
            "ListInstances",
            ErrorKind::Unexpected,
            msg,
        )
    };
    if let Some(arn) = configured {
        return instances.into_iter().find(|i| i.instance_arn == arn).ok_or_else(|| {
            unexpected(format!(
                "IAM Identity Center instance {arn} is not visible in region {sso_region} to the provider's sso-side credentials. Set `sso.region` to the instance's home region and make sure `sso.profile`/`sso.assume_role` reach the management or delegated-admin account."
            ))
        });
    }
    match <[SsoInstance; 1]>::try_from(instances) {
        Ok([only]) => Ok(only),
        Err(none) if none.is_empty() => Err(unexpected(format!(
            "No IAM Identity Center instance was found in region {sso_region}. Set `sso.region` to the Identity Center home region, and make sure the sso-side credentials (`sso.profile`/`sso.assume_role`) belong to the management or delegated-admin account."
        ))),
        Err(several) => Err(unexpected(format!(
            "Several IAM Identity Center instances were found in region {sso_region}: {}. Set `sso.instance_arn` to choose one.",
            several
                .iter()
                .map(|i| i.instance_arn.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(n: u8) -> SsoInstance {
        SsoInstance {
            instance_arn: format!("arn:aws:sso:::instance/ssoins-000000000000000{n}"),
            identity_store_id: format!("d-00000000{n}"),
            owner_account_id: Some("123456789012".into()),
        }
    }

    #[test]
    fn the_only_instance_is_chosen() {
        assert_eq!(
            pick_instance(vec![inst(1)], None, "us-east-1").unwrap(),
            inst(1)
        );
    }

    #[test]
    fn none_or_several_are_errors_with_a_fix() {
        let e = pick_instance(vec![], None, "eu-west-1").unwrap_err();
        assert!(
            e.message.contains("region eu-west-1") && e.message.contains("sso.region"),
            "{e}"
        );
        let e = pick_instance(vec![inst(1), inst(2)], None, "eu-west-1").unwrap_err();
        assert!(e.message.contains("sso.instance_arn"), "{e}");
        assert!(e.message.contains(&inst(2).instance_arn), "{e}");
    }

    #[test]
    fn configured_instance_must_be_listed() {
        let want = inst(2).instance_arn;
        assert_eq!(
            pick_instance(vec![inst(1), inst(2)], Some(&want), "us-east-1").unwrap(),
            inst(2)
        );
        let e = pick_instance(vec![inst(1)], Some(&want), "us-east-1").unwrap_err();
        assert!(e.message.contains(&want), "{e}");
    }
}
