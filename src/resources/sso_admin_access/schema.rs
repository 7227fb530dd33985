//! Schema of `eks_sso_admin_access` and the names of its attributes and blocks.
//!
//! The shape follows SPEC's HCL exactly; `tags_all` is added (as in
//! hashicorp/aws) so the provider's `default_tags` show in plans.
//!
//! Collections that may be empty (`groups`, `users`, `kubernetes_groups`,
//! `tags`, `managed_policy_arns`) are optional+computed with an empty
//! default: Terraform lets a plan keep neither a null prior value for `[]` in
//! config nor the reverse, so without the default a state could match only
//! one of `users = []` and leaving `users` out. Leaving one out means empty.

use crate::tfplugin::schema::{Attribute, Block, BlockNesting, NestedBlock, Schema};
use crate::tfplugin::types::CtyType;

pub const TYPE_NAME: &str = "eks_sso_admin_access";

pub const ID: &str = "id";
pub const ACCOUNT_ID: &str = "account_id";
pub const CLUSTER_NAMES: &str = "cluster_names";
pub const GROUPS: &str = "groups";
pub const USERS: &str = "users";
pub const PERMISSION_SET: &str = "permission_set";
pub const PERMISSION_SET_ARN: &str = "permission_set_arn";
pub const KUBERNETES_GROUPS: &str = "kubernetes_groups";
pub const KUBERNETES_USERNAME: &str = "kubernetes_username";
pub const ACCESS_POLICY: &str = "access_policy";
pub const TAGS: &str = "tags";
pub const TAGS_ALL: &str = "tags_all";
pub const TIMEOUTS: &str = "timeouts";
pub const INSTANCE_ARN: &str = "instance_arn";
pub const IDENTITY_STORE_ID: &str = "identity_store_id";
pub const PRINCIPAL_IDS: &str = "principal_ids";
pub const RESERVED_ROLE_NAME: &str = "reserved_role_name";
pub const RESERVED_ROLE_ARN: &str = "reserved_role_arn";
pub const RESERVED_ROLE_ARN_WITHOUT_PATH: &str = "reserved_role_arn_without_path";
pub const ACCESS_ENTRIES: &str = "access_entries";

// permission_set { ... }
pub const NAME: &str = "name";
pub const DESCRIPTION: &str = "description";
pub const SESSION_DURATION: &str = "session_duration";
pub const RELAY_STATE: &str = "relay_state";
pub const MANAGED_POLICY_ARNS: &str = "managed_policy_arns";
pub const INLINE_POLICY: &str = "inline_policy";
pub const CUSTOMER_MANAGED_POLICY: &str = "customer_managed_policy";
pub const PERMISSIONS_BOUNDARY: &str = "permissions_boundary";
pub const MANAGED_POLICY_ARN: &str = "managed_policy_arn";
pub const PATH: &str = "path";

// access_policy { ... }
pub const POLICY: &str = "policy";
pub const NAMESPACES: &str = "namespaces";

// access_entries[cluster]
pub const ACCESS_ENTRY_ARN: &str = "access_entry_arn";
pub const PRINCIPAL_ARN: &str = "principal_arn";

// timeouts { ... }
pub const CREATE: &str = "create";
pub const UPDATE: &str = "update";
pub const DELETE: &str = "delete";

pub const DEFAULT_SESSION_DURATION: &str = "PT1H";
pub const DEFAULT_POLICY_PATH: &str = "/";

fn strings() -> CtyType {
    CtyType::set(CtyType::String)
}

/// The object type of one `access_entries` value.
pub fn access_entry_type() -> CtyType {
    CtyType::object([
        (ACCESS_ENTRY_ARN, CtyType::String),
        (KUBERNETES_USERNAME, CtyType::String),
        (PRINCIPAL_ARN, CtyType::String),
    ])
}

fn customer_policy_block(description: &str) -> Block {
    Block {
        attributes: vec![
            Attribute::required(
                NAME,
                CtyType::String,
                "Name of a customer-managed IAM policy that must exist in the target account (1-128 of `[\\w+=,.@-]`).",
            ),
            Attribute::optional_computed(
                PATH,
                CtyType::String,
                "IAM path of that policy. Default `/`.",
            ),
        ],
        blocks: Vec::new(),
        description: description.to_string(),
        deprecated: false,
    }
}

fn permission_set_block() -> Block {
    let s = CtyType::String;
    Block {
        attributes: vec![
            Attribute::required(
                NAME,
                s.clone(),
                "Permission set name (1-32 of `[\\w+=,.@-]`). It names the reserved role \
                 `AWSReservedSSO_<name>_<suffix>`. Changing it replaces the grant.",
            ),
            // Computed too: Identity Center has no way to remove a
            // description (UpdatePermissionSet takes 1-700 characters, and
            // leaves the description as it is when none is sent), so an unset
            // description keeps whatever AWS holds instead of planning a
            // removal no apply could make.
            Attribute::optional_computed(
                DESCRIPTION,
                s.clone(),
                "Description (1-700 characters). Identity Center cannot remove a description once set, \
                 so leaving this unset keeps the one AWS holds.",
            ),
            Attribute::optional_computed(
                SESSION_DURATION,
                s.clone(),
                "ISO-8601 session length, `PT1H` to `PT12H`. Default `PT1H`.",
            ),
            Attribute::optional(
                RELAY_STATE,
                s.clone(),
                "URL users land on after signing in through the access portal (1-240 characters).",
            ),
            Attribute::optional_computed(
                MANAGED_POLICY_ARNS,
                strings(),
                "AWS-managed IAM policy ARNs to attach, such as `arn:aws:iam::aws:policy/job-function/ViewOnlyAccess`.",
            ),
            Attribute::optional(
                INLINE_POLICY,
                s.clone(),
                "Inline IAM policy JSON (use `jsonencode`). Compared semantically: reformatting or reordering keys is not a change.",
            ),
        ],
        blocks: vec![
            NestedBlock::new(
                CUSTOMER_MANAGED_POLICY,
                BlockNesting::Set,
                customer_policy_block("A customer-managed policy, referenced by name and path in the target account."),
            ),
            NestedBlock::new(
                PERMISSIONS_BOUNDARY,
                BlockNesting::Single,
                Block {
                    attributes: vec![Attribute::optional(
                        MANAGED_POLICY_ARN,
                        s.clone(),
                        "An AWS-managed policy ARN to use as the boundary.",
                    )],
                    blocks: vec![NestedBlock::new(
                        CUSTOMER_MANAGED_POLICY,
                        BlockNesting::Single,
                        customer_policy_block("A customer-managed policy to use as the boundary."),
                    )],
                    description: "Permissions boundary for the reserved role: exactly one of `managed_policy_arn` or `customer_managed_policy`."
                        .to_string(),
                    deprecated: false,
                },
            ),
        ],
        description: "The permission set managed by this resource. Exactly one of this block or `permission_set_arn`."
            .to_string(),
        deprecated: false,
    }
}

fn access_policy_block() -> Block {
    Block {
        attributes: vec![
            Attribute::required(
                POLICY,
                CtyType::String,
                "EKS access policy: a short name such as `AmazonEKSClusterAdminPolicy` or a full \
                 `arn:aws:eks::aws:cluster-access-policy/<Name>` ARN.",
            ),
            Attribute::optional(
                NAMESPACES,
                strings(),
                "Kubernetes namespaces the policy applies to (wildcards such as `dev-*` allowed). \
                 Leave out for cluster scope; an empty set is an error.",
            ),
        ],
        blocks: Vec::new(),
        description: "An access policy associated with the access entry on every cluster."
            .to_string(),
        deprecated: false,
    }
}

/// The default of every `timeouts` entry.
pub const DEFAULT_TIMEOUT: &str = "20m";

/// `timeouts` is a group block (never null) whose entries are
/// optional+computed with a `20m` default, so an imported grant (which
/// records the defaults) plans empty both with a `timeouts` block that
/// spells them out and without one.
fn timeouts_block() -> Block {
    let d = |name: &str, op: &str| {
        Attribute::optional_computed(
            name,
            CtyType::String,
            &format!(
                "How long {op} may take, as a duration such as `30m`. Default `{DEFAULT_TIMEOUT}`."
            ),
        )
    };
    Block {
        attributes: vec![
            d(CREATE, "create"),
            d(UPDATE, "an update"),
            d(DELETE, "delete"),
        ],
        blocks: Vec::new(),
        description: "Time limits for each operation.".to_string(),
        deprecated: false,
    }
}

pub fn schema() -> Schema {
    let s = CtyType::String;
    let attributes = vec![
        Attribute::computed(ID, s.clone(), "`<permission_set_arn>,<account_id>`."),
        Attribute::required(
            ACCOUNT_ID,
            s.clone(),
            "The AWS account (12 digits) that holds the clusters. Changing it replaces the grant.",
        ),
        Attribute::required(
            CLUSTER_NAMES,
            CtyType::list(CtyType::String),
            "EKS clusters in that account (and the provider's region) that get an access entry.",
        ),
        Attribute::optional_computed(
            GROUPS,
            strings(),
            "Identity Center groups to assign: display names or identity-store group IDs.",
        ),
        Attribute::optional_computed(
            USERS,
            strings(),
            "Identity Center users to assign: user names or identity-store user IDs.",
        ),
        Attribute::optional_computed(
            PERMISSION_SET_ARN,
            s.clone(),
            "An existing permission set to reference instead of the `permission_set` block. \
             It is only assigned, never modified or deleted. Computed when the block is used.",
        ),
        Attribute::optional_computed(
            KUBERNETES_GROUPS,
            strings(),
            "Kubernetes groups for the access entries (not starting with `system:`).",
        ),
        Attribute::optional(
            KUBERNETES_USERNAME,
            s.clone(),
            "Kubernetes username for the access entries. When null EKS chooses its default \
             (`arn:aws:sts::<account>:assumed-role/<role>/{{SessionName}}`), shown in `access_entries`.",
        ),
        Attribute::optional_computed(
            TAGS,
            CtyType::map(s.clone()),
            "Tags for the permission set and the access entries.",
        ),
        Attribute::computed(
            TAGS_ALL,
            CtyType::map(s.clone()),
            "Tags including the provider's `default_tags`.",
        ),
        Attribute::computed(INSTANCE_ARN, s.clone(), "The IAM Identity Center instance."),
        Attribute::computed(
            IDENTITY_STORE_ID,
            s.clone(),
            "The instance's identity store.",
        ),
        Attribute::computed(
            PRINCIPAL_IDS,
            CtyType::map(s.clone()),
            "Identity-store ID of each entry of `groups` and `users`, keyed by the name as written.",
        ),
        Attribute::computed(
            RESERVED_ROLE_NAME,
            s.clone(),
            "The role IAM Identity Center created in the account: `AWSReservedSSO_<name>_<suffix>`.",
        ),
        Attribute::computed(
            RESERVED_ROLE_ARN,
            s.clone(),
            "Full role ARN including the `aws-reserved/sso.amazonaws.com/[<region>/]` path: the form access entries need.",
        ),
        Attribute::computed(
            RESERVED_ROLE_ARN_WITHOUT_PATH,
            s.clone(),
            "Role ARN without the path: the form the legacy `aws-auth` ConfigMap needs.",
        ),
        Attribute::computed(
            ACCESS_ENTRIES,
            CtyType::map(access_entry_type()),
            "The access entry on each cluster: `access_entry_arn`, `kubernetes_username` and `principal_arn`.",
        ),
    ];
    let blocks = vec![
        NestedBlock::new(PERMISSION_SET, BlockNesting::Single, permission_set_block()),
        NestedBlock::new(ACCESS_POLICY, BlockNesting::List, access_policy_block()),
        NestedBlock::new(TIMEOUTS, BlockNesting::Group, timeouts_block()),
    ];
    Schema {
        version: 0,
        block: Block {
            attributes,
            blocks,
            description: "Admin access to EKS clusters for IAM Identity Center groups or users, in one resource: \
                          a permission set, its assignment to one account, the `AWSReservedSSO_*` role AWS creates \
                          for it, and an access entry with access policies on each listed cluster."
                .to_string(),
            deprecated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{AttributeType, Presence};

    fn attr<'a>(b: &'a Block, name: &str) -> &'a Attribute {
        b.attributes.iter().find(|a| a.name == name).unwrap()
    }

    #[test]
    fn top_level_presence_matches_spec() {
        let s = schema();
        let b = &s.block;
        assert_eq!(attr(b, ACCOUNT_ID).presence, Presence::Required);
        assert_eq!(attr(b, CLUSTER_NAMES).presence, Presence::Required);
        for defaulted in [GROUPS, USERS, KUBERNETES_GROUPS, TAGS] {
            assert_eq!(
                attr(b, defaulted).presence,
                Presence::OptionalComputed,
                "{defaulted}"
            );
        }
        assert_eq!(attr(b, KUBERNETES_USERNAME).presence, Presence::Optional);
        assert_eq!(
            attr(b, PERMISSION_SET_ARN).presence,
            Presence::OptionalComputed
        );
        for computed in [
            ID,
            INSTANCE_ARN,
            IDENTITY_STORE_ID,
            PRINCIPAL_IDS,
            RESERVED_ROLE_NAME,
            RESERVED_ROLE_ARN,
            RESERVED_ROLE_ARN_WITHOUT_PATH,
            ACCESS_ENTRIES,
            TAGS_ALL,
        ] {
            assert_eq!(attr(b, computed).presence, Presence::Computed, "{computed}");
        }
        assert_eq!(
            attr(b, CLUSTER_NAMES).ty,
            AttributeType::Cty(CtyType::list(CtyType::String))
        );
    }

    #[test]
    fn blocks_and_nesting() {
        let s = schema();
        let names: Vec<(&str, BlockNesting)> = s
            .block
            .blocks
            .iter()
            .map(|b| (b.name.as_str(), b.nesting))
            .collect();
        assert_eq!(
            names,
            vec![
                (PERMISSION_SET, BlockNesting::Single),
                (ACCESS_POLICY, BlockNesting::List),
                (TIMEOUTS, BlockNesting::Group)
            ]
        );
        let ps = &s.block.blocks[0].block;
        assert_eq!(
            attr(ps, SESSION_DURATION).presence,
            Presence::OptionalComputed
        );
        assert_eq!(attr(ps, DESCRIPTION).presence, Presence::OptionalComputed);
        assert_eq!(attr(ps, RELAY_STATE).presence, Presence::Optional);
        assert_eq!(ps.blocks[0].name, CUSTOMER_MANAGED_POLICY);
        assert_eq!(ps.blocks[1].name, PERMISSIONS_BOUNDARY);
    }
}
