"""deploy/aws/ agrees with the chart: RDS max_connections is the connection limit the chart's
budget check counts against, the two Redis groups have their roles' eviction policies, and the
app's IRSA role reaches its bucket only. (checkov checks the rest, `make lint`.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
AWS = ROOT / "deploy" / "aws"


def _hcl(name: str) -> str:
    return (AWS / name).read_text()


def test_rds_max_connections_is_the_charts_budget_limit():
    default = re.search(
        r'variable "postgres_max_connections" \{.*?default\s*=\s*(\d+)', _hcl("variables.tf"), re.S
    )
    assert default, "postgres_max_connections has no default"
    assert 'name = "max_connections", value = tostring(var.postgres_max_connections)' in _hcl(
        "databases.tf"
    )
    production = yaml.safe_load((ROOT / "deploy/helm/values-production.yaml").read_text())
    assert production["config"]["POSTGRES_MAX_CONNECTIONS"] == default.group(1)


def test_redis_groups_have_their_eviction_policies():
    text = _hcl("databases.tf")
    cache = re.search(r'parameter_group" "cache".*?value\s*=\s*"([^"]+)"', text, re.S).group(1)
    buffer = re.search(r'parameter_group" "buffer".*?value\s*=\s*"([^"]+)"', text, re.S).group(1)
    assert (cache, buffer) == ("allkeys-lru", "noeviction")


def test_the_app_role_reaches_its_bucket_only():
    text = _hcl("iam.tf")
    policy = text.split('data "aws_iam_policy_document" "media"')[1].split("\n}\n")[0]
    resources = re.findall(r"resources\s*=\s*\[([^\]]+)\]", policy)
    assert resources == ["module.media.s3_bucket_arn", '"${module.media.s3_bucket_arn}/*"']
    assert '"*"' not in policy
    app = text.split('module "app_irsa"')[1].split("\n}\n")[0]
    assert 'namespace_service_accounts = ["${var.namespace}:${var.service_account}"]' in app
    assert "AWS_ACCESS_KEY_ID" not in (ROOT / "deploy/helm/values-production.yaml").read_text()
