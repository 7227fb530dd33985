output "permission_set_arn" {
  description = "The permission set the module manages."
  value       = eks_sso_admin_access.this.permission_set_arn
}

output "reserved_role_arn" {
  description = "The AWSReservedSSO role with its path: what the access entries name."
  value       = eks_sso_admin_access.this.reserved_role_arn
}

output "reserved_role_arn_without_path" {
  description = "The same role without its path, for aws-auth."
  value       = eks_sso_admin_access.this.reserved_role_arn_without_path
}

output "access_entries" {
  description = "The access entry on each cluster."
  value       = eks_sso_admin_access.this.access_entries
}
