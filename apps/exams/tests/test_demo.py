"""The demo: the parent downloads the demo student's bilingual card for last term, the demo
teacher enters this term's marks for 5-A Mathematics in one request. Idempotent."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.academics.models import Enrollment, Section, Subject
from apps.accounts.demo import DEMO_PASSWORD
from apps.core.testing import pdf_fonts, pdf_text
from apps.exams.models import Exam, Mark, ReportCard, ResultRun


def _client(email: str) -> APIClient:
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"email": email, "password": DEMO_PASSWORD},
                        format="json")  # fmt: skip
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    return client


def test_demo_exams(db, monkeypatch):
    monkeypatch.setattr("apps.quizzes.demo.seed_quizzes", lambda **kwargs: None)
    with time_machine.travel(dt.datetime(2026, 11, 16, 6, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo", students=24, force=True)
        counts = (Mark.objects.count(), ReportCard.objects.count())
        call_command("seed_demo", students=24, force=True)
        assert (Mark.objects.count(), ReportCard.objects.count()) == counts
        assert ResultRun.objects.filter(status="published").count() == 12
        parent = _client("parent@demo.schools24.test")
        cards = parent.get("/api/v1/exams/report-cards/").json()["results"]
        assert cards, "the demo student's card"
        pdf = parent.get(f"/api/v1/exams/report-cards/{cards[0]['id']}/pdf/")
        assert pdf.status_code == 200
        text = pdf_text(pdf.content)
        assert "Report card" in text and "Mathematics" in text and "Working days" in text
        assert "NotoSansDevanagari" in pdf_fonts(pdf.content)
        section = Section.objects.get(school__code="demo", school_class__name="Class 5", name="A")
        maths = Subject.objects.get(school__code="demo", code="MATH")
        exam = Exam.objects.get(plan_term__plan__school_class=section.school_class,
                                plan_term__order=1, name="Annual exam")  # fmt: skip
        students = Enrollment.objects.filter(section=section).values_list("student_id", flat=True)
        teacher = _client("teacher@demo.schools24.test")
        response = teacher.post("/api/v1/exams/marks/", {
            "exam": str(exam.pk), "section": str(section.pk), "subject": str(maths.pk),
            "entries": [{"student": str(s), "marks": "61.5"} for s in students],
        }, format="json")  # fmt: skip
        assert response.status_code == 200, response.content
        assert Mark.objects.filter(exam=exam, subject=maths).count() == len(students)
        # this term's notebook from the released homework grades (a dry run)
        notebook = Exam.objects.get(plan_term__plan__school_class=section.school_class,
                                    plan_term__order=1, name="Notebook")  # fmt: skip
        proposed = teacher.post(f"/api/v1/exams/exams/{notebook.pk}/import-homework/", {
            "section": str(section.pk), "subject": str(maths.pk)}, format="json")  # fmt: skip
        assert proposed.status_code == 200, proposed.content
        assert any(row["marks"] is not None for row in proposed.json()["entries"])
