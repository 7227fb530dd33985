# Terraform 1.12+. account_id is optional: it defaults to, and must be, the
# account of the provider's credentials.
import {
  to = eks_cluster_creator_role.creator
  identity = {
    name = "EKSClusterCreator"
  }
}
