data "eks_sso_cli_profile" "admin" {
  profile_name        = "EKSClusterAdminAccess-EKSAccount1"
  account_id          = "111122223333"
  permission_set_name = "EKSClusterAdminAccess"
  region              = "eu-west-1"

  # Optional: a second profile that assumes the cluster-creator role.
  assume_role_arn          = "arn:aws:iam::111122223333:role/EKSClusterCreator"
  assume_role_profile_name = "EKSClusterCreator-EKSAccount1"
}

# Append to ~/.aws/config, then `aws sso login --sso-session sso`.
output "aws_config" {
  value = data.eks_sso_cli_profile.admin.config
}
