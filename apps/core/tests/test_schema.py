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


def _has_file(schema: dict, components: dict) -> bool:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return any(
        prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary"
        for prop in schema.get("properties", {}).values()
    )


def test_request_bodies_are_json_and_multipart_only_where_a_file_is_uploaded(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    uploads, wrong = [], []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content")
            if not content:
                continue
            types = set(content)
            multipart = content.get("multipart/form-data")
            if multipart and _has_file(multipart["schema"], components):
                uploads.append((method.upper(), path))
                allowed = {"multipart/form-data", "application/json"}
            else:
                allowed = {"application/json"}
            if "/webhooks/" in path:
                # A provider's callback speaks the provider's format (Twilio posts forms).
                allowed |= {"application/x-www-form-urlencoded"}
            elif "application/x-www-form-urlencoded" in types:
                wrong.append((method.upper(), path, sorted(types)))
                continue
            if not types <= allowed:
                wrong.append((method.upper(), path, sorted(types)))
    assert not wrong, wrong
    assert ("POST", "/api/v1/students/import/") in uploads
    assert ("PATCH", "/api/v1/students/{id}/") in uploads  # the student's photo


def test_a_form_encoded_body_is_refused_with_415_in_the_error_shape(cast, api):
    response = api(cast.admin).post(
        "/api/v1/subjects/", "name=Art&code=ART", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
