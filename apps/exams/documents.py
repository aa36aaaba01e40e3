"""Report cards as PDF, from plain dataclasses (nothing here reads the database), on the
shared document builder (`apps.core.pdf`: Noto fonts, Devanagari shaped by HarfBuzz).

A card is labelled in English, Hindi or both ("bilingual": "Marks / अंक"); names and subjects
are printed as given. Several cards render into one document (a section's combined PDF), each
on its own page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils import translation
from django.utils.translation import pgettext

from apps.core.pdf import Column, Document, Letterhead

CONTEXT = "report card"
DATE_FORMAT = "%d/%m/%Y"
STATUS_CODES = {"absent": "AB", "medical": "ML", "exempt": "EX", "missing": "—"}


@dataclass(frozen=True)
class School:
    name: str
    address_lines: Sequence[str] = ()
    phone: str = ""
    email: str = ""
    logo: bytes | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    admission_no: str
    class_section: str
    roll_number: str = ""
    date_of_birth: date | None = None
    parents: str = ""


@dataclass(frozen=True)
class SubjectRow:
    name: str
    cells: Sequence[str]  # one per component: "42.5" or "AB"
    percent: str
    grade: str
    year_percent: str = ""
    year_grade: str = ""


@dataclass(frozen=True)
class Card:
    school: School
    profile: Profile
    year: str
    term: str
    issued_on: date
    components: Sequence[str]  # column titles: "PT (best 2 of 3) /10"
    subjects: Sequence[SubjectRow]
    percent: str
    grade: str
    co_scholastic: Sequence[tuple[str, str]] = ()
    working_days: int = 0
    days_present: int = 0
    attendance_percent: str = ""
    remarks: str = ""
    rank: str = ""
    result: str = ""
    promotion: str = ""
    cgpa: str = ""
    show_year: bool = False
    extra: dict = field(default_factory=dict)


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return pgettext(CONTEXT, text)


def label(text: str, language: str) -> str:
    if language == "bilingual":
        english, hindi = _in("en", text), _in("hi", text)
        return english if english == hindi else f"{english} / {hindi}"
    return _in(language, text)


def _draw(pdf: Document, card: Card, language: str) -> None:
    def lab(text: str) -> str:
        return label(text, language)

    school = card.school
    contact = " · ".join(p for p in (school.phone, school.email) if p)
    pdf.letterhead(Letterhead(name=school.name, lines=[*school.address_lines, contact],
                              logo=school.logo))  # fmt: skip
    pdf.heading(lab("Report card"), note=f"{card.term} · {card.year}")
    p = card.profile
    pdf.key_values([
        (lab("Student"), p.name), (lab("Admission no."), p.admission_no),
        (lab("Class"), p.class_section), (lab("Roll no."), p.roll_number),
        (lab("Date of birth"), p.date_of_birth.strftime(DATE_FORMAT) if p.date_of_birth else ""),
        (lab("Parents"), p.parents),
    ])  # fmt: skip
    pdf.text(lab("Scholastic areas"), bold=True)
    columns = [Column(lab("Subject"), 2.6)]
    columns += [Column(title, 1.2, align="RIGHT") for title in card.components]
    columns += [Column(lab("Total %"), 1.1, align="RIGHT"), Column(lab("Grade"), 0.9)]
    if card.show_year:
        columns += [Column(lab("Year %"), 1.0, align="RIGHT"), Column(lab("Year grade"), 0.9)]
    rows = []
    for s in card.subjects:
        row = [s.name, *s.cells, s.percent, s.grade]
        if card.show_year:
            row += [s.year_percent, s.year_grade]
        rows.append(row)
    footer = [lab("Overall"), *([""] * len(card.components)), card.percent, card.grade]
    if card.show_year:
        footer += ["", ""]
    pdf.table(columns, rows, footer_rows=[footer])
    if card.co_scholastic:
        pdf.text(lab("Co-scholastic areas"), bold=True)
        pdf.table([Column(lab("Area"), 4), Column(lab("Grade"), 1)],
                  [list(pair) for pair in card.co_scholastic])  # fmt: skip
    pdf.key_values([
        (lab("Working days"), str(card.working_days)),
        (lab("Days present"), str(card.days_present)),
        (lab("Attendance %"), card.attendance_percent),
        (lab("CGPA"), card.cgpa), (lab("Rank"), card.rank),
        (lab("Result"), card.result), (lab("Promotion"), card.promotion),
    ])  # fmt: skip
    if card.remarks:
        pdf.text(f"{lab('Class teacher')}: {card.remarks}")
    pdf.space(14)
    pdf.table(
        [Column(lab("Class teacher"), 1), Column(lab("Principal"), 1), Column(lab("Parent"), 1)],
        [["", "", ""]],
    )
    pdf.text(lab("AB: absent · ML: medical leave · EX: exempt"), muted=True, size=7.5)


def render_cards(cards: Sequence[Card], language: str = "en") -> bytes:
    """One PDF with every card of `cards`, each starting on a new page."""
    if not cards:
        raise ValueError("no cards to render")
    doc_language = "hi" if language == "hi" else "en"
    first = cards[0]
    with translation.override("en" if language == "bilingual" else language):
        pdf = Document(
            title=f"{label('Report card', language)} {first.term} {first.year}",
            language=doc_language, author=first.school.name, created=first.issued_on,
            footer=label("Computer-generated report card.", language),
        )  # fmt: skip
        for index, card in enumerate(cards):
            if index:
                pdf.pdf.add_page()
            _draw(pdf, card, language)
        return pdf.render()
