"""One error shape everywhere; bad input is a 400 with field errors, never a 500."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory

from apps.core.exceptions import ApplicationError, api_exception_handler


def test_malformed_json_is_a_400_in_the_error_shape(cast, api):
    response = api(cast.admin).generic(
        "PATCH", "/api/v1/me/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_unauthenticated_and_wrong_method_have_the_shape(cast, api):
    anonymous = api(None).get("/api/v1/students/")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    wrong = api(cast.admin).delete(f"/api/v1/students/{cast.student.pk}/")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_forbidden_has_the_shape(cast, api):
    response = api(cast.student.user).get("/api/v1/users/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def _context():
    request = APIRequestFactory().get("/")
    return {"request": request, "view": object()}


def test_application_and_django_validation_errors():
    app = api_exception_handler(
        ApplicationError("Nope", code="nope", fields={"x": ["bad"]}), _context()
    )
    assert app.status_code == 400
    assert app.data == {"error": {"code": "nope", "message": "Nope", "fields": {"x": ["bad"]}}}
    django = api_exception_handler(ValidationError({"name": ["Required."]}), _context())
    assert django.status_code == 400
    assert django.data["error"]["fields"] == {"name": ["Required."]}
    assert django.data["error"]["code"] == "validation_error"


def test_unexpected_errors_become_a_logged_500_in_the_shape(caplog):
    with caplog.at_level(logging.ERROR, logger="schools24.api"):
        response = api_exception_handler(RuntimeError("boom"), _context())
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" not in response.data["error"]["message"]
    assert any("Unhandled error" in r.message for r in caplog.records)


def test_request_id_is_echoed(cast, api):
    response = api(cast.admin).get("/api/v1/me/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = api(cast.admin).get("/api/v1/me/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(generated["X-Request-ID"]) == 32


def test_delete_refused_by_a_protecting_key_is_a_409_naming_what_refers(cast, api):
    """A timetable period that attendance refers to cannot go; the API says why, not a 500."""
    from apps.academics.tests.factories import (
        AcademicYearFactory,
        SectionFactory,
        TeachingAssignmentFactory,
        TimetableEntryFactory,
    )
    from apps.attendance.models import AttendanceRecord, mark_id

    year = AcademicYearFactory(school=cast.school, is_current=True)
    section = SectionFactory(school_class__school=cast.school, year=year)
    assignment = TeachingAssignmentFactory(section=section)
    entry = TimetableEntryFactory(
        section=section, subject=assignment.subject, teacher=assignment.teacher
    )
    AttendanceRecord.objects.create(
        id=mark_id(cast.school.pk, cast.student.pk, year.start_date, entry.pk),
        school=cast.school, student=cast.student, section=section, period=entry,
        date=year.start_date, status="present", ts=1,
    )  # fmt: skip
    response = api(cast.admin).delete(f"/api/v1/timetable/{entry.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"
    assert "attendance records" in response.json()["error"]["message"]
    assert entry.__class__.objects.filter(pk=entry.pk).exists()


# --- a backing store that does not answer: 503 in the error shape, never a generic 500 ------------


def _store_errors():
    import kombu.exceptions
    import redis
    from django.db import OperationalError
    from django_redis.exceptions import ConnectionInterrupted
    from pymongo.errors import NetworkTimeout, ServerSelectionTimeoutError

    return [
        OperationalError("PostgreSQL did not answer within 3 s (DATABASE_SOCKET_TIMEOUT)"),
        ConnectionInterrupted(connection=None),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        redis.exceptions.ConnectionError("Error 111 connecting"),
        NetworkTimeout("timed out"),
        ServerSelectionTimeoutError("no servers"),
        kombu.exceptions.OperationalError("broker unreachable"),
    ]


def test_store_outages_are_a_503_in_the_shape(caplog):
    for exc in _store_errors():
        with caplog.at_level(logging.WARNING, logger="schools24.api"):
            response = api_exception_handler(exc, _context())
        assert response.status_code == 503, exc
        assert response.data["error"]["code"] == "service_unavailable"
        assert response.data["error"]["fields"] == {}
        assert response["Retry-After"] == "5"
    assert any("unavailable" in r.message for r in caplog.records)


@pytest.mark.urls("apps.core.tests.store_views")
@pytest.mark.parametrize("path", ["/postgres", "/redis", "/mongodb"])
def test_plain_django_views_answer_503_in_the_shape_too(client, path):
    response = client.get(path)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The service is temporarily unavailable. Please try again in a moment.",
            "fields": {},
        }
    }


@pytest.mark.urls("apps.core.tests.store_views")
def test_other_errors_of_plain_views_are_left_alone(client):
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client.get("/broken")
    assert client.get("/fine").content == b"ok"


def test_the_503_message_is_translated(cast, api):
    from django.utils import translation

    from apps.core.exceptions import store_unavailable_body

    with translation.override("hi"):
        message = store_unavailable_body()["error"]["message"]
    assert message != "The service is temporarily unavailable. Please try again in a moment."


def test_an_outage_met_outside_a_view_is_a_503_too(rf):
    from django.db import OperationalError

    from apps.core.middleware import server_error

    request = rf.get("/admin/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "service_unavailable"
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        assert server_error(request).status_code == 500
