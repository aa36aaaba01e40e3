"""Student roster CSV: one layout for export and import, so an export edited in a spreadsheet
imports back. Import is all-or-none; a dry run runs the very same code and rolls back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core import csv_export, uploads
from apps.core.exceptions import ApplicationError

from . import services
from .api.serializers import PersonNameField, StudentInputSerializer
from .models import Guardian, Relation, Role, School, StudentProfile, User, phone_validator

GUARDIAN_SLOTS = 2
STUDENT_COLUMNS = [
    "admission_number", "full_name", "email", "phone", "roll_number", "date_of_birth", "gender",
    "blood_group", "address", "emergency_contact_name", "emergency_contact_phone", "admission_date",
]  # fmt: skip
GUARDIAN_COLUMNS = ["name", "email", "phone", "relation"]
COLUMNS = STUDENT_COLUMNS + [
    f"guardian{slot}_{column}"
    for slot in range(1, GUARDIAN_SLOTS + 1)
    for column in GUARDIAN_COLUMNS
]
MAX_ROWS = 5000


class ImportReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    guardians_linked = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class GuardianRowSerializer(serializers.Serializer):
    name = PersonNameField()
    email = serializers.EmailField()
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    relation = serializers.ChoiceField(
        choices=Relation.choices, required=False, default=Relation.GUARDIAN
    )


class _Rollback(Exception):
    pass


def export_students(queryset: Iterable[StudentProfile], out) -> None:
    writer = csv_export.writer(out)
    writer.writerow(COLUMNS)
    for student in queryset:
        user = student.user
        row = [
            student.admission_number, user.full_name, user.email, user.phone, student.roll_number,
            student.date_of_birth.isoformat() if student.date_of_birth else "", student.gender,
            student.blood_group, student.address, student.emergency_contact_name,
            student.emergency_contact_phone,
            student.admission_date.isoformat() if student.admission_date else "",
        ]  # fmt: skip
        links = sorted(student.guardians.all(), key=lambda link: not link.is_primary)[
            :GUARDIAN_SLOTS
        ]
        for index in range(GUARDIAN_SLOTS):
            if index < len(links):
                parent = links[index].parent
                row += [parent.full_name, parent.email, parent.phone, links[index].relation]
            else:
                row += ["", "", "", ""]
        writer.writerow(row)


def _read_rows(file) -> list[dict[str, str]]:
    raw = uploads.read_bounded(file, settings.UPLOAD_CSV_MAX_BYTES)
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ApplicationError(
            _("The file is not UTF-8 encoded text."),
            fields={"file": [_("The file is not UTF-8 encoded text.")]},
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [
        column for column in ("admission_number", "full_name", "email") if column not in headers
    ]
    if missing:
        message = _("The file lacks required columns: %(columns)s.") % {
            "columns": ", ".join(missing)
        }
        raise ApplicationError(message, fields={"file": [message]})
    # The export neutralised formula-looking cells with a leading '; take off only that one.
    rows = [
        {(k or "").strip(): csv_export.unescape((v or "").strip()) for k, v in row.items()}
        for row in reader
    ]
    if len(rows) > MAX_ROWS:
        message = _("At most %(n)d rows per file.") % {"n": MAX_ROWS}
        raise ApplicationError(message, fields={"file": [message]})
    return rows


def _row_errors(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict]]:
    student_data = {k: row[k] for k in STUDENT_COLUMNS if row.get(k, "") != ""}
    form = StudentInputSerializer(data=student_data)
    errors: dict[str, Any] = {}
    if not form.is_valid():
        errors.update(form.errors)
    guardians = []
    for slot in range(1, GUARDIAN_SLOTS + 1):
        values = {c: row.get(f"guardian{slot}_{c}", "") for c in GUARDIAN_COLUMNS}
        if not any(values.values()):
            continue
        if not values["relation"]:
            values.pop("relation")
        guardian_form = GuardianRowSerializer(data=values)
        if guardian_form.is_valid():
            guardians.append(dict(guardian_form.validated_data))
        else:
            for field, messages in guardian_form.errors.items():
                errors[f"guardian{slot}_{field}"] = messages
    return (form.validated_data if not errors else {}), (errors or None), guardians


def import_students(*, school: School, actor: User, file, dry_run: bool) -> dict[str, Any]:
    rows = _read_rows(file)
    report = {"ok": True, "dry_run": dry_run, "rows": len(rows), "created": 0, "updated": 0,
              "guardians_linked": 0, "errors": []}  # fmt: skip
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    try:
        with transaction.atomic():
            for line, row in enumerate(rows, start=2):  # line 1 is the header
                data, errors, guardians = _row_errors(row)
                errors = errors or {}
                number, email = row.get("admission_number", ""), row.get("email", "").lower()
                if number in seen_numbers:
                    errors["admission_number"] = [
                        _("Repeats line %(line)d.") % {"line": seen_numbers[number]}
                    ]
                if email and email in seen_emails:
                    errors["email"] = [_("Repeats line %(line)d.") % {"line": seen_emails[email]}]
                seen_numbers.setdefault(number, line)
                seen_emails.setdefault(email, line)
                if not errors:
                    try:
                        with transaction.atomic():
                            _write_row(school, actor, data, guardians, report)
                    except ApplicationError as exc:
                        errors = exc.fields or {"non_field_errors": [exc.message]}
                if errors:
                    report["errors"].append(
                        {"line": line, "admission_number": number, "fields": errors}
                    )
            if report["errors"]:
                report["ok"] = False
                raise _Rollback
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _write_row(
    school: School, actor: User, data: dict, guardians: list[dict], report: dict
) -> None:
    user_fields = {k: data.pop(k) for k in ("email", "full_name", "phone", "password") if k in data}
    existing = (
        StudentProfile.objects.select_related("user")
        .filter(school=school, admission_number=data["admission_number"])
        .first()
    )
    if existing is None:
        student = services.student_create(
            school=school, actor=actor, user_data=user_fields, profile_data=data
        )
        report["created"] += 1
    else:
        user_fields.pop("password", None)
        student = services.student_update(
            student=existing, actor=actor, user_data=user_fields, profile_data=data
        )
        report["updated"] += 1
    has_primary = Guardian.objects.filter(student=student, is_primary=True).exists()
    for guardian in guardians:
        parent = User.objects.filter(email__iexact=guardian["email"]).first()
        if parent is not None and Guardian.objects.filter(parent=parent, student=student).exists():
            continue
        if parent is not None and (parent.school_id != school.pk or parent.role != Role.PARENT):
            raise ApplicationError(
                _("This e-mail belongs to an account that is not a parent of this school."),
                fields={"guardian_email": [guardian["email"]]},
            )
        services.guardian_link(
            student=student,
            actor=actor,
            parent=parent,
            parent_data={
                "email": guardian["email"],
                "full_name": guardian["name"],
                "phone": guardian.get("phone", ""),
            },
            relation=guardian.get("relation", Relation.GUARDIAN),
            is_primary=not has_primary,
        )
        has_primary = True
        report["guardians_linked"] += 1
