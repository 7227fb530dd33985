# J2, "Use AWS EKS SSO with K8Studio", as code: a least-privilege permission set,
# an EKS access entry with a namespace-scoped view policy for its AWSReservedSSO
# role, and a kubeconfig whose exec plugin uses the SSO profile and never logs in
# by itself.

provider "eks" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.cluster_account_role_name == null ? [] : [var.cluster_account_role_name]
    content {
      role_arn     = "arn:aws:iam::${var.account_id}:role/${assume_role.value}"
      session_name = "terraform-k8studio"
    }
  }

  sso {
    region = var.sso_region
  }
}

# Guide steps 2, 3 and 6: permission set K8StudioEKSExec, the group's assignment
# to the account, and an access entry for the AWSReservedSSO_K8StudioEKSExec_*
# role with AmazonEKSViewPolicy in the chosen namespaces.
#
# The AWS side needs only eks:DescribeCluster (what `aws eks update-kubeconfig`
# and K8Studio's cluster lookup call). `aws eks get-token` signs an
# sts:GetCallerIdentity request locally and never sends it; EKS sends it, and
# GetCallerIdentity needs no IAM permission (an explicit Deny cannot block it
# either). Everything inside Kubernetes comes from the access policy.
resource "eks_sso_admin_access" "k8studio" {
  account_id    = var.account_id
  cluster_names = [var.cluster_name]
  groups        = var.groups
  users         = var.users

  permission_set {
    name        = "K8StudioEKSExec"
    description = "Connect K8Studio and kubectl to EKS through SSO; Kubernetes permissions come from access entries"

    inline_policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "DescribeTheCluster"
          Effect   = "Allow"
          Action   = ["eks:DescribeCluster"]
          Resource = "arn:aws:eks:${var.region}:${var.account_id}:cluster/${var.cluster_name}"
        },
      ]
    })
  }

  access_policy {
    policy     = "AmazonEKSViewPolicy"
    namespaces = var.namespaces
  }
}

# Guide step 4: `aws configure sso --profile k8studio-sso`.
data "eks_sso_cli_profile" "k8studio" {
  profile_name        = var.profile_name
  account_id          = var.account_id
  permission_set_name = eks_sso_admin_access.k8studio.permission_set.name
  region              = var.region
}

# Guide step 7: `aws eks update-kubeconfig --name k8studio-auth-eks --region us-east-1
# --profile k8studio-sso`, with interactiveMode: Never so a missing or expired SSO
# token is reported to K8Studio instead of starting a login nobody sees. The
# context name is the one the guide's step 8 uses with kubectl --context.
data "eks_kubeconfig" "k8studio" {
  cluster_name = var.cluster_name
  region       = var.region
  aws_profile  = data.eks_sso_cli_profile.k8studio.profile_name
  context_name = "${var.profile_name}@${var.cluster_name}.${var.region}.eksctl.io"

  depends_on = [eks_sso_admin_access.k8studio]
}
