variable "region" {
  description = "Region of the EKS clusters."
  type        = string
  default     = "eu-west-1"
}

variable "sso_region" {
  description = "IAM Identity Center's home region."
  type        = string
  default     = "eu-west-1"
}

variable "account_id" {
  description = "The member account that holds the clusters."
  type        = string
}

variable "cluster_account_role_name" {
  description = "Role the provider assumes in that account."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "access" {
  description = "Permission set name => who gets it, on which clusters, with which EKS access policies."
  type = map(object({
    groups   = set(string)
    clusters = list(string)
    access_policies = list(object({
      policy     = string
      namespaces = optional(set(string))
    }))
    managed_policy_arns = optional(set(string), [])
  }))
  default = {
    EKSPlatformAdmin = {
      groups              = ["Platform_Admins"]
      clusters            = ["prod", "staging"]
      access_policies     = [{ policy = "AmazonEKSClusterAdminPolicy" }]
      managed_policy_arns = ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    }
    EKSDeveloper = {
      groups   = ["Developers"]
      clusters = ["staging"]
      access_policies = [
        { policy = "AmazonEKSEditPolicy", namespaces = ["apps", "team-*"] },
        { policy = "AmazonEKSViewPolicy" },
      ]
    }
    EKSAuditor = {
      groups          = ["Auditors"]
      clusters        = ["prod", "staging"]
      access_policies = [{ policy = "AmazonEKSViewPolicy" }]
    }
  }
}
