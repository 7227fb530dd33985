# terraform query -generate-config-out=found.tf (Terraform 1.14+): roles that
# AWSReservedSSO roles may assume, by exact ARN or by pattern.
list "eks_cluster_creator_role" "existing" {
  provider = eks
  config {
    path_prefix = "/" # optional
  }
}
