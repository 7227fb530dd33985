# J1, "A quick path to Amazon EKS single sign-on using AWS SSO" (AWS blog), as code.
#
# Identity Center lives in the management account (the credentials you run
# Terraform with); the cluster, the creator role and the SSO reserved role live
# in the member account, reached through assume_role.

provider "eks" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.cluster_account_role_name == null ? [] : [var.cluster_account_role_name]
    content {
      role_arn     = "arn:aws:iam::${var.account_id}:role/${assume_role.value}"
      session_name = "terraform-eks-sso"
    }
  }

  sso {
    region = var.sso_region
  }
}

locals {
  permission_set_name = "EKSClusterAdminAccess"
}

# Blog: "Create IAM EKSClusterCreator role". The trust policy matches
# AWSReservedSSO_EKSClusterAdminAccess_<suffix> by pattern, so this role can be
# created before Identity Center has created the SSO role, and keeps working when
# the SSO role is recreated with a new suffix. "service_wide" is the blog's
# policy (all actions of the services eksctl uses); the default "eksctl_minimum"
# is tighter.
resource "eks_cluster_creator_role" "creator" {
  name                    = "EKSClusterCreator"
  policy_name             = "EKSClusterCreatorPolicy"
  trusted_permission_sets = [local.permission_set_name]
  permissions             = "service_wide"
  description             = "Creates EKS clusters; assumed by the EKSClusterAdminAccess SSO role"
}

# Blog steps 1-5 in one resource: the permission set (ViewOnlyAccess + the custom
# inline policy), the group's assignment to the member account, the
# AWSReservedSSO_EKSClusterAdminAccess_<suffix> role Identity Center creates, and
# an EKS access entry mapping that role to cluster-admin (instead of the blog's
# `eksctl create iamidentitymapping` into aws-auth).
resource "eks_sso_admin_access" "cluster_admins" {
  account_id    = var.account_id
  cluster_names = [var.cluster_name]
  groups        = [var.admin_group]

  permission_set {
    name             = local.permission_set_name
    description      = "EKS cluster administrators: view-only AWS, full EKS, may assume EKSClusterCreator"
    session_duration = "PT4H"
    relay_state      = "https://console.aws.amazon.com/eks/home"

    managed_policy_arns = ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]

    inline_policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "ManageEKS"
          Effect   = "Allow"
          Action   = ["eks:*"]
          Resource = "*"
        },
        {
          Sid      = "AssumeClusterCreatorRole"
          Effect   = "Allow"
          Action   = ["sts:AssumeRole"]
          Resource = eks_cluster_creator_role.creator.arn
        },
      ]
    })
  }

  # The Kubernetes cluster-admin ClusterRole, through an EKS access policy.
  access_policy {
    policy = "AmazonEKSClusterAdminPolicy"
  }
}

# Blog step 2 ends with "AWS creates AWSReservedSSO_EKSClusterAdminAccess_<suffix>".
# Other stacks (an aws-auth module, a cluster created elsewhere) can find that
# role by permission set name alone; this lookup shows how, and must agree with
# the grant's own reserved_role_arn.
data "eks_sso_reserved_role" "admins" {
  permission_set_name = eks_sso_admin_access.cluster_admins.permission_set.name
  wait                = "2m"

  depends_on = [eks_sso_admin_access.cluster_admins]
}

# Blog: `aws configure sso` (profile EKSClusterAdminAccess-EKSAccount1), plus a
# profile that assumes EKSClusterCreator through it (the blog's
# `aws sts assume-role ... --profile EKSClusterAdminAccess-EKSAccount1`).
data "eks_sso_cli_profile" "admin" {
  profile_name             = var.cli_profile_name
  account_id               = var.account_id
  permission_set_name      = eks_sso_admin_access.cluster_admins.permission_set.name
  region                   = var.region
  assume_role_arn          = eks_cluster_creator_role.creator.arn
  assume_role_profile_name = var.creator_profile_name
}

# Blog: `aws eks update-kubeconfig --name ${cluster} --profile EKSClusterAdminAccess-EKSAccount1`.
# Read after the access entry exists, so the file is usable as soon as it is written.
data "eks_kubeconfig" "admin" {
  cluster_name = var.cluster_name
  aws_profile  = data.eks_sso_cli_profile.admin.profile_name

  depends_on = [eks_sso_admin_access.cluster_admins]
}
