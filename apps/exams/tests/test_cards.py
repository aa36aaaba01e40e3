"""Report cards: generated per section by a job, one PDF per student and one combined, kept in
versions; the family downloads their child's, with the marks, grades and attendance in it."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.attendance.tests.factories import AttendanceRecordFactory
from apps.core.testing import pdf_fonts, pdf_text
from apps.exams import services
from apps.exams.models import ExamSettings, ReportCard, ReportCardBatch, ResultRun

from .factories import compute

pytestmark = pytest.mark.django_db


def _generate(api, cast, sy, exam, capture):
    with capture(execute=True):
        response = api(cast.admin).post("/api/v1/exams/report-cards/generate/", {
            "section": str(sy.sec_a.pk), "plan_term": str(exam.plan_term_id)}, format="json")  # fmt: skip
    assert response.status_code == 202, response.content
    job = api(cast.admin).get(response.json()["url"]).json()
    assert job["status"] == "succeeded", job
    assert job["progress_done"] == job["progress_total"] == 5
    return job


def test_the_parent_downloads_a_bilingual_card_with_marks_grades_and_attendance(
    cast, school_year, final, marked, api, django_capture_on_commit_callbacks
):
    sy = school_year
    for day in range(1, 5):
        AttendanceRecordFactory(section=sy.sec_a, student=cast.student,
                                date=dt.date(2026, 7, day),
                                status="present" if day < 4 else "absent")  # fmt: skip
    services.remarks_enter(actor=cast.teacher.user, section=sy.sec_a, plan_term=final.plan_term,
                           entries=[{"student": cast.student.pk, "text": "Keeps trying."}])  # fmt: skip
    early = api(cast.admin).post("/api/v1/exams/report-cards/generate/", {
        "section": str(sy.sec_a.pk), "plan_term": str(final.plan_term_id)}, format="json")  # fmt: skip
    assert early.status_code == 409  # results first
    compute(api, cast, sy, final, django_capture_on_commit_callbacks)
    _generate(api, cast, sy, final, django_capture_on_commit_callbacks)
    card = ReportCard.objects.get(student=cast.student)
    assert ReportCardBatch.objects.get(section=sy.sec_a).cards == 5
    # not published: the family sees no card
    assert api(cast.parent).get(f"/api/v1/exams/report-cards/{card.pk}/pdf/").status_code == 404
    services.results_publish(run=ResultRun.objects.get(), actor=cast.admin)
    listed = api(cast.parent).get("/api/v1/exams/report-cards/").json()["results"]
    assert [c["student_name"] for c in listed] == ["Sam Student"]
    response = api(cast.parent).get(f"/api/v1/exams/report-cards/{card.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Sam Student" in text and cast.student.admission_number in text
    assert "36.2" in text and "90.49" in text  # the marks
    assert "A1" in text and "A2" in text  # the grades
    assert "Working days" in text and "Days present" in text
    assert "Keeps trying." in text
    assert "Devanagari" in " ".join(pdf_fonts(response.content))  # bilingual labels
    assert "Promoted" in text
    # the other child of another family is not the parent's
    other = ReportCard.objects.get(student=cast.other_student)
    assert api(cast.parent).get(f"/api/v1/exams/report-cards/{other.pk}/pdf/").status_code == 404
    assert api(cast.admin2).get(f"/api/v1/exams/report-cards/{card.pk}/pdf/").status_code == 404
    # the admin lists the section's cards
    section = api(cast.admin).get("/api/v1/exams/report-cards/", {"section": sy.sec_a.pk})
    assert section.json()["count"] == 5


def test_regenerating_makes_a_new_version_and_keeps_the_old(
    cast, school_year, final, marked, api, django_capture_on_commit_callbacks
):
    sy = school_year
    compute(api, cast, sy, final, django_capture_on_commit_callbacks)
    _generate(api, cast, sy, final, django_capture_on_commit_callbacks)
    first = ReportCard.objects.get(student=cast.student)
    first_bytes = first.file.read()
    ExamSettings.objects.create(school=cast.school, card_language="hi", show_rank=True)
    _generate(api, cast, sy, final, django_capture_on_commit_callbacks)
    versions = list(ReportCard.objects.filter(student=cast.student).order_by("version"))
    assert [c.version for c in versions] == [1, 2]
    assert versions[0].file.name != versions[1].file.name
    with versions[0].file.open("rb") as fh:
        assert fh.read() == first_bytes  # the old file is untouched
    with versions[1].file.open("rb") as fh:
        hindi = fh.read()
    assert "Report card" not in pdf_text(hindi)  # labelled in Hindi only
    assert "Sam Student" in pdf_text(hindi)
    assert ReportCardBatch.objects.filter(section=sy.sec_a).count() == 2
