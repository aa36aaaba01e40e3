"""Demo quizzes: a question bank of a few hundred questions and three quizzes (called by
`seed_demo`, after attendance).

The bank (~340 questions over the six demo subjects and several classes; Mathematics computed,
the rest from small fact tables) goes in through `question_bank.create_many`, authored by the
demo teacher, and only when the school has no question yet (one count). The quizzes, found by
title, are made through the quiz services as the demo teacher (Mathematics in 5-A):

- OPEN_TITLE: published, open now for 5-A, 10 questions, 30 minutes, closes in 7 days;
- CLOSED_TITLE: closed a few days ago, submitted attempts by 5-A's students (the demo student
  included), results released;
- DRAFT_TITLE: a draft for 6-A drawing 10 questions from Class 6 Mathematics.

The closed quiz's answers are written with the `quiz_answer` kind's own upsert (the statement a
buffer flush runs), not through the buffer: like attendance history it is past data. Its times
are then moved into the past.

MongoDB unreachable: a warning, and no quizzes; the rest of the seed goes on (`make run`).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sys
from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from pymongo.errors import PyMongoError

from apps.academics.models import Enrollment, SchoolClass, Section, Subject
from apps.core.buffer import now_micros
from apps.core.exceptions import ServiceUnavailable

from . import question_bank
from .models import Attempt, Quiz, QuizQuestion, ReleasePolicy, Selection

logger = logging.getLogger("schools24.quizzes.demo")

OPEN_TITLE = "Class 5 Mathematics: weekly test 2"
CLOSED_TITLE = "Class 5 Mathematics: weekly test 1"
DRAFT_TITLE = "Class 6 Mathematics: mixed practice"
CHUNK = 100
CLOSED_ATTEMPTS = 12  # 5-A students who took the closed quiz (at most)


def seed_quizzes(*, report, school, rng: random.Random, teacher) -> None:
    """The demo question bank and quizzes; skipped with a warning when MongoDB is down."""
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the rest of the seed
            _seed(report, school, rng, teacher)
    except (ServiceUnavailable, PyMongoError) as exc:
        message = f"MongoDB (the question bank) is unreachable: demo quizzes skipped ({exc})"
        logger.warning(message)
        print(f"warning: {message}", file=sys.stderr)


def _seed(report, school, rng: random.Random, teacher) -> None:
    subjects = {s.code: s for s in Subject.objects.filter(school=school)}
    classes = {c.order: c for c in SchoolClass.objects.filter(school=school)}
    if "MATH" not in subjects or 5 not in classes:
        return
    _items, count = question_bank.list_questions(school.pk, limit=0)
    if count == 0:
        items = list(bank_items(subjects, classes, random.Random(2424)))
        for start in range(0, len(items), CHUNK):
            question_bank.create_many(school.pk, items[start : start + CHUNK], author_id=teacher.pk)
        report.created["questions"] = report.created.get("questions", 0) + len(items)

    titles = set(
        Quiz.objects.filter(
            school=school, title__in=[OPEN_TITLE, CLOSED_TITLE, DRAFT_TITLE]
        ).values_list("title", flat=True)
    )
    sections = {
        (s.school_class.order, s.name): s
        for s in Section.objects.filter(school=school, year__is_current=True).select_related(
            "school_class"
        )
    }
    five_a = sections.get((5, "A"))
    if five_a is None:
        return
    maths = subjects["MATH"]
    pool = question_bank.pool(school.pk, {"subject": maths.pk, "class": classes[5].pk})
    ids = [q["id"] for q in pool]
    if len(ids) < 10:
        return
    now = timezone.now()
    if CLOSED_TITLE not in titles:
        _closed_quiz(report, school, teacher, maths, five_a, ids[-10:], rng, now)
    if OPEN_TITLE not in titles:
        _open_quiz(report, school, teacher, maths, five_a, ids[:10], now)
    six_a = sections.get((6, "A"))
    if DRAFT_TITLE not in titles and six_a is not None and 6 in classes:
        from .services import quiz_create

        quiz_create(
            actor=teacher,
            school=school,
            sections=[six_a],
            title=DRAFT_TITLE,
            instructions="Ten questions drawn at random for each student.",
            subject=maths,
            opens_at=now + dt.timedelta(days=3),
            closes_at=now + dt.timedelta(days=10),
            duration_minutes=20,
            selection=Selection.RANDOM,
            pool_filter={"subject": str(maths.pk), "class": str(classes[6].pk)},
            draw_count=10,
            draw_marks=Decimal("1"),
        )
        report.add("quizzes", True)


def _fixed(ids: list[str]) -> list[dict]:
    return [{"question": qid, "marks": "1"} for qid in ids]


def _open_quiz(report, school, teacher, maths, section, ids, now) -> Quiz:
    from .services import quiz_create, quiz_publish

    quiz = quiz_create(
        actor=teacher,
        school=school,
        sections=[section],
        title=OPEN_TITLE,
        instructions="Answer all ten questions. Your answers are saved as you go.",
        subject=maths,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
        duration_minutes=30,
        shuffle_questions=True,
        shuffle_options=True,
        questions=_fixed(ids),
        pass_mark=Decimal("40"),
        release_policy=ReleasePolicy.AFTER_CLOSE,
    )
    quiz_publish(actor=teacher, quiz=quiz)
    report.add("quizzes", True)
    return quiz


def _closed_quiz(report, school, teacher, maths, section, ids, rng, now) -> Quiz:
    """Published while open, taken by some of the section's students, submitted and graded,
    closed and released; then its times are moved a week into the past."""
    from apps.accounts.models import User

    from .buffer_kinds import apply
    from .models import answer_id
    from .services import (
        attempt_start,
        attempt_submit,
        quiz_close,
        quiz_create,
        quiz_publish,
        quiz_release_results,
    )

    opens = now - dt.timedelta(days=9)
    quiz = quiz_create(
        actor=teacher,
        school=school,
        sections=[section],
        title=CLOSED_TITLE,
        instructions="Ten questions, thirty minutes.",
        subject=maths,
        opens_at=opens,
        closes_at=now + dt.timedelta(hours=1),
        duration_minutes=30,
        questions=_fixed(ids),
        pass_mark=Decimal("40"),
        release_policy=ReleasePolicy.MANUAL,
    )
    quiz = quiz_publish(actor=teacher, quiz=quiz)
    frozen = {q.question_id: q.document for q in QuizQuestion.objects.filter(quiz=quiz)}
    user_ids = list(
        Enrollment.objects.filter(section=section)
        .order_by("roll_number")
        .values_list("student__user_id", flat=True)[:CLOSED_ATTEMPTS]
    )
    for index, user in enumerate(User.objects.filter(pk__in=user_ids).order_by("email")):
        attempt = attempt_start(actor=user, quiz=quiz).attempt
        skill = rng.uniform(0.35, 0.95)
        records = [
            {
                "id": str(answer_id(attempt.pk, qid)),
                "school_id": str(school.pk),
                "attempt_id": str(attempt.pk),
                "question_id": qid,
                "answer": answer_for(frozen[qid], rng, right=rng.random() < skill),
                "ts": now_micros(),
            }
            for qid in attempt.question_order
            if rng.random() < 0.95  # now and then a question left unanswered
        ]
        if records:
            apply(records)
        attempt_submit(attempt=attempt, actor=user)
        started = opens + dt.timedelta(days=1, hours=index % 6, minutes=7 * index)
        Attempt.objects.filter(pk=attempt.pk).update(
            started_at=started,
            deadline=started + dt.timedelta(minutes=30),
            submitted_at=started + dt.timedelta(minutes=rng.randint(12, 29)),
        )
        report.add("quiz attempts", True)
    quiz_close(actor=teacher, quiz=quiz)
    quiz_release_results(actor=teacher, quiz=quiz)
    Quiz.objects.filter(pk=quiz.pk).update(
        published_at=opens - dt.timedelta(hours=2),
        closes_at=opens + dt.timedelta(days=4),
        released_at=opens + dt.timedelta(days=5),
    )
    report.add("quizzes", True)
    return quiz


def answer_for(document: dict, rng: random.Random, *, right: bool):
    """A student's answer to a frozen question: the correct one, or a plausible wrong one."""
    kind, correct = document["type"], document["correct_answer"]
    options = [o["id"] for o in document.get("options") or []]
    if kind == "single":
        return correct if right else rng.choice([o for o in options if o != correct] or options)
    if kind == "multiple":
        if right:
            return list(correct)
        wrong = [o for o in options if o not in correct]
        return sorted({rng.choice(correct), *(rng.sample(wrong, 1) if wrong else [])})
    if kind == "true_false":
        return correct if right else not correct
    if kind == "numeric":
        return correct["value"] if right else correct["value"] + rng.choice([-10, -2, -1, 1, 3])
    if kind == "short":
        return correct[0] if right else "not sure"
    if kind == "matching":
        answer = dict(correct)
        if not right and len(answer) >= 2:
            first, second = rng.sample(sorted(answer), 2)
            answer[first], answer[second] = answer[second], answer[first]
        return answer
    return None


# --- The bank's content ---------------------------------------------------------------------
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen \
fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words(n: int) -> str:
    """An English number name for 0..999 ("three hundred and forty-five")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    rest = n % 100
    return f"{ONES[n // 100]} hundred" + ("" if rest == 0 else f" and {words(rest)}")


def is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def _choices(rng: random.Random, correct, wrong: list) -> tuple[list[str], str]:
    """Four option texts (the correct one among three distinct wrong ones) and its id."""
    wrong = [w for w in dict.fromkeys(wrong) if w != correct][:3]
    texts = [str(correct), *map(str, wrong)]
    rng.shuffle(texts)
    return texts, "abcd"[texts.index(str(correct))]


def _maths(rng: random.Random, grade: int) -> Iterator[dict]:
    """Fifteen questions for one class, harder as the class goes up."""
    top = {1: 20, 2: 50, 3: 100, 4: 500, 5: 1000}.get(grade, 5000)
    for i in range(4):  # numeric
        if grade <= 3 or i == 0:
            a, b = rng.randint(1, top), rng.randint(1, top)
            yield {"type": "numeric", "topic": "addition", "question_text": f"What is {a} + {b}?",
                   "correct_answer": {"value": a + b, "tolerance": 0}}  # fmt: skip
        elif grade <= 6 or i == 1:
            a, b = rng.randint(3, 12 + grade), rng.randint(3, 25)
            yield {"type": "numeric", "topic": "multiplication",
                   "question_text": f"Multiply {a} by {b}.",
                   "correct_answer": {"value": a * b, "tolerance": 0}}  # fmt: skip
        elif i == 2:
            percent, whole = rng.choice([5, 10, 12.5, 20, 25, 40, 75]), rng.randint(4, 60) * 20
            yield {"type": "numeric", "topic": "percentages",
                   "question_text": f"What is {percent}% of {whole}?",
                   "correct_answer": {"value": percent * whole / 100, "tolerance": 0.01}}  # fmt: skip
        else:
            n = rng.randint(2, 99)
            yield {"type": "numeric", "topic": "square roots",
                   "question_text": f"Give the square root of {n} to two decimal places.",
                   "correct_answer": {"value": round(n**0.5, 2), "tolerance": 0.01}}  # fmt: skip
    for i in range(4):  # single choice
        if i % 2 == 0:
            a, b = rng.randint(2, 9 + grade), rng.randint(2, 12)
            right = a * b
            texts, answer = _choices(rng, right, [right + a, right - b, right + 10, (a + 1) * b])
            yield {"type": "single", "topic": "multiplication",
                   "question_text": f"{a} × {b} = ?", "options": texts,
                   "correct_answer": answer}  # fmt: skip
        else:
            b = rng.randint(2, 12)
            q = rng.randint(2, 10 + grade)
            texts, answer = _choices(rng, q, [q + 1, q - 1, q + b, q * 2])
            yield {"type": "single", "topic": "division",
                   "question_text": f"{q * b} ÷ {b} = ?", "options": texts,
                   "correct_answer": answer}  # fmt: skip
    for _ in range(3):  # true / false
        n = rng.randint(10, 20 * grade + 30)
        yield {"type": "true_false", "topic": "prime numbers",
               "question_text": f"{n} is a prime number.", "correct_answer": is_prime(n)}  # fmt: skip
    for k in (2, rng.choice([3, 5])):  # multiple choice
        numbers = rng.sample(range(10, 100), 5)
        if not any(n % k == 0 for n in numbers):
            numbers[0] = k * rng.randint(4, 19)
        yield {"type": "multiple", "topic": "multiples",
               "question_text": f"Which of these numbers are multiples of {k}?",
               "options": [str(n) for n in numbers], "partial_credit": True,
               "correct_answer": ["abcde"[i] for i, n in enumerate(numbers) if n % k == 0]}  # fmt: skip
    n = rng.randint(21, 999 if grade >= 3 else 99)
    yield {"type": "short", "topic": "number names",
           "question_text": f"Write the number {n} in words.",
           "correct_answer": list(dict.fromkeys([words(n), words(n).replace(" and ", " ")]))}  # fmt: skip
    pairs = []
    for a, b in rng.sample([(x, y) for x in range(2, 10) for y in range(2, 10) if x < y], 4):
        if all(a * b != int(p["right"]) for p in pairs):
            pairs.append({"left": f"{a} × {b}", "right": str(a * b)})
    yield {"type": "matching", "topic": "multiplication", "partial_credit": True,
           "question_text": "Match each product with its value.", "pairs": pairs}  # fmt: skip


ELEMENTS = [
    ("Hydrogen", "H"), ("Helium", "He"), ("Carbon", "C"), ("Nitrogen", "N"), ("Oxygen", "O"),
    ("Sodium", "Na"), ("Magnesium", "Mg"), ("Iron", "Fe"), ("Copper", "Cu"), ("Silver", "Ag"),
    ("Gold", "Au"), ("Calcium", "Ca"), ("Potassium", "K"), ("Zinc", "Zn"), ("Chlorine", "Cl"),
]  # fmt: skip
SCIENCE_FACTS = [
    ("Plants make their food by photosynthesis.", True),
    ("Sound travels faster than light.", False),
    ("The heart pumps blood around the body.", True),
    ("Water boils at 50 °C at sea level.", False),
    ("The Moon gives out its own light.", False),
    ("Iron is attracted by a magnet.", True),
    ("Bats are birds.", False),
    ("Ice floats on water.", True),
    ("The Sun is a star.", True),
    ("Insects have eight legs.", False),
]
SCIENCE_NUMBERS = [
    ("At what temperature (°C) does pure water boil at sea level?", 100, 0),
    ("How many planets does our solar system have?", 8, 0),
    ("What is the normal human body temperature in °C?", 37, 0.5),
    ("How many bones does an adult human body have?", 206, 0),
    ("At what temperature (°C) does pure water freeze?", 0, 0),
    ("How many chambers does the human heart have?", 4, 0),
]
SCIENCE_MULTIPLE = [
    ("Which of these are mammals?", ["Whale", "Bat", "Shark", "Frog", "Cow"], [0, 1, 4]),
    ("Which of these are gases at room temperature?",
     ["Oxygen", "Mercury", "Nitrogen", "Iron", "Carbon dioxide"], [0, 2, 4]),
    ("Which of these are sources of renewable energy?",
     ["Sunlight", "Coal", "Wind", "Petrol", "Flowing water"], [0, 2, 4]),
    ("Which of these are parts of a flower?", ["Petal", "Root", "Stamen", "Pistil", "Bark"],
     [0, 2, 3]),
]  # fmt: skip

STATES = [
    ("Karnataka", "Bengaluru"), ("Maharashtra", "Mumbai"), ("Tamil Nadu", "Chennai"),
    ("West Bengal", "Kolkata"), ("Kerala", "Thiruvananthapuram"), ("Gujarat", "Gandhinagar"),
    ("Rajasthan", "Jaipur"), ("Uttar Pradesh", "Lucknow"), ("Bihar", "Patna"),
    ("Telangana", "Hyderabad"), ("Odisha", "Bhubaneswar"), ("Punjab", "Chandigarh"),
    ("Madhya Pradesh", "Bhopal"), ("Assam", "Dispur"), ("Goa", "Panaji"),
    ("Andhra Pradesh", "Amaravati"),
]  # fmt: skip
SST_FACTS = [
    ("The Ganga is the longest river in India.", True),
    ("Mount Everest is in India.", False),
    ("India became independent in 1947.", True),
    ("The Constitution of India came into force on 26 January 1950.", True),
    ("The Thar Desert is in Kerala.", False),
    ("Delhi is a Union Territory.", True),
    ("The Indian Ocean lies to the north of India.", False),
    ("Mahatma Gandhi led the Salt March in 1930.", True),
]
SST_NUMBERS = [
    ("In which year did India become independent?", 1947),
    ("In which year did the Constitution of India come into force?", 1950),
    ("How many states does India have?", 28),
    ("In which year did the Salt March (Dandi March) take place?", 1930),
]
ANTONYMS = [
    ("hot", "cold"), ("tall", "short"), ("happy", "sad"), ("early", "late"), ("strong", "weak"),
    ("open", "closed"), ("ancient", "modern"), ("generous", "selfish"), ("victory", "defeat"),
    ("rough", "smooth"), ("brave", "cowardly"), ("increase", "decrease"), ("arrive", "depart"),
    ("noisy", "quiet"), ("empty", "full"),
]  # fmt: skip
PLURALS = [
    ("child", "children"), ("mouse", "mice"), ("knife", "knives"), ("tooth", "teeth"),
    ("box", "boxes"), ("city", "cities"), ("sheep", "sheep"), ("man", "men"), ("leaf", "leaves"),
    ("potato", "potatoes"),
]  # fmt: skip
ENGLISH_FACTS = [
    ("'Quickly' is an adverb.", True),
    ("'Beautiful' is a verb.", False),
    ("A sentence begins with a capital letter.", True),
    ("'They' is a singular pronoun.", False),
    ("'Went' is the past tense of 'go'.", True),
    ("An adjective describes a noun.", True),
]
ENGLISH_MULTIPLE = [
    ("Which of these words are nouns?", ["river", "run", "happiness", "blue", "teacher"],
     [0, 2, 4]),
    ("Which of these words are verbs?", ["write", "quick", "sing", "table", "jump"], [0, 2, 4]),
    ("Which of these words are adjectives?", ["tall", "slowly", "green", "eat", "clever"],
     [0, 2, 4]),
]  # fmt: skip
HINDI_NUMBERS = ["एक", "दो", "तीन", "चार", "पाँच", "छह", "सात", "आठ", "नौ", "दस"]
HINDI_OPPOSITES = [
    ("दिन", "रात"), ("सुख", "दुख"), ("अमीर", "गरीब"), ("आगे", "पीछे"), ("ऊपर", "नीचे"),
    ("सच", "झूठ"), ("जीत", "हार"), ("नया", "पुराना"), ("अंदर", "बाहर"), ("ठंडा", "गरम"),
]  # fmt: skip
HINDI_FACTS = [
    ("'कमल' एक फूल है।", True),
    ("'सूरज' रात में निकलता है।", False),
    ("हिंदी देवनागरी लिपि में लिखी जाती है।", True),
    ("'बिल्ली' पुल्लिंग शब्द है।", False),
]
CS_FACTS = [
    ("RAM keeps its data when the computer is switched off.", False),
    ("A keyboard is an input device.", True),
    ("A byte has 8 bits.", True),
    ("Python is a programming language.", True),
    ("A monitor is an input device.", False),
    ("The CPU is the brain of the computer.", True),
    ("A URL is the address of a page on the web.", True),
    ("Deleting a file always erases it from the disk at once.", False),
]
CS_SINGLE = [
    ("Which of these is an input device?", ["Mouse", "Printer", "Speaker", "Monitor"]),
    ("Which of these is an output device?", ["Printer", "Keyboard", "Scanner", "Microphone"]),
    ("Which of these is an operating system?", ["Linux", "Chrome", "Excel", "Python"]),
    ("Which unit is the largest?", ["Terabyte", "Gigabyte", "Megabyte", "Kilobyte"]),
    ("Which of these stores data permanently?", ["Hard disk", "RAM", "Cache", "Register"]),
    ("Which key deletes the character to the left of the cursor?",
     ["Backspace", "Delete", "Shift", "Tab"]),
]  # fmt: skip
EXTENSIONS = [
    (".jpg", "Picture"), (".mp3", "Music"), (".docx", "Word document"), (".py", "Python program"),
    (".pdf", "PDF document"), (".xlsx", "Spreadsheet"), (".mp4", "Video"), (".html", "Web page"),
]  # fmt: skip


def _pairs(rows, k: int, rng: random.Random) -> list[dict]:
    return [{"left": left, "right": right} for left, right in rng.sample(rows, k)]


def _single_from(rng, question, right, others, **extra) -> dict:
    texts, answer = _choices(rng, right, rng.sample(others, min(3, len(others))))
    return {"type": "single", "question_text": question, "options": texts,
            "correct_answer": answer, **extra}  # fmt: skip


def _multiple(question, options, right, **extra) -> dict:
    return {"type": "multiple", "question_text": question, "options": options,
            "correct_answer": ["abcde"[i] for i in right], "partial_credit": True,
            **extra}  # fmt: skip


def _science(rng):
    for name, symbol in ELEMENTS:
        yield 7, {"type": "short", "topic": "elements", "correct_answer": [symbol],
                  "question_text": f"What is the chemical symbol of {name}?"}  # fmt: skip
    for name, symbol in ELEMENTS[:10]:
        others = [n for n, _ in ELEMENTS if n != name]
        yield 8, _single_from(rng, f"'{symbol}' is the symbol of which element?", name, others,
                              topic="elements")  # fmt: skip
    for text, truth in SCIENCE_FACTS:
        yield 6, {"type": "true_false", "topic": "general science", "question_text": text,
                  "correct_answer": truth}  # fmt: skip
    for text, value, tolerance in SCIENCE_NUMBERS:
        yield 6, {"type": "numeric", "topic": "general science", "question_text": text,
                  "correct_answer": {"value": value, "tolerance": tolerance}}  # fmt: skip
    for text, options, right in SCIENCE_MULTIPLE:
        yield 6, _multiple(text, options, right, topic="living and non-living")
    for _ in range(3):
        yield 8, {"type": "matching", "topic": "elements", "pairs": _pairs(ELEMENTS, 4, rng),
                  "question_text": "Match each element with its symbol."}  # fmt: skip


def _social(rng):
    capitals = [c for _, c in STATES]
    for state, capital in STATES:
        yield 6, _single_from(rng, f"What is the capital of {state}?", capital,
                              [c for c in capitals if c != capital], topic="states and capitals")  # fmt: skip
    for state, capital in STATES[:10]:
        accepted = [capital] + (["Bangalore"] if capital == "Bengaluru" else [])
        accepted += ["Bombay"] if capital == "Mumbai" else []
        yield 7, {"type": "short", "topic": "states and capitals", "correct_answer": accepted,
                  "question_text": f"Name the capital of {state}."}  # fmt: skip
    for text, truth in SST_FACTS:
        yield 7, {"type": "true_false", "topic": "India", "question_text": text,
                  "correct_answer": truth}  # fmt: skip
    for text, value in SST_NUMBERS:
        yield 8, {"type": "numeric", "topic": "history", "question_text": text,
                  "correct_answer": {"value": value, "tolerance": 0}}  # fmt: skip
    for _ in range(3):
        yield 7, {"type": "matching", "topic": "states and capitals",
                  "pairs": _pairs(STATES, 4, rng),
                  "question_text": "Match each state with its capital."}  # fmt: skip
    yield 8, _multiple("Which of these rivers flow into the Bay of Bengal?",
                       ["Godavari", "Narmada", "Krishna", "Tapi", "Kaveri"], [0, 2, 4],
                       topic="rivers")  # fmt: skip


def _english(rng):
    opposites = [b for _, b in ANTONYMS]
    for word, opposite in ANTONYMS:
        yield 4, _single_from(rng, f"Choose the opposite of '{word}'.", opposite,
                              [o for o in opposites if o != opposite], topic="antonyms")  # fmt: skip
    for word, plural in PLURALS:
        yield 3, {"type": "short", "topic": "plurals", "correct_answer": [plural],
                  "question_text": f"Write the plural of '{word}'."}  # fmt: skip
    for text, truth in ENGLISH_FACTS:
        yield 5, {"type": "true_false", "topic": "grammar", "question_text": text,
                  "correct_answer": truth}  # fmt: skip
    for text, options, right in ENGLISH_MULTIPLE:
        yield 5, _multiple(text, options, right, topic="parts of speech")
    for _ in range(2):
        yield 4, {"type": "matching", "topic": "antonyms", "pairs": _pairs(ANTONYMS, 4, rng),
                  "question_text": "Match each word with its opposite."}  # fmt: skip


def _hindi(rng):
    for number, word in enumerate(HINDI_NUMBERS, start=1):
        yield 2, _single_from(rng, f"{number} को हिंदी में क्या कहते हैं?", word,
                              [w for w in HINDI_NUMBERS if w != word], topic="गिनती")  # fmt: skip
    for word, opposite in HINDI_OPPOSITES:
        yield 4, {"type": "short", "topic": "विलोम शब्द", "correct_answer": [opposite],
                  "question_text": f"'{word}' का विलोम शब्द लिखिए।"}  # fmt: skip
    for text, truth in HINDI_FACTS:
        yield 4, {"type": "true_false", "topic": "व्याकरण", "question_text": text,
                  "correct_answer": truth}  # fmt: skip
    for _ in range(2):
        yield 4, {"type": "matching", "topic": "विलोम शब्द",
                  "pairs": _pairs(HINDI_OPPOSITES, 4, rng),
                  "question_text": "शब्दों को उनके विलोम से मिलाइए।"}  # fmt: skip


def _computers(rng):
    for n in rng.sample(range(5, 64), 10):
        yield 6, {"type": "numeric", "topic": "binary numbers",
                  "question_text": f"What is the binary number {n:b} in decimal?",
                  "correct_answer": {"value": n, "tolerance": 0}}  # fmt: skip
    for n in rng.sample(range(3, 32), 6):
        yield 7, {"type": "short", "topic": "binary numbers", "correct_answer": [f"{n:b}"],
                  "question_text": f"Write the decimal number {n} in binary."}  # fmt: skip
    for text, truth in CS_FACTS:
        yield 5, {"type": "true_false", "topic": "computer basics", "question_text": text,
                  "correct_answer": truth}  # fmt: skip
    for text, options in CS_SINGLE:
        yield 5, _single_from(rng, text, options[0], options[1:], topic="computer basics")
    for text, value in (("How many bits are there in a byte?", 8),
                        ("How many kilobytes make one megabyte (binary units)?", 1024)):  # fmt: skip
        yield 6, {"type": "numeric", "topic": "memory units", "question_text": text,
                  "correct_answer": {"value": value, "tolerance": 0}}  # fmt: skip
    yield 6, _multiple("Which of these are input devices?",
                       ["Keyboard", "Printer", "Scanner", "Speaker", "Microphone"], [0, 2, 4],
                       topic="computer basics")  # fmt: skip
    for _ in range(3):
        yield 7, {"type": "matching", "topic": "files", "pairs": _pairs(EXTENSIONS, 4, rng),
                  "question_text": "Match each file extension with what the file holds."}  # fmt: skip


def bank_items(subjects: dict, classes: dict, rng: random.Random) -> Iterator[dict]:
    """Every question of the demo bank, ready for `question_bank.create_many`."""

    def finish(item: dict, code: str, grade: int, difficulty: str) -> dict:
        out = {**item, "subject_id": str(subjects[code].pk), "difficulty": difficulty}
        if grade in classes:
            out["class_id"] = str(classes[grade].pk)
        out["tags"] = [
            code.lower(),
            f"class {grade}",
            *([out["topic"]] if out.get("topic") else []),
        ]
        return out

    if "MATH" in subjects:
        for grade in range(1, 11):
            difficulty = "easy" if grade <= 3 else "medium" if grade <= 7 else "hard"
            for item in _maths(rng, grade):
                yield finish(item, "MATH", grade, difficulty)
    for code, make in (("SCI", _science), ("SST", _social), ("ENG", _english),
                       ("HIN", _hindi), ("CS", _computers)):  # fmt: skip
        if code not in subjects:
            continue
        for grade, item in make(rng):
            yield finish(item, code, grade, "easy" if grade <= 5 else "medium")
