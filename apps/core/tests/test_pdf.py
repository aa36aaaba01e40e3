"""The PDF document builder: fonts chosen per run of text, ₹ and Devanagari, shaping,
money columns, stable output."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

from PIL import Image

from apps.core.pdf import Column, Document, Letterhead
from apps.core.testing import pdf_fonts, pdf_text


def _document(language: str = "en", *, rows: int = 2, logo: bytes | None = None) -> Document:
    doc = Document(
        title="Transport roster",
        language=language,
        author="Green Valley School",
        created=date(2025, 6, 3),
        footer="Green Valley School · computer-generated",
    )
    doc.letterhead(
        Letterhead(name="Green Valley School", lines=["12 MG Road, Bengaluru"], logo=logo)
    )
    doc.heading("Roster / सूची", note="TR/25-26/0007")
    doc.key_values([("Route", "R-4 शिवाजी नगर"), ("Date", "03/06/2025"), ("Empty", "")])
    doc.table(
        [Column("Student", 3), Column("Stop", 2), Column("Fee", 2, money=True)],
        [[f"Student {n}", "Stop", D("1250.50") * n] for n in range(1, rows + 1)],
        footer_rows=[["Total", "", D("1250.50") * rows * (rows + 1) / 2]],
    )
    doc.totals([("Collected", D("1234567.50"))])
    doc.text("शिक्षा और क्षमता: mixed English, हिन्दी and ₹ 500 on one line")
    return doc


def test_text_mixes_english_rupee_and_devanagari_in_one_document():
    data = _document().render()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in [
        "Green Valley School",
        "TR/25-26/0007",
        "₹1,250.50",  # a money column is formatted the Indian way
        "₹2,501.00",
        "₹3,751.50",  # footer row: 1250.50 × 3
        "₹12,34,567.50",
        "mixed English",
        "and ₹ 500 on one line",
    ]:
        assert expected in text, expected
    assert "Empty" not in text  # empty values are left out


def test_each_script_is_set_in_its_own_embedded_font_and_devanagari_is_shaped():
    fonts = pdf_fonts(_document("hi").render())
    assert set(fonts) == {"NotoSans", "NotoSansDevanagari"}
    latin, devanagari = fonts["NotoSans"], fonts["NotoSansDevanagari"]
    assert "₹" in latin and "S" in latin
    assert not any("\u0900" <= ch <= "\u097f" for text in latin for ch in text)
    # Shaping formed the conjunct क्ष as one glyph, and attached the vowel sign ि to शि;
    # without shaping every glyph would stand for one character.
    assert "क्ष" in devanagari and "शि" in devanagari


def test_without_shaping_there_would_be_no_conjunct_glyphs():
    """The control for the test above: the same text with fpdf2's shaping turned off."""
    doc = Document(title="Control", language="hi")
    doc.pdf.set_text_shaping(False)
    doc.text("शिक्षा और क्षमता")
    devanagari = pdf_fonts(doc.render())["NotoSansDevanagari"]
    assert {"क", "्", "ष", "ि"} <= devanagari and all(len(text) == 1 for text in devanagari)


def test_rendering_is_deterministic():
    assert _document("hi").render() == _document("hi").render()
    assert _document("en").render() != _document("hi").render()  # /Lang differs


def test_long_tables_break_across_pages_with_the_heading_repeated():
    from pypdf import PdfReader

    data = _document("hi", rows=120).render()
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) >= 3
    assert all("Student Stop Fee" in page for page in pages[:-1])
    assert "Student 120" in "".join(pages)
    # Every page is numbered n/N (written once N is known) beside its footer.
    for number, page in enumerate(pages, start=1):
        assert f"{number}/{len(pages)}" in page
        assert "computer-generated" in page


def test_a_logo_is_drawn_in_the_letterhead():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 120, 60)).save(buffer, format="PNG")
    with_logo = _document(logo=buffer.getvalue()).render()
    assert b"/Subtype /Image" in with_logo
    assert b"/Subtype /Image" not in _document().render()


def test_an_unknown_language_is_refused():
    import pytest

    with pytest.raises(ValueError):
        Document(title="x", language="fr")
