"""The marks grid in the admin: an exam's paper (section and subject) as one row per enrolled
student, saved through the same marks-entry service as the API: the maximum, the window and
the reason, the audit log, and who may use it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import StudentFactory
from apps.core.models import AuditLog
from apps.exams import services
from apps.exams.models import Exam, Mark, MarkStatus

from .factories import CLOSED, exam

pytestmark = pytest.mark.django_db
D = Decimal


def _url(half, sy, subject=None):
    url = reverse("admin:exams_exam_marks", args=[half.pk])
    return f"{url}?section={sy.sec_a.pk}&subject={(subject or sy.maths).pk}"


def _grid(cast, rows, reason=""):
    """The POST body of the grid: rows in roll-number order (Sam is 1, the other student 2)."""
    data = {"rows-TOTAL_FORMS": str(len(rows)), "rows-INITIAL_FORMS": str(len(rows)),
            "rows-MIN_NUM_FORMS": "0", "rows-MAX_NUM_FORMS": "1000", "reason": reason}  # fmt: skip
    students = [cast.student, cast.other_student]
    for i, (marks, status, remarks) in enumerate(rows):
        data |= {f"rows-{i}-student": str(students[i].pk), f"rows-{i}-marks": marks,
                 f"rows-{i}-status": status, f"rows-{i}-remarks": remarks}  # fmt: skip
    return data


def test_the_grid_lists_the_section_with_current_marks(cast, school_year, plan, client):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    services.marks_enter(actor=cast.admin, exam=half, section=sy.sec_a, subject=sy.maths,
                         entries=[{"student": cast.student.pk, "marks": D("61.5"),
                                   "status": "present", "remarks": "Neat"}])  # fmt: skip
    client.force_login(cast.admin)
    change = client.get(reverse("admin:exams_exam_change", args=[half.pk]))
    assert reverse("admin:exams_exam_marks", args=[half.pk]).encode() in change.content
    picker = client.get(reverse("admin:exams_exam_marks", args=[half.pk]))
    assert picker.status_code == 200 and sy.sec_a.display_name.encode() in picker.content
    page = client.get(_url(half, sy))
    assert page.status_code == 200
    body = page.content.decode()
    assert cast.student.user.full_name in body and cast.other_student.user.full_name in body
    assert cast.sibling.user.full_name not in body  # 5-B
    assert [row["name"] for row, _ in page.context["grid"]] == [
        cast.student.user.full_name, cast.other_student.user.full_name]  # fmt: skip
    first = page.context["grid"][0][1]
    assert first.initial["marks"] == D("61.5") and first.initial["remarks"] == "Neat"
    assert 'value="61.50"' in body and "Out of 80" in body


def test_a_valid_save_writes_the_marks_through_the_service(cast, school_year, plan, client):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    client.force_login(cast.admin)
    response = client.post(_url(half, sy), _grid(cast, [("72.5", "present", "Good"),
                                                        ("", "absent", "")]))  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith(_url(half, sy))
    sam = Mark.objects.get(exam=half, student=cast.student, subject=sy.maths)
    assert (sam.marks, sam.status, sam.remarks, sam.max_marks) == (D("72.5"), "present", "Good",
                                                                   D(80))  # fmt: skip
    assert sam.entered_by == cast.admin and sam.section == sy.sec_a
    absent = Mark.objects.get(exam=half, student=cast.other_student, subject=sy.maths)
    assert absent.marks is None and absent.status == MarkStatus.ABSENT  # absent is not zero
    assert AuditLog.objects.filter(action="exams.mark.enter").count() == 2
    # a row left untouched for a student without marks is left out, not refused
    other = exam(plan, 0, "Notebook")
    response = client.post(_url(other, sy), _grid(cast, [("4", "present", ""),
                                                         ("", "present", "")]))  # fmt: skip
    assert response.status_code == 302
    assert list(Mark.objects.filter(exam=other).values_list("student_id", flat=True)) == [
        cast.student.pk]  # fmt: skip


def test_marks_over_the_maximum_show_on_the_row_and_write_nothing(cast, school_year, plan,
                                                                   client):  # fmt: skip
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    client.force_login(cast.admin)
    response = client.post(_url(half, sy), _grid(cast, [("70", "present", ""),
                                                        ("80.5", "present", "")]))  # fmt: skip
    assert response.status_code == 200
    grid = response.context["grid"]
    assert not grid[0][1].errors
    assert "maximum of 80" in str(grid[1][1].errors["marks"])
    assert "maximum of 80" in response.content.decode()
    assert not Mark.objects.filter(exam=half).exists()
    assert not AuditLog.objects.filter(action__startswith="exams.mark").exists()
    # not a number, or marks for an absent student: row errors too
    response = client.post(_url(half, sy), _grid(cast, [("abc", "present", ""),
                                                        ("10", "present", "")]))  # fmt: skip
    assert response.status_code == 200
    assert "marks" in response.context["grid"][0][1].errors
    response = client.post(_url(half, sy), _grid(cast, [("10", "present", ""),
                                                        ("0", "absent", "")]))  # fmt: skip
    assert response.status_code == 200
    assert "absent is not zero" in str(response.context["grid"][1][1].errors["marks"])
    assert not Mark.objects.filter(exam=half).exists()


def test_after_the_window_a_reason_is_required(cast, school_year, plan, client):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    Exam.objects.filter(pk=half.pk).update(entry_opens=CLOSED[0], entry_closes=CLOSED[1])
    client.force_login(cast.admin)
    rows = _grid(cast, [("50", "present", ""), ("", "present", "")])
    refused = client.post(_url(half, sy), rows)
    assert refused.status_code == 200
    assert "reason" in refused.context["reason_form"].errors
    assert not Mark.objects.filter(exam=half).exists()
    done = client.post(_url(half, sy), {**rows, "reason": "Re-checked"})
    assert done.status_code == 302
    assert Mark.objects.get(exam=half).marks == D(50)
    amend = AuditLog.objects.get(action="exams.mark.amend")
    assert amend.after["reason"] == "Re-checked"


def test_who_may_not_use_the_grid(cast, school_year, plan, client):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    rows = _grid(cast, [("50", "present", ""), ("", "present", "")])
    # another school's admin does not find the exam
    client.force_login(cast.admin2)
    assert client.get(_url(half, sy)).status_code == 404
    assert client.post(_url(half, sy), rows).status_code == 404
    # staff who may see exams in the admin are not the subject teacher: 403
    staff = cast.accountant.user
    staff.user_permissions.add(Permission.objects.get(codename="view_exam"))
    client.force_login(staff)
    assert client.get(_url(half, sy)).status_code == 403
    assert client.post(_url(half, sy), rows).status_code == 403
    # teachers (even the subject teacher) do not use the admin site: to the login page
    client.force_login(cast.teacher.user)
    response = client.post(_url(half, sy), rows)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Mark.objects.filter(exam=half).exists()


def test_the_grid_costs_the_same_queries_whatever_the_class_size(cast, school_year, plan,
                                                                  client):  # fmt: skip
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    client.force_login(cast.admin)
    client.get(_url(half, sy))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(_url(half, sy)).status_code == 200
    for roll in range(3, 9):
        EnrollmentFactory(section=sy.sec_a, student=StudentFactory(school=cast.school),
                          roll_number=roll)  # fmt: skip
    with CaptureQueriesContext(connection) as large:
        page = client.get(_url(half, sy))
    assert len(page.context["grid"]) == 8
    assert len(large) == len(small)
