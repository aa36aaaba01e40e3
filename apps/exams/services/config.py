"""The school's exam settings (how results are computed and shown), written by its admins."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import apply_fields, audited_change, refuse, save_checked

from .. import scopes
from ..models import ExamSettings

SETTINGS_FIELDS = [
    "rounding_places",
    "rounding_mode",
    "absent_rule",
    "medical_rule",
    "show_rank",
    "rank_tie_rule",
    "rank_excludes_medical",
    "min_attendance_percent",
    "compartment_max_subjects",
    "show_grace_on_card",
    "card_language",
]


@transaction.atomic
def exam_settings_update(*, school, actor, data: dict[str, Any]) -> ExamSettings:
    """Replace the school's exam settings (the row is made on first write); a school admin
    only; the change is audited (before/after). Results already computed keep the settings
    they were computed with until they are computed again."""
    if not scopes.manages_exams(actor):
        raise refuse(_("Only a school admin changes the exam settings."), code="not_allowed",
                     status_code=403)  # fmt: skip
    found = ExamSettings.objects.select_for_update().filter(school_id=school.pk).first()
    row = found or ExamSettings(school=school)
    with audited_change(row, actor=actor, action="exams.settings.update",
                        fields=SETTINGS_FIELDS, school=school):  # fmt: skip
        apply_fields(row, SETTINGS_FIELDS, data)
        save_checked(row)
    return row
