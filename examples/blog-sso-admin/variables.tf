variable "region" {
  description = "Region of the EKS cluster."
  type        = string
  default     = "us-east-1"
}

variable "sso_region" {
  description = "IAM Identity Center's home region (where it was enabled)."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "The member account that hosts the cluster (the blog's \"EKS-Account-...\")."
  type        = string
  default     = "111122223333"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "cluster_account_role_name" {
  description = <<-EOT
    Role Terraform assumes in account_id for the EKS and IAM work. AWS Organizations
    creates OrganizationAccountAccessRole in every member account it creates. Set to
    null when your credentials are already in account_id.
  EOT
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "cluster_name" {
  description = "The EKS cluster the admins get cluster-admin on. Its authentication mode must be API or API_AND_CONFIG_MAP."
  type        = string
  default     = "blog-cluster"
}

variable "admin_group" {
  description = "IAM Identity Center group of the cluster administrators (display name or group ID)."
  type        = string
  default     = "EKS_Cluster_Admins"
}

variable "cli_profile_name" {
  description = "AWS CLI profile for the SSO role (the blog's `aws configure sso` profile)."
  type        = string
  default     = "EKSClusterAdminAccess-EKSAccount1"
}

variable "creator_profile_name" {
  description = "AWS CLI profile that assumes the cluster creator role through the SSO profile."
  type        = string
  default     = "EKSClusterCreator-EKSAccount1"
}
