# A root module that uses ../modules/sso-eks-access once per permission set,
# with for_each: each entry of var.access is one permission set, its groups,
# the clusters it reaches and the access policies it gets there.

provider "eks" {
  region = var.region

  assume_role {
    role_arn     = "arn:aws:iam::${var.account_id}:role/${var.cluster_account_role_name}"
    session_name = "terraform-eks-sso"
  }

  sso {
    region = var.sso_region
  }
}

module "access" {
  source   = "../modules/sso-eks-access"
  for_each = var.access

  account_id          = var.account_id
  permission_set_name = each.key
  groups              = each.value.groups
  cluster_names       = each.value.clusters
  access_policies     = each.value.access_policies
  managed_policy_arns = each.value.managed_policy_arns
  description         = "${each.key}, managed by terraform (module sso-eks-access)"
}
