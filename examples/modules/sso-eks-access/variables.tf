variable "account_id" {
  description = "The AWS account that holds the clusters; the calling provider's cluster-side credentials must belong to it."
  type        = string
}

variable "cluster_names" {
  description = "EKS clusters in that account (and the provider's region) that get an access entry."
  type        = list(string)
}

variable "permission_set_name" {
  description = "Name of the permission set this module manages; it names the AWSReservedSSO_<name>_<suffix> role."
  type        = string
}

variable "groups" {
  description = "Identity Center groups (display names or IDs) assigned to the permission set in the account."
  type        = set(string)
}

variable "access_policies" {
  description = "EKS access policies for the access entries: a short name or ARN, and namespaces (null for cluster scope)."
  type = list(object({
    policy     = string
    namespaces = optional(set(string))
  }))
  default = [{ policy = "AmazonEKSClusterAdminPolicy" }]
}

variable "description" {
  description = "Description of the permission set."
  type        = string
  default     = null
}

variable "session_duration" {
  description = "ISO-8601 session length, PT1H to PT12H."
  type        = string
  default     = "PT1H"
}

variable "managed_policy_arns" {
  description = "AWS-managed policies for the permission set, e.g. ViewOnlyAccess."
  type        = set(string)
  default     = []
}

variable "inline_policy" {
  description = "Inline IAM policy JSON for the permission set (jsonencode)."
  type        = string
  default     = null
}

variable "kubernetes_groups" {
  description = "Kubernetes groups for the access entries (for RBAC bindings of your own)."
  type        = set(string)
  default     = []
}

variable "tags" {
  description = "Tags for the permission set and the access entries."
  type        = map(string)
  default     = {}
}
