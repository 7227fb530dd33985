//! The `provider "eks"` block. Names follow hashicorp/aws where the concept
//! is the same, so its users feel at home.

use crate::tfplugin::schema::{Attribute, Block, BlockNesting, NestedBlock, Schema};
use crate::tfplugin::types::CtyType;

/// Default for `max_retries` (hashicorp/aws uses the same number).
pub const DEFAULT_MAX_RETRIES: i64 = 25;
/// Session name used for `assume_role` when none is given.
pub const DEFAULT_SESSION_NAME: &str = "terraform-provider-eks";

fn assume_role_block(what: &str) -> NestedBlock {
    NestedBlock::new(
        "assume_role",
        BlockNesting::Single,
        Block {
            description: format!(
                "Assume this IAM role for {what}. The role is assumed with the credentials found otherwise (environment, `profile`, web identity, ECS or EC2 instance role)."
            ),
            attributes: vec![
                Attribute::required(
                    "role_arn",
                    CtyType::String,
                    "ARN of the role to assume, e.g. `arn:aws:iam::111122223333:role/OrganizationAccountAccessRole`.",
                ),
                Attribute::optional(
                    "session_name",
                    CtyType::String,
                    "Role session name (2–64 characters of `[\\w+=,.@-]`). Defaults to `terraform-provider-eks`.",
                ),
                Attribute::optional(
                    "external_id",
                    CtyType::String,
                    "External ID the role's trust policy requires, if any.",
                ),
                Attribute::optional(
                    "duration",
                    CtyType::String,
                    "Session length as a duration such as `\"1h\"` or `\"90m\"`, from `15m` to `12h` (and at most the role's maximum session duration). Defaults to STS's default of one hour.",
                ),
            ],
            ..Block::default()
        },
    )
}

pub fn provider_schema() -> Schema {
    let endpoint = |name: &str, service: &str, env: &str| {
        Attribute::optional(
            name,
            CtyType::String,
            &format!(
                "Custom {service} endpoint URL, e.g. `http://127.0.0.1:5000` for an emulator or a VPC endpoint. Overrides `AWS_ENDPOINT_URL_{env}` and `AWS_ENDPOINT_URL`, which are honoured when this is unset."
            ),
        )
    };
    Schema {
        version: 0,
        block: Block {
            description: "The `eks` provider wires IAM Identity Center (formerly AWS SSO) to Amazon EKS access. Credentials come from the standard AWS chain: environment variables, shared config and credentials files (including SSO profiles), web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN`, or a config file's `web_identity_token_file` with `role_arn`, the form HCP Terraform's dynamic credentials take), ECS and EC2 instance roles. No AWS call is made until a resource or data source needs one.".to_string(),
            attributes: vec![
                Attribute::optional(
                    "region",
                    CtyType::String,
                    "AWS region of the EKS clusters, e.g. `eu-west-1`. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's `region`.",
                ),
                Attribute::optional(
                    "profile",
                    CtyType::String,
                    "Named profile from the shared config/credentials files for the cluster account. Defaults to `AWS_PROFILE`, else `default`.",
                ),
                Attribute::optional(
                    "shared_config_files",
                    CtyType::list(CtyType::String),
                    "Paths of shared config files to use instead of `~/.aws/config` (or `AWS_CONFIG_FILE`). `~` is expanded.",
                ),
                Attribute::optional(
                    "shared_credentials_files",
                    CtyType::list(CtyType::String),
                    "Paths of shared credentials files to use instead of `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`). `~` is expanded.",
                ),
                Attribute::optional(
                    "max_retries",
                    CtyType::Number,
                    "Maximum number of attempts for an AWS request that fails with throttling, a timeout or a server error (standard retry mode, jittered exponential backoff). Defaults to `AWS_MAX_ATTEMPTS`, else 25.",
                ),
                Attribute::optional(
                    "plan_checks",
                    CtyType::Bool,
                    "Whether `terraform plan` checks what a new or changed `eks_sso_admin_access` names against AWS with read-only calls (account, clusters, groups and users, permission-set name, policies). Default `true`. Set `false` when the plan runs with credentials that cannot make those calls; the apply still checks the account, clusters and principals before its first write.",
                ),
            ],
            blocks: vec![
                assume_role_block("the cluster account (EKS, IAM and STS calls)"),
                NestedBlock::new(
                    "sso",
                    BlockNesting::Single,
                    Block {
                        description: "The IAM Identity Center side: the management or delegated-admin account that owns the instance. Unset arguments default to the provider's `region`, `profile`, `shared_config_files` and `shared_credentials_files`; the top-level `assume_role` is not inherited, because it targets the cluster account.".to_string(),
                        attributes: vec![
                            Attribute::optional(
                                "region",
                                CtyType::String,
                                "Identity Center home region, e.g. `us-east-1`. Defaults to the provider's `region`.",
                            ),
                            Attribute::optional(
                                "profile",
                                CtyType::String,
                                "Named profile for Identity Center calls. Defaults to the provider's `profile`.",
                            ),
                            Attribute::optional(
                                "shared_config_files",
                                CtyType::list(CtyType::String),
                                "Shared config files for Identity Center calls only, e.g. HCP Terraform's `var.tfc_aws_dynamic_credentials.aliases[\"sso\"].shared_config_file`. Defaults to the provider's `shared_config_files`. `~` is expanded.",
                            ),
                            Attribute::optional(
                                "shared_credentials_files",
                                CtyType::list(CtyType::String),
                                "Shared credentials files for Identity Center calls only. Defaults to the provider's `shared_credentials_files`. `~` is expanded.",
                            ),
                            Attribute::optional(
                                "instance_arn",
                                CtyType::String,
                                "Identity Center instance ARN, `arn:aws:sso:::instance/ssoins-...`. Optional: discovered when exactly one instance exists.",
                            ),
                        ],
                        blocks: vec![assume_role_block("Identity Center calls (sso-admin and identitystore)")],
                        ..Block::default()
                    },
                ),
                NestedBlock::new(
                    "endpoints",
                    BlockNesting::Single,
                    Block {
                        description: "Custom service endpoints, for emulators (moto, LocalStack) or VPC endpoints. Each must be an absolute `http://` or `https://` URL.".to_string(),
                        attributes: vec![
                            endpoint("eks", "Amazon EKS", "EKS"),
                            endpoint("iam", "IAM", "IAM"),
                            endpoint("sts", "STS (also used for `assume_role`)", "STS"),
                            endpoint("ssoadmin", "IAM Identity Center admin (sso-admin)", "SSO_ADMIN"),
                            endpoint("identitystore", "Identity Store", "IDENTITYSTORE"),
                        ],
                        ..Block::default()
                    },
                ),
                NestedBlock::new(
                    "default_tags",
                    BlockNesting::Single,
                    Block {
                        description: "Tags added to every taggable object the provider creates; a resource's own `tags` win on key conflicts.".to_string(),
                        attributes: vec![Attribute::optional(
                            "tags",
                            CtyType::map(CtyType::String),
                            "Tag keys and values, e.g. `{ team = \"platform\" }`. The rules of resource `tags` apply: \
                             keys of 1-128 letters, digits, spaces and `_.:/=+-@`, never starting with `aws:` (in any case).",
                        )],
                        ..Block::default()
                    },
                ),
            ],
            deprecated: false,
        },
    }
}
