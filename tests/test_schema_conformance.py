"""The API answers what its OpenAPI schema says, so a client generated from it works unchanged.

schemathesis loads /api/schema/ from the WSGI application and, for every read (GET) operation,
sends a few generated requests (ids, filters, pages, some of them invalid) as a signed-in school
admin and as a parent of the demo school, checking that each answer has a documented status
code, a documented content type and a body that matches the documented model. Each detail
operation is also read once for a real object of the caller's (the first of its list), so the
models are checked against the demo's data, not only against 404s.

Generation is derandomized and bounded (`EXAMPLES` per operation and persona), so the module
runs in well under a minute and fails the same way every time; `SCHEMATHESIS_EXAMPLES=50`
explores deeper on a developer's machine.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.accounts.models import User

pytestmark = pytest.mark.contract

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
PERSONAS = {"admin": "admin@demo.schools24.test", "parent": "parent@demo.schools24.test"}
# Not reached with a JWT: the calendar feed is authorised by the token in its address alone.
SKIP = {"/api/v1/calendar/feed/{token}.ics"}


@pytest.fixture
def api_schema(db, mongo_questions, wsgi_in_test_transaction):
    """A small demo school (people, classes, calendar, attendance, quizzes with their question
    bank), and the schema as the WSGI application serves it."""
    from apps.demo.seed import seed_demo
    from schools24.wsgi import application

    seed_demo(students=12)
    # The schema is served to internal addresses only (apps.core.internal).
    return schemathesis.openapi.from_wsgi(
        "/api/schema/", application, environ_overrides={"REMOTE_ADDR": "127.0.0.1"}
    )


def _read_operations(schema) -> list:
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "GET" and operation.path not in SKIP:
            operations.append(operation)
    return sorted(operations, key=lambda op: op.path)


def _headers(email: str) -> dict[str, str]:
    token = RefreshToken.for_user(User.objects.get(email=email)).access_token
    return {"Authorization": f"Bearer {token}"}


def _real_id(schema, operation, headers) -> str | None:
    """The id of the first object the caller's list of that collection shows, if any."""
    base = operation.path.split("{id}")[0]
    if base == operation.path or base not in schema.raw_schema["paths"]:
        return None
    listing = schema[base]["GET"].Case()
    response = listing.call(headers=headers)
    if response.status_code != 200:
        return None
    body = response.json()
    rows = body.get("results", []) if isinstance(body, dict) else body
    return str(rows[0]["id"]) if rows and isinstance(rows[0], dict) and "id" in rows[0] else None


def test_read_operations_answer_what_the_schema_documents(api_schema):
    failures: list[str] = []
    real: dict[str, int] = {}
    for persona, email in sorted(PERSONAS.items()):
        real[persona] = _check_reads(api_schema, persona, _headers(email), failures)
    assert not failures, "\n\n".join(failures)
    # The demo gives each persona real objects to read (students, quizzes, attempts ...).
    assert real["admin"] >= 20 and real["parent"] >= 8, real


def _check_reads(api_schema, persona: str, headers: dict[str, str], failures: list[str]) -> int:
    """Checks every read operation as the persona; returns how many real objects it read."""
    real = 0
    for operation in _read_operations(api_schema):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def generated(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            generated()
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported together below
            failures.append(f"{persona}: {operation.label} (generated): {exc}")

        object_id = _real_id(api_schema, operation, headers)
        if object_id is not None:
            real += 1
            case = operation.Case(path_parameters={"id": object_id})
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{persona}: {operation.label} (id {object_id}): {exc}")
    return real
