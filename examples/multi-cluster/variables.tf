variable "region" {
  description = "Region of the EKS clusters (both accounts)."
  type        = string
  default     = "eu-west-1"
}

variable "sso_region" {
  description = "IAM Identity Center's home region. Outside us-east-1 the reserved role's path carries the region."
  type        = string
  default     = "eu-west-1"
}

variable "account_id" {
  description = "First member account: holds the clusters in cluster_names."
  type        = string
  default     = "111122223333"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "cluster_names" {
  description = "Clusters in account_id that get the same access entry."
  type        = set(string)
  default     = ["prod", "staging"]
}

variable "second_account_id" {
  description = "Second member account, reached through the aliased provider eks.member2."
  type        = string
  default     = "444455556666"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.second_account_id))
    error_message = "second_account_id must be a 12-digit AWS account ID."
  }
}

variable "second_cluster_names" {
  description = "Clusters in second_account_id that get the access entry."
  type        = set(string)
  default     = ["analytics"]
}

variable "cluster_account_role_name" {
  description = "Role Terraform assumes in each member account (AWS Organizations creates OrganizationAccountAccessRole)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "admin_group" {
  description = "IAM Identity Center group that gets cluster-admin everywhere."
  type        = string
  default     = "Platform_Admins"
}
