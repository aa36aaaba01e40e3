import datetime as dt
from decimal import Decimal

import pytest

from apps.academics.tests.factories import EnrollmentFactory, TermFactory
from apps.accounts.tests.factories import StudentFactory
from apps.calendar.tests.factories import ExamScheduleEntryFactory
from apps.exams import services
from apps.exams.models import Component

from .factories import OPEN, make_plan, post_marks

D = Decimal


@pytest.fixture
def plan(cast, school_year):
    return make_plan(cast, school_year)


@pytest.fixture
def final(cast, school_year):
    """A one-term plan (the final term) with one exam: Mathematics on a paper out of 40 (the
    exam schedule's maximum), Science out of 100 (the component's)."""
    sy = school_year
    scales = services.builtin_scales_install(cast.school)
    term = TermFactory(year=sy.year, name="Annual", start_date=dt.date(2026, 4, 1),
                       end_date=dt.date(2027, 3, 31))  # fmt: skip
    plan = services.plan_create(
        school=cast.school, actor=cast.admin, school_class=sy.klass, year=sy.year,
        name="Class 5", scale=scales["cbse-8"],
        subjects=[{"subject": sy.maths}, {"subject": sy.science}],
        terms=[{"term": term, "weight": D(100), "is_final": True, "components": [
            {"name": "Annual exam", "kind": "annual", "max_marks": D(100), "weight": D(100)}]}],
    )  # fmt: skip
    component = Component.objects.get(plan_term__plan=plan)
    papers = [ExamScheduleEntryFactory(section=sy.sec_a, subject=sy.maths, max_marks=40),
              ExamScheduleEntryFactory(section=sy.sec_a, subject=sy.science)]  # fmt: skip
    exam = services.exam_create(school=cast.school, actor=cast.admin, component=component,
                                name="Annual exam", entry_opens=OPEN[0], entry_closes=OPEN[1],
                                schedule_entries=papers)  # fmt: skip
    return exam


def _student(sy, roll, name):
    student = StudentFactory(school=sy.klass.school, user__full_name=name)
    EnrollmentFactory(section=sy.sec_a, student=student, roll_number=roll)
    return student


@pytest.fixture
def marked(cast, school_year, final, api):
    sy = school_year
    tia, uma, mo = _student(sy, 3, "Tia"), _student(sy, 4, "Uma"), _student(sy, 5, "Mo")
    admin = api(cast.admin)
    maths = post_marks(admin, final, sy.sec_a, sy.maths, [
        {"student": cast.student.pk, "marks": "36.2"},  # 90.5% of 40
        {"student": cast.other_student.pk, "marks": "13"},  # 32.5%
        {"student": tia.pk, "marks": "13"},
        {"student": uma.pk, "status": "absent"},
        {"student": mo.pk, "status": "medical"},
    ])  # fmt: skip
    assert maths.status_code == 200, maths.content
    science = post_marks(admin, final, sy.sec_a, sy.science, [
        {"student": cast.student.pk, "marks": "90.49"},
        {"student": cast.other_student.pk, "marks": "33"},
        {"student": tia.pk, "marks": "33"},
        {"student": uma.pk, "marks": "50"},
        {"student": mo.pk, "marks": "95"},
    ])  # fmt: skip
    assert science.status_code == 200, science.content
    return {"tia": tia, "uma": uma, "mo": mo}
