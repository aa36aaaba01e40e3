# Key policy: the account administers and uses its keys through IAM (the default policy, made
# explicit); services use them through the roles IAM grants.
data "aws_iam_policy_document" "kms" {
  # A key policy's "*" resource is the key itself; this is AWS's default key policy.
  #checkov:skip=CKV_AWS_111:key policy resource "*" means this key only
  #checkov:skip=CKV_AWS_356:key policy resource "*" means this key only
  #checkov:skip=CKV_AWS_109:key policy resource "*" means this key only
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "data" {
  description         = "${local.name} data at rest (S3, RDS, ElastiCache, Secrets Manager)"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.kms.json
}

# Uploaded files (django-storages, AWS_S3_BUCKET).
module "media" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.2.2"

  bucket = "${local.name}-media"

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
  control_object_ownership = true
  object_ownership         = "BucketOwnerEnforced"

  attach_deny_insecure_transport_policy = true
  versioning = { enabled = true }

  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = aws_kms_key.data.arn
      }
      bucket_key_enabled = true
    }
  }

  lifecycle_rule = [{
    id      = "old-versions"
    enabled = true
    noncurrent_version_expiration = { days = 90 }
    abort_incomplete_multipart_upload_days = 7
  }]
}

# Everything the app reads from its Secret (values secretEnv); the External Secrets operator
# copies it into `schools24-secrets` (k8s/external-secrets.yaml). Values are put in by an
# operator (deploy/README.md "Secrets"), never by Terraform or a values file.
resource "aws_secretsmanager_secret" "app" {
  name       = "schools24/${var.environment}/app"
  kms_key_id = aws_kms_key.data.arn
}
