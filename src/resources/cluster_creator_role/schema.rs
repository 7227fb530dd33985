//! Schema of `eks_cluster_creator_role` and the names of its attributes.

use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::CtyType;

pub const ID: &str = "id";
pub const NAME: &str = "name";
pub const PATH: &str = "path";
pub const DESCRIPTION: &str = "description";
pub const TRUSTED_PERMISSION_SETS: &str = "trusted_permission_sets";
pub const TRUSTED_ROLE_ARNS: &str = "trusted_role_arns";
pub const TRUSTED_PRINCIPAL_ARN_PATTERNS: &str = "trusted_principal_arn_patterns";
pub const PERMISSIONS: &str = "permissions";
pub const ADDITIONAL_POLICY_JSON: &str = "additional_policy_json";
pub const MANAGED_POLICY_ARNS: &str = "managed_policy_arns";
pub const MAX_SESSION_DURATION: &str = "max_session_duration";
pub const PERMISSIONS_BOUNDARY: &str = "permissions_boundary";
pub const TAGS: &str = "tags";
pub const TAGS_ALL: &str = "tags_all";
pub const POLICY_NAME: &str = "policy_name";
pub const ARN: &str = "arn";
pub const UNIQUE_ID: &str = "unique_id";
pub const POLICY_ARN: &str = "policy_arn";
pub const TRUST_POLICY: &str = "trust_policy";
pub const POLICY_DOCUMENT: &str = "policy_document";
pub const ATTACHED_POLICY_ARNS: &str = "attached_policy_arns";

pub const DEFAULT_NAME: &str = "EKSClusterCreator";
pub const DEFAULT_PATH: &str = "/";
pub const DEFAULT_MAX_SESSION: i64 = 3600;
pub const MIN_SESSION: i64 = 3600;
pub const MAX_SESSION: i64 = 43200;

/// Every attribute name, in schema order.
pub const ALL: [&str; 21] = [
    ID,
    NAME,
    PATH,
    DESCRIPTION,
    TRUSTED_PERMISSION_SETS,
    TRUSTED_ROLE_ARNS,
    TRUSTED_PRINCIPAL_ARN_PATTERNS,
    PERMISSIONS,
    ADDITIONAL_POLICY_JSON,
    MANAGED_POLICY_ARNS,
    MAX_SESSION_DURATION,
    PERMISSIONS_BOUNDARY,
    TAGS,
    TAGS_ALL,
    POLICY_NAME,
    ARN,
    UNIQUE_ID,
    POLICY_ARN,
    TRUST_POLICY,
    POLICY_DOCUMENT,
    ATTACHED_POLICY_ARNS,
];

fn strings() -> CtyType {
    CtyType::set(CtyType::String)
}

pub fn schema() -> Schema {
    let s = CtyType::String;
    let attributes = vec![
        Attribute::computed(ID, s.clone(), "The role name."),
        Attribute::optional_computed(
            NAME,
            s.clone(),
            "IAM role name (1-64 of `[A-Za-z0-9+=,.@_-]`). Default `EKSClusterCreator`. Changing it replaces the role.",
        )
        .requires_replace(),
        Attribute::optional_computed(
            PATH,
            s.clone(),
            "IAM path for the role and its policy. Default `/`. Changing it replaces the role.",
        )
        .requires_replace(),
        Attribute::optional(
            DESCRIPTION,
            s.clone(),
            "Role description (up to 1000 characters).",
        ),
        Attribute::optional(
            TRUSTED_PERMISSION_SETS,
            strings(),
            "IAM Identity Center permission set names whose reserved roles (`AWSReservedSSO_<name>_<suffix>`) may assume this role. \
             Matched by pattern, so the role can be created before the reserved role exists and keeps working when it is recreated.",
        ),
        Attribute::optional(
            TRUSTED_ROLE_ARNS,
            strings(),
            "Additional exact IAM principal ARNs (roles, users or account roots) that may assume this role. No wildcards.",
        ),
        Attribute::optional(
            TRUSTED_PRINCIPAL_ARN_PATTERNS,
            strings(),
            "`ArnLike` patterns on `aws:PrincipalArn`, admitted through the account root: principals of this account whose ARN \
             matches may assume the role. For trusts written by hand (for example \
             `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admins_*`), so that an import \
             keeps them exactly; prefer `trusted_permission_sets` for new roles. `*` and `?` only in the resource part.",
        ),
        Attribute::optional_computed(
            PERMISSIONS,
            s.clone(),
            "Permission preset: `eksctl_minimum` (default; eksctl's documented minimum IAM policies), \
             `service_wide` (the AWS blog's all-actions-on-the-services policy) or `none`.",
        ),
        Attribute::optional(
            ADDITIONAL_POLICY_JSON,
            s.clone(),
            "An IAM policy document whose statements are appended to the role's customer-managed policy.",
        ),
        Attribute::optional(
            MANAGED_POLICY_ARNS,
            strings(),
            "Extra managed policy ARNs to attach to the role.",
        ),
        Attribute::optional_computed(
            MAX_SESSION_DURATION,
            CtyType::Number,
            "Maximum session duration in seconds, 3600-43200. Default 3600.",
        ),
        Attribute::optional(
            PERMISSIONS_BOUNDARY,
            s.clone(),
            "ARN of a managed policy to set as the role's permissions boundary.",
        ),
        Attribute::optional(
            TAGS,
            CtyType::map(CtyType::String),
            "Tags for the role and its policy.",
        ),
        Attribute::computed(
            TAGS_ALL,
            CtyType::map(CtyType::String),
            "Tags including the provider's `default_tags`.",
        ),
        Attribute::optional_computed(
            POLICY_NAME,
            s.clone(),
            "Name of the customer-managed policy. Default `<name>Policy`. Changing it replaces the role.",
        )
        .requires_replace(),
        Attribute::computed(ARN, s.clone(), "ARN of the role."),
        Attribute::computed(UNIQUE_ID, s.clone(), "The role's unique id (`AROA...`).")
            .use_state_for_unknown(),
        Attribute::computed(
            POLICY_ARN,
            s.clone(),
            "ARN of the customer-managed policy; null when the preset is `none` and no additional policy is given.",
        ),
        Attribute::computed(TRUST_POLICY, s.clone(), "The rendered trust policy JSON."),
        Attribute::computed(
            POLICY_DOCUMENT,
            s.clone(),
            "The rendered customer-managed policy document (preset statements plus `additional_policy_json`).",
        ),
        Attribute::computed(
            ATTACHED_POLICY_ARNS,
            strings(),
            "Every managed policy attached to the role: the customer-managed policy, the preset's AWS-managed policies and `managed_policy_arns`.",
        ),
    ];
    Schema {
        version: 0,
        block: Block {
            attributes,
            blocks: Vec::new(),
            description: "The IAM role (plus a customer-managed policy) that IAM Identity Center admins assume to create EKS clusters. \
                          The creator keeps cluster-admin for the life of each cluster it creates, so it is kept separate from day-to-day roles."
                .to_string(),
            deprecated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_every_attribute_once() {
        let s = schema();
        let names: Vec<&str> = s.block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ALL.to_vec());
    }

    #[test]
    fn renames_replace_and_the_unique_id_survives_updates() {
        use crate::tfplugin::schema::PlanModifier::{RequiresReplace, UseStateForUnknown};
        let s = schema();
        let with = |m| {
            s.block
                .attributes
                .iter()
                .filter(|a| a.has_modifier(m))
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(with(RequiresReplace), vec![NAME, PATH, POLICY_NAME]);
        assert_eq!(with(UseStateForUnknown), vec![UNIQUE_ID]);
    }
}
