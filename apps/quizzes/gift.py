"""Moodle GIFT import and export for the question bank (pure Python).

Supported (https://docs.moodle.org/en/GIFT_format):

=====================  ==========================================  ==========================
GIFT                   example                                     question type
=====================  ==========================================  ==========================
multiple choice        ``Capital? {=Paris ~Lyon ~Nice}``           single
multiple answers       ``Primes? {~%50%2 ~%50%3 ~%-100%4}``        multiple (partial_credit)
true / false           ``{T}`` ``{TRUE}`` ``{F}`` ``{FALSE}``        true_false
short answer           ``{=Paris =paris}``                         short
numeric                ``{#3.14:0.01}``, range ``{#1..5}``, ``{#2}``  numeric
matching               ``{=H2O -> Water =NaCl -> Salt}``           matching (partial_credit)
=====================  ==========================================  ==========================

Also: ``::title::``, ``// comments`` (``// [tag:name]`` lines tag the next question, as Moodle
does), ``$CATEGORY:`` lines (ignored), ``[html]``/``[moodle]``/``[plain]``/``[markdown]`` text
formats (the marker is dropped), per-answer ``#feedback`` (dropped), general feedback ``####text``
(becomes `explanation`), text after the answer block ("missing word": joined with ``_____``), and
the escapes ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n``.

Multiple answers: the options with a positive weight are the correct ones and partial credit is
on (Moodle's grading); unequal positive weights are read as "correct" too. Export writes equal
weights (100/k for each of k correct options, -100/w for each of w wrong ones), which Moodle
grades the same way as `question_types.grade` with partial credit.

`parse(text) -> list[ParsedQuestion]` (each with its line number and any errors), and
`export(questions) -> str`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from . import question_types as qt

SPECIAL = "~=#{}:"
_ESCAPES = {"n": "\n", "\\": "\\", **{c: c for c in SPECIAL}}
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]\s*", re.IGNORECASE)
_TAG = re.compile(r"\[tag:([^\]]+)\]")
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUM_TOL = re.compile(rf"^({_NUMBER})(?::({_NUMBER}))?$")
_NUM_RANGE = re.compile(rf"^({_NUMBER})\.\.({_NUMBER})$")


@dataclass
class ParsedQuestion:
    line: int  # 1-based line where the question starts
    data: dict[str, Any] = field(default_factory=dict)  # question_bank fields
    errors: list[str] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        return self.data.get("title")


class GiftError(ValueError):
    pass


# --- Escapes ------------------------------------------------------------------------------------
def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def escape(text: str) -> str:
    out = []
    for char in str(text):
        if char == "\\":
            out.append("\\\\")
        elif char in SPECIAL:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            continue
        else:
            out.append(char)
    return "".join(out)


def _find_unescaped(text: str, targets: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in targets:
            return i
        i += 1
    return -1


def _split_unescaped(text: str, sep: str) -> list[str]:
    """`text` split at unescaped occurrences of the one-character `sep`."""
    parts, start = [], 0
    while True:
        at = _find_unescaped(text, sep, start)
        if at < 0:
            parts.append(text[start:])
            return parts
        parts.append(text[start:at])
        start = at + 1


# --- Splitting a file into questions ------------------------------------------------------------
def _blocks(text: str) -> list[tuple[int, list[str], list[str]]]:
    """(first line number, the question's lines, tags from `// [tag:x]` comments before it).

    As in Moodle, a blank line ends a question, even inside an unclosed answer block (which is
    then reported as not closed instead of swallowing the questions after it)."""
    blocks: list[tuple[int, list[str], list[str]]] = []
    current: list[str] = []
    start = 0
    tags: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            tags += [t.strip() for t in _TAG.findall(stripped)]
            continue
        if stripped.upper().startswith("$CATEGORY:"):
            continue
        if not stripped:
            if current:
                blocks.append((start, current, tags))
                current, tags = [], []
            continue
        if not current:
            start = number
        current.append(raw)
    if current:
        blocks.append((start, current, tags))
    return blocks


def _strip_comments(line: str) -> str:
    """A trailing `// comment` outside escapes is dropped (not inside a URL's `://`)."""
    i = 0
    while i < len(line) - 1:
        if line[i] == "\\":
            i += 2
            continue
        if line[i : i + 2] == "//" and (i == 0 or line[i - 1] != ":"):
            return line[:i]
        i += 1
    return line


# --- Parsing one question -----------------------------------------------------------------------
def _answers(body: str) -> list[tuple[str, float | None, str]]:
    """Entries of an answer block: (marker "=" or "~", weight percent or None, text)."""
    entries: list[tuple[str, float | None, str]] = []
    i = _find_unescaped(body, "=~")
    if i < 0:
        return entries
    if body[:i].strip():
        raise GiftError(
            _("Unexpected text before the first answer: %(text)s.")
            % {"text": repr(body[:i].strip())}
        )
    while i >= 0:
        marker = body[i]
        nxt = _find_unescaped(body, "=~", i + 1)
        # "->" in a matching pair is not a marker; neither is "=" inside one.
        chunk = body[i + 1 : nxt if nxt >= 0 else len(body)]
        weight = None
        match = _WEIGHT.match(chunk.lstrip())
        if match:
            weight = float(match.group(1))
            chunk = chunk.lstrip()[match.end() :]
        text = _split_unescaped(chunk, "#")[0]
        entries.append((marker, weight, text))
        i = nxt
    return entries


def _general_feedback(body: str) -> tuple[str, str | None]:
    """The answer block without its `####general feedback`, and that feedback."""
    i = 0
    while i < len(body) - 3:
        if body[i] == "\\":
            i += 2
            continue
        if body[i : i + 4] == "####":
            return body[:i], unescape(body[i + 4 :]).strip() or None
        i += 1
    return body, None


def _clean(text: str) -> str:
    """Source white space (line breaks included) collapsed, then escapes resolved, so an
    escaped ``\\n`` is the only way to a line break in the text."""
    return unescape(" ".join(text.split())).strip()


def _parse_numeric(spec: str) -> dict[str, float]:
    spec = spec.strip()
    if _find_unescaped(spec, "=") >= 0:
        entries = [e for e in _answers(spec) if e[0] == "="]
        full = [e for e in entries if e[1] in (None, 100.0)]
        if not full:
            raise GiftError(_("A numeric question needs one full-credit answer."))
        spec = full[0][2].strip()
    spec = _split_unescaped(spec, "#")[0].strip()
    if match := _NUM_RANGE.match(spec):
        low, high = float(match.group(1)), float(match.group(2))
        if high < low:
            raise GiftError(_("A numeric range must be written low..high."))
        return {"value": (low + high) / 2, "tolerance": (high - low) / 2}
    if match := _NUM_TOL.match(spec):
        return {"value": float(match.group(1)), "tolerance": float(match.group(2) or 0)}
    raise GiftError(
        _("Not a number, number:tolerance or low..high: %(text)s.") % {"text": repr(spec)}
    )


def _parse_answer_block(body: str) -> dict[str, Any]:
    body, explanation = _general_feedback(body)
    stripped = body.strip()
    if not stripped:
        raise GiftError(_("Essay questions ({}) are not supported."))
    return {"explanation": explanation, **_answer_fields(stripped)}


def _answer_fields(stripped: str) -> dict[str, Any]:
    """The type and answer fields of a non-empty answer block."""
    if stripped.startswith("#"):
        return {"type": qt.NUMERIC, "correct_answer": _parse_numeric(stripped[1:])}
    first = _split_unescaped(stripped, "#")[0].strip().upper()
    if first in ("T", "TRUE", "F", "FALSE"):
        return {"type": qt.TRUE_FALSE, "correct_answer": first.startswith("T")}
    entries = _answers(stripped)
    if not entries:
        raise GiftError(_("No answers: write =right ~wrong, T/F, #number or =left -> right."))
    markers = {marker for marker, _weight, _text in entries}
    arrows = ["->" in text for _marker, _weight, text in entries]
    if markers == {"="} and all(arrows):
        return _matching(entries)
    if any(arrows):
        raise GiftError(_("Every matching entry needs =left -> right, and no ~ answers."))
    if markers == {"="}:
        accepted = [_clean(t) for _m, w, t in entries if w in (None, 100.0)]
        if len(accepted) != len(entries):
            raise GiftError(_("Short answers with partial credit (%n%) are not supported."))
        return {"type": qt.SHORT, "correct_answer": accepted}
    return _choices(entries)


def _matching(entries: list) -> dict[str, Any]:
    pairs = []
    for position, (_marker, _weight, text) in enumerate(entries, 1):
        left, right = text.split("->", 1)
        if not left.strip():
            raise GiftError(_("Matching pairs without a left side are not supported."))
        pairs.append({"id": str(position), "left": _clean(left), "right": _clean(right)})
    return {"type": qt.MATCHING, "pairs": pairs, "partial_credit": True}


def _choices(entries: list) -> dict[str, Any]:
    """One =answer is a single choice; ~%weight% answers make a multiple choice."""
    options = [
        {"id": chr(ord("a") + i), "text": _clean(t)} for i, (_m, _w, t) in enumerate(entries)
    ]
    right = [o["id"] for o, (m, _w, _t) in zip(options, entries, strict=True) if m == "="]
    weighted = [
        o["id"]
        for o, (m, w, _t) in zip(options, entries, strict=True)
        if m == "~" and w is not None and w > 0
    ]
    if len(right) == 1 and not weighted:
        return {"options": options, "type": qt.SINGLE, "correct_answer": right[0]}
    if right:
        raise GiftError(_("Use one =answer, or ~%weight% on every correct answer, not both."))
    if not weighted:
        raise GiftError(_("No correct answer: mark one with = or give weights like ~%50%."))
    return {
        "options": options,
        "type": qt.MULTIPLE,
        "correct_answer": weighted,
        "partial_credit": True,
    }


def _title_end(text: str) -> int:
    i = 2
    while i < len(text) - 1:
        if text[i] == "\\":
            i += 2
            continue
        if text[i : i + 2] == "::":
            return i
        i += 1
    return -1


def _parse_block(lines: list[str]) -> dict[str, Any]:
    text = "\n".join(_strip_comments(line) for line in lines).strip()
    data: dict[str, Any] = {}
    if text.startswith("::"):
        end = _title_end(text)
        if end < 0:
            raise GiftError(_("A ::title:: is not closed."))
        data["title"] = _clean(text[2:end]) or None
        text = text[end + 2 :].strip()
    opened = _find_unescaped(text, "{")
    if opened < 0:
        raise GiftError(_("No answer block {...}."))
    closed = _find_unescaped(text, "}", opened + 1)
    if closed < 0:
        raise GiftError(_("The answer block { is not closed."))
    before, body, after = text[:opened], text[opened + 1 : closed], text[closed + 1 :]
    if _find_unescaped(after, "{") >= 0:
        raise GiftError(_("More than one answer block in a question."))
    before = _FORMAT.sub("", before.strip())
    after = after.strip()
    question = _clean(before)
    if after:
        question = f"{question} _____ {_clean(after)}".strip()
    data["question_text"] = question
    data.update(_parse_answer_block(body))
    if not data.get("explanation"):
        data.pop("explanation", None)
    return data


def parse(text: str) -> list[ParsedQuestion]:
    """Every question in a GIFT text, in order, each with its start line and errors (syntax
    errors here; content errors are added by the caller through question_types.validate)."""
    parsed = []
    for line, lines, tags in _blocks(text):
        item = ParsedQuestion(line=line)
        try:
            item.data = _parse_block(lines)
            if tags:
                item.data["tags"] = tags
        except GiftError as exc:
            item.errors.append(str(exc))
        parsed.append(item)
    return parsed


# --- Export -------------------------------------------------------------------------------------
def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _percent(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text or "0"


def _answer_block(q: Mapping[str, Any]) -> str:
    kind = q.get("type")
    answer = q.get("correct_answer")
    if kind == qt.SINGLE:
        parts = [
            ("=" if o["id"] == answer else "~") + escape(o["text"]) for o in q.get("options", [])
        ]
    elif kind == qt.MULTIPLE:
        options = q.get("options", [])
        right = [o for o in options if o["id"] in (answer or [])]
        wrong = [o for o in options if o["id"] not in (answer or [])]
        parts = [
            f"~%{_percent(100 / len(right))}%{escape(o['text'])}"
            if o in right
            else f"~%-{_percent(100 / len(wrong))}%{escape(o['text'])}"
            for o in options
        ]
    elif kind == qt.TRUE_FALSE:
        parts = ["TRUE" if answer else "FALSE"]
    elif kind == qt.NUMERIC:
        tolerance = float(answer.get("tolerance") or 0)
        value = _number(answer["value"])
        parts = [f"#{value}:{_number(tolerance)}" if tolerance else f"#{value}"]
    elif kind == qt.SHORT:
        parts = ["=" + escape(a) for a in answer]
    elif kind == qt.MATCHING:
        parts = [f"={escape(p['left'])} -> {escape(p['right'])}" for p in q.get("pairs", [])]
    else:
        raise GiftError(_("Cannot export a %(type)s question to GIFT.") % {"type": repr(kind)})
    if q.get("explanation"):
        parts.append("####" + escape(q["explanation"]))
    return " ".join(parts)


def export_one(q: Mapping[str, Any]) -> str:
    lines = [f"// [tag:{tag}]" for tag in q.get("tags") or [] if "]" not in tag]
    title = f"::{escape(q['title'])}::" if q.get("title") else ""
    lines.append(f"{title}{escape(q['question_text'])} {{{_answer_block(q)}}}")
    return "\n".join(lines)


def export(questions: Iterable[Mapping[str, Any]]) -> str:
    """GIFT text of the questions, separated by blank lines (ends with a newline)."""
    blocks = [export_one(q) for q in questions]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


# --- Import into the bank (the one part that writes) --------------------------------------------
MAX_IMPORT = 1000


def import_gift(
    school_id: Any,
    text: str,
    *,
    author_id: Any,
    defaults: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Parse GIFT text and add its questions to the school's bank, all or none.

    `defaults` (subject_id, class_id, topic, difficulty, marks, tags) apply to every question;
    tags from `// [tag:x]` comments are added to the default tags. Every question is checked
    (syntax, then its type's rules and the subject/class) before anything is written; with any
    error, or with `dry_run`, nothing is written. The report lists errors by the line the
    question starts on.
    """
    from . import question_bank

    defaults = dict(defaults or {})
    parsed = parse(text)
    report: dict[str, Any] = {
        "ok": False,
        "dry_run": dry_run,
        "questions": len(parsed),
        "created": 0,
        "ids": [],
        "errors": [],
    }
    if not parsed:
        report["errors"].append(
            {"line": 1, "title": None, "errors": {"gift": [_("No questions.")]}}
        )
        return report
    if len(parsed) > MAX_IMPORT:
        report["errors"].append(
            {
                "line": 1,
                "title": None,
                "errors": {"gift": [_("At most %(limit)s questions.") % {"limit": MAX_IMPORT}]},
            }
        )
        return report
    items = []
    for item in parsed:
        data = {**defaults, **item.data}
        tags = list(defaults.get("tags") or []) + list(item.data.get("tags") or [])
        if tags:
            data["tags"] = tags
        items.append(data)
    checked = question_bank.check(school_id, items)
    for item, field_errors in zip(parsed, checked, strict=True):
        errors = {"gift": item.errors} if item.errors else field_errors
        if errors:
            report["errors"].append({"line": item.line, "title": item.title, "errors": errors})
    if report["errors"]:
        return report
    report["ok"] = True
    if not dry_run:
        created = question_bank.create_many(school_id, items, author_id=author_id)
        report["created"] = len(created)
        report["ids"] = [q["id"] for q in created]
    return report
