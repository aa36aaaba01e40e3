resource "aws_kms_key" "data" {
  description         = "${local.name} data at rest (S3, RDS, ElastiCache, Secrets Manager)"
  enable_key_rotation = true
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
