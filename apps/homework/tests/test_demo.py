"""The demo: a few weeks of homework for the demo student's section, and the whole story
through the API with the demo logins: the teacher sets homework with an attachment, the
student hands in a photo, the teacher grades the section in one request and releases, and the
parent sees the grade."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.demo import DEMO_PASSWORD
from apps.homework.models import Assignment, Grade, Submission

from .factories import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def login(email: str) -> APIClient:
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"email": email, "password": DEMO_PASSWORD},
                        format="json").json()["access"]  # fmt: skip
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_demo_homework_and_the_whole_story(settings):
    settings.DEBUG = True
    call_command("seed_demo", students=12)
    call_command("seed_demo", students=12)  # idempotent
    school_homework = Assignment.objects.filter(school__code="demo")
    assert school_homework.count() >= 12
    statuses = set(Submission.objects.values_list("status", flat=True))
    assert {"on_time", "late", "missing"} <= statuses
    assert Grade.objects.filter(released_at__isnull=False).exists()
    assert Grade.objects.filter(released_at__isnull=True).exists()

    teacher = login("teacher@demo.schools24.test")
    student = login("student@demo.schools24.test")
    parent = login("parent@demo.schools24.test")
    # the student's list: published homework of 5-A
    listed = student.get("/api/v1/homework/").json()
    assert listed["count"] == school_homework.count()

    # the teacher sets homework in a subject they teach in 5-A, with an attachment
    from apps.academics.models import TeachingAssignment

    ta = TeachingAssignment.objects.filter(
        teacher__user__email="teacher@demo.schools24.test", section__school_class__order=5,
        section__name="A", section__year__is_current=True,
    ).select_related("section").first()  # fmt: skip
    created = teacher.post("/api/v1/homework/", {
        "title": "Draw a triangle", "subject": str(ta.subject_id),
        "sections": [str(ta.section_id)], "max_marks": "10", "status": "published",
        "due_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        "allowed_kinds": ["image", "pdf"],
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    hw = created.json()["id"]
    attached = teacher.post(f"/api/v1/homework/{hw}/attachments/",
                            {"file": upload("sheet.pdf", pdf_bytes())}, format="multipart")  # fmt: skip
    assert attached.status_code == 201

    # the student hands in a photo
    handed = student.post(f"/api/v1/homework/{hw}/submissions/",
                          {"files": [upload("IMG_0001.png", png_bytes())], "turn_in": True},
                          format="multipart")  # fmt: skip
    assert handed.json()["status"] == "on_time"

    # the teacher grades the whole section in one request, then releases
    sheet = teacher.get(f"/api/v1/homework/{hw}/grades/").json()
    body = {"grades": [{"student": row["student"], "marks": "9" if row["submission"] else "0"}
                       for row in sheet]}  # fmt: skip
    assert teacher.put(f"/api/v1/homework/{hw}/grades/", body, format="json").status_code == 200
    assert parent.get(f"/api/v1/homework/{hw}/submissions/").json()[0]["grade"] is None
    assert teacher.post(f"/api/v1/homework/{hw}/release/", {}, format="json").json()[
        "released"
    ] == len(sheet)

    # the parent sees the grade
    rows = parent.get(f"/api/v1/homework/{hw}/submissions/").json()
    assert [r["grade"]["final_marks"] for r in rows] == ["9.00"]
