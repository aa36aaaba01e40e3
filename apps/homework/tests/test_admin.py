"""The homework staff screens: homework with its counts, submissions with file links, and
grades that only school admins see before release (other staff only released ones)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import StaffFactory
from apps.homework.models import Grade, Submission, SubmissionFile

from .factories import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(cast, school_year, homework):
    for student, status, released in ((cast.student, "late", True),
                                      (cast.other_student, "on_time", False)):  # fmt: skip
        sub = Submission.objects.create(school=cast.school, assignment=homework, student=student,
                                        section=school_year.sec_a, status=status,
                                        turned_in_at=timezone.now())  # fmt: skip
        Grade.objects.create(school=cast.school, assignment=homework, student=student, marks=5,
                             final_marks=5, released_at=timezone.now() if released else None)  # fmt: skip
    row = SubmissionFile(school=cast.school, submission=sub, name="photo.png",
                         content_type="image/png", size=10)  # fmt: skip
    row.file.save("x.png", ContentFile(png_bytes()))
    return sub, row


def test_admin_screens(cast, homework, graded, client):
    sub, row = graded
    client.force_login(cast.admin)
    page = client.get(reverse("admin:homework_assignment_changelist"))
    assert page.status_code == 200
    result = page.context["cl"].result_list[0]
    assert (result.turned_in_count, result.late_count, result.missing_count) == (2, 1, 0)
    detail = client.get(reverse("admin:homework_submission_change", args=[sub.pk]))
    assert reverse("api:homework-file-detail", args=[row.pk]) in detail.content.decode()
    grades = client.get(reverse("admin:homework_grade_changelist"))
    assert grades.context["cl"].result_count == 2  # drafts too
    client.force_login(cast.admin2)
    theirs = client.get(reverse("admin:homework_assignment_changelist"))
    assert theirs.context["cl"].result_count == 0


def test_staff_see_only_released_grades(cast, homework, graded, client):
    staff = StaffFactory(school=cast.school).user
    staff.user_permissions.add(Permission.objects.get(codename="view_grade",
                                                      content_type__app_label="homework"))  # fmt: skip
    client.force_login(staff)
    page = client.get(reverse("admin:homework_grade_changelist"))
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
