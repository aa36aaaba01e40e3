"""Report files: CSV (formula-safe, `apps.core.csv_export`), XLSX (openpyxl) and PDF
(`apps.core.pdf`, with the ₹ font). A big export (more rows than ANALYTICS_EXPORT_ASYNC_ROWS)
runs as a background Job whose file is kept in the default storage; the requester is told with a
"reports.ready" notification carrying the download link."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from apps.core import csv_export, jobs, queue

from .. import selectors

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
JOB_KIND = "reports.export"


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def render_csv(table: selectors.Table) -> bytes:
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow([label for _key, label in table.columns])
    writer.writerows([_plain(v) for v in row] for row in table.matrix())
    return out.getvalue().encode("utf-8")


def render_xlsx(table: selectors.Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31])
    sheet.append([label for _key, label in table.columns])
    for row in table.matrix():
        # Text cells go through the same neutralising as CSV: a spreadsheet runs "=..." too.
        sheet.append([csv_export.neutralise(float(v) if isinstance(v, Decimal) else v)
                      for v in row])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_pdf(table: selectors.Table, *, school, f: selectors.Filters) -> bytes:
    from apps.core.pdf import Column, Document, Letterhead

    language = translation.get_language() or "en"
    language = "hi" if language.startswith("hi") else "en"
    money = {"amount", "total", "value", "not_due", "days_0_30", "days_31_60", "days_61_90",
             "days_90_plus"}  # fmt: skip
    doc = Document(title=table.title, language=language, author=school.name, created=f.today)
    doc.letterhead(Letterhead(name=school.name, lines=[]))
    doc.heading(table.title, note=f"{f.start:%d/%m/%Y} – {f.end:%d/%m/%Y}")
    columns = [Column(label, money=key in money) for key, label in table.columns]
    rows = [
        [("" if v is None else (v if isinstance(v, Decimal) else str(_plain(v)))) for v in row]
        for row in table.matrix()
    ]
    doc.table(columns, rows or [["—"] + [""] * (len(columns) - 1)])
    return doc.render()


def render(table: selectors.Table, fmt: str, *, school, f: selectors.Filters) -> bytes:
    if fmt == "csv":
        return render_csv(table)
    if fmt == "xlsx":
        return render_xlsx(table)
    return render_pdf(table, school=school, f=f)


def file_name(report: str, fmt: str, f: selectors.Filters) -> str:
    return f"{report}-{f.start:%Y%m%d}-{f.end:%Y%m%d}.{fmt}"


def export_job_create(*, user, report: str, fmt: str, params: dict):
    """A background export of `report` with the raw query `params` (validated again by the
    task, as `user`), started once the transaction commits."""
    job = jobs.job_create(school=user.school, kind=JOB_KIND, requested_by=user,
                          params={"report": report, "format": fmt, "query": params,
                                  "language": translation.get_language() or "en"})  # fmt: skip
    queue.enqueue_on_commit("apps.analytics.tasks.export_report", str(job.pk))
    return job


def export_job_run(job_id) -> None:
    from apps.core.models import Job

    from ..api.serializers import ReportFilterSerializer

    with jobs.running(job_id) as progress:
        if progress is None:
            return
        job = Job.objects.select_related("requested_by__school").get(pk=job_id)
        user = job.requested_by
        params = job.params
        report = selectors.REPORTS[params["report"]]
        with translation.override(params.get("language") or "en"):
            serializer = ReportFilterSerializer(
                data=params["query"], report=report,
                context={"user": user, "school": user.school,
                         "today": selectors.default_today(user.school)},
            )  # fmt: skip
            serializer.is_valid(raise_exception=True)
            f = serializer.filters(user, user.school)
            progress.total(2)
            table = selectors.build(report.name, f)
            progress.advance(1)
            content = render(table, params["format"], school=user.school, f=f)
            progress.attach(file_name(report.name, params["format"], f), content)
            progress.succeed({"rows": len(table.rows), "report": report.name})
    job.refresh_from_db()
    _tell_ready(job)


def _tell_ready(job) -> None:
    from apps.notifications.services import notify

    from ..apps import REPORT_READY

    url = job.result_file.url if job.result_file else ""
    notify(
        recipients=[job.requested_by], kind=REPORT_READY,
        title=_("Your report is ready"),
        body=_("The export you asked for is ready to download: %(url)s") % {"url": url},
        data={"job": str(job.pk), "url": url, "report": job.params.get("report", "")},
        dedupe_key=f"{REPORT_READY}:{job.pk}",
    )  # fmt: skip
