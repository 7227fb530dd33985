output "reserved_role_name" {
  description = "The role Identity Center created for the permission set in the member account."
  value       = eks_sso_admin_access.cluster_admins.reserved_role_name
}

output "reserved_role_arn" {
  description = "Full ARN with the aws-reserved/sso.amazonaws.com/ path: what EKS access entries use."
  value       = eks_sso_admin_access.cluster_admins.reserved_role_arn
}

output "reserved_role_arn_without_path" {
  description = "ARN without the path: what a legacy aws-auth ConfigMap mapRoles entry needs."
  value       = eks_sso_admin_access.cluster_admins.reserved_role_arn_without_path
}

output "reserved_role_lookup_arn" {
  description = "The same role found by name with data.eks_sso_reserved_role, as another stack would."
  value       = data.eks_sso_reserved_role.admins.arn
}

output "permission_set_arn" {
  value = eks_sso_admin_access.cluster_admins.permission_set_arn
}

output "access_entries" {
  description = "The access entry on each cluster."
  value       = eks_sso_admin_access.cluster_admins.access_entries
}

output "creator_role_arn" {
  description = "Assume this role (profile creator_profile_name) to create clusters."
  value       = eks_cluster_creator_role.creator.arn
}

output "aws_config" {
  description = "Append to ~/.aws/config, then `aws sso login --profile <cli_profile_name>`."
  value       = data.eks_sso_cli_profile.admin.config
}

output "kubeconfig" {
  description = "Write to a file and point KUBECONFIG at it. Holds no credentials."
  value       = data.eks_kubeconfig.admin.kubeconfig
}
