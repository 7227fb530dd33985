# <permission set ARN>,<account ID>,<cluster>[+<cluster>...][,managed|referenced]
# Without the fourth part, the permission set comes in as managed only when
# the account is the only one it is provisioned to.
terraform import eks_sso_admin_access.admins \
  'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef,111122223333,prod+staging'
