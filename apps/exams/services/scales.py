"""Grade scales: the built-ins, making and changing a scale, and freezing it once used."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.services import audited_change, refuse, save_checked

from ..models import ExamSettings, GradeBand, GradeScale, ScaleKind
from . import calc

D = Decimal
CBSE_8 = "cbse-8"
CO_SCHOLASTIC_5 = "co-scholastic-5"
PERCENTAGE = "percentage"
BUILTINS = {
    # code: (name, kind, [(from %, letter, descriptor, grade point, pass)])
    CBSE_8: ("CBSE 8-point", ScaleKind.GRADES, [
        (D(91), "A1", "Outstanding", D(10), True), (D(81), "A2", "Excellent", D(9), True),
        (D(71), "B1", "Very good", D(8), True), (D(61), "B2", "Good", D(7), True),
        (D(51), "C1", "Fair", D(6), True), (D(41), "C2", "Satisfactory", D(5), True),
        (D(33), "D", "Pass", D(4), True), (D(0), "E", "Needs improvement", None, False),
    ]),
    CO_SCHOLASTIC_5: ("Co-scholastic 5-point", ScaleKind.GRADES, [
        (D(81), "A", "Outstanding", None, True), (D(61), "B", "Very good", None, True),
        (D(41), "C", "Good", None, True), (D(21), "D", "Fair", None, True),
        (D(0), "E", "Needs improvement", None, True),
    ]),
    PERCENTAGE: ("Percentage", ScaleKind.PERCENTAGE, [
        (D(33), "", "Pass", None, True), (D(0), "", "Fail", None, False),
    ]),
}  # fmt: skip


def exam_settings(school) -> ExamSettings:
    """The school's settings (an unsaved default row when it has none)."""
    found = ExamSettings.objects.filter(school_id=school.pk).first()
    return found or ExamSettings(school=school)


def _check_bands(bands: list[dict]) -> None:
    specs = [calc.Band(min_percent=D(str(b["min_percent"]))) for b in bands]
    problems = calc.check_bands(specs)
    if "zero_band" in problems:
        raise refuse(
            _("A scale needs a band starting at 0, so every percentage gets a grade."),
            code="zero_band_required",
            fields=["bands"],
        )
    if "duplicate" in problems:
        raise refuse(_("Two bands cannot start at the same %."), code="duplicate_band",
                     fields=["bands"])  # fmt: skip
    if "range" in problems:
        raise refuse(_("A band starts between 0 and 100."), code="invalid", fields=["bands"])


def _make_bands(scale: GradeScale, bands: list[dict]) -> None:
    GradeBand.objects.bulk_create(
        GradeBand(
            school_id=scale.school_id, scale=scale, min_percent=D(str(b["min_percent"])),
            letter=b.get("letter", ""), descriptor=b.get("descriptor", ""),
            grade_point=b.get("grade_point"), is_pass=b.get("is_pass", True),
        )
        for b in bands
    )  # fmt: skip


@transaction.atomic
def scale_create(
    *, school, actor, code: str, name: str, kind: str, bands: list[dict]
) -> GradeScale:
    """A new scale (version 1). Rules: bands by lower bound only, one at 0, thresholds
    distinct and within 0-100."""
    _check_bands(bands)
    scale = GradeScale(school=school, code=code, name=name, kind=kind, version=1)
    save_checked(scale)
    _make_bands(scale, bands)
    audit.record(actor=actor, action="exams.scale.create", instance=scale, after={"name": name})
    return scale


@transaction.atomic
def scale_new_version(*, scale: GradeScale, actor, bands: list[dict] | None = None) -> GradeScale:
    """A new version of `scale` (the next number), with new bands or a copy of the old; the
    old version stays as published results used it."""
    if bands is None:
        bands = list(scale.bands.values("min_percent", "letter", "descriptor", "grade_point",
                                         "is_pass"))  # fmt: skip
    _check_bands(bands)
    latest = GradeScale.objects.filter(school_id=scale.school_id, code=scale.code).order_by(
        "-version"
    )[0]
    new = GradeScale(school_id=scale.school_id, code=scale.code, name=scale.name,
                     kind=scale.kind, version=latest.version + 1)  # fmt: skip
    save_checked(new)
    _make_bands(new, bands)
    audit.record(actor=actor, action="exams.scale.new_version", instance=new,
                 after={"version": new.version})  # fmt: skip
    return new


@transaction.atomic
def scale_update(*, scale: GradeScale, actor, data: dict) -> GradeScale:
    """Rename a scale or replace its bands; refused once published results used it (a frozen
    scale changes only by a new version)."""
    scale = GradeScale.objects.select_for_update().get(pk=scale.pk)
    if scale.is_frozen:
        raise ApplicationError(
            _("Published results use this scale; make a new version instead."),
            code="scale_frozen",
        )
    with audited_change(scale, actor=actor, action="exams.scale.update", fields=["name"]):
        if "name" in data:
            scale.name = data["name"]
        save_checked(scale)
    if "bands" in data:
        _check_bands(data["bands"])
        scale.bands.all().delete()
        _make_bands(scale, data["bands"])
    return scale


def scale_freeze(scale_ids) -> None:
    GradeScale.objects.filter(pk__in=scale_ids, frozen_at__isnull=True).update(
        frozen_at=timezone.now()
    )


def builtin_scales_install(school) -> dict[str, GradeScale]:
    """The built-in scales of `school` (made once; the latest version of each is returned)."""
    out = {}
    for code, (name, kind, bands) in BUILTINS.items():
        scale = GradeScale.objects.filter(school=school, code=code).order_by("-version").first()
        if scale is None:
            scale = GradeScale.objects.create(school=school, code=code, name=name, kind=kind)
            _make_bands(scale, [
                {"min_percent": m, "letter": letter, "descriptor": desc, "grade_point": gp,
                 "is_pass": ok} for m, letter, desc, gp, ok in bands
            ])  # fmt: skip
        out[code] = scale
    return out


def scale_bands(scale: GradeScale) -> list[calc.Band]:
    return [
        calc.Band(b.min_percent, b.letter, b.descriptor, b.grade_point, b.is_pass)
        for b in scale.bands.all()
    ]
