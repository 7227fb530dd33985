variable "region" {
  description = "Region of the EKS cluster."
  type        = string
  default     = "us-east-1"
}

variable "sso_region" {
  description = "IAM Identity Center's home region."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "The account that hosts the cluster."
  type        = string
  default     = "111122223333"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "cluster_account_role_name" {
  description = "Role Terraform assumes in account_id for the EKS work; null when your credentials are already in account_id."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "cluster_name" {
  description = "The EKS cluster K8Studio connects to. Its authentication mode must be API or API_AND_CONFIG_MAP."
  type        = string
  default     = "k8studio-auth-eks"
}

variable "groups" {
  description = "IAM Identity Center groups (display names or group IDs) whose members use K8Studio."
  type        = set(string)
  default     = ["K8Studio_Users"]
}

variable "users" {
  description = "IAM Identity Center users (user names or user IDs) who use K8Studio."
  type        = set(string)
  default     = []
}

variable "namespaces" {
  description = "Kubernetes namespaces the K8Studio users may view (wildcards such as \"team-*\" allowed)."
  type        = set(string)
  default     = ["default"]
}

variable "profile_name" {
  description = "AWS CLI profile the kubeconfig's exec plugin uses."
  type        = string
  default     = "k8studio-sso"
}
