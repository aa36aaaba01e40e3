"""The one CSV writer of every export: cells a spreadsheet would run as a formula are neutralised.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or DDE
command) to Excel, LibreOffice and Google Sheets: a student named `=HYPERLINK(...)` would become
a live link in the admin's spreadsheet. Such a cell gets a leading `'`, which spreadsheets take
as "this is text". So that the escape can be undone exactly (`unescape`, used by the importers),
a cell made of apostrophes followed by one of those characters gets one more apostrophe too; any
other cell is written as it is. Numbers, dates and booleans produced by the code are written
unchanged (a negative number is data, not a formula).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _needs_escape(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """`value` as it may safely go into a CSV cell."""
    if not isinstance(value, str):
        return value
    return "'" + value if _needs_escape(value) else value


def unescape(text: str) -> str:
    """The inverse of `neutralise` for a cell read back from an exported file: one leading `'`
    comes off only where `neutralise` put it."""
    if text.startswith("'") and _needs_escape(text[1:]):
        return text[1:]
    return text


class SafeWriter:
    """`csv.writer` whose rows go through `neutralise`."""

    def __init__(self, out, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **kwargs: Any) -> SafeWriter:
    """The CSV writer every export uses (same arguments as `csv.writer`)."""
    return SafeWriter(out, **kwargs)
