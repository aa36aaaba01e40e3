"""Attendance API: mark a register, read marks (pending ones included), summaries, the monthly
register (JSON or CSV) and the sections whose attendance is not taken yet.

Who may call what is in `roles`; which sections and students a caller may read is decided by
`apps.core.access` and `apps.academics.selectors` (an out-of-scope section or student is a 404).
Marks are written by `services.attendance_mark` and read through `selectors`, which lay the
write-behind buffer's pending marks over what Postgres holds.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.academics import selectors as academics_selectors
from apps.accounts.models import Role
from apps.core.api.views import ScopedViewSetMixin
from apps.core.exceptions import ApplicationError

from .. import scopes, selectors, services
from ..models import AttendanceRecord
from . import serializers as s
from .renderers import RegisterCSVRenderer

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF
READERS = {A, T, ST, P, SF}
TAKERS = {A, T}
SECTION_READERS = {A, T, SF}


def _bad(message: str, *fields: str) -> ApplicationError:
    return ApplicationError(
        message, code="invalid_query", fields={name: [message] for name in fields}
    )


@extend_schema(tags=["attendance"])
class AttendanceViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    serializer_class = s.MarkSerializer
    permission_model = AttendanceRecord
    filter_backends: list = []
    roles = {
        "list": READERS,
        "mark": TAKERS,
        "summary": READERS,
        "section_summary": SECTION_READERS,
        "register": SECTION_READERS,
        "not_taken": SECTION_READERS,
    }

    def base_queryset(self):
        return selectors.attendance_queryset()

    # --- scope helpers --------------------------------------------------------------------------
    @property
    def user(self):
        return self.request.user

    def _school(self):
        return self.user.school

    def _query(self, serializer_class) -> dict:
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _today(self) -> dt.date:
        return selectors.school_today(self._school())

    def _range(self, query: dict) -> tuple[dt.date, dt.date]:
        today = self._today()
        end = query.get("to") or query.get("date") or today
        start = query.get("from") or query.get("date") or end.replace(day=1)
        if start > end:
            raise _bad(_("The first day must not be after the last."), "from", "to")
        if (end - start).days >= selectors.MAX_RANGE_DAYS:
            raise _bad(
                _("Ask for at most %(days)s days at once.") % {"days": selectors.MAX_RANGE_DAYS},
                "from",
                "to",
            )
        return start, end

    # --- list ---------------------------------------------------------------------------------------
    @extend_schema(
        parameters=[s.ListQuerySerializer],
        responses=s.MarkSerializer(many=True),
        description="Roles: school admin (whole school), teacher (sections they teach or are "
        "class teacher of, current year; a student's marks from other sections are left out), "
        "student (own marks), parent (children's marks), staff "
        "with the view permission. Give `section` and `date` (optionally `period`: an id, or "
        "'daily') for a register, or `student` with `from`/`to` (default: this month) for one "
        "student's marks; a student may omit both. Marks not yet flushed from the write buffer "
        "are included (`pending`). An out-of-scope section or student is a 404.",
    )
    def list(self, request):
        query = self._query(s.ListQuerySerializer)
        student = None
        if query.get("student"):
            student = scopes.readable_student(self.user, query["student"])
        elif not query.get("section"):
            student = scopes.own_student(self.user)
            if student is None:
                raise _bad(_("Give a section and a date, or a student."), "section", "student")
        if student is not None:
            start, end = self._range(query)
            marks = selectors.student_marks(
                student, start, end, section_ids=scopes.readable_section_ids(self.user)
            )
            if query.get("section"):
                marks = [m for m in marks if m["section_id"] == str(query["section"])]
            marks = self._filter_period(marks, query.get("period"))
        else:
            section = scopes.readable_section(self.user, query["section"], joined=False)
            if not query.get("date"):
                raise _bad(_("Give the date of the register."), "date")
            marks = selectors.section_day(section, query["date"], selectors.ALL_PERIODS)
            marks = self._filter_period(scopes.visible_marks(self.user, marks), query.get("period"))
        page = self.paginate_queryset(selectors.describe(marks))
        return self.get_paginated_response(s.mark_rows(page))

    @staticmethod
    def _filter_period(marks: list[dict], period: str | None) -> list[dict]:
        if not period:
            return marks
        if period == "daily":
            return [m for m in marks if m["period_id"] is None]
        return [m for m in marks if m["period_id"] == period]

    # --- mark ---------------------------------------------------------------------------------------
    @extend_schema(
        request=s.MarkInputSerializer,
        responses={200: s.MarkResultSerializer},
        description="Roles: school admin (any register), teacher (the daily register as class "
        "teacher of the section; a period as the teacher of that timetable period). Marks a "
        "whole register in one request; the last write per student wins. Refused with 400 and "
        "field errors: a student not enrolled in the section or listed twice, a future date, a "
        "holiday, a date outside the section's academic year, a period of another section or "
        "weekday, late without minutes, excused without a reason, a teacher changing a mark "
        "after ATTENDANCE_EDIT_WINDOW_DAYS; a teacher marking another's register gets 403. "
        "Admin changes after the window are audit-logged, as is every change of an existing "
        "mark. Guardians of students newly marked absent are notified (in-app and e-mail). "
        "Returns the register's marks (`pending` until the write buffer is flushed).",
    )
    @action(detail=False, methods=["post"])
    def mark(self, request):
        data = s.MarkInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        section, period = data.validated_data["section"], data.validated_data["period"]
        date = data.validated_data["date"]
        marks = services.attendance_mark(
            actor=request.user,
            section=section,
            date=date,
            period=period,
            entries=data.validated_data["entries"],
        )
        # `MarkResultSerializer`'s shape, built directly as the register's reads build it.
        return Response(
            {
                "section": str(section.pk),
                "date": date.isoformat(),
                "period": str(period.pk) if period else None,
                "marks": s.mark_rows(marks),
            }
        )

    # --- summaries ----------------------------------------------------------------------------------
    @extend_schema(
        parameters=[s.SummaryQuerySerializer],
        responses=s.StudentSummarySerializer,
        description="Roles: school admin, teacher (students they teach; marks of the sections "
        "they teach only), student (themself; "
        "`student` may be omitted), parent (their children), staff with the view permission. "
        "Counts by status and the attendance percentage ((present + late) / marked days) over "
        "[from, to] from the daily register; period marks are counted separately. Pending "
        "marks included. An out-of-scope student is a 404.",
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        query = self._query(s.SummaryQuerySerializer)
        if query.get("student"):
            student = scopes.readable_student(self.user, query["student"])
        else:
            student = scopes.own_student(self.user)
            if student is None:
                raise _bad(_("Give the student."), "student")
        start, end = self._range(query)
        summary = selectors.student_summary(
            student, start, end, section_ids=scopes.readable_section_ids(self.user)
        )
        return Response(s.StudentSummarySerializer(summary).data)

    @extend_schema(
        parameters=[s.SectionDayQuerySerializer],
        responses=s.SectionDaySummarySerializer,
        description="Roles: school admin, teacher (sections they teach or are class teacher of), "
        "staff with the view permission. One section's day: enrolled, marked and unmarked "
        "students of the daily register, counts by status and per timetable period. Pending "
        "marks included. An out-of-scope section is a 404.",
    )
    @action(detail=False, methods=["get"], url_path="section-summary")
    def section_summary(self, request):
        query = self._query(s.SectionDayQuerySerializer)
        section = scopes.readable_section(self.user, query["section"])
        date = query.get("date") or self._today()
        return Response(
            s.SectionDaySummarySerializer(selectors.section_day_summary(section, date)).data
        )

    @extend_schema(
        parameters=[s.RegisterQuerySerializer],
        responses={
            200: OpenApiResponse(
                s.RegisterSerializer, description="JSON, or CSV with ?format=csv / register.csv"
            )
        },
        description="Roles: school admin, teacher (sections they teach or are class teacher of), "
        "staff with the view permission. The section's monthly register: one row per student, "
        "one code per day (P, A, L, E; H for a holiday), totals and percentage. "
        "`?format=csv` (or `/attendance/register.csv?...`, or Accept: text/csv) downloads it "
        "as CSV. Pending marks included. An out-of-scope section is a 404.",
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[JSONRenderer, RegisterCSVRenderer],
    )
    def register(self, request, format=None):
        query = self._query(s.RegisterQuerySerializer)
        section = scopes.readable_section(self.user, query["section"])
        if query.get("month"):
            year, month = map(int, query["month"].split("-"))
        else:
            today = self._today()
            year, month = today.year, today.month
        data = s.RegisterSerializer(selectors.monthly_register(section, year, month)).data
        response = Response(data)
        if request.accepted_renderer.format == "csv":
            filename = f"attendance-{section.display_name}-{year:04d}-{month:02d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(
        parameters=[s.NotTakenQuerySerializer],
        responses=s.NotTakenSerializer(many=True),
        description="Roles: school admin (every section), teacher (their own sections), staff "
        "with the view permission. Sections of the academic year with enrolled students, not "
        "on holiday, that have no daily attendance for `date` (default: today), pending marks "
        "included.",
    )
    @action(detail=False, methods=["get"], url_path="not-taken")
    def not_taken(self, request):
        query = self._query(s.NotTakenQuerySerializer)
        date = query.get("date") or self._today()
        section_ids = None
        if self.user.role == T:
            section_ids = academics_selectors.taught_section_ids(self.user, current_only=False)
        school = self._school()
        sections = selectors.not_taken(school, date, section_ids) if school else []
        page = self.paginate_queryset(sections)
        return self.get_paginated_response(s.NotTakenSerializer(page, many=True).data)


@extend_schema(exclude=True)
class RegisterCSVView(AttendanceViewSet):
    """`/attendance/register.csv?section=&month=`: the register action, always as CSV."""

    renderer_classes = [RegisterCSVRenderer, JSONRenderer]
