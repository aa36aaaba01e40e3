output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>"
  value       = module.eks.cluster_name
}

output "app_role_arn" {
  description = "eks.amazonaws.com/role-arn of the app's service account (k8s/service-account.yaml)"
  value       = module.app_irsa.iam_role_arn
}

output "external_secrets_role_arn" {
  description = "eks.amazonaws.com/role-arn of the External Secrets operator's service account"
  value       = module.external_secrets_irsa.iam_role_arn
}

output "cluster_autoscaler_role_arn" {
  description = "eks.amazonaws.com/role-arn of the cluster autoscaler's service account"
  value       = module.cluster_autoscaler_irsa.iam_role_arn
}

output "postgres_endpoint" {
  description = "POSTGRES_HOST"
  value       = module.postgres.db_instance_address
}

output "postgres_master_secret_arn" {
  description = "Secrets Manager secret RDS keeps the master password in"
  value       = module.postgres.db_instance_master_user_secret_arn
}

output "redis_endpoints" {
  description = "cache: REDIS_URL host; buffer: BATCH_PROCESSOR_REDIS_URL and CELERY_BROKER_URL host (rediss://)"
  value       = { for k, g in aws_elasticache_replication_group.redis : k => g.primary_endpoint_address }
}

output "media_bucket" {
  description = "AWS_S3_BUCKET"
  value       = module.media.s3_bucket_id
}

output "app_secret_arn" {
  description = "The Secrets Manager secret the External Secrets operator syncs"
  value       = aws_secretsmanager_secret.app.arn
}
