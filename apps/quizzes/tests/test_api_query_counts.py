"""What the quiz hot paths cost in SQL, through the API as the student: starting (or resuming)
an attempt, reading the paper and autosaving answers each take a fixed number of queries,
whatever the number of questions, sections, answers or extra time, and never touch MongoDB.

The budgets are what was measured (the signed-in user is one of them; the test database's
savepoints around a transaction are counted too). A second, bigger quiz must cost exactly what
the small one does.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.academics.tests.factories import SchoolClassFactory, SectionFactory
from apps.core.testing import assert_compiled_list_matches, redis_round_trips
from apps.quizzes.api.serializers import SavedAnswersSerializer
from apps.quizzes.models import Attempt, AttemptAnswer

from .factories import flush_here

START = 8  # user, quiz, savepoint, student (locked), attempts, paper's questions, insert, release
RESUME = 7  # user, quiz, savepoint, student (locked), attempts, release, paper with answers
PAPER = 3  # user, attempt, paper with answers
# the attempt found with the documents answered (no lock, no transaction), then its answers
# (the signed-in user is cached)
AUTOSAVE = 2


def counted(request) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    return len(ctx.captured_queries), response


@pytest.fixture
def more_questions(cast, school_year, mongo_db):
    """Nine more single-choice bank questions in Mathematics (algebra)."""
    from apps.quizzes import question_bank

    return [
        question_bank.create(
            cast.school.pk,
            {
                "subject_id": str(school_year.maths.pk),
                "topic": "algebra",
                "type": "single",
                "question_text": f"{n} + 1 = ?",
                "options": [{"id": "a", "text": str(n + 1)}, {"id": "b", "text": str(n)}],
                "correct_answer": "a",
                "difficulty": "easy",
            },
            author_id=cast.teacher.user.pk,
        )
        for n in range(9)
    ]


@pytest.fixture
def quizzes(api, cast, school_year, make_quiz, Q, more_questions):
    """A small quiz (three questions, one section) and a big one (twelve questions shuffled
    with their options, four sections, extra time for the student), both published."""
    small = make_quiz(attempts_allowed=3)
    other_class = SchoolClassFactory(school=cast.school, name="Class 8", order=8)
    extra_sections = [
        SectionFactory(school_class=other_class, year=school_year.year, name=name) for name in "AB"
    ]
    big = make_quiz(
        actor=cast.admin,
        attempts_allowed=3,
        shuffle_questions=True,
        shuffle_options=True,
        sections=[str(s.pk) for s in (school_year.sec_a, school_year.sec_b, *extra_sections)],
        questions=[Q.single, Q.multiple, Q.numeric, *more_questions],
    )
    response = api(cast.admin).post(
        f"/api/v1/quizzes/{big['id']}/accommodations/",
        {"student": str(cast.student.pk), "extra_minutes": 10},
    )
    assert response.status_code == 200, response.content
    return small, big


def test_starting_and_resuming_cost_the_same_few_queries_for_any_quiz(api, cast, quizzes, no_mongo):
    small, big = quizzes
    no_mongo()
    client = api(cast.student.user)
    assert client.get("/api/v1/me/").status_code == 200  # the signed-in principal is cached
    costs = {}
    for name, quiz in (("small", small), ("big", big)):
        url = f"/api/v1/quizzes/{quiz['id']}/attempts/"
        before = timezone.now()
        costs[name, "start"], response = counted(lambda url=url: client.post(url))
        assert response.status_code == 201, response.content
        body = response.json()
        stored = Attempt.objects.get(pk=body["id"])
        assert stored.student == cast.student and stored.number == 1
        assert [p["question"] for p in body["paper"]] == stored.question_order
        assert len(stored.question_order) == len(quiz["questions"])
        assert body["answers"] == {} and body["quiz_title"] == quiz["title"]
        assert body["student_name"] == "Sam Student"
        costs[name, "resume"], response = counted(lambda url=url: client.post(url))
        assert response.status_code == 200 and response.json()["id"] == body["id"]
        assert response.json()["paper"] == body["paper"]
        extra = dt.timedelta(minutes=10 if quiz is big else 0)
        assert stored.deadline >= before + dt.timedelta(minutes=30) + extra
    assert costs["small", "start"] == costs["big", "start"] <= START, costs
    assert costs["small", "resume"] == costs["big", "resume"] <= RESUME, costs


def test_a_random_draw_starts_as_cheaply_as_a_fixed_list(
    api, cast, school_year, make_quiz, Q, no_mongo
):
    draw = make_quiz(
        questions=[],
        selection="random",
        draw_count=2,
        pool_filter={"subject": str(school_year.maths.pk), "topic": "algebra"},
    )
    no_mongo()
    client = api(cast.student.user)
    cost, response = counted(lambda: client.post(f"/api/v1/quizzes/{draw['id']}/attempts/"))
    assert response.status_code == 201, response.content
    assert len(response.json()["paper"]) == 2
    assert cost <= START


def test_reading_the_paper_costs_three_queries_with_answers_pending_or_flushed(
    api, cast, quizzes, Q, more_questions, no_mongo
):
    small, big = quizzes
    no_mongo()
    client = api(cast.student.user)
    costs = {}
    for name, quiz, answers in (
        ("small", small, [(Q.single, "b")]),
        (
            "big",
            big,
            [(Q.single, "b"), (Q.multiple, ["a", "c"])] + [(q, "a") for q in more_questions],
        ),
    ):
        attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts/").json()
        url = f"/api/v1/attempts/{attempt['id']}/"
        response = client.put(
            f"{url}answers/",
            {"answers": [{"question": q["id"], "answer": a} for q, a in answers]},
            format="json",
        )
        assert response.status_code == 200, response.content
        costs[name, "pending"], response = counted(lambda url=url: client.get(url))
        assert response.status_code == 200
        expected = {q["id"]: a for q, a in answers}
        assert response.json()["answers"] == expected
        assert response.json()["paper"] == attempt["paper"]
        flush_here()
        assert AttemptAnswer.objects.filter(attempt_id=attempt["id"]).count() == len(answers)
        costs[name, "flushed"], response = counted(lambda url=url: client.get(url))
        assert response.json()["answers"] == expected and response.json()["review"] is None
    assert len(set(costs.values())) == 1 and costs["big", "pending"] <= PAPER, costs


def test_an_autosave_costs_the_same_few_queries_for_one_answer_or_many(
    api, cast, quizzes, Q, more_questions, no_mongo
):
    small, big = quizzes
    no_mongo()
    client = api(cast.student.user)
    costs = {}
    for name, quiz, answers in (
        ("small", small, [(Q.single, "b")]),
        ("big", big, [(Q.single, "a"), (Q.numeric, 3.14)] + [(q, "b") for q in more_questions]),
    ):
        attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts/").json()
        url = f"/api/v1/attempts/{attempt['id']}/answers/"
        payload = {"answers": [{"question": q["id"], "answer": a} for q, a in answers]}
        costs[name], response = counted(
            lambda url=url, payload=payload: client.put(url, payload, format="json")
        )
        assert response.status_code == 200, response.content
        assert response.json()["answers"] == {q["id"]: a for q, a in answers}
        # built directly, as the documented serializer would build it
        held = Attempt.objects.get(pk=attempt["id"])
        documented = SavedAnswersSerializer(
            {"attempt": held.pk, "deadline": held.deadline, "answers": response.json()["answers"]}
        ).data
        assert response.json() == json.loads(json.dumps(documented))
    assert costs["small"] == costs["big"] == AUTOSAVE, costs

    # a refused answer is refused as before, from the documents read with the lock
    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"answers": [{"question": Q.single["id"], "answer": "z"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["answers"][0]["answer"]
    # found among the caller's attempts only: another student's, or no attempt, is a 404
    payload = {"answers": [{"question": Q.single["id"], "answer": "b"}]}
    for pk in (attempt["id"], "not-an-id"):
        response = api(cast.other_student.user).put(
            f"/api/v1/attempts/{pk}/answers/", payload, format="json"
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


SUMMARY = {
    "id",
    "title",
    "subject",
    "subject_name",
    "sections",
    "status",
    "opens_at",
    "closes_at",
    "duration_minutes",
    "attempts_allowed",
    "question_count",
    "results_visible",
    "published_at",
}


def test_a_students_quiz_list_is_a_summary_in_the_same_queries_for_one_quiz_or_five(
    api, cast, school_year, make_quiz, Q
):
    client = api(cast.student.user)
    first = make_quiz(title="Quiz 0")
    assert client.get("/api/v1/me/").status_code == 200  # the signed-in principal is cached
    one, response = counted(lambda: client.get("/api/v1/quizzes/"))
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [first["id"]]
    assert set(rows[0]) == SUMMARY
    assert rows[0]["question_count"] == 3 and rows[0]["subject_name"] == "Mathematics"
    assert rows[0]["sections"] == [
        {"id": str(school_year.sec_a.pk), "name": school_year.sec_a.display_name}
    ]
    for n in range(1, 5):
        make_quiz(
            actor=cast.admin,
            title=f"Quiz {n}",
            sections=[str(school_year.sec_a.pk), str(school_year.sec_b.pk)],
            questions=[Q.single, Q.numeric],
        )
    five, response = counted(lambda: client.get("/api/v1/quizzes/"))
    assert response.json()["count"] == 5
    assert all(set(row) == SUMMARY for row in response.json()["results"])
    # the detail keeps the rest
    detail = client.get(f"/api/v1/quizzes/{first['id']}/").json()
    assert detail["instructions"] == "" and detail["grading_rule"] == "highest"
    assert five == one <= 3  # count, page, sections (the user is cached)


def _sql(request) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    assert response.status_code == 200, response.content
    return [q["sql"] for q in ctx.captured_queries]


def test_an_autosave_takes_no_lock_unless_it_writes_answers_to_postgres(
    api, cast, make_quiz, Q, settings
):
    """The answers go to Redis, which refuses them once a submit closed the attempt's answers,
    so the autosave opens no transaction; answers written through to Postgres (buffer off or
    Redis down) are written under the attempt's row lock, as a submit takes it."""
    quiz = make_quiz(questions=[Q.single, Q.numeric])
    client = api(cast.student.user)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts/").json()
    url = f"/api/v1/attempts/{attempt['id']}/answers/"
    save = {"answers": [{"question": Q.single["id"], "answer": "b"}]}
    sql = _sql(lambda: client.put(url, save, format="json"))
    assert len(sql) == AUTOSAVE
    assert not [q for q in sql if "FOR UPDATE" in q or "SAVEPOINT" in q or "INSERT" in q]

    settings.BATCH_PROCESSOR_ENABLED = False  # every put is written through to Postgres
    save = {"answers": [{"question": Q.numeric["id"], "answer": 2.5}]}
    sql = _sql(lambda: client.put(url, save, format="json"))
    # (the upsert itself goes through the driver's cursor, which the capture does not see)
    assert [q for q in sql if "FOR UPDATE" in q and "quizzes_attempt" in q]
    assert AttemptAnswer.objects.get(attempt_id=attempt["id"], question_id=Q.numeric["id"])


def test_an_autosave_costs_few_redis_round_trips(api, cast, make_quiz, Q, settings):
    settings.DATABASE_PREPARED_STATEMENTS = True  # as in production
    quiz = make_quiz(questions=[Q.single])
    client = api(cast.student.user)
    attempt = client.post(f"/api/v1/quizzes/{quiz['id']}/attempts/").json()
    url = f"/api/v1/attempts/{attempt['id']}/answers/"
    save = {"answers": [{"question": Q.single["id"], "answer": "b"}]}
    assert client.put(url, save, format="json").status_code == 200
    with redis_round_trips() as trips:
        assert client.put(url, save, format="json").json()["answers"] == {Q.single["id"]: "b"}
    # The cached principal with the throttle, then the write buffer (the put and the attempt's
    # pending answers read back): two pipelines.
    assert trips == [b"MGET", b"EVALSHA"], trips


@pytest.mark.parametrize("prepared", [False, True], ids=["sent", "prepared"])
def test_the_compiled_list_answers_what_the_queryset_path_answers_for_every_reader(
    api, cast, school_year, make_quiz, Q, settings, prepared
):
    """A list asked with no filter is read through SQL compiled once per role (sent as it is,
    or as a prepared statement); asked with an ordering it goes through the filtered queryset.
    Both must answer the same rows, pages and counts for every reader, each of whom sees a
    different set."""
    settings.DATABASE_PREPARED_STATEMENTS = prepared
    make_quiz(title="Fixed for 5-A")
    make_quiz(
        actor=cast.admin,
        title="Both sections, random draw",
        sections=[str(school_year.sec_a.pk), str(school_year.sec_b.pk)],
        questions=[Q.single, Q.numeric],
        selection="random",
        draw_count=1,
        release_policy="on_submit",
    )
    make_quiz(title="A draft", publish=False)
    make_quiz(
        actor=cast.admin,
        title="5-B only",
        sections=[str(school_year.sec_b.pk)],
        questions=[Q.single],
    )
    seen = {}
    readers = {
        "admin": cast.admin,
        "teacher": cast.teacher.user,  # 5-A's class teacher and maths teacher
        "colleague": cast.colleague.user,  # teaches science in 5-A: sees 5-A's quizzes
        "student": cast.student.user,  # 5-A
        "parent": cast.parent,  # Sam (5-A) and Sia
        "other school": cast.admin2,
    }
    for name, user in readers.items():
        rows = assert_compiled_list_matches(api(user), "/api/v1/quizzes/", "-opens_at,title", name)
        seen[name] = [row["title"] for row in rows]
    newest_first = ["5-B only", "A draft", "Both sections, random draw", "Fixed for 5-A"]
    assert seen["admin"] == newest_first
    assert seen["teacher"] == newest_first[1:]
    assert seen["colleague"] == newest_first[1:]
    assert seen["student"] == ["Both sections, random draw", "Fixed for 5-A"]
    assert seen["other school"] == []
