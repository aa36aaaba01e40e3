"""The chart's alert rules and Grafana dashboard name only metrics that /metrics exports.

The names come from the chart's own files (files/alerts.yaml, files/dashboard.json) with a small
PromQL reader: string literals, label matchers, ranges and by/without/on/ignoring clauses are
dropped, functions are the names followed by `(`, and what is left are metric names. /metrics is
read through the Django test client after a few requests, so the request counters, latency
histograms and the callback gauges (write buffer, Celery queues) all have samples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "deploy" / "helm" / "schools24" / "files"

PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "sum", "min", "max", "avg", "count", "stddev", "stdvar",
    "topk", "bottomk", "quantile", "count_values", "group", "limitk", "limit_ratio",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range / subquery selectors
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\b\d+(?:\.\d+)?(?:ms|[smhdwy])?\b", "", expr)  # numbers and durations
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        name = match.group()
        rest = expr[match.end() :].lstrip()
        if name.lower() in PROMQL_KEYWORDS or rest.startswith("("):
            continue  # an aggregation, a function or a keyword
        names.add(name)
    return names


def alert_expressions() -> dict[str, str]:
    text = (FILES / "alerts.yaml").read_text()
    # Helm's own actions (thresholds) are not PromQL: replace them with a number.
    text = re.sub(r'\{\{ "\{\{" \}\}.*?\{\{ "\}\}" \}\}', "", text)
    text = re.sub(r"\{\{.*?\}\}", "1", text)
    groups = yaml.safe_load(text)["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def panel_expressions() -> dict[str, str]:
    dashboard = json.loads((FILES / "dashboard.json").read_text())
    return {
        f"{panel['title']} [{target['refId']}]": target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }


def exported_names(text: str) -> set[str]:
    """The series names a scrape stores: every sample line's name (so a counter is `x_total`,
    a histogram `x_bucket`, `x_sum`, `x_count`; a bare family name from `# TYPE` is no series)."""
    return {
        re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group()
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_the_promql_reader_finds_metric_names():
    assert metric_names(
        'histogram_quantile(0.99, sum by (le, view) (rate(a_bucket{view!~"x|y"}[5m]))) > 2'
    ) == {"a_bucket"}
    assert metric_names(
        'sum(rate(b_total{status=~"5.."}[$__rate_interval])) / sum(rate(b_total[5m])) > 1'
    ) == {"b_total"}
    assert metric_names("max by (kind) (c) >= 1 and on (kind) d offset 5m") == {"c", "d"}


@pytest.mark.django_db
def test_every_alert_and_panel_names_an_exported_metric(cast, api):
    web = Client()
    assert web.get("/healthz").status_code == 200
    assert web.get("/health").status_code == 200
    assert api(cast.admin).get("/api/v1/me/").status_code == 200
    assert api(cast.admin).get("/api/v1/no-such-endpoint/").status_code == 404

    response = web.get("/metrics")
    assert response.status_code == 200
    exported = exported_names(response.content.decode())
    # What the rules rely on is really there (not only declared): the buffer and queue gauges.
    assert "schools24_write_buffer_stale" in exported
    assert "schools24_celery_queue_length" in exported
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in exported

    alerts, panels = alert_expressions(), panel_expressions()
    assert len(alerts) >= 6 and len(panels) >= 9
    missing = {
        f"{where}: {name}"
        for where, expr in {**alerts, **panels}.items()
        for name in metric_names(expr)
        if name not in exported
    }
    assert not missing, f"named by the chart but not on /metrics: {sorted(missing)}"
    named = set().union(*(metric_names(e) for e in {**alerts, **panels}.values()))
    assert {
        "schools24_write_buffer_stale",
        "schools24_write_buffer_dead",
        "django_http_responses_total_by_status_total",
        "django_http_responses_total_by_status_view_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "schools24_celery_queue_length",
    } <= named


def test_a_misspelt_or_unsuffixed_metric_would_be_caught():
    exported = exported_names(
        "# TYPE django_http_requests_latency_seconds_by_view_method histogram\n"
        'django_http_requests_latency_seconds_by_view_method_bucket{le="0.1"} 1.0\n'
        "# TYPE django_http_responses_total_by_status counter\n"
        'django_http_responses_total_by_status_total{status="200"} 3.0\n'
    )
    good = "rate(django_http_requests_latency_seconds_by_view_method_bucket[5m])"
    assert metric_names(good) <= exported
    assert not metric_names("rate(django_http_request_latency_seconds_bucket[5m])") <= exported
    # A counter's family name without `_total` is not a series Prometheus has.
    assert not metric_names("rate(django_http_responses_total_by_status[5m])") <= exported
    assert not metric_names("django_http_requests_latency_seconds_by_view_method") <= exported
