import pytest
from django.core.management import call_command


def test_openapi_schema_is_valid_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert text.startswith("openapi: 3.")
    assert "/api/v1/students/import/" in text


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_served(client, db, path):
    response = client.get(path)
    assert response.status_code == 200


def test_api_root_lists_docs_and_collections(client, db):
    body = client.get("/api/v1/").json()
    assert body["docs"].endswith("/api/docs/")
    assert body["collections"]["students"].endswith("/api/v1/students/")
    assert body["collections"]["timetable"].endswith("/api/v1/timetable/")
