"""Moodle GIFT: the parser and exporter (pure), and import/export through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.academics.tests.factories import SubjectFactory
from apps.quizzes import gift
from apps.quizzes import question_types as qt

URL = "/api/v1/questions/"

SAMPLE = r"""// A sample in every supported form.
$CATEGORY: $course$/Geography

// [tag:geography]
// [tag:europe]
::Capital of France::What is the capital of France? {
    =Paris#Right!
    ~Lyon#No.
    ~Nice
    ####Paris has been the capital since 987.
}

::Primes::Which are prime? {~%50%2 ~%50%3 ~%-100%4}

The sun is a star.{T}

Water boils at 50 °C at sea level.{FALSE}

Pi to two places? {#3.14:0.01}

A number between one and five. {#1..5}

[markdown]Capital of Italy? {=Rome =Roma}

Match the formulas. {=H2O -> Water =NaCl -> Salt}

Mark \{literally\} \= \~ \# \: here {=a\=b ~c\~d}

Two plus two equals {=four =4} in every base above four.

::Multi
line::Line one
line two {TRUE}
"""


def by_title_or_text(parsed):
    return {(p.title or p.data.get("question_text")): p for p in parsed}


def test_parse_every_supported_form():
    parsed = gift.parse(SAMPLE)
    assert [p.errors for p in parsed] == [[]] * 11
    assert [p.line for p in parsed] == [6, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
    france, primes, sun, water, pi, between, italy, match, marks, two, multi = (
        p.data for p in parsed
    )
    assert france == {
        "title": "Capital of France",
        "question_text": "What is the capital of France?",
        "type": "single",
        "options": [
            {"id": "a", "text": "Paris"},
            {"id": "b", "text": "Lyon"},
            {"id": "c", "text": "Nice"},
        ],
        "correct_answer": "a",
        "explanation": "Paris has been the capital since 987.",
        "tags": ["geography", "europe"],
    }
    assert primes["type"] == "multiple"
    assert primes["correct_answer"] == ["a", "b"] and primes["partial_credit"] is True
    assert (sun["type"], sun["correct_answer"]) == ("true_false", True)
    assert water["correct_answer"] is False
    assert pi["correct_answer"] == {"value": 3.14, "tolerance": 0.01}
    assert between["correct_answer"] == {"value": 3.0, "tolerance": 2.0}
    assert italy == {
        "question_text": "Capital of Italy?",
        "type": "short",
        "correct_answer": ["Rome", "Roma"],
    }
    assert match["pairs"] == [
        {"id": "1", "left": "H2O", "right": "Water"},
        {"id": "2", "left": "NaCl", "right": "Salt"},
    ]
    assert marks["question_text"] == "Mark {literally} = ~ # : here"
    assert [o["text"] for o in marks["options"]] == ["a=b", "c~d"]
    assert two["question_text"] == "Two plus two equals _____ in every base above four."
    assert (multi["title"], multi["question_text"]) == ("Multi line", "Line one line two")
    for item in parsed:
        assert qt.validate(qt.normalize(item.data)) == {}, item.data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("No answers here.", "No answer block"),
        ("Open { =a ~b", "not closed"),
        ("Essay? {}", "Essay"),
        ("Two right {=a =b ~c}", "not both"),
        ("No right {~a ~b}", "No correct answer"),
        ("Pi {#three}", "Not a number"),
        ("Range {#5..1}", "low..high"),
        ("Half {=a -> b =c}", "left -> right"),
        ("Weighted short {=%50%a =b}", "partial credit"),
        ("::Unclosed title {T}", "not closed"),
        ("Two blocks {T} and {F}", "More than one"),
    ],
)
def test_syntax_errors_are_reported_per_question(text, message):
    [item] = gift.parse(text)
    assert any(message in error for error in item.errors), item.errors


def test_escape_and_unescape_are_inverse():
    text = "a~b=c#d{e}f:g\\h\nline"
    assert gift.unescape(gift.escape(text)) == text


def test_export_writes_each_type():
    questions = [qt.normalize(p.data) for p in gift.parse(SAMPLE)]
    text = gift.export(questions)
    assert "// [tag:geography]\n// [tag:europe]\n::Capital of France::What is" in text
    assert "{=Paris ~Lyon ~Nice ####Paris has been the capital since 987.}" in text
    assert "{~%50%2 ~%50%3 ~%-100%4}" in text
    assert "{TRUE}" in text and "{FALSE}" in text
    assert "{#3.14:0.01}" in text and "{#3:2}" in text
    assert "{=Rome =Roma}" in text
    assert "{=H2O -> Water =NaCl -> Salt}" in text
    assert r"Mark \{literally\} \= \~ \# \: here {=a\=b ~c\~d}" in text


def test_export_multiple_answers_with_uneven_counts():
    question = {
        "type": "multiple",
        "question_text": "Pick",
        "options": [{"id": c, "text": c} for c in "abc"],
        "correct_answer": ["a"],
    }
    assert gift.export([question]) == "Pick {~%100%a ~%-50%b ~%-50%c}\n"
    question["correct_answer"] = ["a", "b", "c"]
    assert "~%33.33333%a" in gift.export([question])


def content(question: dict) -> dict:
    """What a GIFT round trip must keep (ids, dates, authors and random right ids aside)."""
    keep = ("type", "title", "question_text", "options", "correct_answer", "explanation", "tags")
    out = {k: question.get(k) for k in keep}
    if question["type"] == "matching":
        out["pairs"] = [(p["id"], p["left"], p["right"]) for p in question["pairs"]]
        out["correct_answer"] = None
    out["partial_credit"] = question.get("partial_credit")
    return out


def test_parse_export_parse_is_stable():
    first = [qt.normalize(p.data) for p in gift.parse(SAMPLE)]
    second = [qt.normalize(p.data) for p in gift.parse(gift.export(first))]
    assert [content(q) for q in second] == [content(q) for q in first]


# --- Through the API ------------------------------------------------------------------------------


@pytest.mark.mongo
def test_import_export_reimport_round_trip(cast, api, mongo_questions):
    client = api(cast.teacher.user)
    subject = SubjectFactory(school=cast.school)
    upload = SimpleUploadedFile("bank.gift.txt", SAMPLE.encode(), content_type="text/plain")
    imported = client.post(
        f"{URL}import/",
        {"file": upload, "subject_id": str(subject.pk), "difficulty": "hard", "tags": ["term1"]},
        format="multipart",
    )
    assert imported.status_code == 201, imported.content
    report = imported.json()
    assert (report["ok"], report["questions"], report["created"]) == (True, 11, 11)
    assert mongo_questions.count_documents({"school_id": str(cast.school.pk)}) == 11
    first = client.get(f"{URL}export/?format=json").json()
    assert [q["id"] for q in first] == report["ids"]
    assert all(q["subject_id"] == str(subject.pk) for q in first)
    assert all(q["difficulty"] == "hard" for q in first)
    assert first[0]["tags"] == ["term1", "geography", "europe"]
    assert first[0]["author_id"] == str(cast.teacher.user.pk)

    exported = client.get(f"{URL}export/?format=gift")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/plain")
    assert "attachment" in exported["Content-Disposition"]
    text = exported.content.decode()

    again = client.post(f"{URL}import/", {"gift": text}, format="json")
    assert again.status_code == 201, again.content
    second = [client.get(f"{URL}{qid}/").json() for qid in again.json()["ids"]]
    assert [content(q) for q in second] == [content(q) for q in first]


@pytest.mark.mongo
def test_export_honours_the_filters_and_defaults_to_gift(cast, api, mongo_questions):
    client = api(cast.admin)
    client.post(f"{URL}import/", {"gift": "Sun? {T}\n\nMoon? {F}", "tags": ["sky"]}, format="json")
    client.post(f"{URL}import/", {"gift": "Sea? {T}"}, format="json")
    text = client.get(f"{URL}export/?tag=sky&search=moon").content.decode()
    assert text == "// [tag:sky]\nMoon? {FALSE}\n"
    assert api(cast.admin2).get(f"{URL}export/?format=json").json() == []
    assert client.get(f"{URL}export/?format=xml").status_code == 404


@pytest.mark.mongo
def test_import_is_all_or_none_with_line_numbers(cast, api, mongo_questions):
    text = "Fine {T}\n\n// comment\nBroken {=a ~b\n\nAlso fine {#2}\n\nBad numeric {#x}\n"
    response = api(cast.admin).post(f"{URL}import/", {"gift": text}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "import_invalid"
    assert body["ok"] is False and body["created"] == 0
    assert [(e["line"], list(e["errors"])) for e in body["errors"]] == [
        (4, ["gift"]),
        (8, ["gift"]),
    ]
    assert mongo_questions.count_documents({}) == 0


@pytest.mark.mongo
def test_import_reports_content_errors_and_foreign_subjects(cast, api, mongo_questions):
    foreign = SubjectFactory(school=cast.school2)
    response = api(cast.admin).post(
        f"{URL}import/",
        {"gift": "Fine {T}\n\n::Lonely::One option {=only}", "subject_id": str(foreign.pk)},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0] == {
        "line": 1,
        "title": None,
        "errors": {"subject_id": ["Not found in your school."]},
    }
    assert errors[1]["line"] == 3 and errors[1]["title"] == "Lonely"
    assert mongo_questions.count_documents({}) == 0


@pytest.mark.mongo
def test_dry_run_writes_nothing(cast, api, mongo_questions):
    response = api(cast.admin).post(
        f"{URL}import/", {"gift": "A {T}\n\nB {F}", "dry_run": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json() | {"ids": []} == {
        "ok": True,
        "dry_run": True,
        "questions": 2,
        "created": 0,
        "ids": [],
        "errors": [],
    }
    assert mongo_questions.count_documents({}) == 0


@pytest.mark.mongo
@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "non_field_errors"), ({"gift": "A {T}", "marks": 0}, "marks")],
)
def test_import_input_errors(cast, api, mongo_questions, payload, field):
    response = api(cast.admin).post(f"{URL}import/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.mongo
def test_import_refuses_a_file_that_is_not_utf8(cast, api, mongo_questions):
    upload = SimpleUploadedFile("bank.txt", "Café? {T}".encode("latin-1"))
    response = api(cast.admin).post(f"{URL}import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
