# One permission set, granted across several clusters and two accounts.
#
# Each eks_sso_admin_access covers one account (an assignment targets one
# account, and the access entries are created with that account's credentials),
# so the second account gets its own resource on an aliased provider. It
# references the permission set the first one manages, so there is still one
# permission set to maintain.

provider "eks" {
  region = var.region

  assume_role {
    role_arn     = "arn:aws:iam::${var.account_id}:role/${var.cluster_account_role_name}"
    session_name = "terraform-eks-sso"
  }

  sso {
    region = var.sso_region
  }
}

provider "eks" {
  alias  = "member2"
  region = var.region

  assume_role {
    role_arn     = "arn:aws:iam::${var.second_account_id}:role/${var.cluster_account_role_name}"
    session_name = "terraform-eks-sso"
  }

  # Identity Center is reached with the base credentials (the management or
  # delegated-admin account), never through the assume_role above.
  sso {
    region = var.sso_region
  }
}

# The first account: one permission set, one assignment, one reserved role, and
# the same access entry on every cluster in cluster_names.
resource "eks_sso_admin_access" "platform" {
  account_id    = var.account_id
  cluster_names = var.cluster_names
  groups        = [var.admin_group]

  permission_set {
    name                = "EKSPlatformAdmin"
    description         = "Platform team: cluster-admin on every EKS cluster"
    session_duration    = "PT8H"
    managed_policy_arns = ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    inline_policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "DescribeClusters"
          Effect   = "Allow"
          Action   = ["eks:DescribeCluster", "eks:ListClusters"]
          Resource = "*"
        },
      ]
    })
  }

  access_policy {
    policy = "AmazonEKSClusterAdminPolicy"
  }
}

# The second account: the same permission set, referenced by ARN (assigned and
# provisioned to this account, never modified or deleted here).
resource "eks_sso_admin_access" "platform_member2" {
  provider = eks.member2

  account_id         = var.second_account_id
  cluster_names      = var.second_cluster_names
  groups             = [var.admin_group]
  permission_set_arn = eks_sso_admin_access.platform.permission_set_arn

  access_policy {
    policy = "AmazonEKSClusterAdminPolicy"
  }
}

# One kubeconfig per cluster, each using the SSO profile of its account.
data "eks_kubeconfig" "first" {
  for_each = var.cluster_names

  cluster_name = each.value
  aws_profile  = "EKSPlatformAdmin-${var.account_id}"

  depends_on = [eks_sso_admin_access.platform]
}

data "eks_kubeconfig" "second" {
  provider = eks.member2
  for_each = var.second_cluster_names

  cluster_name = each.value
  aws_profile  = "EKSPlatformAdmin-${var.second_account_id}"

  depends_on = [eks_sso_admin_access.platform_member2]
}

# The AWS CLI profiles those kubeconfigs name, sharing one [sso-session].
data "eks_sso_cli_profile" "first" {
  profile_name        = "EKSPlatformAdmin-${var.account_id}"
  account_id          = var.account_id
  permission_set_name = eks_sso_admin_access.platform.permission_set.name
}

data "eks_sso_cli_profile" "second" {
  profile_name        = "EKSPlatformAdmin-${var.second_account_id}"
  account_id          = var.second_account_id
  permission_set_name = eks_sso_admin_access.platform.permission_set.name
}

locals {
  # Each rendering starts with the same [sso-session] section, and the AWS CLI
  # rejects a config file that repeats a section: keep the whole first
  # rendering and only the [profile ...] sections of the second.
  second_profiles = [
    for section in split("\n\n", trimspace(data.eks_sso_cli_profile.second.config)) :
    section if startswith(section, "[profile ")
  ]
  aws_config = "${data.eks_sso_cli_profile.first.config}\n${join("\n\n", local.second_profiles)}\n"
}
