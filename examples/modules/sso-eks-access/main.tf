# A reusable module: one permission set, assigned to Identity Center groups
# in one account, with an EKS access entry and access policies on each
# cluster. It has no provider block: the caller's `eks` provider (or the one
# passed in `providers = { eks = eks.<alias> }`) decides the accounts and
# regions, so the module works with for_each and count.

resource "eks_sso_admin_access" "this" {
  account_id    = var.account_id
  cluster_names = var.cluster_names
  groups        = var.groups

  permission_set {
    name                = var.permission_set_name
    description         = var.description
    session_duration    = var.session_duration
    managed_policy_arns = var.managed_policy_arns
    inline_policy       = var.inline_policy
  }

  dynamic "access_policy" {
    for_each = var.access_policies
    content {
      policy     = access_policy.value.policy
      namespaces = access_policy.value.namespaces
    }
  }

  kubernetes_groups = var.kubernetes_groups
  tags              = var.tags
}
