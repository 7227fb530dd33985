# <permission set ARN>,<account ID>,<cluster>[+<cluster>...]
terraform import eks_sso_admin_access.admins \
  'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef,111122223333,prod+staging'
