import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.accounts.demo import DEMO_PASSWORD
from apps.accounts.models import Guardian, School, StudentProfile, User
from apps.quizzes.demo import seed_quizzes as real_seed_quizzes  # before the autouse patch

LOGINS = {
    "admin@demo.schools24.test": "admin",
    "teacher@demo.schools24.test": "teacher",
    "student@demo.schools24.test": "student",
    "parent@demo.schools24.test": "parent",
    "accountant@demo.schools24.test": "staff",
    "transport@demo.schools24.test": "staff",
    "admin@second.schools24.test": "admin",
}


def test_seed_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not School.objects.exists()


def test_seed_is_idempotent_and_logins_work(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", students=12)
    counts = (User.objects.count(), StudentProfile.objects.count(), Guardian.objects.count())
    call_command("seed_demo", students=12)
    assert (
        User.objects.count(),
        StudentProfile.objects.count(),
        Guardian.objects.count(),
    ) == counts
    assert School.objects.get(code="demo").name == "Demo Public School"
    assert StudentProfile.objects.filter(school__code="demo").count() == 12

    client = APIClient()
    for email, role in LOGINS.items():
        response = client.post(
            "/api/v1/auth/token/", {"email": email, "password": DEMO_PASSWORD}, format="json"
        )
        assert response.status_code == 200, email
        assert response.json()["user"]["role"] == role

    parent = User.objects.get(email="parent@demo.schools24.test")
    children = set(
        Guardian.objects.filter(parent=parent).values_list("student__user__email", flat=True)
    )
    assert len(children) == 2 and "student@demo.schools24.test" in children


def test_seed_grows_with_students_option(db, settings):
    call_command("seed_demo", students=5, force=True)
    call_command("seed_demo", students=9, force=True)
    assert StudentProfile.objects.filter(school__code="demo").count() == 9


def test_seed_restores_a_changed_demo_password(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", students=3)
    admin = User.objects.get(email="admin@demo.schools24.test")
    admin.set_password("something-else-entirely")
    admin.is_active = False
    admin.save()
    call_command("seed_demo", students=3)
    admin.refresh_from_db()
    assert admin.is_active and admin.check_password(DEMO_PASSWORD)


# A Wednesday in November, well inside the academic year the seed makes (April to March), so
# the three weeks of attendance history are all school days of that year.
MID_YEAR = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)


def test_seed_builds_a_clash_free_school_the_demo_teacher_teaches(db, settings):
    from django.db.models import CharField, Count
    from django.db.models.functions import Cast

    from apps.academics.models import Enrollment, Section, TimetableEntry

    with time_machine.travel(MID_YEAR, tick=True):
        call_command("seed_demo", students=80, force=True)
        call_command("seed_demo", students=80, force=True)  # idempotent, structure included
    school = School.objects.get(code="demo")
    assert Section.objects.filter(school=school).count() == 36
    assert Enrollment.objects.filter(school=school).count() == 80
    entries = TimetableEntry.objects.filter(school=school)
    assert entries.count() == 36 * 6 * 6
    for field in ("teacher", "room", "section"):
        clashes = entries.values(field, "weekday", "period").annotate(n=Count("id")).filter(n__gt=1)
        assert not clashes.exists(), f"{field} booked twice: {list(clashes[:3])}"

    demo = StudentProfile.objects.get(user__email="student@demo.schools24.test")
    enrollment = Enrollment.objects.get(student=demo)
    section = enrollment.section
    # The profile shows the same roll number as this year's register.
    assert demo.roll_number == str(enrollment.roll_number)
    mismatched = Enrollment.objects.filter(school=school).exclude(
        student__roll_number=Cast("roll_number", output_field=CharField())
    )
    assert not mismatched.exists()
    assert str(section) == "5-A"
    assert section.class_teacher.user.email == "teacher@demo.schools24.test"

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/",
        {"email": "teacher@demo.schools24.test", "password": DEMO_PASSWORD},
        format="json",
    ).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    seen = {
        row["admission_number"]
        for row in client.get("/api/v1/students/?page_size=200").json()["results"]
    }
    assert demo.admission_number in seen
    taught = Enrollment.objects.filter(
        section__teaching_assignments__teacher__user__email="teacher@demo.schools24.test"
    ).values_list("student__admission_number", flat=True)
    assert seen == set(taught)

    from apps.attendance.models import AttendanceRecord
    from apps.calendar.models import CalendarEvent

    assert CalendarEvent.objects.filter(school=school, kind="holiday").exists()
    marks = AttendanceRecord.objects.filter(school=school)
    days = set(marks.values_list("date", flat=True))
    year = section.year
    assert year.start_date == dt.date(2026, 4, 1)
    # three weeks before the pinned day, Monday to Saturday, less the seeded holidays
    assert 10 <= len(days) <= 18
    assert all(dt.date(2026, 10, 27) <= day < dt.date(2026, 11, 18) for day in days)
    assert all(day.weekday() < 6 for day in days)
    # the second seed run added no duplicate history: one daily mark per student per day
    assert marks.count() == 80 * len(days)


@pytest.fixture(autouse=True)
def _quizzes_need_mongo(request, monkeypatch):
    """The demo quizzes live on the MongoDB question bank: only tests that ask for a Mongo
    fixture seed them; the others must not wait for (or write to) a MongoDB."""
    if not {"mongo_server", "mongo_db", "mongo_questions"} & set(request.fixturenames):
        monkeypatch.setattr("apps.quizzes.demo.seed_quizzes", lambda **kwargs: None)


def test_seed_makes_a_question_bank_and_quizzes_the_demo_student_can_take(
    db, settings, mongo_questions
):
    from apps.quizzes.demo import CLOSED_TITLE, DRAFT_TITLE, OPEN_TITLE
    from apps.quizzes.models import Attempt, AttemptStatus, Quiz, QuizStatus

    call_command("seed_demo", students=80, force=True)
    school = School.objects.get(code="demo")
    questions = mongo_questions.count_documents({"school_id": str(school.pk)})
    assert 250 <= questions <= 500
    kinds = set(mongo_questions.distinct("type", {"school_id": str(school.pk)}))
    assert kinds == {"single", "multiple", "true_false", "numeric", "short", "matching"}
    quizzes = {q.title: q for q in Quiz.objects.filter(school=school)}
    assert quizzes[OPEN_TITLE].status == QuizStatus.PUBLISHED and quizzes[OPEN_TITLE].is_open
    assert quizzes[DRAFT_TITLE].status == QuizStatus.DRAFT
    closed = quizzes[CLOSED_TITLE]
    assert closed.status == QuizStatus.CLOSED and closed.results_released
    submitted = Attempt.objects.filter(quiz=closed, status=AttemptStatus.SUBMITTED)
    assert submitted.exists() and not Attempt.objects.filter(quiz=closed, score=None).exists()

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/",
        {"email": "student@demo.schools24.test", "password": DEMO_PASSWORD},
        format="json",
    ).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    listed = {row["title"]: row for row in client.get("/api/v1/quizzes/").json()["results"]}
    assert OPEN_TITLE in listed and CLOSED_TITLE in listed and DRAFT_TITLE not in listed
    response = client.post(f"/api/v1/quizzes/{listed[OPEN_TITLE]['id']}/attempts/")
    assert response.status_code in (200, 201), response.content
    paper = response.json()["paper"]
    assert len(paper) == 10
    secret = {"correct_answer", "explanation", "pairs", "tolerance", "partial_credit"}
    assert all(set(q) == {"question", "position", "marks", "content"} for q in paper)
    assert not any(secret & set(q["content"]) for q in paper)
    assert all(set(o) == {"id", "text"} for q in paper for o in q["content"].get("options", []))

    counts = (questions, Quiz.objects.count(), Attempt.objects.count())
    call_command("seed_demo", students=80, force=True)
    again = mongo_questions.count_documents({"school_id": str(school.pk)})
    assert (again, Quiz.objects.count(), Attempt.objects.count()) == counts


def test_seed_goes_on_without_mongodb(db, settings, capsys):
    import random

    from apps.accounts.demo import SeedReport
    from apps.core.mongo import reset_client
    from apps.quizzes.models import Quiz

    call_command("seed_demo", students=5, force=True)
    settings.MONGODB_URI = "mongodb://127.0.0.1:9"  # nothing listens on the discard port
    settings.MONGODB_TIMEOUT_MS = 200
    reset_client()
    try:
        report = SeedReport()
        real_seed_quizzes(
            report=report,
            school=School.objects.get(code="demo"),
            rng=random.Random(1),
            teacher=User.objects.get(email="teacher@demo.schools24.test"),
        )
    finally:
        reset_client()
    assert "demo quizzes skipped" in capsys.readouterr().err
    assert not Quiz.objects.exists() and not report.created
