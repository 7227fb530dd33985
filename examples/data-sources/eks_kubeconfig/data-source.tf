data "eks_kubeconfig" "prod" {
  cluster_name = "prod"
  aws_profile  = "EKSClusterAdminAccess-EKSAccount1" # the SSO profile kubectl's exec plugin uses
}

# Write it with `terraform output -raw kubeconfig > ~/.kube/prod.yaml`.
output "kubeconfig" {
  value = data.eks_kubeconfig.prod.kubeconfig
}
