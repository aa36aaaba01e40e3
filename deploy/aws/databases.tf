# --- PostgreSQL: Multi-AZ, encrypted, PITR --------------------------------------------------
module "postgres" {
  source  = "terraform-aws-modules/rds/aws"
  version = "6.10.0"

  identifier     = local.name
  engine         = "postgres"
  engine_version = "16.4"
  family         = "postgres16"
  instance_class = "db.m6g.large"

  allocated_storage     = 100
  max_allocated_storage = 500
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  db_name  = "schools24"
  username = "schools24"
  # RDS keeps the master password in Secrets Manager and rotates it.
  manage_master_user_password = true
  iam_database_authentication_enabled = true

  multi_az               = true
  db_subnet_group_name   = module.vpc.database_subnet_group_name
  vpc_security_group_ids = [aws_security_group.data.id]
  publicly_accessible    = false

  # Automated backups: point-in-time recovery within the retention window.
  backup_retention_period  = 14
  backup_window            = "20:30-21:30"
  maintenance_window       = "Sun:22:00-Sun:23:00"
  copy_tags_to_snapshot    = true
  deletion_protection      = true
  skip_final_snapshot      = false
  final_snapshot_identifier_prefix = "${local.name}-final"
  auto_minor_version_upgrade = true

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.data.arn
  monitoring_interval                   = 60
  create_monitoring_role                = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  parameters = [
    # The chart's connection budget (config.POSTGRES_MAX_CONNECTIONS) counts against this.
    { name = "max_connections", value = tostring(var.postgres_max_connections), apply_method = "pending-reboot" },
    { name = "log_min_duration_statement", value = "500" },
    { name = "rds.force_ssl", value = "1" },
  ]
}

# --- Redis: two groups with opposite needs (values.yaml `redis:`) ---------------------------
resource "random_password" "redis" {
  for_each = toset(["cache", "buffer"])
  length   = 48
  special  = false
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = local.name
  subnet_ids = module.vpc.elasticache_subnets
}

# cache: Django cache, throttles, lockout counters. Evicting is fine; running out is not.
resource "aws_elasticache_parameter_group" "cache" {
  name   = "${local.name}-cache"
  family = "redis7"

  parameter {
    name  = "maxmemory-policy"
    value = "allkeys-lru"
  }
}

# buffer: the write-behind buffer and the Celery broker. Nothing may be evicted; writes fail
# loudly when full. Durability: a Multi-AZ replica plus daily snapshots (ElastiCache has no AOF
# with replication; MemoryDB is the option with a durable log, deploy/README.md).
resource "aws_elasticache_parameter_group" "buffer" {
  name   = "${local.name}-buffer"
  family = "redis7"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "aws_elasticache_replication_group" "redis" {
  for_each = {
    cache  = { node_type = "cache.m6g.large", parameter_group = aws_elasticache_parameter_group.cache.name, snapshots = 1 }
    buffer = { node_type = "cache.m6g.large", parameter_group = aws_elasticache_parameter_group.buffer.name, snapshots = 7 }
  }

  replication_group_id       = "${local.name}-${each.key}"
  description                = "Schools24 ${each.key} Redis"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = each.value.node_type
  parameter_group_name       = each.value.parameter_group
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.data.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.data.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis[each.key].result
  snapshot_retention_limit   = each.value.snapshots
  snapshot_window            = "19:00-20:00"
  maintenance_window         = "sun:21:00-sun:22:00"
  auto_minor_version_upgrade = true
  apply_immediately          = false
}
