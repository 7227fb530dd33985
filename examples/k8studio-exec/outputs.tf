output "reserved_role_arn" {
  description = "The AWSReservedSSO_K8StudioEKSExec_* role that the access entry maps."
  value       = eks_sso_admin_access.k8studio.reserved_role_arn
}

output "access_entries" {
  value = eks_sso_admin_access.k8studio.access_entries
}

output "aws_config" {
  description = "Append to ~/.aws/config, then `aws sso login --profile k8studio-sso`."
  value       = data.eks_sso_cli_profile.k8studio.config
}

output "kubeconfig" {
  description = "The file to add to K8Studio (and to test with kubectl first)."
  value       = data.eks_kubeconfig.k8studio.kubeconfig
}

output "kube_context" {
  description = "The context to select in K8Studio or pass to kubectl --context."
  value       = data.eks_kubeconfig.k8studio.context_name
}
