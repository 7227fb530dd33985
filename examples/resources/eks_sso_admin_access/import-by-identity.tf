# Terraform 1.12+: the clusters are found from the access entries that name
# the permission set's reserved role.
import {
  to = eks_sso_admin_access.admins
  identity = {
    account_id         = "111122223333"
    permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef"
  }
}
