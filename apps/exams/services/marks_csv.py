"""A paper's marks as a CSV sheet: the blank sheet to fill in (the section's students, any
marks already entered), and the filled sheet uploaded back, checked row by row (a dry run
writes nothing) and written all or nothing through `marks_enter`'s rules."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from apps.academics.models import Enrollment, Section
from apps.core import csv_export, uploads
from apps.core.exceptions import ApplicationError

from ..models import Exam, Mark, MarkStatus
from .marks import check_marks_enter, do_marks_enter, paper_max

COLUMNS = ["student_id", "admission_number", "roll_number", "name", "marks", "status", "remarks"]


def marks_sheet(*, exam: Exam, section: Section, subject) -> str:
    """The sheet of a paper: one row per student of the section by roll number, with what is
    entered so far (blank where nothing is); the maximum is in the header's note row."""
    held = {
        m.student_id: m for m in Mark.objects.filter(exam=exam, subject=subject, section=section)
    }
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(COLUMNS)
    maximum = paper_max(exam, section, subject)
    for e in (
        Enrollment.objects.filter(section=section)
        .select_related("student__user")
        .order_by("roll_number")
    ):
        mark = held.get(e.student_id)
        writer.writerow([
            str(e.student_id), e.student.admission_number, e.roll_number, e.student.user.full_name,
            "" if mark is None or mark.marks is None else mark.marks,
            "" if mark is None else mark.status, "" if mark is None else mark.remarks,
        ])  # fmt: skip
    writer.writerow(["", "", "", _("Maximum marks: %(max)s") % {"max": maximum}, "", "", ""])
    return out.getvalue()


def _parse(text: str) -> tuple[list[dict], list[dict]]:
    """Entries (with their line numbers) and the errors of lines that do not parse."""
    entries, errors = [], []
    reader = csv.DictReader(io.StringIO(text))
    missing = {"student_id", "marks", "status"} - set(reader.fieldnames or [])
    if missing:
        raise ApplicationError(_("The sheet lacks the columns %(cols)s.")
                               % {"cols": ", ".join(sorted(missing))}, code="invalid_sheet",
                               fields={"file": [_("Use the downloaded sheet.")]})  # fmt: skip
    for line, row in enumerate(reader, start=2):
        student = (row.get("student_id") or "").strip()
        marks = (row.get("marks") or "").strip()
        status = (row.get("status") or "").strip().lower()
        if not student:
            continue  # the note row, or a blank line
        if not marks and not status:
            continue  # nothing entered for this student
        found: dict[str, list[str]] = {}
        status = status or MarkStatus.PRESENT
        if status not in MarkStatus.values:
            found["status"] = [_("Use present, absent, medical or exempt.")]
        value = None
        if marks:
            try:
                value = Decimal(csv_export.unescape(marks))
                if value != value.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                found["marks"] = [_("Not a number with at most two decimals.")]
        if found:
            errors.append({"line": line, "fields": found})
            continue
        entries.append({"line": line, "student": student, "marks": value, "status": status,
                        "remarks": csv_export.unescape((row.get("remarks") or "").strip())[:200]})  # fmt: skip
    return entries, errors


def marks_upload(*, actor, exam: Exam, section: Section, subject, file, dry_run: bool,
                 reason: str = "") -> dict:  # fmt: skip
    """Check every row of a filled sheet (the rules of `check_marks_enter`), then write all of
    them or none. A dry run checks and writes nothing. Errors name the CSV line."""
    raw = uploads.read_bounded(file, settings.UPLOAD_CSV_MAX_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError(_("The file is not UTF-8 text."), code="invalid_sheet",
                               fields={"file": [_("Save the sheet as CSV (UTF-8).")]}) from exc  # fmt: skip
    entries, errors = _parse(text)
    if errors:
        return {"ok": False, "dry_run": dry_run, "rows": len(entries) + len(errors),
                "errors": errors}  # fmt: skip
    if not entries:
        raise ApplicationError(_("The sheet has no marks."), code="no_entries",
                               fields={"file": [_("The sheet has no marks.")]})  # fmt: skip
    try:
        plan = check_marks_enter(actor=actor, exam=exam, section=section, subject=subject,
                                 entries=entries, reason=reason)  # fmt: skip
    except ApplicationError as exc:
        per_row = exc.fields.get("entries")
        if not isinstance(per_row, list):
            raise
        return {"ok": False, "dry_run": dry_run, "rows": len(entries),
                "errors": [{"line": e["line"], "fields": f}
                           for e, f in zip(entries, per_row, strict=True) if f]}  # fmt: skip
    if not dry_run:
        do_marks_enter(plan)
    return {"ok": True, "dry_run": dry_run, "rows": len(entries), "errors": []}
