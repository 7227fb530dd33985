output "permission_set_arn" {
  value = eks_sso_admin_access.platform.permission_set_arn
}

output "reserved_role_arns" {
  description = "The AWSReservedSSO_EKSPlatformAdmin_* role in each account (each account gets its own suffix)."
  value = {
    (var.account_id)        = eks_sso_admin_access.platform.reserved_role_arn
    (var.second_account_id) = eks_sso_admin_access.platform_member2.reserved_role_arn
  }
}

output "access_entries" {
  description = "Access entry per cluster, per account."
  value = {
    (var.account_id)        = eks_sso_admin_access.platform.access_entries
    (var.second_account_id) = eks_sso_admin_access.platform_member2.access_entries
  }
}

output "kubeconfigs" {
  description = "One kubeconfig per cluster, keyed by \"<account>/<cluster>\"."
  value = merge(
    { for name, k in data.eks_kubeconfig.first : "${var.account_id}/${name}" => k.kubeconfig },
    { for name, k in data.eks_kubeconfig.second : "${var.second_account_id}/${name}" => k.kubeconfig },
  )
}

output "aws_config" {
  description = "Both profiles with one shared [sso-session] section: append to ~/.aws/config."
  value       = local.aws_config
}
