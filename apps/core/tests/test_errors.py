"""One error shape everywhere; bad input is a 400 with field errors, never a 500."""

from __future__ import annotations

import logging

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
