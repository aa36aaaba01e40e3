variable "region" {
  description = "AWS region."
  type        = string
  default     = "ap-south-1"
}

variable "environment" {
  description = "production or staging."
  type        = string
  default     = "production"
}

variable "vpc_cidr" {
  description = "VPC address range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "kubernetes_version" {
  description = "EKS version (the chart supports 1.25+)."
  type        = string
  default     = "1.31"
}

variable "namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "schools24"
}

variable "service_account" {
  description = "Service account of the web, worker and beat pods (values serviceAccountName)."
  type        = string
  default     = "schools24"
}

variable "postgres_max_connections" {
  description = "RDS max_connections; must equal the chart's config.POSTGRES_MAX_CONNECTIONS (its connection budget check)."
  type        = number
  default     = 100
}

variable "admin_role_arns" {
  description = "IAM roles given cluster admin (the release workflow's role, operators)."
  type        = list(string)
  default     = []
}
