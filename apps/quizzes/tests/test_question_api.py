"""/api/v1/questions/: the question bank through the HTTP API, against a real wire server."""

from __future__ import annotations

import uuid

import pytest
from bson import ObjectId

from apps.academics.tests.factories import SchoolClassFactory, SubjectFactory
from apps.accounts.models import Role
from apps.accounts.tests.factories import TeacherFactory, UserFactory
from apps.core import mongo

pytestmark = [pytest.mark.mongo, pytest.mark.django_db]

URL = "/api/v1/questions/"


@pytest.fixture
def bank(mongo_questions):
    return mongo_questions


def detail(question_id) -> str:
    return f"{URL}{question_id}/"


def single(**fields) -> dict:
    return {
        "type": "single",
        "question_text": "What is the capital of Karnataka?",
        "options": [{"id": "a", "text": "Bengaluru"}, {"id": "b", "text": "Mysuru"}],
        "correct_answer": "a",
        "difficulty": "easy",
        **fields,
    }


def create(api, user, **fields) -> dict:
    response = api(user).post(URL, single(**fields), format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- Create and read ------------------------------------------------------------------------------
def test_teacher_creates_a_question_stored_with_the_roadmap_fields(cast, api, bank):
    subject = SubjectFactory(school=cast.school)
    school_class = SchoolClassFactory(school=cast.school)
    body = create(
        api,
        cast.teacher.user,
        subject_id=str(subject.pk),
        class_id=str(school_class.pk),
        topic="States",
        tags=["Geography", "geography", " India "],
        explanation="Bengaluru is the capital.",
        marks=2,
        media_urls=["https://cdn.example.com/map.png"],
    )
    assert body["version"] == 1
    assert body["author_id"] == str(cast.teacher.user.pk)
    assert body["tags"] == ["geography", "india"]
    assert body["can_edit"] is True
    stored = bank.find_one({"_id": ObjectId(body["id"])})
    assert stored["school_id"] == str(cast.school.pk)
    assert stored["quiz_id"] is None
    assert stored["question_text"] == "What is the capital of Karnataka?"
    assert stored["correct_answer"] == "a"
    assert stored["options"] == [{"id": "a", "text": "Bengaluru"}, {"id": "b", "text": "Mysuru"}]
    assert stored["difficulty"] == "easy"
    assert stored["subject_id"] == str(subject.pk)
    assert stored["class_id"] == str(school_class.pk)
    assert stored["marks"] == 2
    assert set(stored["tokens"]) >= {"capital", "karnataka", "states", "geography", "india"}
    assert "tokens" not in body

    fetched = api(cast.admin).get(detail(body["id"]))
    assert fetched.status_code == 200
    assert fetched.json() == body  # the admin may edit it too


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "essay"}, "type"),
        ({"correct_answer": "z"}, "correct_answer"),
        ({"options": [{"text": "only one"}]}, "options"),
        ({"marks": 0}, "marks"),
        ({"difficulty": "impossible"}, "difficulty"),
        ({"question_text": ""}, "question_text"),
        ({"type": "numeric", "options": [], "correct_answer": {"value": "x"}}, "correct_answer"),
        ({"media_urls": ["javascript:alert(1)"]}, "media_urls"),
        ({"subject_id": "not-a-uuid"}, "subject_id"),
    ],
)
def test_invalid_questions_are_400_with_field_errors(cast, api, bank, fields, field):
    response = api(cast.teacher.user).post(URL, single(**fields), format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert bank.count_documents({}) == 0


def test_subject_and_class_must_be_the_callers_schools(cast, api, bank):
    other_subject = SubjectFactory(school=cast.school2)
    other_class = SchoolClassFactory(school=cast.school2)
    response = api(cast.teacher.user).post(
        URL,
        single(subject_id=str(other_subject.pk), class_id=str(other_class.pk)),
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields == {
        "subject_id": ["Not found in your school."],
        "class_id": ["Not found in your school."],
    }
    missing = api(cast.admin).post(URL, single(subject_id=str(uuid.uuid4())), format="json")
    assert missing.json()["error"]["fields"] == {"subject_id": ["Not found in your school."]}


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "multiple", "correct_answer": ["a", "b"], "partial_credit": True},
        {"type": "true_false", "options": [], "correct_answer": False},
        {"type": "numeric", "options": [], "correct_answer": {"value": 9.81, "tolerance": 0.05}},
        {"type": "short", "options": [], "correct_answer": ["Bengaluru", "Bangalore"]},
        {
            "type": "matching",
            "options": [],
            "correct_answer": None,
            "pairs": [{"left": "H2O", "right": "Water"}, {"left": "NaCl", "right": "Salt"}],
        },
    ],
    ids=lambda p: p["type"],
)
def test_every_type_can_be_created(cast, api, bank, payload):
    payload = {k: v for k, v in payload.items() if v is not None}
    body = create(api, cast.admin, **payload)
    assert body["type"] == payload["type"]
    if payload["type"] == "matching":
        assert [p["id"] for p in body["pairs"]] == ["1", "2"]
        assert body["correct_answer"] == {p["id"]: p["right_id"] for p in body["pairs"]}
        assert body["partial_credit"] is False
    else:
        assert body["correct_answer"] == payload["correct_answer"]


def test_preview_is_the_students_view(cast, api, bank):
    body = create(api, cast.teacher.user, explanation="SECRET", shuffle_options=True)
    preview = api(cast.teacher.user).get(f"{detail(body['id'])}preview/?seed=4").json()
    assert set(preview) == {"id", "type", "question_text", "marks", "media_urls", "options"}
    assert "SECRET" not in str(preview) and "correct_answer" not in preview


# --- Who may do what ------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["student", "parent", "accountant"])
def test_students_parents_and_staff_are_refused(cast, api, bank, persona):
    question = create(api, cast.admin)
    client = api(cast.user(persona))
    assert client.get(URL).status_code == 403
    assert client.get(detail(question["id"])).status_code == 403
    assert client.post(URL, single(), format="json").status_code == 403
    assert client.patch(detail(question["id"]), {}, format="json").status_code == 403
    assert client.delete(detail(question["id"])).status_code == 403
    assert client.get(f"{URL}export/").status_code == 403
    assert client.post(f"{URL}import/", {"gift": "Q {T}"}, format="json").status_code == 403
    assert api(None).get(URL).status_code == 401
    assert bank.count_documents({}) == 1


def test_another_schools_question_is_not_found(cast, api, bank):
    question = create(api, cast.admin)
    client = api(cast.admin2)
    assert client.get(detail(question["id"])).status_code == 404
    assert client.patch(detail(question["id"]), {"marks": 5}, format="json").status_code == 404
    assert client.delete(detail(question["id"])).status_code == 404
    assert client.get(URL).json()["count"] == 0
    assert bank.find_one({"_id": ObjectId(question["id"])})["marks"] == 1


@pytest.mark.parametrize(
    "bad_id", ["123", "not-an-object-id", "zz" * 12, "3f2b8c1e-0d5a-4c4e-9a7e-2b1f6c9d8e70"]
)
def test_a_malformed_or_unknown_id_is_404(cast, api, bank, bad_id):
    response = api(cast.admin).get(detail(bad_id))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api(cast.admin).get(detail(ObjectId())).status_code == 404


def test_teachers_read_every_question_but_edit_only_their_own(cast, api, bank):
    colleague = TeacherFactory(school=cast.school).user
    theirs = create(api, colleague)
    mine = create(api, cast.teacher.user)
    client = api(cast.teacher.user)
    listed = client.get(URL).json()["results"]
    assert {q["id"]: q["can_edit"] for q in listed} == {theirs["id"]: False, mine["id"]: True}
    assert client.get(detail(theirs["id"])).status_code == 200
    refused = client.patch(detail(theirs["id"]), {"marks": 3}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert client.delete(detail(theirs["id"])).status_code == 403
    assert client.patch(detail(mine["id"]), {"marks": 3}, format="json").status_code == 200
    # a school admin edits and deletes anyone's
    assert (
        api(cast.admin).patch(detail(theirs["id"]), {"marks": 4}, format="json").json()["marks"]
        == 4
    )
    assert api(cast.admin).delete(detail(theirs["id"])).status_code == 204
    assert bank.count_documents({}) == 1


def test_a_platform_superuser_without_a_school_is_refused(cast, api, bank):
    root = UserFactory(school=None, role=Role.ADMIN, is_superuser=True, is_staff=True)
    assert api(root).get(URL).status_code == 403


# --- Edit and delete ------------------------------------------------------------------------------
def test_each_edit_bumps_the_version_and_keeps_author_and_creation(cast, api, bank):
    question = create(api, cast.teacher.user)
    client = api(cast.teacher.user)
    first = client.patch(
        detail(question["id"]), {"question_text": "Capital of Kerala?"}, format="json"
    )
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 2
    second = client.patch(detail(question["id"]), {"tags": ["south"]}, format="json").json()
    assert second["version"] == 3
    assert second["question_text"] == "Capital of Kerala?"
    assert second["options"] == question["options"]  # untouched fields kept
    assert second["created_at"] == question["created_at"]
    assert second["author_id"] == question["author_id"]
    stored = bank.find_one({"_id": ObjectId(question["id"])})
    assert "kerala" in stored["tokens"] and "karnataka" not in stored["tokens"]
    assert stored["version"] == 3


def test_an_edit_is_validated_as_a_whole(cast, api, bank):
    question = create(api, cast.teacher.user)
    client = api(cast.teacher.user)
    wrong = client.patch(detail(question["id"]), {"type": "multiple"}, format="json")
    assert wrong.status_code == 400
    assert "correct_answer" in wrong.json()["error"]["fields"]
    changed = client.patch(
        detail(question["id"]), {"type": "true_false", "correct_answer": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["options"] == []  # a type change away from choices drops them
    assert bank.find_one({"_id": ObjectId(question["id"])})["version"] == 2


def test_a_stale_version_is_409(cast, api, bank):
    question = create(api, cast.teacher.user)
    client = api(cast.teacher.user)
    ok = client.patch(detail(question["id"]), {"marks": 2, "version": 1}, format="json")
    assert ok.status_code == 200
    stale = client.patch(detail(question["id"]), {"marks": 3, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert bank.find_one({"_id": ObjectId(question["id"])})["marks"] == 2


def test_delete(cast, api, bank):
    question = create(api, cast.teacher.user)
    assert api(cast.teacher.user).delete(detail(question["id"])).status_code == 204
    assert bank.count_documents({}) == 0
    assert api(cast.teacher.user).get(detail(question["id"])).status_code == 404


# --- List: filters, search, pagination ------------------------------------------------------------
@pytest.fixture
def catalogue(cast, api, bank):
    maths = SubjectFactory(school=cast.school, name="Maths")
    science = SubjectFactory(school=cast.school, name="Science")
    grade5 = SchoolClassFactory(school=cast.school)
    made = {
        "capital": create(
            api, cast.admin, tags=["geography"], topic="States", question_text="Capital of Goa?"
        ),
        "algebra": create(
            api,
            cast.admin,
            subject_id=str(maths.pk),
            class_id=str(grade5.pk),
            difficulty="hard",
            tags=["algebra", "equations"],
            topic="Linear equations",
            type="numeric",
            options=[],
            correct_answer={"value": 4, "tolerance": 0},
            question_text="Solve 2x = 8 for x.",
        ),
        "plants": create(
            api,
            cast.teacher.user,
            subject_id=str(science.pk),
            type="true_false",
            options=[],
            correct_answer=True,
            question_text="Plants need sunlight for photosynthesis.",
            tags=["biology"],
        ),
    }
    create(api, cast.admin2, question_text="Capital of Goa in school two?")
    return {"maths": maths, "science": science, "grade5": grade5, **made}


def listed(api, user, query="") -> list[str]:
    response = api(user).get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return [q["question_text"] for q in response.json()["results"]]


def test_list_is_the_schools_newest_first(cast, api, catalogue):
    assert listed(api, cast.teacher.user) == [
        "Plants need sunlight for photosynthesis.",
        "Solve 2x = 8 for x.",
        "Capital of Goa?",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject={maths}", ["Solve 2x = 8 for x."]),
        ("class={grade5}", ["Solve 2x = 8 for x."]),
        ("subject={science}&class={grade5}", []),
        ("topic=States", ["Capital of Goa?"]),
        ("tag=Algebra", ["Solve 2x = 8 for x."]),
        ("tag=algebra&tag=equations", ["Solve 2x = 8 for x."]),
        ("tag=algebra&tag=biology", []),
        ("difficulty=hard", ["Solve 2x = 8 for x."]),
        ("type=true_false", ["Plants need sunlight for photosynthesis."]),
        ("search=goa", ["Capital of Goa?"]),
        ("search=CAPITAL goa", ["Capital of Goa?"]),  # every word must match
        ("search=capital photosynthesis", []),
        ("search=sunlight plants", ["Plants need sunlight for photosynthesis."]),
        ("search=linear", ["Solve 2x = 8 for x."]),  # the topic is searched too
        ("search=biology", ["Plants need sunlight for photosynthesis."]),  # and the tags
        ("search=two", []),  # school two's question is never found
        ("author={teacher}", ["Plants need sunlight for photosynthesis."]),
    ],
)
def test_list_filters(cast, api, catalogue, query, expected):
    query = query.format(
        maths=catalogue["maths"].pk,
        science=catalogue["science"].pk,
        grade5=catalogue["grade5"].pk,
        teacher=cast.teacher.user.pk,
    )
    assert listed(api, cast.teacher.user, query) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [("subject=nope", "subject"), ("class=nope", "class"), ("difficulty=x", "difficulty")],
)
def test_bad_filters_are_400(cast, api, bank, query, field):
    response = api(cast.admin).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_pagination(cast, api, bank):
    api(cast.admin).post(
        f"{URL}import/", {"gift": "\n\n".join(f"Q{n} {{T}}" for n in range(7))}, format="json"
    )
    client = api(cast.admin)
    first = client.get(f"{URL}?page_size=3").json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert first["next"].endswith("page=2&page_size=3") or "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert second["previous"] is not None
    third = client.get(second["next"]).json()
    assert third["next"] is None
    seen = [q["id"] for page in (first, second, third) for q in page["results"]]
    assert len(set(seen)) == 7
    assert client.get(f"{URL}?page=9").status_code == 404
    assert client.get(f"{URL}?page=0").status_code == 404
    assert client.get(f"{URL}?page_size=100000").json()["count"] == 7  # capped, not refused


def test_page_size_is_capped_at_200(cast, api, bank):
    gift_text = "\n\n".join(f"Q{n} {{T}}" for n in range(205))
    created = api(cast.admin).post(f"{URL}import/", {"gift": gift_text}, format="json")
    assert created.status_code == 201, created.content
    body = api(cast.admin).get(f"{URL}?page_size=500").json()
    assert body["count"] == 205
    assert len(body["results"]) == 200


# --- MongoDB down ---------------------------------------------------------------------------------
def test_mongodb_down_is_503_on_question_endpoints_only(cast, api, settings):
    settings.MONGODB_URI = "mongodb://127.0.0.1:1"
    settings.MONGODB_TIMEOUT_MS = 100
    mongo.reset_client()
    try:
        client = api(cast.admin)
        some_id = str(ObjectId())
        calls = [
            client.get(URL),
            client.get(detail(some_id)),
            client.get(f"{detail(some_id)}preview/"),
            client.post(URL, single(), format="json"),
            client.patch(detail(some_id), {"marks": 2}, format="json"),
            client.delete(detail(some_id)),
            client.get(f"{URL}export/?format=gift"),
            client.get(f"{URL}export/?format=json"),
            client.post(f"{URL}import/", {"gift": "Q {T}"}, format="json"),
        ]
        for response in calls:
            assert response.status_code == 503, response.content
            assert response["Content-Type"].startswith("application/json")
            assert response.json()["error"] == {
                "code": "service_unavailable",
                "message": "The question bank is unavailable right now; try again in a minute.",
                "fields": {},
            }
        assert client.get("/api/v1/students/").status_code == 200
        assert client.get("/api/v1/subjects/").status_code == 200
    finally:
        mongo.reset_client()
