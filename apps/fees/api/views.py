"""The fee office API under /api/v1/fees/.

Roles: school admins and staff with the Accountant duty (by the fee permissions the duty holds)
manage everything of their school; parents read their own children's invoices, payments,
refunds, ledgers and dues; students their own; teachers nothing. What each caller sees is
`scope_queryset` with the rules of `apps.fees.scopes`; writes go through `apps.fees.services`.
"""

from __future__ import annotations

import io

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.models import Role, StudentProfile, User
from apps.core import csv_export
from apps.core.api.views import ScopedViewSetMixin, ServiceModelViewSet, crud_schema
from apps.core.services import refuse

from .. import receipts, scopes, selectors, services
from ..models import Concession, FeeHead, FeeStructure, Invoice, InvoiceStatus, Payment, Refund
from . import serializers as s
from .filters import (
    ConcessionFilter,
    FeeStructureFilter,
    InvoiceFilter,
    PaymentFilter,
    RefundFilter,
)

A, ST, P, SF = Role.ADMIN, Role.STUDENT, Role.PARENT, Role.STAFF
OFFICE = {A, SF}
FAMILY = {A, SF, P, ST}
OFFICE_DOC = "Roles: school admin; staff with the Accountant duty."
FAMILY_DOC = (
    "Roles: school admin and the Accountant duty (the whole school); parents (their children's); "
    "students (their own). Teachers: none."
)
LANG_PARAM = OpenApiParameter(
    "lang", OpenApiTypes.STR, enum=list(receipts.LANGUAGES), required=False,
    description="The document's language (en or hi; any other is a 400). Default: the "
    "school's language.",
)  # fmt: skip
PDF_RESPONSES = {(200, "application/pdf"): OpenApiTypes.BINARY}


def pdf_response(data: bytes, number: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{number.replace("/", "-")}.pdf"'
    return response


OFFICE_CRUD = {
    "list": OFFICE, "retrieve": OFFICE, "create": OFFICE, "partial_update": OFFICE,
    "destroy": OFFICE,
}  # fmt: skip


@crud_schema(tag="fees", output=s.FeeHeadSerializer, create_input=s.FeeHeadInputSerializer,
             update_input=s.FeeHeadUpdateSerializer, read=OFFICE_DOC, create=OFFICE_DOC,
             update=OFFICE_DOC, destroy=OFFICE_DOC + " A head in use cannot be deleted.")  # fmt: skip
class FeeHeadViewSet(ServiceModelViewSet):
    serializer_class = s.FeeHeadSerializer
    create_serializer_class = s.FeeHeadInputSerializer
    update_serializer_class = s.FeeHeadUpdateSerializer
    roles = OFFICE_CRUD
    permission_model = FeeHead
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code"]
    ordering = ["name"]
    filterset_fields = ["tax_class", "is_active", "is_tuition"]

    def base_queryset(self):
        return selectors.fee_head_queryset()

    def create_object(self, data):
        return services.fee_head_create(school=self.request.user.school, actor=self.actor,
                                        data=data)  # fmt: skip

    def update_object(self, obj, data):
        return services.fee_head_update(head=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.fee_head_delete(head=obj, actor=self.actor)


@crud_schema(
    tag="fees", output=s.FeeStructureSerializer, create_input=s.FeeStructureInputSerializer,
    update_input=s.FeeStructureUpdateSerializer, read=OFFICE_DOC,
    create=OFFICE_DOC + " The installments are built from the plan; they add up exactly to "
    "the total (each line's remainder goes to the last installment).",
    update=OFFICE_DOC + " Lines, plan and dates are fixed once invoices exist.",
    destroy=OFFICE_DOC + " Only a structure without invoices.",
)  # fmt: skip
class FeeStructureViewSet(ServiceModelViewSet):
    serializer_class = s.FeeStructureSerializer
    create_serializer_class = s.FeeStructureInputSerializer
    update_serializer_class = s.FeeStructureUpdateSerializer
    roles = OFFICE_CRUD
    permission_model = FeeStructure
    filterset_class = FeeStructureFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["school_class__order", "name"]

    def base_queryset(self):
        return selectors.structure_queryset()

    def create_object(self, data):
        return services.structure_create(school=self.request.user.school, actor=self.actor,
                                         **data)  # fmt: skip

    def update_object(self, obj, data):
        return services.structure_update(structure=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.structure_delete(structure=obj, actor=self.actor)


@crud_schema(
    tag="fees", output=s.ConcessionSerializer, create_input=s.ConcessionInputSerializer,
    update_input=s.ConcessionUpdateSerializer, read=FAMILY_DOC,
    create=OFFICE_DOC + " The caller is recorded as the approver. Several concessions combine: "
    "percentages first (on the line's full amount, adding up), then fixed amounts, each within "
    "its cap per invoice, never taking a line below zero.",
    update=OFFICE_DOC + " Applies to invoices generated afterwards.", destroy=OFFICE_DOC,
)  # fmt: skip
class ConcessionViewSet(ServiceModelViewSet):
    serializer_class = s.ConcessionSerializer
    create_serializer_class = s.ConcessionInputSerializer
    update_serializer_class = s.ConcessionUpdateSerializer
    roles = {**OFFICE_CRUD, "list": FAMILY, "retrieve": FAMILY}
    permission_model = Concession
    filterset_class = ConcessionFilter
    search_fields = ["name", "reason"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def base_queryset(self):
        return selectors.concession_queryset()

    def create_object(self, data):
        return services.concession_create(school=self.request.user.school, actor=self.actor,
                                          data=data)  # fmt: skip

    def update_object(self, obj, data):
        return services.concession_update(concession=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.concession_delete(concession=obj, actor=self.actor)


@extend_schema_view(
    list=extend_schema(description=FAMILY_DOC + " Filters: class, section, status (repeat for "
                       "several), due date range, student."),
    retrieve=extend_schema(description=FAMILY_DOC),
)  # fmt: skip
@extend_schema(tags=["fees"])
class InvoiceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.InvoiceSerializer
    roles = {"list": FAMILY, "retrieve": FAMILY, "generate": OFFICE, "cancel": OFFICE,
             "waive_fine": {A}, "pdf": FAMILY}  # fmt: skip
    permission_model = Invoice
    filterset_class = InvoiceFilter
    search_fields = ["number", "student__user__full_name", "student__admission_number"]
    ordering_fields = ["due_date", "number", "total"]
    ordering = ["due_date", "number"]

    def base_queryset(self):
        return selectors.invoice_queryset()

    @extend_schema(
        request=s.GenerateInvoicesSerializer,
        responses={202: s.JobStartedSerializer},
        description=OFFICE_DOC + " Starts a background job that issues installment "
        "`installment_number` of the year's structures to every student enrolled in the "
        "section, the class or (neither given) the whole school who has none yet. Poll the "
        "job at `url`.",
    )
    @action(detail=False, methods=["post"], url_path="generate")
    def generate(self, request):
        data = s.GenerateInvoicesSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        job = services.invoices_generate_start(school=request.user.school, actor=request.user,
                                               **data.validated_data)  # fmt: skip
        url = request.build_absolute_uri(reverse("api:job-detail", args=[job.pk]))
        return Response({"job": job.pk, "status": job.status, "url": url},
                        status=status.HTTP_202_ACCEPTED)  # fmt: skip

    @extend_schema(request=s.ReasonSerializer, responses=s.InvoiceSerializer,
                   description=OFFICE_DOC + " Cancels an invoice nothing is paid on; it keeps "
                   "its number.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        invoice = self.get_object()  # out of scope: a 404 before anything about the body
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_cancel(invoice=invoice, actor=request.user,
                                          reason=data.validated_data["reason"])  # fmt: skip
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.InvoiceSerializer,
                   description="Roles: school admin. Waives the invoice's late fine, with a "
                   "reason; the daily job does not fine it again.")  # fmt: skip
    @action(detail=True, methods=["post"], url_path="waive-fine")
    def waive_fine(self, request, pk=None):
        invoice = self.get_object()
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_waive_fine(invoice=invoice, actor=request.user,
                                              reason=data.validated_data["reason"])  # fmt: skip
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)

    @extend_schema(parameters=[LANG_PARAM], responses=PDF_RESPONSES,
                   description=FAMILY_DOC + " The invoice as PDF: a bill of supply, a tax "
                   "invoice or an invoice-cum-bill of supply as its lines call for, with the "
                   "amount in words; a cancelled one is marked so. A draft has none (404).")  # fmt: skip
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        language = receipts.document_language(request.query_params.get("lang"))
        if invoice.status == InvoiceStatus.DRAFT:
            raise Http404(_("A draft invoice has no document."))
        return pdf_response(receipts.invoice_pdf(invoice=invoice, language=language),
                            invoice.number)  # fmt: skip


@extend_schema_view(
    list=extend_schema(description=FAMILY_DOC),
    retrieve=extend_schema(description=FAMILY_DOC),
    create=extend_schema(
        request=s.CounterPaymentSerializer, responses={201: s.PaymentSerializer},
        description=OFFICE_DOC + " Records money taken at the counter (cash, cheque, bank "
        "transfer, card/UPI terminal) with its receipt number, settling one family's invoices; "
        "what is left becomes advance credit. Cash of FEES_CASH_DAILY_LIMIT or more from one "
        "payer in a day is refused. Payments are never edited or deleted: refund instead.",
    ),
)  # fmt: skip
@extend_schema(tags=["fees"])
class PaymentViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.PaymentSerializer
    roles = {"list": FAMILY, "retrieve": FAMILY, "create": OFFICE, "receipt": FAMILY}
    permission_model = Payment
    filterset_class = PaymentFilter
    search_fields = ["receipt__number", "reference", "student__user__full_name"]
    ordering_fields = ["received_at", "amount"]
    ordering = ["-received_at"]

    def base_queryset(self):
        return selectors.payment_queryset()

    def create(self, request, *args, **kwargs):
        data = s.CounterPaymentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        payment = services.payment_record_counter(
            school=request.user.school, actor=request.user, **data.validated_data
        )
        payment = self.base_queryset().get(pk=payment.pk)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[LANG_PARAM], responses=PDF_RESPONSES,
                   description=FAMILY_DOC + " The payment's receipt as PDF (counter or online), "
                   "with the amount in words; rendered and stored the first time.")  # fmt: skip
    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        payment = self.get_object()
        language = receipts.document_language(request.query_params.get("lang"))
        receipt, data = receipts.receipt_bytes(receipt_id=payment.receipt.pk, language=language)
        return pdf_response(data, receipt.number)


@extend_schema_view(
    list=extend_schema(description=FAMILY_DOC),
    retrieve=extend_schema(description=FAMILY_DOC),
    create=extend_schema(
        request=s.RefundInputSerializer, responses={201: s.RefundSerializer},
        description=OFFICE_DOC + " Gives money back from a payment and issues a credit note: "
        "against an invoice, up to its refundable fees this payment settled; without one, up "
        "to the student's advance credit.",
    ),
)  # fmt: skip
@extend_schema(tags=["fees"])
class RefundViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.RefundSerializer
    roles = {"list": FAMILY, "retrieve": FAMILY, "create": OFFICE}
    permission_model = Refund
    filterset_class = RefundFilter
    ordering_fields = ["refunded_at"]
    ordering = ["-refunded_at"]

    def base_queryset(self):
        return selectors.refund_queryset()

    def create(self, request, *args, **kwargs):
        data = s.RefundInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        refund = services.refund_create(school=request.user.school, actor=request.user,
                                        **data.validated_data)  # fmt: skip
        return Response(s.RefundSerializer(self.base_queryset().get(pk=refund.pk)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


STUDENT_PARAM = OpenApiParameter("student", OpenApiTypes.UUID, required=False,
                                 description="The student (a student's own by default).")  # fmt: skip
PARENT_PARAM = OpenApiParameter("parent", OpenApiTypes.UUID, required=False,
                                description="Fee office: a parent whose children's dues to show.")  # fmt: skip
CLASS_PARAM = OpenApiParameter("school_class", OpenApiTypes.UUID, required=False)
SECTION_PARAM = OpenApiParameter("section", OpenApiTypes.UUID, required=False)


@extend_schema(tags=["fees"])
class FeeReportViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Reports: a student's ledger, a family's dues, the defaulters (JSON and CSV)."""

    roles = {"ledger": FAMILY, "family_dues": FAMILY, "defaulters": OFFICE,
             "defaulters_export": OFFICE}  # fmt: skip
    permission_model = Invoice
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return Invoice.objects.all()

    def _student(self, request) -> StudentProfile:
        readable = scopes.readable_students(request.user)
        pk = request.query_params.get("student")
        if not pk:
            if request.user.role == Role.STUDENT:
                return get_object_or_404(readable, user=request.user)
            raise refuse(_("Say which student."), code="required", fields=["student"])
        return get_object_or_404(readable, pk=_uuid_or_404(pk))

    @extend_schema(parameters=[STUDENT_PARAM], responses=s.LedgerSerializer,
                   description=FAMILY_DOC + " Every charge, concession, fine, payment, credit "
                   "note and refund of the student with a running balance.")  # fmt: skip
    @action(detail=False, methods=["get"])
    def ledger(self, request):
        return Response(s.LedgerSerializer(selectors.student_ledger(self._student(request))).data)

    @extend_schema(parameters=[STUDENT_PARAM, PARENT_PARAM], responses=s.FamilyDuesSerializer,
                   description=FAMILY_DOC + " A parent sees their children's open invoices, a "
                   "student their own; the fee office names a parent or a student (whose family "
                   "is shown).")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="family-dues")
    def family_dues(self, request):
        user = request.user
        if user.role == Role.PARENT:
            ids = list(scopes.family_student_ids(user).values_list("student_id", flat=True))
        elif user.role == Role.STUDENT:
            ids = [self._student(request).pk]  # a student sees their own dues, not a sibling's
        elif request.query_params.get("student"):
            ids = list(services.family_of(self._student(request)))
        elif request.query_params.get("parent"):
            parent = get_object_or_404(
                User.objects.filter(school_id=user.school_id, role=Role.PARENT),
                pk=_uuid_or_404(request.query_params["parent"]),
            )
            ids = list(scopes.family_student_ids(parent).values_list("student_id", flat=True))
        else:
            raise refuse(_("Say which student or parent."), code="required",
                         fields=["student", "parent"])  # fmt: skip
        return Response(s.FamilyDuesSerializer(selectors.family_dues(ids)).data)

    def _defaulters(self, request) -> dict:
        params = request.query_params
        school = request.user.school
        return selectors.defaulters(
            school_id=school.pk,
            today=services.school_today(school),
            school_class=_uuid_or_404(params["school_class"]) if params.get("school_class")
            else None,
            section=_uuid_or_404(params["section"]) if params.get("section") else None,
        )  # fmt: skip

    @extend_schema(parameters=[CLASS_PARAM, SECTION_PARAM], responses=s.DefaultersSerializer,
                   description=OFFICE_DOC + " Students with overdue balances, by days overdue "
                   "(0-30, 31-60, 61-90, 90+), with totals by class and section.")  # fmt: skip
    @action(detail=False, methods=["get"])
    def defaulters(self, request):
        return Response(s.DefaultersSerializer(self._defaulters(request)).data)

    @extend_schema(parameters=[CLASS_PARAM, SECTION_PARAM],
                   responses={(200, "text/csv"): OpenApiTypes.STR},
                   description=OFFICE_DOC + " The defaulters as CSV.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="defaulters/export")
    def defaulters_export(self, request):
        return defaulters_csv_response(self._defaulters(request))


def _uuid_or_404(value: str):
    import uuid

    from django.http import Http404

    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def defaulters_csv_response(report: dict) -> HttpResponse:
    """The defaulters report as CSV (through the one formula-safe writer)."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    buckets = ["0-30", "31-60", "61-90", "90+"]
    writer.writerow(["admission_number", "name", "class", "section", *buckets, "total"])
    for row in report["rows"]:
        writer.writerow([row["admission_number"], row["name"], row["school_class"],
                         row["section"], *(row["buckets"][b] for b in buckets), row["total"]])  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="defaulters-{report["as_of"]}.csv"'
    return response
