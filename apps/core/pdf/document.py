"""A small document builder on fpdf2 for receipts, invoices, report cards and rosters.

Text is set in the shipped Noto fonts (`fonts/`, OFL): Noto Sans for Latin text, digits and
the rupee sign, Noto Sans Devanagari for Hindi. The font is chosen per run of text: Noto Sans
has no Devanagari, so every Devanagari run falls back to Noto Sans Devanagari (fpdf2's fallback
fonts) and English, ₹ and Hindi mix in one line. Each run is shaped by HarfBuzz (uharfbuzz) for
its own script; without that, conjuncts and vowel signs come out wrong. (With the Devanagari font
first, a line starting in English would be shaped as Latin, whose rules misplace the vowel
sign ि.)

A document built from the same content renders to the same bytes: the creation date is the
document's own date, not the clock.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

from apps.core.money import format_inr

# fontTools reports every subsetting step at INFO: dozens of log lines per document.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
LATIN = "NotoSans"
DEVANAGARI = "NotoSansDevanagari"
LANGUAGES = {"en": "en-IN", "hi": "hi-IN"}  # the PDF's /Lang

INK = (33, 37, 41)
MUTED = (96, 103, 112)
RULE = (173, 181, 189)
SHADE = (236, 239, 242)
BASE_SIZE = 9.5


@dataclass(frozen=True)
class Letterhead:
    """The issuer at the top of the first page: name, a few lines (address, phone, GSTIN ...)
    and an optional logo (PNG or JPEG bytes)."""

    name: str
    lines: Sequence[str] = ()
    logo: bytes | None = None


@dataclass(frozen=True)
class Column:
    """A table column. `width` is relative to the other columns; a `money` column prints
    Decimal cells as ₹12,34,567.00 and is right-aligned."""

    title: str
    width: float = 1.0
    align: str = "LEFT"
    money: bool = False

    @property
    def alignment(self) -> str:
        return "RIGHT" if self.money else self.align.upper()


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_font(size=7.5, style="")
        self.current_font_is_set_on_page = False  # see number_pages
        self.set_text_color(*MUTED)
        self.cell(self.epw - 20, 6, self.footer_text, align=Align.L)

    def number_pages(self) -> None:
        """'n/N' in every footer, written once the page count is known. (fpdf2's {nb} alias
        renders garbage after a fallback-font run, so it is switched off.)"""
        last, auto_break = self.page, self.auto_page_break
        self.set_auto_page_break(False)
        self.set_font(size=7.5, style="")
        self.set_text_color(*MUTED)
        for number in range(1, last + 1):
            self.page = number
            # fpdf2 tracks "font already selected" per document, not per page: select it again
            # on each page revisited, or the text is drawn in that page's last font.
            self.current_font_is_set_on_page = False
            self.set_xy(self.w - self.r_margin - 20, -14)
            self.cell(20, 6, f"{number}/{last}", align=Align.R)
        self.page = last
        self.set_auto_page_break(auto_break, margin=18)


def _cell(value: object, column: Column) -> str:
    if value is None:
        return ""
    if column.money and isinstance(value, Decimal | int):
        return format_inr(value)
    return str(value)


class Document:
    """Build a document top to bottom, then `render()` it to PDF bytes.

    doc = Document(title="Fee receipt", language="hi", created=receipt_date, footer="...")
    doc.letterhead(Letterhead(name=..., lines=[...]))
    doc.heading("शुल्क रसीद", note="RCT/25-26/000123")
    doc.key_values([("Student", "Asha Rao"), ...])
    doc.table([Column("Fee head", 3), Column("Amount", money=True)], rows, footer_rows=[...])
    doc.totals([("Total", Decimal("1500.00"))])
    pdf_bytes = doc.render()
    """

    def __init__(
        self,
        *,
        title: str,
        language: str = "en",
        author: str = "",
        created: date | datetime | None = None,
        footer: str = "",
    ) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported document language {language!r}")
        self.language = language
        pdf = _Pdf(orientation="P", unit="mm", format="A4")
        pdf.footer_text = footer
        pdf.alias_nb_pages(None)
        for family in (LATIN, DEVANAGARI):
            pdf.add_font(family, "", FONTS_DIR / f"{family}-Regular.ttf")
            pdf.add_font(family, "B", FONTS_DIR / f"{family}-Bold.ttf")
        pdf.set_fallback_fonts([DEVANAGARI], exact_match=False)
        pdf.set_text_shaping(True)
        pdf.set_margins(15, 14, 15)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_title(title)
        pdf.set_author(author)
        pdf.set_creator("Schools24")
        pdf.set_lang(LANGUAGES[language])
        if created is not None:
            if not isinstance(created, datetime):
                created = datetime.combine(created, time(0, 0), tzinfo=UTC)
            pdf.set_creation_date(created)
        else:
            pdf.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))
        pdf.set_font(LATIN, size=BASE_SIZE)
        pdf.set_text_color(*INK)
        pdf.add_page()
        self.primary = LATIN
        self.pdf = pdf

    # --- blocks -------------------------------------------------------------------------------

    def letterhead(self, head: Letterhead) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        if head.logo:
            pdf.image(io.BytesIO(head.logo), x=pdf.l_margin, y=top, h=18, keep_aspect_ratio=True)
        pdf.set_font(self.primary, "B", 15)
        pdf.multi_cell(0, 7, head.name, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(self.primary, "", 8.5)
        pdf.set_text_color(*MUTED)
        for line in head.lines:
            if line:
                pdf.multi_cell(0, 4.2, line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        if head.logo:
            pdf.set_y(max(pdf.get_y(), top + 19))
        pdf.ln(2)
        self.rule()

    def heading(self, text: str, *, note: str = "") -> None:
        """The document's title in a shaded band; `note` (e.g. its number) on the right."""
        pdf = self.pdf
        pdf.ln(1)
        pdf.set_fill_color(*SHADE)
        pdf.set_font(self.primary, "B", 12)
        y = pdf.get_y()
        pdf.cell(0, 8, text, align=Align.C, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if note:
            pdf.set_xy(pdf.l_margin, y)
            pdf.set_font(self.primary, "", BASE_SIZE)
            pdf.cell(0, 8, note, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(self.primary, "", BASE_SIZE)
        pdf.set_fill_color(255)  # table cells fill with the current colour
        pdf.ln(2)

    def key_values(self, pairs: Sequence[tuple[str, str]], *, columns: int = 2) -> None:
        """Label/value pairs laid out `columns` to a row; empty values are left out."""
        pairs = [(label, str(value)) for label, value in pairs if value not in (None, "")]
        if not pairs:
            return
        pdf = self.pdf
        label_style = FontFace(emphasis="", color=MUTED)
        with pdf.table(
            col_widths=[2, 3] * columns,
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            text_align="LEFT",
            line_height=4.8,
            padding=(0.6, 1, 0.6, 0),
        ) as table:
            for start in range(0, len(pairs), columns):
                row = table.row()
                chunk = pairs[start : start + columns]
                for label, value in chunk:
                    row.cell(label, style=label_style)
                    row.cell(value, style=FontFace(emphasis="BOLD"))
                for _ in range(columns - len(chunk)):
                    row.cell("")
                    row.cell("")
        pdf.ln(2)

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[object]],
        *,
        footer_rows: Sequence[Sequence[object]] = (),
    ) -> None:
        """A table with a shaded heading row (repeated on every page) and optional bold footer
        rows (subtotals); money columns are formatted and right-aligned."""
        pdf = self.pdf
        aligns = [c.alignment for c in columns]
        with pdf.table(
            col_widths=[c.width for c in columns],
            text_align=aligns,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            headings_style=FontFace(emphasis="BOLD", fill_color=SHADE),
            line_height=5,
            padding=(1.2, 1.5, 1.2, 1.5),
            repeat_headings=1,
        ) as table:
            pdf.set_draw_color(*RULE)
            heading = table.row()
            for column in columns:
                heading.cell(column.title, align=column.alignment)
            for values in rows:
                row = table.row()
                for column, value in zip(columns, values, strict=True):
                    row.cell(_cell(value, column), align=column.alignment)
            for values in footer_rows:
                row = table.row(style=FontFace(emphasis="BOLD"))
                for column, value in zip(columns, values, strict=True):
                    row.cell(_cell(value, column), align=column.alignment)
        pdf.ln(2)

    def totals(
        self, rows: Sequence[tuple[str, Decimal | str]], *, strong_last: bool = True
    ) -> None:
        """A right-hand block of label/amount lines; the last one (the total) in bold."""
        pdf = self.pdf
        with pdf.table(
            width=pdf.epw * 0.5,
            align="RIGHT",
            col_widths=[3, 2],
            text_align=["LEFT", "RIGHT"],
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            line_height=5,
            padding=(0.8, 1.5, 0.8, 1.5),
        ) as table:
            for index, (label, amount) in enumerate(rows):
                strong = strong_last and index == len(rows) - 1
                style = FontFace(emphasis="BOLD", fill_color=SHADE) if strong else None
                row = table.row(style=style)
                row.cell(label)
                row.cell(format_inr(amount) if isinstance(amount, Decimal) else str(amount))
        pdf.ln(2)

    def text(
        self, content: str, *, bold: bool = False, size: float | None = None, muted: bool = False
    ) -> None:
        pdf = self.pdf
        pdf.set_font(self.primary, "B" if bold else "", size or BASE_SIZE)
        if muted:
            pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, (size or BASE_SIZE) * 0.5, content, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.set_font(self.primary, "", BASE_SIZE)
        pdf.ln(1)

    def rule(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)

    def space(self, mm: float) -> None:
        self.pdf.ln(mm)

    def render(self) -> bytes:
        self.pdf.number_pages()
        return bytes(self.pdf.output())
