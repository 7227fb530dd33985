# The role SSO admins assume only to create clusters (step 3 of the AWS blog
# "A quick path to Amazon EKS single sign-on using AWS SSO").
resource "eks_cluster_creator_role" "creator" {
  trusted_permission_sets = ["EKSClusterAdminAccess"]
  permissions             = "eksctl_minimum" # or "service_wide", "none"
}

output "creator_role_arn" {
  value = eks_cluster_creator_role.creator.arn
}
