terraform {
  required_version = ">= 1.5"

  required_providers {
    eks = {
      source = "eks-sso/eks"
    }
  }
}
