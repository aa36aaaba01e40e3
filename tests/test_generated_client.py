"""A client generated from /api/schema/ works unchanged.

openapi-python-client generates a Python package from the schema, the way a frontend team would
generate theirs; the test then uses it against the WSGI application (through httpx) to sign in,
list students and read one, with `raise_on_unexpected_status` so an undocumented status fails,
and with the generated models parsing every body (enums, dates, nullable fields, the error
shape), so a model the API does not keep fails too.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from apps.accounts.tests.factories import PASSWORD
from apps.core.testing import openapi_schema

pytestmark = pytest.mark.contract

PACKAGE = "schools24_client"


@pytest.fixture
def generated_client(tmp_path, db):
    """The generated package, importable; removed from sys.modules afterwards."""
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(openapi_schema()))
    config = tmp_path / "config.yml"
    # PDFs (receipts, invoices) are file downloads to a client, as the generator's own
    # content_type_overrides documents for content types it has no model for.
    config.write_text(
        f"package_name_override: {PACKAGE}\npost_hooks: []\n"
        "content_type_overrides:\n  application/pdf: application/octet-stream\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema)]
        + ["--meta", "none", "--output-path", str(tmp_path / PACKAGE), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The generator names every part of the schema it could not turn into code.
    assert "Warning" not in output and "Unable" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_a_generated_client_signs_in_and_lists_students(
    generated_client, cast, wsgi_in_test_transaction
):
    import httpx

    from schools24.wsgi import application

    client_module = importlib.import_module(f"{PACKAGE}.client")
    token_create = importlib.import_module(f"{PACKAGE}.api.auth.auth_token_create")
    students_list = importlib.import_module(f"{PACKAGE}.api.students.students_list")
    students_retrieve = importlib.import_module(f"{PACKAGE}.api.students.students_retrieve")
    models = importlib.import_module(f"{PACKAGE}.models")

    transport = {"transport": httpx.WSGITransport(app=application)}
    anonymous = client_module.Client(
        base_url="http://testserver", raise_on_unexpected_status=True, httpx_args=transport
    )

    refused = token_create.sync(
        client=anonymous,
        body=models.TokenRequestRequest(email=cast.parent.email, password="wrong"),
    )
    assert isinstance(refused, models.Error)
    assert refused.error.code == "invalid_credentials"

    tokens = token_create.sync(
        client=anonymous,
        body=models.TokenRequestRequest(email=cast.parent.email, password=PASSWORD),
    )
    assert isinstance(tokens, models.TokenResponse), tokens
    signed_in = client_module.AuthenticatedClient(
        base_url="http://testserver",
        token=tokens.access,
        raise_on_unexpected_status=True,
        httpx_args=transport,
    )

    page = students_list.sync(client=signed_in)
    assert isinstance(page, models.PaginatedStudentListItemList), page
    assert page.count == 2
    assert sorted(row.full_name for row in page.results) == ["Sam Student", "Sia Student"]

    student = students_retrieve.sync(client=signed_in, id=cast.student.pk)
    assert isinstance(student, models.Student), student
    assert student.full_name == "Sam Student"
    assert [guardian.full_name for guardian in student.guardians] == ["Pat Parent"]

    hidden = students_retrieve.sync(client=signed_in, id=cast.other_student.pk)
    assert isinstance(hidden, models.Error) and hidden.error.code == "not_found"
