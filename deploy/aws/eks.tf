resource "aws_kms_key" "eks" {
  description         = "${local.name} Kubernetes secrets envelope encryption"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.kms.json
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "20.31.6"

  cluster_name    = local.name
  cluster_version = var.kubernetes_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  # The API is reached from inside the VPC (VPN / bastion / the release runner's VPC link).
  cluster_endpoint_public_access  = false
  cluster_endpoint_private_access = true

  enable_irsa                              = true
  enable_cluster_creator_admin_permissions = false
  cluster_encryption_config = {
    provider_key_arn = aws_kms_key.eks.arn
    resources        = ["secrets"]
  }
  cluster_enabled_log_types = ["api", "audit", "authenticator"]

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = {}
    eks-pod-identity-agent = {}
    aws-ebs-csi-driver     = { service_account_role_arn = module.ebs_csi_irsa.iam_role_arn }
  }

  eks_managed_node_group_defaults = {
    ami_type      = "AL2023_x86_64_STANDARD"
    capacity_type = "ON_DEMAND"
    metadata_options = {
      http_endpoint               = "enabled"
      http_tokens                 = "required"
      http_put_response_hop_limit = 1
    }
    # Cluster autoscaler discovers the groups by these tags.
    tags = {
      "k8s.io/cluster-autoscaler/enabled"      = "true"
      "k8s.io/cluster-autoscaler/${local.name}" = "owned"
    }
  }

  eks_managed_node_groups = {
    # web (gunicorn), beat, the ingress gateway and system pods: on-demand.
    web = {
      instance_types = ["m6i.large"]
      min_size       = 2
      max_size       = 6
      desired_size   = 3
      labels         = { "schools24.example/pool" = "web" }
    }
    # Celery workers tolerate interruption (acks_late, idempotent tasks): spot.
    workers = {
      capacity_type  = "SPOT"
      instance_types = ["m6i.large", "m5.large", "m6a.large"]
      min_size       = 1
      max_size       = 6
      desired_size   = 2
      labels         = { "schools24.example/pool" = "workers" }
      taints = {
        workers = { key = "schools24.example/pool", value = "workers", effect = "NO_SCHEDULE" }
      }
    }
  }

  access_entries = {
    for i, arn in var.admin_role_arns : "admin-${i}" => {
      principal_arn = arn
      policy_associations = {
        admin = {
          policy_arn   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
          access_scope = { type = "cluster" }
        }
      }
    }
  }
}
