# terraform query -generate-config-out=found.tf (Terraform 1.14+): every
# permission set whose AWSReservedSSO role has an access entry on a cluster.
list "eks_sso_admin_access" "existing" {
  provider = eks
  config {
    cluster_names        = ["prod", "staging"]  # optional; default: every cluster in the region
    permission_set_names = ["EKSClusterAdmins"] # optional
  }
}
