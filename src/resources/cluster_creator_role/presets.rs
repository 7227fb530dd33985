//! Permission presets for the creator role.
//!
//! The creator keeps cluster-admin on every cluster it creates for the life of
//! that cluster, so what it may do in the account matters; the presets trade
//! convenience against blast radius (see docs/resources/cluster_creator_role.md).
//!
//! - `eksctl_minimum`: eksctl's documented "Minimum IAM policies"
//!   (<https://eksctl.io/usage/minimum-iam-policies/>, also published as
//!   <https://docs.aws.amazon.com/eks/latest/eksctl/minimum-iam-policies.html>):
//!   the AWS-managed `AmazonEC2FullAccess` and `AWSCloudFormationFullAccess`,
//!   plus the two customer policies that page defines, `EksAllAccess` and
//!   `IamLimitedAccess`, merged into our customer-managed policy with the
//!   account and partition filled in.
//! - `service_wide`: the AWS blog's EKSClusterCreatorPolicy: every action on
//!   the services cluster creation touches.
//! - `none`: nothing; bring your own via `additional_policy_json` or
//!   `managed_policy_arns`.

use serde_json::{Value as Json, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    EksctlMinimum,
    ServiceWide,
    None,
}

pub const DEFAULT: Preset = Preset::EksctlMinimum;

/// Every preset, in the order they are tried when recognising a document.
pub const ALL: [Preset; 3] = [Preset::EksctlMinimum, Preset::ServiceWide, Preset::None];

impl Preset {
    pub fn parse(s: &str) -> Option<Preset> {
        ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::EksctlMinimum => "eksctl_minimum",
            Preset::ServiceWide => "service_wide",
            Preset::None => "none",
        }
    }

    /// The statements this preset puts in the customer-managed policy.
    pub fn statements(self, partition: &str, account: &str) -> Vec<Json> {
        match self {
            Preset::EksctlMinimum => eksctl_minimum(partition, account),
            Preset::ServiceWide => service_wide(),
            Preset::None => Vec::new(),
        }
    }

    /// AWS-managed policies this preset attaches to the role.
    pub fn managed_policy_arns(self, partition: &str) -> Vec<String> {
        match self {
            Preset::EksctlMinimum => vec![
                format!("arn:{partition}:iam::aws:policy/AmazonEC2FullAccess"),
                format!("arn:{partition}:iam::aws:policy/AWSCloudFormationFullAccess"),
            ],
            Preset::ServiceWide | Preset::None => Vec::new(),
        }
    }

    /// Sids used by this preset's statements; user statements may not reuse
    /// them, or IAM would see duplicate Sids in the merged document.
    pub fn sids(self) -> Vec<String> {
        self.statements("aws", "000000000000")
            .iter()
            .filter_map(|s| s.get("Sid").and_then(Json::as_str).map(str::to_string))
            .collect()
    }
}

/// Sids of every preset, for validating user statements against all of them.
pub fn reserved_sids() -> Vec<String> {
    ALL.into_iter().flat_map(Preset::sids).collect()
}

/// The services the blog's creator policy opens completely. The seed's copy of
/// the blog lost its JSON body; this list is the blog's policy as reproduced by
/// walkthroughs that follow it step by step.
const SERVICE_WIDE_ACTIONS: [&str; 8] = [
    "autoscaling:*",
    "cloudformation:*",
    "ec2:*",
    "eks:*",
    "iam:*",
    "kms:*",
    "s3:*",
    "ssm:*",
];

fn service_wide() -> Vec<Json> {
    vec![json!({
        "Sid": "ServiceWideClusterCreation",
        "Effect": "Allow",
        "Action": SERVICE_WIDE_ACTIONS,
        "Resource": "*",
    })]
}

fn eksctl_minimum(partition: &str, account: &str) -> Vec<Json> {
    let iam = |rest: &str| format!("arn:{partition}:iam::{account}:{rest}");
    vec![
        // EksAllAccess
        json!({
            "Sid": "EksctlEksAllAccess",
            "Effect": "Allow",
            "Action": "eks:*",
            "Resource": "*",
        }),
        json!({
            "Sid": "EksctlSsmAwsParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": [
                format!("arn:{partition}:ssm:*:{account}:parameter/aws/*"),
                format!("arn:{partition}:ssm:*::parameter/aws/*"),
            ],
        }),
        json!({
            "Sid": "EksctlKms",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:DescribeKey"],
            "Resource": "*",
        }),
        json!({
            "Sid": "EksctlLogsRetention",
            "Effect": "Allow",
            "Action": "logs:PutRetentionPolicy",
            "Resource": "*",
        }),
        // IamLimitedAccess
        json!({
            "Sid": "EksctlIamLimitedAccess",
            "Effect": "Allow",
            "Action": [
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:GetRole",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:AttachRolePolicy",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:AddRoleToInstanceProfile",
                "iam:ListInstanceProfilesForRole",
                "iam:PassRole",
                "iam:DetachRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:GetRolePolicy",
                "iam:GetOpenIDConnectProvider",
                "iam:CreateOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
                "iam:ListAttachedRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:GetPolicy",
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:ListPolicyVersions",
            ],
            "Resource": [
                iam("instance-profile/eksctl-*"),
                iam("role/eksctl-*"),
                iam("policy/eksctl-*"),
                iam("oidc-provider/*"),
                iam("role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup"),
                iam("role/eksctl-managed-*"),
            ],
        }),
        json!({
            "Sid": "EksctlIamReadRolesUsers",
            "Effect": "Allow",
            "Action": ["iam:GetRole", "iam:GetUser"],
            "Resource": [iam("role/*"), iam("user/*")],
        }),
        json!({
            "Sid": "EksctlServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": [
                "eks.amazonaws.com",
                "eks-nodegroup.amazonaws.com",
                "eks-fargate.amazonaws.com",
            ]}},
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::policy_grammar::{MANAGED_POLICY_MAX_CHARS, counted_len};

    #[test]
    fn names_round_trip() {
        for p in ALL {
            assert_eq!(Preset::parse(p.as_str()), Some(p));
        }
        assert_eq!(Preset::parse("admin"), None);
    }

    #[test]
    fn eksctl_minimum_fits_a_managed_policy_and_names_the_account() {
        let sts = Preset::EksctlMinimum.statements("aws", "111122223333");
        let doc = json!({"Version": "2012-10-17", "Statement": sts}).to_string();
        assert!(
            counted_len(&doc) < MANAGED_POLICY_MAX_CHARS - 1500,
            "{}",
            counted_len(&doc)
        );
        assert!(doc.contains("arn:aws:iam::111122223333:role/eksctl-*"));
        assert!(!doc.contains("<account_id>"));
        // Statements are not admin: no `iam:*` and no `*` action.
        assert!(!doc.contains("\"iam:*\"") && !doc.contains("\"Action\":\"*\""));
    }

    #[test]
    fn partition_flows_into_arns() {
        let doc = json!(Preset::EksctlMinimum.statements("aws-cn", "111122223333")).to_string();
        assert!(!doc.contains("arn:aws:"));
        assert_eq!(
            Preset::EksctlMinimum.managed_policy_arns("aws-us-gov")[0],
            "arn:aws-us-gov:iam::aws:policy/AmazonEC2FullAccess"
        );
    }

    #[test]
    fn sids_are_unique_and_iam_safe() {
        let sids = reserved_sids();
        let mut dedup = sids.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), sids.len());
        assert!(
            sids.iter()
                .all(|s| s.chars().all(|c| c.is_ascii_alphanumeric()))
        );
        assert!(Preset::None.statements("aws", "1").is_empty());
    }
}
