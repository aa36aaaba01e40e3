"""Academic years and their terms.

Overlap rules need a lock: two admins creating years at once would each see no overlap. Years
are serialised per school by locking the School row; terms per year by locking the year row.
(A Postgres exclusion constraint would need btree_gist, which not every server has.)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import School, User
from apps.core import audit
from apps.core.services import audited_change, audited_delete

from ..models import AcademicYear, Term
from ._common import apply, refuse, save

YEAR_FIELDS = ["name", "start_date", "end_date", "is_current"]
TERM_FIELDS = ["year", "name", "start_date", "end_date"]


def _lock_school(school_id) -> None:
    School.objects.select_for_update().only("pk").get(pk=school_id)


def _lock_year(year_id) -> AcademicYear:
    return AcademicYear.objects.select_for_update().get(pk=year_id)


def _check_year_dates(year: AcademicYear) -> None:
    if year.end_date <= year.start_date:
        raise refuse(
            _("The year must end after it starts."), code="invalid_dates", fields=["end_date"]
        )
    message = year.overlap_message()
    if message:
        raise refuse(message, code="year_overlap", fields=["start_date", "end_date"])


def _check_year_name(year: AcademicYear) -> None:
    taken = AcademicYear.objects.filter(school_id=year.school_id, name__iexact=year.name)
    if taken.exclude(pk=year.pk).exists():
        raise refuse(
            _("An academic year named %(name)s already exists.") % {"name": year.name},
            code="duplicate_name",
            fields=["name"],
        )


def _check_term_name(term: Term) -> None:
    taken = Term.objects.filter(year_id=term.year_id, name__iexact=term.name)
    if taken.exclude(pk=term.pk).exists():
        raise refuse(
            _("%(year)s already has a term named %(name)s.")
            % {"year": term.year.name, "name": term.name},
            code="duplicate_name",
            fields=["name"],
        )


def _check_term_dates(term: Term) -> None:
    if term.end_date <= term.start_date:
        raise refuse(
            _("The term must end after it starts."), code="invalid_dates", fields=["end_date"]
        )
    outside = term.outside_year_error()
    if outside:
        message, fields = outside
        raise refuse(message, code="term_outside_year", fields=fields)
    message = term.overlap_message()
    if message:
        raise refuse(message, code="term_overlap", fields=["start_date", "end_date"])


def _unset_current(*, school_id, actor: User | None, keep_pk=None) -> None:
    """Un-set the school's current year (other than `keep_pk`), leaving an audit record."""
    for other in AcademicYear.objects.filter(school_id=school_id, is_current=True).exclude(
        pk=keep_pk
    ):
        before = audit.snapshot(other, YEAR_FIELDS)
        other.is_current = False
        other.save(update_fields=["is_current", "updated_at"])
        audit.record(
            actor=actor,
            action="academic_year.update",
            instance=other,
            before=before,
            after=audit.snapshot(other, YEAR_FIELDS),
        )


@transaction.atomic
def academic_year_create(
    *,
    school: School,
    actor: User | None,
    name: str,
    start_date: date,
    end_date: date,
    is_current: bool = False,
) -> AcademicYear:
    """A new year of `school`. It may not overlap another year of the school; if it is made
    current, the school's previous current year stops being current."""
    _lock_school(school.pk)
    year = AcademicYear(
        school=school, name=name.strip(), start_date=start_date, end_date=end_date, is_current=False
    )
    _check_year_dates(year)  # the school lock keeps this true until we commit
    _check_year_name(year)
    save(year)
    audit.record(
        actor=actor,
        action="academic_year.create",
        instance=year,
        after=audit.snapshot(year, YEAR_FIELDS),
    )
    if is_current:
        year = academic_year_set_current(year=year, actor=actor)
    return year


@transaction.atomic
def academic_year_update(
    *, year: AcademicYear, actor: User | None, data: dict[str, Any]
) -> AcademicYear:
    """Rename or move a year. The new dates may not overlap another year, and every term of
    the year must still lie inside them. `is_current` changes through `academic_year_set_current`."""
    _lock_school(year.school_id)
    year = _lock_year(year.pk)
    with audited_change(year, actor=actor, action="academic_year.update", fields=YEAR_FIELDS):
        apply(year, ["name", "start_date", "end_date"], data)
        year.name = year.name.strip()
        _check_year_dates(year)
        _check_year_name(year)
        outside = year.terms.exclude(start_date__gte=year.start_date, end_date__lte=year.end_date)
        outside = outside.order_by("start_date").first()
        if outside is not None:
            raise refuse(
                _("%(term)s (%(start)s – %(end)s) would no longer lie inside the year.")
                % {
                    "term": outside.name,
                    "start": outside.start_date.strftime("%d %b %Y"),
                    "end": outside.end_date.strftime("%d %b %Y"),
                },
                code="term_outside_year",
                fields=[f for f in ("start_date", "end_date") if f in data],
            )
        save(year)
    return year


@transaction.atomic
def academic_year_set_current(*, year: AcademicYear, actor: User | None) -> AcademicYear:
    """Make `year` the school's current year; the previous current year stops being current.

    The current year decides which enrollments give teachers access to students."""
    _lock_school(year.school_id)
    year = _lock_year(year.pk)
    if year.is_current:
        return year
    _unset_current(school_id=year.school_id, actor=actor, keep_pk=year.pk)
    before = audit.snapshot(year, YEAR_FIELDS)
    year.is_current = True
    save(year)
    audit.record(
        actor=actor,
        action="academic_year.set_current",
        instance=year,
        before=before,
        after=audit.snapshot(year, YEAR_FIELDS),
    )
    return year


@transaction.atomic
def academic_year_delete(*, year: AcademicYear, actor: User | None) -> None:
    """Delete a year that has no sections (and so no enrollments); its terms go with it."""
    year = _lock_year(year.pk)
    sections = year.sections.count()
    if sections:
        raise refuse(
            _("%(name)s still has %(count)d section(s); delete them first.")
            % {"name": year.name, "count": sections},
            code="in_use",
        )
    audited_delete(year, actor=actor, action="academic_year.delete", fields=YEAR_FIELDS)


@transaction.atomic
def term_create(
    *, year: AcademicYear, actor: User | None, name: str, start_date: date, end_date: date
) -> Term:
    """A term of `year`: inside the year's dates, overlapping none of its other terms."""
    year = _lock_year(year.pk)
    term = Term(
        school_id=year.school_id,
        year=year,
        name=name.strip(),
        start_date=start_date,
        end_date=end_date,
    )
    _check_term_dates(term)
    _check_term_name(term)
    save(term)
    audit.record(
        actor=actor, action="term.create", instance=term, after=audit.snapshot(term, TERM_FIELDS)
    )
    return term


@transaction.atomic
def term_update(*, term: Term, actor: User | None, data: dict[str, Any]) -> Term:
    """Rename or move a term; the same rules as for a new one. The year never changes."""
    year = _lock_year(term.year_id)
    term = Term.objects.get(pk=term.pk)
    term.year = year
    with audited_change(term, actor=actor, action="term.update", fields=TERM_FIELDS):
        apply(term, ["name", "start_date", "end_date"], data)
        term.name = term.name.strip()
        _check_term_dates(term)
        _check_term_name(term)
        save(term)
    return term


@transaction.atomic
def term_delete(*, term: Term, actor: User | None) -> None:
    audited_delete(term, actor=actor, action="term.delete", fields=TERM_FIELDS)
