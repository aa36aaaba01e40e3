# Schools24 production environment on AWS (deploy/README.md "AWS"). Plain Terraform with the
# terraform-aws-modules community modules, pinned; state in S3 with locking (backend.hcl).
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # terraform init -backend-config=backend.hcl (bucket, key, region, dynamodb_table)
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "schools24"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_caller_identity" "current" {}

locals {
  name = "schools24-${var.environment}"
  azs  = slice(data.aws_availability_zones.available.names, 0, 3)
}
