"""The marks sheet: download a paper's CSV, fill it in, upload it (dry run first, per-row
errors with line numbers, all or nothing)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.exams.models import Mark

from .factories import exam

pytestmark = pytest.mark.django_db


def _query(half, sy):
    return {"exam": half.pk, "section": sy.sec_a.pk, "subject": sy.maths.pk}


def _upload(client, half, sy, text: str, **extra):
    data = {"exam": str(half.pk), "section": str(sy.sec_a.pk), "subject": str(sy.maths.pk),
            "file": SimpleUploadedFile("marks.csv", text.encode(), "text/csv"), **extra}  # fmt: skip
    return client.post("/api/v1/exams/marks/upload/", data, format="multipart")


def test_download_fill_and_upload_all_or_nothing(cast, school_year, plan, api):
    sy = school_year
    half = exam(plan, 0, "Half-yearly")
    teacher = api(cast.teacher.user)
    sheet = teacher.get("/api/v1/exams/marks/sheet/", _query(half, sy))
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode())))
    assert [r["name"] for r in rows[:2]] == ["Sam Student", "Oscar Other"]
    assert rows[0]["marks"] == "" and "80" in rows[-1]["name"]  # the maximum in the note row
    assert api(cast.colleague.user).get("/api/v1/exams/marks/sheet/",
                                        _query(half, sy)).status_code == 403  # fmt: skip

    rows[0]["marks"], rows[1]["marks"] = "81", "x"  # over the maximum; not a number
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    bad = _upload(teacher, half, sy, out.getvalue())
    assert bad.status_code == 400
    assert [e["line"] for e in bad.json()["errors"]] == [3]  # parse errors first
    rows[1]["marks"] = "40"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    over = _upload(teacher, half, sy, out.getvalue())
    assert over.status_code == 400 and over.json()["errors"][0]["line"] == 2
    assert "marks" in over.json()["errors"][0]["fields"]
    assert not Mark.objects.exists()

    rows[0]["marks"], rows[1]["marks"], rows[1]["status"] = "", "", "absent"
    rows[0]["marks"] = "72.5"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    dry = _upload(teacher, half, sy, out.getvalue(), dry_run="true")
    assert dry.json() == {"ok": True, "dry_run": True, "rows": 2, "errors": []}
    assert not Mark.objects.exists()
    real = _upload(teacher, half, sy, out.getvalue())
    assert real.status_code == 200 and real.json()["rows"] == 2
    assert Mark.objects.get(student=cast.student).marks == Decimal("72.5")
    assert Mark.objects.get(student=cast.other_student).status == "absent"
    binary = _upload(teacher, half, sy, "\x00\x01binary")
    assert binary.status_code == 400
