"""deploy/elk/: the index template maps every field a JSON log line carries, the lifecycle policy
keeps 30 days, and the saved search for errors per school reads those fields."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from apps.core.logging import EXTRA_FIELDS, JsonFormatter

ELK = Path(__file__).resolve().parents[1] / "deploy" / "elk"


def _load(name: str) -> dict:
    return json.loads((ELK / name).read_text())


def test_the_index_template_maps_every_log_field():
    mapped = _load("index-template.json")["template"]["mappings"]["properties"]
    record = logging.LogRecord("schools24.access", logging.ERROR, __file__, 1, "boom", None, None)
    for field in (*EXTRA_FIELDS, "task_id", "task_name", "request_id"):
        setattr(record, field, 1)
    record.exc_text = "Traceback ..."
    line = json.loads(JsonFormatter().format(record))
    assert set(line) <= set(mapped), set(line) - set(mapped)
    assert mapped["school_id"]["type"] == mapped["user_id"]["type"] == "keyword"
    assert mapped["status"]["type"] == "short" and mapped["duration_ms"]["type"] == "float"


def test_the_lifecycle_policy_deletes_after_30_days_and_the_template_uses_it():
    phases = _load("ilm-policy.json")["policy"]["phases"]
    assert phases["delete"] == {"min_age": "30d", "actions": {"delete": {}}}
    template = _load("index-template.json")
    assert template["template"]["settings"]["index.lifecycle.name"] == "schools24-logs"
    assert template["index_patterns"] == ["schools24-logs*"] and "data_stream" in template


def test_the_saved_search_lists_errors_with_their_school():
    lines = (ELK / "saved-search.ndjson").read_text().splitlines()
    view, search = [json.loads(line) for line in lines]
    assert view["type"] == "index-pattern" and view["attributes"]["title"] == "schools24-logs*"
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert "ERROR" in source["query"]["query"]
    assert search["attributes"]["columns"][0] == "school_id"
    assert search["references"][0]["id"] == view["id"]
    aggs = _load("errors-per-school.json")["aggs"]["per_school"]
    assert aggs["terms"]["field"] == "school_id"
