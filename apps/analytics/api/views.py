"""Reports under /api/v1/reports/<report>/ (JSON, or a file with `?export=csv|xlsx|pdf`).

Roles (`apps.analytics.scopes`): school admins every report; staff by duty: the Accountant
the fee reports, the Transport manager transport occupancy, the Store manager the stock
reports; teachers attendance and performance of the sections they teach. An export with more
rows than ANALYTICS_EXPORT_ASYNC_ROWS answers 202 with a background job instead of the file.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..scopes import may_read_report
from ..services import exports
from .serializers import (
    FORMATS,
    AnalyticsExportJobSerializer,
    AnalyticsReportSerializer,
    ReportFilterSerializer,
)

ROLES = {
    "attendance-trend": "school admin; teacher (their sections)",
    "chronic-absentees": "school admin; teacher (their sections)",
    "performance": "school admin; teacher (their sections)",
    "fee-collection": "school admin; staff with the Accountant duty",
    "fee-ageing": "school admin; staff with the Accountant duty",
    "transport-occupancy": "school admin; staff with the Transport manager duty",
    "stock-value": "school admin; staff with the Store manager duty",
    "stock-movements": "school admin; staff with the Store manager duty",
}


class MayReadReport(BasePermission):
    def has_permission(self, request, view):
        return may_read_report(request.user, view.report)


def report_parameters(report: selectors.Report) -> list[OpenApiParameter]:
    params = [OpenApiParameter("export", OpenApiTypes.STR, enum=list(FORMATS), required=False,
                               description="json (default), csv, xlsx or pdf.")]  # fmt: skip
    names = {"year": "An academic year's id.", "term": "A term's id.",
             "class": "A class's id.", "section": "A section's id."}  # fmt: skip
    for name in report.filters:
        params.append(OpenApiParameter(name, OpenApiTypes.UUID, required=False,
                                       description=names[name]))  # fmt: skip
    if report.dates == "range":
        params += [
            OpenApiParameter("from", OpenApiTypes.DATE, required=False,
                             description="First day (default: 29 days before `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False,
                             description="Last day (default: today; at most 366 days)."),
        ]  # fmt: skip
    elif report.dates == "as_of":
        params.append(OpenApiParameter("to", OpenApiTypes.DATE, required=False,
                                       description="The as-of date (default: today)."))  # fmt: skip
    return params


class ReportView(APIView):
    permission_classes = [IsAuthenticated, MayReadReport]
    report = ""

    def get(self, request):
        report = selectors.REPORTS[self.report]
        user = request.user
        serializer = ReportFilterSerializer(
            data=request.query_params, report=report,
            context={"user": user, "school": user.school,
                     "today": selectors.default_today(user.school)},
        )  # fmt: skip
        serializer.is_valid(raise_exception=True)
        f = serializer.filters(user, user.school)
        fmt = serializer.validated_data["export"]
        table = selectors.build(report.name, f)
        if fmt == "json":
            return Response(AnalyticsReportSerializer({
                "report": report.name, "title": table.title, "start": f.start, "end": f.end,
                "columns": [{"key": k, "label": label} for k, label in table.columns],
                "rows": table.rows}).data)  # fmt: skip
        if len(table.rows) > settings.ANALYTICS_EXPORT_ASYNC_ROWS:
            params = {k: v for k, v in request.query_params.items()}
            job = exports.export_job_create(user=user, report=report.name, fmt=fmt, params=params)
            url = request.build_absolute_uri(f"/api/v1/jobs/{job.pk}/")
            body = AnalyticsExportJobSerializer(
                {"job": job.pk, "status_url": url, "rows": len(table.rows)}
            ).data
            return Response(body, status=202)
        content = exports.render(table, fmt, school=user.school, f=f)
        response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
        name = exports.file_name(report.name, fmt, f)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def report_view(name: str):
    report = selectors.REPORTS[name]
    doc = (
        f"Roles: {ROLES[name]}. {selectors.REPORTS[name].build.__doc__.split(chr(10))[0]} "
        "JSON by default; `export=csv|xlsx|pdf` downloads the file (a big export answers 202 "
        "with a background job that notifies the requester with the download link)."
    )

    def get(self, request):
        return ReportView.get(self, request)

    view = type(
        f"{name.title().replace('-', '')}ReportView",
        (ReportView,),
        {"report": name, "__doc__": doc},
    )
    view.get = extend_schema(
        tags=["reports"],
        operation_id=f"reports_{name.replace('-', '_')}",
        parameters=report_parameters(report),
        responses={
            (200, "application/json"): AnalyticsReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            202: OpenApiResponse(AnalyticsExportJobSerializer, description="A big export."),
        },
        description=doc,
    )(get)
    return view.as_view()
