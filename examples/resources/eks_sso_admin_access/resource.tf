resource "eks_sso_admin_access" "admins" {
  account_id    = "111122223333"
  cluster_names = ["prod", "staging"]
  groups        = ["EKS_Cluster_Admins"] # display names or identity-store IDs

  permission_set {
    name                = "EKSClusterAdminAccess"
    session_duration    = "PT4H"
    managed_policy_arns = ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    inline_policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "eks:*", Resource = "*" }]
    })
  }

  access_policy {
    policy = "AmazonEKSClusterAdminPolicy"
  }

  access_policy {
    policy     = "AmazonEKSViewPolicy"
    namespaces = ["dev", "qa-*"]
  }
}

# The role EKS sees, for aws-auth or other tooling.
output "reserved_role_arn" {
  value = eks_sso_admin_access.admins.reserved_role_arn
}
