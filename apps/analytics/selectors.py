"""The reports: each reads the rollup tables for past days and answers "today" with a live
query, so a year of attendance is a few hundred rollup rows, never the raw marks.

A report is a `Table` (title, columns, rows as dicts) that the API returns as JSON and the
exports render as CSV, XLSX or PDF. `Filters` is what the caller asked for, already validated
(`apps.analytics.api.serializers.ReportFilterSerializer`) and cut to what they may read
(`section_ids`: None for the whole school). Every report runs a fixed number of queries.

Chronic absentees and streaks: a consecutive-absence streak needs each student's days in
order, which the per-section rollup does not keep. Rather than scan the window's raw marks, the
rollup keeps one row per student and month with a character per day (StudentAttendanceMonth):
a year is twelve short rows per student, and a streak runs over the marked days in order
(holidays and unmarked days neither break nor extend it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Q, Sum, When
from django.utils.translation import gettext_lazy as _

from apps.academics.models import Enrollment, Section
from apps.attendance.selectors import school_today

from .models import (
    CODES,
    NOT_MARKED,
    AssessmentSummary,
    AttendanceDaily,
    FeeCollectionDaily,
    StudentAttendanceMonth,
)

MAX_RANGE_DAYS = 366
BANDS = [f"{10 * i}-{10 * i + 9}%" if i < 9 else "90-100%" for i in range(10)]


@dataclass
class Filters:
    school: object
    start: dt.date
    end: dt.date
    today: dt.date
    year: object = None
    term: object = None
    school_class: object = None
    section: object = None
    section_ids: set[str] | None = None  # the caller's limit (a teacher's sections)
    user: object = None


@dataclass
class Table:
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict] = field(default_factory=list)

    def matrix(self) -> list[list]:
        return [[row.get(key) for key, _label in self.columns] for row in self.rows]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def sections(f: Filters):
    """The sections the report may count, as a Section queryset of the school."""
    qs = Section.objects.filter(school_id=f.school.pk)
    if f.section_ids is not None:
        qs = qs.filter(pk__in=f.section_ids)
    if f.year is not None:
        qs = qs.filter(year=f.year)
    if f.school_class is not None:
        qs = qs.filter(school_class=f.school_class)
    if f.section is not None:
        qs = qs.filter(pk=f.section.pk)
    return qs


def _narrowed(f: Filters) -> bool:
    return any(x is not None for x in (f.section_ids, f.year, f.school_class, f.section))


def _past_end(f: Filters) -> dt.date:
    """The last day the rollups answer for (yesterday at most)."""
    return min(f.end, f.today - dt.timedelta(days=1))


# --- attendance --------------------------------------------------------------------------------
def _live_today(f: Filters) -> dict[str, tuple[str, dict[str, int]]]:
    """Today's daily marks (pending ones in the write buffer included) per student id:
    (section id, counts by status). One query, one Redis read per section."""
    from apps.attendance.selectors import daily_counts_by_student

    ids = [str(pk) for pk in sections(f).filter(year__start_date__lte=f.today,
                                                year__end_date__gte=f.today)
           .values_list("pk", flat=True)]  # fmt: skip
    if not ids:
        return {}
    counted = daily_counts_by_student(f.school.pk, ids, f.today, f.today)
    where = dict(
        Enrollment.objects.filter(section_id__in=ids, student_id__in=list(counted))
        .values_list("student_id", "section_id")
        .order_by()
    )
    return {
        student: (str(where.get(_uuid(student), "")), by_status)
        for student, by_status in counted.items()
    }


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))


def attendance_trend(f: Filters) -> Table:
    """Per day: sections whose register was marked, counts by status and the attendance
    percentage (present and late over marked)."""
    daily = AttendanceDaily.objects.filter(
        school_id=f.school.pk, date__gte=f.start, date__lte=_past_end(f)
    )
    if _narrowed(f):
        daily = daily.filter(section__in=sections(f))
    rows = [
        {"date": r["date"], "sections_marked": r["marked"], "present": r["p"], "absent": r["a"],
         "late": r["l"], "excused": r["e"]}
        for r in daily.values("date").annotate(
            marked=Count("id", filter=Q(marked=True)), p=Sum("present"), a=Sum("absent"),
            l=Sum("late"), e=Sum("excused"),
        ).order_by("date")
    ]  # fmt: skip
    if f.start <= f.today <= f.end:
        live = _live_today(f)
        if live:
            total = defaultdict(int)
            for _section, by_status in live.values():
                for status, n in by_status.items():
                    total[status] += n
            rows.append({"date": f.today, "sections_marked": len({s for s, _ in live.values()}),
                         "present": total["present"], "absent": total["absent"],
                         "late": total["late"], "excused": total["excused"]})  # fmt: skip
    for row in rows:
        marked = row["present"] + row["absent"] + row["late"] + row["excused"]
        row["percent"] = _percent(row["present"] + row["late"], marked)
    return Table(
        str(_("Attendance trend")),
        [("date", str(_("Date"))), ("sections_marked", str(_("Sections marked"))),
         ("present", str(_("Present"))), ("absent", str(_("Absent"))), ("late", str(_("Late"))),
         ("excused", str(_("Excused"))), ("percent", str(_("Attendance %")))],
        rows,
    )  # fmt: skip


def _streaks(codes: str) -> tuple[int, int]:
    """(longest, current) runs of absences over the marked days of `codes`."""
    longest = current = 0
    for code in codes:
        if code == NOT_MARKED:
            continue
        current = current + 1 if code == CODES["absent"] else 0
        longest = max(longest, current)
    return longest, current


def chronic_absentees(f: Filters) -> Table:
    """Students attending less than ANALYTICS_CHRONIC_ABSENCE_PERCENT of their marked days in the
    window, with their longest and current consecutive-absence streaks, worst first."""
    threshold = float(settings.ANALYTICS_CHRONIC_ABSENCE_PERCENT)
    months = StudentAttendanceMonth.objects.filter(
        school_id=f.school.pk, month__gte=f.start.replace(day=1), month__lte=f.end
    ).select_related("student__user", "section__school_class")
    if _narrowed(f):
        months = months.filter(section__in=sections(f))
    days: dict[str, dict[dt.date, str]] = defaultdict(dict)
    who: dict[str, tuple[str, str]] = {}
    last = _past_end(f)
    for row in months.order_by("month"):
        key = str(row.student_id)
        who[key] = (row.student.user.full_name, row.section.display_name)
        for index, code in enumerate(row.codes):
            day = row.month + dt.timedelta(days=index)
            if f.start <= day <= last and code != NOT_MARKED:
                days[key][day] = code
    if f.start <= f.today <= f.end:
        for student, (_section, by_status) in _live_today(f).items():
            status = next((s for s, n in by_status.items() if n), None)
            if status is not None and student in who:
                days[student][f.today] = CODES[status]
    rows = []
    for student, marks in days.items():
        codes = "".join(marks[d] for d in sorted(marks))
        attended = codes.count(CODES["present"]) + codes.count(CODES["late"])
        percent = _percent(attended, len(codes))
        if percent is None or percent >= threshold:
            continue
        longest, current = _streaks(codes)
        name, section = who[student]
        rows.append({"student": student, "name": name, "section": section,
                     "days_marked": len(codes), "attended": attended,
                     "absent": codes.count(CODES["absent"]),
                     "excused": codes.count(CODES["excused"]), "percent": percent,
                     "longest_streak": longest, "current_streak": current})  # fmt: skip
    rows.sort(key=lambda r: (r["percent"], r["section"], r["name"]))
    return Table(
        str(_("Chronic absentees")),
        [("name", str(_("Student"))), ("section", str(_("Section"))),
         ("days_marked", str(_("Days marked"))), ("attended", str(_("Attended"))),
         ("absent", str(_("Absent"))), ("excused", str(_("Excused"))),
         ("percent", str(_("Attendance %"))), ("longest_streak", str(_("Longest absence streak"))),
         ("current_streak", str(_("Current absence streak")))],
        rows,
    )  # fmt: skip


# --- fees --------------------------------------------------------------------------------------
def fee_collection(f: Filters) -> Table:
    """Money received per day and fee head (no head: late fines and advance credit)."""
    from apps.fees.models import FeeHead

    from .services.rollup import fee_day_figures

    rows = [
        {"date": r.date, "head": r.head.name if r.head else str(_("Fines and advance credit")),
         "amount": r.amount, "receipts": r.receipts}
        for r in FeeCollectionDaily.objects.filter(
            school_id=f.school.pk, date__gte=f.start, date__lte=_past_end(f)
        ).select_related("head").order_by("date", "head__name")
    ]  # fmt: skip
    if f.start <= f.today <= f.end:
        live = fee_day_figures(f.school, f.today)
        names = dict(
            FeeHead.objects.filter(pk__in=[h for h in live if h]).values_list("pk", "name")
        )
        for head, (amount, receipts) in sorted(
            live.items(), key=lambda item: names.get(_uuid(item[0]), "~") if item[0] else "~"
        ):
            name = names.get(_uuid(head)) if head else str(_("Fines and advance credit"))
            rows.append({"date": f.today, "head": name, "amount": amount, "receipts": receipts})
    return Table(
        str(_("Fee collection")),
        [("date", str(_("Date"))), ("head", str(_("Fee head"))), ("amount", str(_("Amount"))),
         ("receipts", str(_("Receipts")))],
        rows,
    )  # fmt: skip


AGEING = (("not_due", None, -1), ("days_0_30", 0, 30), ("days_31_60", 31, 60),
          ("days_61_90", 61, 90), ("days_90_plus", 91, None))  # fmt: skip


def fee_ageing(f: Filters) -> Table:
    """What open invoices still owe on `to` (the as-of date), per class, by days past the due
    date: not yet due, 0-30, 31-60, 61-90 and more than 90 days."""
    from apps.fees.models import OPEN_STATUSES, Invoice

    as_of = f.end
    owed = F("total") - F("amount_paid") - F("amount_credited")
    money = DecimalField(max_digits=14, decimal_places=2)
    invoices = Invoice.objects.filter(school_id=f.school.pk, status__in=OPEN_STATUSES)
    if f.year is not None:
        invoices = invoices.filter(structure__year=f.year)
    if f.school_class is not None:
        invoices = invoices.filter(structure__school_class=f.school_class)
    if f.section is not None:
        invoices = invoices.filter(section=f.section)
    buckets = {}
    for key, low, high in AGEING:
        q = Q()
        if low is not None:
            q &= Q(due_date__lte=as_of - dt.timedelta(days=low))
        if high is not None:
            q &= Q(due_date__gte=as_of - dt.timedelta(days=high))
        buckets[key] = Sum(Case(When(q, then=owed), default=Decimal("0"), output_field=money))
    rows = []
    for r in (
        invoices.annotate(owed=owed)
        .filter(owed__gt=0)
        .values("structure__school_class__name", "structure__school_class__order")
        .annotate(invoices=Count("id"), outstanding=Sum(owed, output_field=money), **buckets)
        .order_by("structure__school_class__order", "structure__school_class__name")
    ):
        rows.append({"class": r["structure__school_class__name"], "invoices": r["invoices"],
                     **{key: r[key] for key, _l, _h in AGEING}, "total": r["outstanding"]})  # fmt: skip
    return Table(
        str(_("Fee ageing")),
        [("class", str(_("Class"))), ("invoices", str(_("Open invoices"))),
         ("not_due", str(_("Not yet due"))), ("days_0_30", "0-30"), ("days_31_60", "31-60"),
         ("days_61_90", "61-90"), ("days_90_plus", "90+"), ("total", str(_("Outstanding")))],
        rows,
    )  # fmt: skip


# --- performance -------------------------------------------------------------------------------
def performance(f: Filters) -> Table:
    """Per exam paper and section: how many sat it, mean, lowest and highest percentage and the
    students in each ten-percent band (from the assessment summaries)."""
    qs = AssessmentSummary.objects.filter(school_id=f.school.pk).select_related(
        "section__school_class", "subject", "exam", "term"
    )
    if _narrowed(f):
        qs = qs.filter(section__in=sections(f))
    if f.term is not None:
        qs = qs.filter(term=f.term)
    rows = []
    for r in qs.order_by("section__school_class__order", "section__name", "subject__name",
                         "term__start_date", "exam__name"):  # fmt: skip
        rows.append({
            "class": r.section.school_class.name, "section": r.section.display_name,
            "subject": r.subject.name, "term": r.term.name, "exam": r.exam.name,
            "count": r.count, "absent": r.absent, "mean": r.mean_percent, "min": r.min_percent,
            "max": r.max_percent,
            **{f"band_{i}": (r.deciles or [0] * 10)[i] for i in range(10)},
        })  # fmt: skip
    return Table(
        str(_("Academic performance")),
        [("class", str(_("Class"))), ("section", str(_("Section"))),
         ("subject", str(_("Subject"))), ("term", str(_("Term"))), ("exam", str(_("Exam"))),
         ("count", str(_("Marked"))), ("absent", str(_("Not present"))),
         ("mean", str(_("Mean %"))), ("min", str(_("Lowest %"))), ("max", str(_("Highest %"))),
         *[(f"band_{i}", band) for i, band in enumerate(BANDS)]],
        rows,
    )  # fmt: skip


# --- transport ---------------------------------------------------------------------------------
def transport_occupancy(f: Filters) -> Table:
    """Per active trip on `to` (the as-of date): the vehicle's seats, the students assigned and
    the occupancy."""
    from apps.transport.models import Trip

    active = Q(assignments__is_active=True, assignments__valid_from__lte=f.end,
               assignments__valid_to__gte=f.end)  # fmt: skip
    rows = []
    for trip in (
        Trip.objects.filter(school_id=f.school.pk, is_active=True)
        .select_related("route", "vehicle")
        .annotate(assigned=Count("assignments", filter=active))
        .order_by("route__code", "shift", "name")
    ):
        seats = trip.vehicle.seats
        rows.append({"trip": trip.name, "route": trip.route.name, "shift": trip.get_shift_display(),
                     "vehicle": str(trip.vehicle), "seats": seats, "assigned": trip.assigned,
                     "free": max(seats - trip.assigned, 0),
                     "percent": _percent(trip.assigned, seats)})  # fmt: skip
    return Table(
        str(_("Transport occupancy")),
        [("trip", str(_("Trip"))), ("route", str(_("Route"))), ("shift", str(_("Shift"))),
         ("vehicle", str(_("Vehicle"))), ("seats", str(_("Seats"))),
         ("assigned", str(_("Assigned"))), ("free", str(_("Free seats"))),
         ("percent", str(_("Occupancy %")))],
        rows,
    )  # fmt: skip


# --- stock -------------------------------------------------------------------------------------
def stock_value(f: Filters) -> Table:
    """Per store: items in stock, quantity, value and balances at or below the reorder level
    (`apps.inventory.selectors.stock_on_hand`)."""
    from apps.inventory import selectors as inventory

    balances = inventory.balance_queryset().filter(school_id=f.school.pk)
    rows = [
        {"store": r["store__name"], "items": r["items"], "quantity": r["quantity"],
         "value": r["value"], "low": r["low"]}
        for r in inventory.stock_on_hand(balances)
    ]  # fmt: skip
    return Table(
        str(_("Stock value")),
        [("store", str(_("Store"))), ("items", str(_("Items in stock"))),
         ("quantity", str(_("Quantity"))), ("value", str(_("Value"))),
         ("low", str(_("Low balances")))],
        rows,
    )  # fmt: skip


def stock_movements(f: Filters) -> Table:
    """Per item and kind of movement: quantity and value moved in the date range
    (`apps.inventory.selectors.movements_summary`)."""
    from apps.inventory import selectors as inventory
    from apps.inventory.models import StockMovement

    from .services.rollup import day_bounds

    first = day_bounds(f.school, f.start)[0]
    last = day_bounds(f.school, f.end)[1]
    movements = StockMovement.objects.filter(
        school_id=f.school.pk, occurred_at__gte=first, occurred_at__lt=last
    )
    rows = [
        {"sku": r["item__sku"], "item": r["item__name"], "kind": r["kind"],
         "quantity": r["quantity"], "value": r["value"]}
        for r in inventory.movements_summary(movements)
    ]  # fmt: skip
    return Table(
        str(_("Stock movements")),
        [("sku", str(_("SKU"))), ("item", str(_("Item"))), ("kind", str(_("Movement"))),
         ("quantity", str(_("Quantity"))), ("value", str(_("Value")))],
        rows,
    )  # fmt: skip


@dataclass(frozen=True)
class Report:
    name: str
    build: object
    filters: tuple[str, ...]  # the filters it takes besides the date range
    dates: str  # "range", "as_of" (only `to`) or "none"
    label: object = ""


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("attendance-trend", attendance_trend, ("year", "class", "section"), "range",
               _("Attendance trend")),
        Report("chronic-absentees", chronic_absentees, ("year", "class", "section"), "range",
               _("Chronic absentees")),
        Report("fee-collection", fee_collection, (), "range", _("Fee collection")),
        Report("fee-ageing", fee_ageing, ("year", "class", "section"), "as_of", _("Fee ageing")),
        Report("performance", performance, ("year", "term", "class", "section"), "none",
               _("Academic performance")),
        Report("transport-occupancy", transport_occupancy, (), "as_of",
               _("Transport occupancy")),
        Report("stock-value", stock_value, (), "none", _("Stock value")),
        Report("stock-movements", stock_movements, (), "range", _("Stock movements")),
    )
}  # fmt: skip


def build(name: str, f: Filters) -> Table:
    return REPORTS[name].build(f)


def default_today(school) -> dt.date:
    return school_today(school)
