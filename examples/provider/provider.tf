terraform {
  required_providers {
    eks = {
      source  = "eks-sso/eks"
      version = "~> 0.1"
    }
  }
}

# EKS, IAM and STS calls go to the cluster account; sso-admin and
# identitystore calls go to the account that owns IAM Identity Center.
provider "eks" {
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"
  }

  sso {
    region  = "us-east-1" # Identity Center's home region
    profile = "org-admin"
  }

  default_tags {
    tags = { team = "platform" }
  }
}
