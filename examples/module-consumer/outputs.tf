output "reserved_role_arns" {
  description = "Permission set => the AWSReservedSSO role its access entries name."
  value       = { for name, m in module.access : name => m.reserved_role_arn }
}

output "access_entries" {
  description = "Permission set => cluster => access entry."
  value       = { for name, m in module.access : name => m.access_entries }
}
