"""The question bank, question types and GIFT importer answer in the caller's language
(`Accept-Language`); English stays the default."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from apps.core import mongo
from apps.quizzes import gift, question_bank
from apps.quizzes import question_types as qt

URL = "/api/v1/questions/"


# Passes the request serializer; refused by the type's rules (a true/false question with options
# and a word for its answer) and by the bank (a subject that is not the school's).
BAD_QUESTION = {
    "type": "true_false",
    "question_text": "Bengaluru is the capital of Karnataka.",
    "options": [{"id": "a", "text": "Yes"}, {"id": "b", "text": "No"}],
    "correct_answer": "yes",
    "subject_id": "00000000-0000-4000-8000-000000000000",
}
# Line 4 opens an answer block it never closes; line 6 is not a number.
BAD_GIFT = "Fine {T}\n\n// comment\nBroken {=a ~b\n\nBad numeric {#x}\n"


@pytest.mark.mongo
@pytest.mark.django_db
def test_question_validation_errors_in_hindi(cast, api, mongo_questions):
    response = api(cast.teacher.user).post(
        URL, BAD_QUESTION, format="json", HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Language"] == "hi"
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "आपकी भेजी गई कुछ जानकारी मान्य नहीं है।"
    assert error["fields"] == {
        "correct_answer": ["true या false होना चाहिए।"],
        "options": ["true_false प्रश्न में विकल्प नहीं होते।"],
        "subject_id": ["आपके स्कूल में नहीं मिला।"],
    }
    assert mongo_questions.count_documents({}) == 0


@pytest.mark.mongo
@pytest.mark.django_db
def test_question_validation_errors_in_english_by_default(cast, api, mongo_questions):
    response = api(cast.teacher.user).post(URL, BAD_QUESTION, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"] == "Some of the information you sent is not valid."
    assert error["fields"] == {
        "correct_answer": ["Must be true or false."],
        "options": ["A true_false question has no options."],
        "subject_id": ["Not found in your school."],
    }


@pytest.mark.mongo
@pytest.mark.django_db
def test_gift_import_errors_in_hindi_with_their_line_numbers(cast, api, mongo_questions):
    response = api(cast.admin).post(
        f"{URL}import/", {"gift": BAD_GIFT}, format="json", HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["message"] == "कुछ प्रश्न मान्य नहीं हैं; कुछ भी सहेजा नहीं गया।"
    assert body["errors"] == [
        {"line": 4, "title": None, "errors": {"gift": ["उत्तर ब्लॉक { बंद नहीं किया गया है।"]}},
        {
            "line": 6,
            "title": None,
            "errors": {"gift": ["यह न संख्या है, न number:tolerance, न low..high: 'x'।"]},
        },
    ]
    assert mongo_questions.count_documents({}) == 0


@pytest.mark.mongo
@pytest.mark.django_db
def test_gift_import_errors_in_english_by_default(cast, api, mongo_questions):
    response = api(cast.admin).post(f"{URL}import/", {"gift": BAD_GIFT}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["message"] == "Some questions are not valid; nothing was written."
    assert body["errors"] == [
        {"line": 4, "title": None, "errors": {"gift": ["The answer block { is not closed."]}},
        {
            "line": 6,
            "title": None,
            "errors": {"gift": ["Not a number, number:tolerance or low..high: 'x'."]},
        },
    ]


@pytest.mark.mongo
@pytest.mark.django_db
def test_an_empty_gift_import_in_hindi(cast, api, mongo_questions):
    response = api(cast.admin).post(
        f"{URL}import/", {"gift": "// only a comment\n"}, format="json", HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"line": 1, "title": None, "errors": {"gift": ["कोई प्रश्न नहीं।"]}}
    ]


@pytest.mark.mongo
@pytest.mark.django_db
def test_mongodb_down_is_503_in_the_callers_language(cast, api, settings):
    """The 503 message is a module constant: it must follow each request's language, not the
    language of whoever imported the module first."""
    settings.MONGODB_URI = "mongodb://127.0.0.1:1"
    settings.MONGODB_TIMEOUT_MS = 100
    mongo.reset_client()
    try:
        client = api(cast.admin)
        hindi = client.get(URL, HTTP_ACCEPT_LANGUAGE="hi")
        english = client.get(URL)
    finally:
        mongo.reset_client()
    assert hindi.status_code == english.status_code == 503
    assert hindi.json()["error"]["message"] == (
        "प्रश्न बैंक अभी उपलब्ध नहीं है; एक मिनट में फिर से कोशिश करें।"
    )
    assert english.json()["error"]["message"] == (
        "The question bank is unavailable right now; try again in a minute."
    )


def _messages(module) -> list[str]:
    """The literal msgids a module (or every module of a package) passes to `_()` /
    `gettext_lazy()`."""
    path = Path(module.__file__)
    files = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
    trees = [ast.parse(file.read_text(encoding="utf-8")) for file in files]
    return [
        node.args[0].value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("_", "gettext_lazy")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


@pytest.mark.parametrize("module", [qt, gift, question_bank], ids=lambda m: m.__name__)
def test_every_message_has_a_hindi_text(module):
    messages = _messages(module)
    assert len(messages) >= 10
    with translation.override("hi"):
        untranslated = [m for m in messages if translation.gettext(m) == m]
    assert untranslated == []


def test_placeholders_are_filled_in_hindi():
    question = qt.normalize(
        {
            "type": "single",
            "question_text": "Capital?",
            "options": [{"id": "a", "text": "Paris"}, {"id": "b", "text": " "}],
            "correct_answer": "a",
        }
    )
    with translation.override("hi"):
        assert qt.validate(question) == {"options": ["विकल्प 2 का टेक्स्ट चाहिए।"]}
        [item] = gift.parse("Range {#5..1}\n")
    assert item.errors == ["संख्यात्मक सीमा low..high के रूप में लिखी जानी चाहिए।"]
