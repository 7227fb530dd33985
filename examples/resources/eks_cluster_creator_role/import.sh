# The role name
terraform import eks_cluster_creator_role.creator EKSClusterCreator
