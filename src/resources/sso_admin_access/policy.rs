//! Policy identifiers: EKS access-policy short names and ARNs, and the
//! managed-policy ARNs a permission set can attach. Inline policy text is
//! checked by [`crate::aws::policy_grammar`], the validator both resources share.

use std::sync::LazyLock;

use regex::Regex;

/// EKS access policies published in the EKS user guide's access-policy
/// reference. A full ARN is accepted for any name, so new policies work
/// before this list learns them.
pub const KNOWN_ACCESS_POLICIES: [&str; 19] = [
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSClusterInsightsPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
];

static ACCESS_POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws(?:-[a-z]{1,5}){0,3}):eks::aws:cluster-access-policy/([A-Za-z0-9]+)$")
        .expect("literal regex")
});

static MANAGED_POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]{1,5}){0,3}:iam::aws:policy(/[A-Za-z0-9_+=,.@-]+)*/[A-Za-z0-9_+=,.@-]{1,128}$")
        .expect("literal regex")
});

static CUSTOMER_POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]{1,5}){0,3}:iam::\d{12}:policy(/[\x21-\x7E]+)*/([A-Za-z0-9_+=,.@-]{1,128})$")
        .expect("literal regex")
});

/// Why an access policy reference is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessPolicyError {
    Empty,
    UnknownShortName(String),
    MalformedArn(String),
}

impl AccessPolicyError {
    pub fn detail(&self) -> String {
        match self {
            AccessPolicyError::Empty => "The policy must not be empty. Use a short name such as \"AmazonEKSClusterAdminPolicy\" \
                                         or a full arn:aws:eks::aws:cluster-access-policy/<Name> ARN."
                .to_string(),
            AccessPolicyError::UnknownShortName(name) => {
                let suggestion = closest_known(name)
                    .map(|s| format!(" Did you mean \"{s}\"?"))
                    .unwrap_or_default();
                format!(
                    "{name:?} is not a known EKS access policy.{suggestion} Known short names: {}. \
                     For a policy not listed here, give its full ARN (arn:aws:eks::aws:cluster-access-policy/<Name>; \
                     `aws eks list-access-policies` shows them).",
                    KNOWN_ACCESS_POLICIES.join(", ")
                )
            }
            AccessPolicyError::MalformedArn(arn) => format!(
                "{arn:?} is not an EKS access policy ARN. Use the form arn:aws:eks::aws:cluster-access-policy/<Name> \
                 (empty region, account \"aws\"), or just the short name such as \"AmazonEKSViewPolicy\"."
            ),
        }
    }
}

/// Checks a policy reference as written in config, without needing a partition.
pub fn check_access_policy(policy: &str) -> Result<(), AccessPolicyError> {
    if policy.trim().is_empty() {
        return Err(AccessPolicyError::Empty);
    }
    if policy.starts_with("arn:") {
        return if ACCESS_POLICY_ARN.is_match(policy) {
            Ok(())
        } else {
            Err(AccessPolicyError::MalformedArn(policy.to_string()))
        };
    }
    if KNOWN_ACCESS_POLICIES.contains(&policy) {
        Ok(())
    } else {
        Err(AccessPolicyError::UnknownShortName(policy.to_string()))
    }
}

/// The name part of a policy reference: the short name itself, or the last
/// segment of an ARN. Two references to the same policy have the same key, in
/// any partition, so duplicates can be found without knowing the region.
pub fn access_policy_key(policy: &str) -> String {
    match ACCESS_POLICY_ARN.captures(policy) {
        Some(c) => c[2].to_string(),
        None => policy.to_string(),
    }
}

/// The full ARN AWS wants for a policy reference, in `partition`.
pub fn access_policy_arn(policy: &str, partition: &str) -> String {
    if policy.starts_with("arn:") {
        policy.to_string()
    } else {
        format!("arn:{partition}:eks::aws:cluster-access-policy/{policy}")
    }
}

/// How a policy ARN read from AWS is written in state: the short name when it
/// is a known one, otherwise the ARN.
pub fn access_policy_display(arn: &str) -> String {
    let key = access_policy_key(arn);
    if KNOWN_ACCESS_POLICIES.contains(&key.as_str()) {
        key
    } else {
        arn.to_string()
    }
}

fn closest_known(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let stripped = lower
        .trim_start_matches("amazoneks")
        .trim_end_matches("policy");
    KNOWN_ACCESS_POLICIES.iter().copied().find(|k| {
        let kl = k.to_ascii_lowercase();
        kl == lower
            || (!stripped.is_empty()
                && kl
                    .trim_start_matches("amazoneks")
                    .trim_end_matches("policy")
                    == stripped)
    })
}

/// An AWS-managed policy ARN (`arn:aws:iam::aws:policy/...`), the only kind
/// a permission set can attach by ARN. Customer-managed ARNs get a pointer to
/// the `customer_managed_policy` block instead.
pub fn check_managed_policy_arn(arn: &str) -> Result<(), String> {
    if MANAGED_POLICY_ARN.is_match(arn) {
        return Ok(());
    }
    if let Some(c) = CUSTOMER_POLICY_ARN.captures(arn) {
        let name = &c[3];
        return Err(format!(
            "{arn:?} is a customer-managed policy. Permission sets attach customer-managed policies by name, \
             because the policy must exist in each target account: use `customer_managed_policy {{ name = \"{name}\" }}`."
        ));
    }
    Err(format!(
        "{arn:?} is not an AWS-managed policy ARN. Use the form arn:aws:iam::aws:policy/<Name> or \
         arn:aws:iam::aws:policy/<path>/<Name>, for example arn:aws:iam::aws:policy/job-function/ViewOnlyAccess."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_per_partition() {
        assert_eq!(
            access_policy_arn("AmazonEKSClusterAdminPolicy", "aws"),
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        );
        assert_eq!(
            access_policy_arn("AmazonEKSViewPolicy", "aws-cn"),
            "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
        );
        let arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
        assert_eq!(access_policy_arn(arn, "aws-us-gov"), arn);
    }

    #[test]
    fn keys_match_short_names_and_arns() {
        assert_eq!(
            access_policy_key("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
            access_policy_key("AmazonEKSViewPolicy")
        );
        assert_ne!(
            access_policy_key("AmazonEKSViewPolicy"),
            access_policy_key("AmazonEKSEditPolicy")
        );
    }

    #[test]
    fn display_prefers_known_short_names() {
        assert_eq!(
            access_policy_display(
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            ),
            "AmazonEKSClusterAdminPolicy"
        );
        let future = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSFuturePolicy";
        assert_eq!(access_policy_display(future), future);
    }

    #[test]
    fn checks_policy_references() {
        assert!(check_access_policy("AmazonEKSClusterAdminPolicy").is_ok());
        assert!(check_access_policy("arn:aws:eks::aws:cluster-access-policy/AnythingNew").is_ok());
        assert_eq!(check_access_policy(""), Err(AccessPolicyError::Empty));
        let e = check_access_policy("AmazonEKSClusterAdmin").unwrap_err();
        assert!(matches!(e, AccessPolicyError::UnknownShortName(_)));
        assert!(
            e.detail()
                .contains("Did you mean \"AmazonEKSClusterAdminPolicy\""),
            "{}",
            e.detail()
        );
        for bad in [
            "arn:aws:eks:eu-west-1:aws:cluster-access-policy/AmazonEKSViewPolicy",
            "arn:aws:eks::123456789012:cluster-access-policy/AmazonEKSViewPolicy",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:eks::aws:cluster-access-policy/",
        ] {
            assert!(
                matches!(
                    check_access_policy(bad),
                    Err(AccessPolicyError::MalformedArn(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn managed_policy_arns() {
        assert!(
            check_managed_policy_arn("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").is_ok()
        );
        assert!(check_managed_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(check_managed_policy_arn("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess").is_ok());
        let e =
            check_managed_policy_arn("arn:aws:iam::111122223333:policy/team/EKSAdmin").unwrap_err();
        assert!(
            e.contains("customer_managed_policy { name = \"EKSAdmin\" }"),
            "{e}"
        );
        assert!(check_managed_policy_arn("ViewOnlyAccess").is_err());
        assert!(check_managed_policy_arn("arn:aws:iam::aws:policy/").is_err());
    }
}
