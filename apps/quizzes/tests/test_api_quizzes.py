"""Quizzes through the API: who may set them, publishing and the freeze of the questions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.core.models import AuditLog
from apps.quizzes import question_bank
from apps.quizzes.models import Quiz, QuizQuestion

from .factories import quiz_payload


def test_teacher_creates_a_draft_for_a_subject_they_teach(api, cast, school_year, Q):
    response = api(cast.teacher.user).post(
        "/api/v1/quizzes/", quiz_payload(school_year, [Q.single], negative_marking="0.25")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["sections"] == [{"id": str(school_year.sec_a.pk), "name": "5-A"}]
    assert body["questions"] == [{"question": Q.single["id"], "marks": "2.00"}]
    quiz = Quiz.objects.get(pk=body["id"])
    assert quiz.created_by == cast.teacher.user and quiz.school == cast.school
    assert str(quiz.negative_marking) == "0.2500"


def test_teacher_cannot_set_a_quiz_where_they_do_not_teach_the_subject(api, cast, school_year, Q):
    client = api(cast.teacher.user)
    other_section = quiz_payload(school_year, [Q.single], sections=[str(school_year.sec_b.pk)])
    response = client.post("/api/v1/quizzes/", other_section)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_subject"
    other_subject = quiz_payload(school_year, [Q.single], subject=str(school_year.science.pk))
    assert client.post("/api/v1/quizzes/", other_subject).status_code == 403
    # ... while a school admin sets anything in the school
    response = api(cast.admin).post("/api/v1/quizzes/", other_section)
    assert response.status_code == 201
    assert not Quiz.objects.filter(created_by=cast.teacher.user).exists()


def test_create_refuses_bad_times_and_another_schools_subject(api, cast, school_year, Q):
    from apps.academics.tests.factories import SubjectFactory

    client = api(cast.admin)
    now = timezone.now()
    response = client.post(
        "/api/v1/quizzes/",
        quiz_payload(school_year, [Q.single], opens_at=now.isoformat(), closes_at=now.isoformat()),
    )
    assert response.status_code == 400
    assert "closes_at" in response.json()["error"]["fields"]
    foreign = SubjectFactory(school=cast.school2)
    response = client.post(
        "/api/v1/quizzes/", quiz_payload(school_year, [Q.single], subject=str(foreign.pk))
    )
    assert response.status_code == 400
    assert "subject" in response.json()["error"]["fields"]


def test_publish_freezes_the_questions_and_later_bank_edits_do_not_change_grading(
    api, cast, make_quiz, Q
):
    quiz = make_quiz()
    assert quiz["status"] == "published"
    frozen = list(QuizQuestion.objects.filter(quiz_id=quiz["id"]).order_by("position"))
    assert [f.question_id for f in frozen] == [Q.single["id"], Q.multiple["id"], Q.numeric["id"]]
    assert [str(f.marks) for f in frozen] == ["2.00", "2.00", "2.00"]
    assert frozen[0].version == 1
    assert frozen[0].document["correct_answer"] == "b"
    assert frozen[0].document["question_text"] == "2 + 2 = ?"
    assert AuditLog.objects.filter(action="quiz.publish", object_id=quiz["id"]).exists()

    # The author changes the right answer in the bank after publishing.
    edited = question_bank.update(
        cast.school.pk, Q.single["id"], {"correct_answer": "a"}, actor=cast.teacher.user
    )
    assert edited["version"] == 2

    student = api(cast.student.user)
    attempt = student.post(f"/api/v1/quizzes/{quiz['id']}/attempts/").json()
    paper = {p["question"]: p["content"] for p in attempt["paper"]}
    assert paper[Q.single["id"]]["question_text"] == "2 + 2 = ?"
    student.put(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"answers": [{"question": Q.single["id"], "answer": "b"}]},
    )
    body = student.post(f"/api/v1/attempts/{attempt['id']}/submit/").json()
    assert body["score"] == "2.00"  # graded by the frozen version 1: "b" is right
    teacher = api(cast.teacher.user).get(f"/api/v1/attempts/{attempt['id']}/").json()
    review = {r["question"]: r for r in teacher["review"]}
    assert review[Q.single["id"]]["correct_answer"] == "b"
    # and a quiz published now freezes version 2
    later = make_quiz(questions=[Q.single])
    assert QuizQuestion.objects.get(quiz_id=later["id"]).version == 2


def test_publish_validates(api, cast, school_year, make_quiz, Q):
    client = api(cast.teacher.user)
    empty = make_quiz(publish=False, questions=[])
    response = client.post(f"/api/v1/quizzes/{empty['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_questions"

    unknown = make_quiz(publish=False, questions=[{"id": "0" * 24}])
    response = client.post(f"/api/v1/quizzes/{unknown['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_questions"

    past = make_quiz(publish=False)
    Quiz.objects.filter(pk=past["id"]).update(
        opens_at=timezone.now() - dt.timedelta(hours=3),
        closes_at=timezone.now() - dt.timedelta(hours=1),
    )
    response = client.post(f"/api/v1/quizzes/{past['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_times"

    good = make_quiz()
    response = client.post(f"/api/v1/quizzes/{good['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_published"
    assert Quiz.objects.filter(status="draft").count() == 3
    assert not QuizQuestion.objects.exclude(quiz_id=good["id"]).exists()


def test_another_schools_bank_question_cannot_be_used(api, cast, school_year, make_quiz):
    foreign = question_bank.create(
        cast.school2.pk,
        {"type": "true_false", "question_text": "Sky is blue", "correct_answer": True},
        author_id=cast.admin2.pk,
    )
    quiz = make_quiz(publish=False, questions=[foreign])
    response = api(cast.teacher.user).post(f"/api/v1/quizzes/{quiz['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_questions"


def test_random_draw_freezes_the_whole_pool_and_draws_per_attempt(
    api, cast, school_year, make_quiz, Q
):
    quiz = make_quiz(
        questions=[],
        selection="random",
        draw_count=2,
        draw_marks="5",
        pool_filter={"subject": str(school_year.maths.pk), "topic": "algebra"},
    )
    frozen = QuizQuestion.objects.filter(quiz_id=quiz["id"])
    assert frozen.count() == 3 and {str(f.marks) for f in frozen} == {"5.00"}
    attempt = api(cast.student.user).post(f"/api/v1/quizzes/{quiz['id']}/attempts/").json()
    assert len(attempt["paper"]) == 2
    assert {p["question"] for p in attempt["paper"]} <= {f.question_id for f in frozen}

    too_big = make_quiz(publish=False, questions=[], selection="random", draw_count=4)
    response = api(cast.teacher.user).post(f"/api/v1/quizzes/{too_big['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "pool_too_small"


def test_a_published_quiz_is_frozen_and_only_drafts_are_deleted(api, cast, make_quiz, Q):
    client = api(cast.teacher.user)
    quiz = make_quiz()
    response = client.patch(f"/api/v1/quizzes/{quiz['id']}/", {"duration_minutes": 90})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "quiz_frozen"
    response = client.patch(f"/api/v1/quizzes/{quiz['id']}/", {"title": "Renamed"})
    assert response.status_code == 200 and response.json()["title"] == "Renamed"
    assert client.delete(f"/api/v1/quizzes/{quiz['id']}/").status_code == 400

    draft = make_quiz(publish=False)
    response = client.patch(f"/api/v1/quizzes/{draft['id']}/", {"duration_minutes": 90})
    assert response.status_code == 200 and response.json()["duration_minutes"] == 90
    assert client.delete(f"/api/v1/quizzes/{draft['id']}/").status_code == 204
    assert not Quiz.objects.filter(pk=draft["id"]).exists()


def test_students_see_published_quizzes_of_their_section_without_the_question_list(
    api, cast, school_year, make_quiz
):
    published = make_quiz()
    draft = make_quiz(publish=False)
    student = api(cast.student.user)
    listed = student.get("/api/v1/quizzes/").json()["results"]
    assert [q["id"] for q in listed] == [published["id"]]
    assert "questions" not in listed[0] and "pool_filter" not in listed[0]
    assert student.get(f"/api/v1/quizzes/{draft['id']}/").status_code == 404
    # Sia is in 5-B: the quiz is not hers; her parent sees it through Sam
    assert api(cast.sibling.user).get(f"/api/v1/quizzes/{published['id']}/").status_code == 404
    assert api(cast.parent).get(f"/api/v1/quizzes/{published['id']}/").status_code == 200
    assert api(cast.admin2).get(f"/api/v1/quizzes/{published['id']}/").status_code == 404
    # Vera teaches 5-B only
    assert api(school_year.vera.user).get(f"/api/v1/quizzes/{published['id']}/").status_code == 404


def test_quiz_list_runs_a_constant_number_of_queries(
    api, cast, school_year, make_quiz, django_assert_max_num_queries, django_assert_num_queries
):
    client = api(cast.teacher.user)
    make_quiz(publish=False)
    with django_assert_max_num_queries(50) as one:
        assert client.get("/api/v1/quizzes/").json()["count"] == 1
    queries = len(one)  # now: the captured list is a live view of the connection's log
    for _ in range(3):
        make_quiz(publish=False)
    with django_assert_num_queries(queries):
        assert client.get("/api/v1/quizzes/").json()["count"] == 4
