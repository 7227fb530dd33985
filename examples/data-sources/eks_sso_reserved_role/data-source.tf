data "eks_sso_reserved_role" "admins" {
  permission_set_name = "EKSClusterAdminAccess"
  wait                = "5m" # right after the assignment is created
}

# Full path, for access entries:
#   arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSClusterAdminAccess_0123456789abcdef
output "reserved_role_arn" {
  value = data.eks_sso_reserved_role.admins.arn
}

# Without the path, for the aws-auth ConfigMap.
output "reserved_role_arn_for_aws_auth" {
  value = data.eks_sso_reserved_role.admins.arn_without_path
}
