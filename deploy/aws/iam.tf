# IAM roles for service accounts: no static AWS keys anywhere in the cluster.

# The app (web, worker, beat): its media bucket and nothing else.
data "aws_iam_policy_document" "media" {
  statement {
    sid       = "ListTheBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.media.s3_bucket_arn]
  }
  statement {
    sid       = "ObjectsInTheBucket"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.media.s3_bucket_arn}/*"]
  }
}

resource "aws_iam_policy" "media" {
  name   = "${local.name}-media"
  policy = data.aws_iam_policy_document.media.json
}

module "app_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.48.0"

  role_name = "${local.name}-app"
  role_policy_arns = {
    media = aws_iam_policy.media.arn
  }
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["${var.namespace}:${var.service_account}"]
    }
  }
}

# External Secrets operator: reads this environment's secrets only.
module "external_secrets_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.48.0"

  role_name                                          = "${local.name}-external-secrets"
  attach_external_secrets_policy                     = true
  external_secrets_secrets_manager_arns              = [aws_secretsmanager_secret.app.arn]
  external_secrets_kms_key_arns                      = [aws_kms_key.data.arn]
  external_secrets_secrets_manager_create_permission = false
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["external-secrets:external-secrets"]
    }
  }
}

module "cluster_autoscaler_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.48.0"

  role_name                        = "${local.name}-cluster-autoscaler"
  attach_cluster_autoscaler_policy = true
  cluster_autoscaler_cluster_names = [module.eks.cluster_name]
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:cluster-autoscaler"]
    }
  }
}

module "ebs_csi_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "5.48.0"

  role_name             = "${local.name}-ebs-csi"
  attach_ebs_csi_policy = true
  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    }
  }
}
