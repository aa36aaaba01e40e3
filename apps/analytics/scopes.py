"""Who may read which report (see apps.core.access for the roles).

- school admins (the principal): every report of their school;
- staff by duty: the Accountant (the fee office's permission) the fee reports, the Transport
  manager the transport report, the Store manager the stock reports;
- teachers: the attendance and performance reports, cut to the sections they teach this year
  (`report_section_ids`); naming another section is a 404;
- students, parents and anyone without a school: no report.
"""

from __future__ import annotations

from django.http import Http404

from apps.academics.models import Section
from apps.accounts.models import Role
from apps.core.access import is_platform_superuser, register_scope

from .models import (
    AssessmentSummary,
    AttendanceDaily,
    DeliveryDaily,
    FeeCollectionDaily,
    StudentAttendanceMonth,
)

ATTENDANCE = ("attendance-trend", "chronic-absentees")
PERFORMANCE = ("performance",)
FEES = ("fee-collection", "fee-ageing")
TRANSPORT = ("transport-occupancy",)
STOCK = ("stock-value", "stock-movements")
TEACHER_REPORTS = ATTENDANCE + PERFORMANCE

# The rollup rows themselves (the admin's read-only lists): the school's admins only; the
# reports above are how everyone else reads them.
for _model in (AttendanceDaily, StudentAttendanceMonth, FeeCollectionDaily, AssessmentSummary,
               DeliveryDaily):  # fmt: skip
    register_scope(_model)


def _signed_in_school_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.school_id)


def may_read_report(user, report: str) -> bool:
    """Whether `user` may ask for `report` at all (which rows they get is `report_section_ids`)."""
    from apps.fees.scopes import manages_fees
    from apps.inventory.scopes import manages_stores
    from apps.transport.scopes import manages_transport

    if not _signed_in_school_user(user) or is_platform_superuser(user):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.TEACHER:
        return report in TEACHER_REPORTS
    if user.role != Role.STAFF:
        return False
    if report in FEES:
        return manages_fees(user)
    if report in TRANSPORT:
        return manages_transport(user)
    if report in STOCK:
        return manages_stores(user)
    return False


def readable_reports(user, reports) -> list[str]:
    return [name for name in reports if may_read_report(user, name)]


def report_section_ids(user) -> set[str] | None:
    """The only sections a report may count for `user` (ids as strings), or None for the whole
    school: a teacher's are the current year's sections they teach a subject in or are class
    teacher of."""
    if user.role != Role.TEACHER:
        return None
    from apps.attendance.scopes import teacher_section_ids

    return {str(pk) for pk in teacher_section_ids(user).values_list("pk", flat=True)}


def report_section(user, section_id) -> Section:
    """A section of the caller's school they may report on; anything else is a 404."""
    allowed = report_section_ids(user)
    if allowed is not None and str(section_id) not in allowed:
        raise Http404
    try:
        return Section.objects.select_related("school_class").get(
            pk=section_id, school_id=user.school_id
        )
    except (Section.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
