"""The exams API under /api/v1/exams/.

Roles: school admins configure scales, plans and exams, lock papers, amend marks after the
window (with a reason), compute and publish results and generate report cards; the subject
teacher of a section enters that paper's marks; the class teacher writes remarks and
co-scholastic grades; teachers read the marks and results of the sections they teach; staff
read results only with the Django permission; students and parents read their own (children's)
marks, results and cards, only once the results are published and past their embargo. Rules
live in `apps.exams.scopes` and `apps.exams.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.academics.models import Enrollment
from apps.accounts.models import Role
from apps.core import uploads
from apps.core.api.views import ScopedViewSetMixin, ServiceModelViewSet, crud_schema
from apps.core.services import refuse

from .. import scopes, services
from ..models import (
    AssessmentPlan,
    Exam,
    GradeScale,
    Mark,
    ReportCard,
    ResultRun,
    RunStatus,
    StudentResult,
)
from ..services.marks import entry_open, paper_max, school_today
from . import serializers as s

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF
READ = {A, T, ST, P, SF}
ADMIN_DOC = "Roles: school admin."
READ_DOC = "Roles: every member of the school (school admin, teacher, student, parent)."
FAMILY_NOTE = (
    " Students and parents: their own (children's), only once the results are published and "
    "past their embargo (before that: 404)."
)
RESULTS_DOC = (
    "Roles: school admin (the school); teachers (the sections they teach); staff with the "
    "permission to view results." + FAMILY_NOTE
)


def _job_response(request, job):
    url = request.build_absolute_uri(reverse("api:job-detail", args=[job.pk]))
    return Response({"job": job.pk, "status": job.status, "url": url},
                    status=status.HTTP_202_ACCEPTED)  # fmt: skip


@crud_schema(tag="exams", output=s.GradeScaleSerializer, create_input=s.GradeScaleInputSerializer,
             update_input=s.GradeScaleUpdateSerializer, read=READ_DOC,
             create=ADMIN_DOC + " Bands by lower bound only (≥ threshold), one at 0.",
             update=ADMIN_DOC + " A scale used by published results is frozen (400 "
             "`scale_frozen`): make a new version.")  # fmt: skip
class GradeScaleViewSet(ServiceModelViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = s.GradeScaleSerializer
    create_serializer_class = s.GradeScaleInputSerializer
    update_serializer_class = s.GradeScaleUpdateSerializer
    roles = {"list": READ, "retrieve": READ, "create": {A}, "partial_update": {A},
             "new_version": {A}}  # fmt: skip
    permission_model = GradeScale
    ordering = ["code", "-version"]
    search_fields = ["name", "code"]

    def base_queryset(self):
        return GradeScale.objects.prefetch_related("bands")

    def create_object(self, data):
        return services.scale_create(school=self.request.user.school, actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.scale_update(scale=obj, actor=self.actor, data=data)

    @extend_schema(request=s.NewVersionSerializer, responses={201: s.GradeScaleSerializer},
                   description=ADMIN_DOC + " A new version of the scale (its bands, or the old "
                   "ones copied); the old version stays as published results used it.")  # fmt: skip
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        scale = self.get_object()
        data = self.validated(s.NewVersionSerializer)
        new = services.scale_new_version(scale=scale, actor=request.user, bands=data.get("bands"))
        return self.respond(new, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(description=READ_DOC),
    retrieve=extend_schema(description=READ_DOC),
    create=extend_schema(
        request=s.AssessmentPlanInputSerializer, responses={201: s.AssessmentPlanSerializer},
        description=ADMIN_DOC + " A class's plan for a year: subjects, terms (year weights adding "
        "up to 100) and their components (weights adding up to 100 per term; best-of groups "
        "carry the weight of their components). 400 `invalid_plan` names what does not add up.",
    ),
)  # fmt: skip
@extend_schema(tags=["exams"])
class AssessmentPlanViewSet(ScopedViewSetMixin, mixins.CreateModelMixin,
                            viewsets.ReadOnlyModelViewSet):  # fmt: skip
    serializer_class = s.AssessmentPlanSerializer
    roles = {"list": READ, "retrieve": READ, "create": {A}}
    permission_model = AssessmentPlan
    filterset_fields = ["school_class", "year"]
    ordering = ["school_class__order", "name"]

    def base_queryset(self):
        return AssessmentPlan.objects.select_related("scale").prefetch_related(
            "subjects__subject", "terms__term", "terms__components__group", "terms__groups"
        )

    def create(self, request, *args, **kwargs):
        data = s.AssessmentPlanInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        plan = services.plan_create(school=request.user.school, actor=request.user,
                                    **data.validated_data)  # fmt: skip
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


@crud_schema(tag="exams", output=s.ExamSerializer, create_input=s.ExamInputSerializer,
             update_input=s.ExamUpdateSerializer, read=READ_DOC,
             create=ADMIN_DOC + " One exam per component; its papers are exam schedule entries "
             "of the plan's class and subjects (their maximum marks are the papers' maxima).",
             update=ADMIN_DOC)  # fmt: skip
class ExamViewSet(ServiceModelViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = s.ExamSerializer
    create_serializer_class = s.ExamInputSerializer
    update_serializer_class = s.ExamUpdateSerializer
    roles = {"list": READ, "retrieve": READ, "create": {A}, "partial_update": {A}, "lock": {A},
             "import_homework": {A, T}}  # fmt: skip
    permission_model = Exam
    filterset_fields = ["plan_term"]
    ordering = ["plan_term__order", "component__order", "name"]

    def base_queryset(self):
        return Exam.objects.select_related("component").prefetch_related(
            "schedule_entries__subject"
        )

    def create_object(self, data):
        return services.exam_create(school=self.request.user.school, actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.exam_update(exam=obj, actor=self.actor, data=data)

    @extend_schema(request=s.LockSerializer, responses=s.ExamSerializer,
                   description=ADMIN_DOC + " Locks (or unlocks) marks entry: once locked, marks "
                   "change only by a school admin with a reason, audited.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        exam = self.get_object()
        data = self.validated(s.LockSerializer)
        services.exam_lock(exam=exam, actor=request.user, locked=data["locked"])
        return self.respond(exam)

    @extend_schema(request=s.HomeworkImportInputSerializer, responses=s.HomeworkImportSerializer,
                   description="Roles: the subject teacher of the section (else 403 "
                   "`not_subject_teacher`) and school admins. An internal-assessment exam's "
                   "paper (this exam × `section` × `subject`) marked from homework: for each "
                   "student, the average of their released homework grades (final marks over "
                   "the maximum) on published graded homework of the subject and section that "
                   "counts toward this exam's component and is due in its term, times the "
                   "paper's maximum, rounded with the school's exam rounding. Missing work "
                   "counts as zero, excused work is left out, unreleased grades are ignored; a "
                   "student with nothing counted gets no mark (not zero) and keeps any mark "
                   "they have. `dry_run=true` (the default) proposes and writes nothing; a real "
                   "run writes through marks entry: the entry window, the lock (403 "
                   "`entry_closed`; a school admin gives a `reason`) and the audit apply. 400 "
                   "`not_internal` for a written exam, `no_homework_grades` when nothing "
                   "counts.")  # fmt: skip
    @action(detail=True, methods=["post"], url_path="import-homework")
    def import_homework(self, request, pk=None):
        exam = self.get_object()
        data = self.validated(s.HomeworkImportInputSerializer)
        section = scopes.readable_section(request.user, data["section"])
        report = services.homework_import(actor=request.user, exam=exam, section=section,
                                          subject=data["subject"], dry_run=data["dry_run"],
                                          reason=data["reason"])  # fmt: skip
        body = {"exam": exam.pk, "section": section.pk, "subject": data["subject"].pk,
                "max_marks": report["max_marks"], "dry_run": data["dry_run"],
                "amendment": report["amendment"], "changed": report["changed"],
                "entries": report["rows"]}  # fmt: skip
        return Response(s.HomeworkImportSerializer(body).data)


PAPER_PARAMS = [
    OpenApiParameter("exam", OpenApiTypes.UUID, required=True),
    OpenApiParameter("section", OpenApiTypes.UUID, required=True),
    OpenApiParameter("subject", OpenApiTypes.UUID, required=True),
]


@extend_schema(tags=["exams"])
class GradebookViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """A paper's marks (read and enter), adjustments, remarks and co-scholastic grades."""

    roles = {"marks": READ, "enter_marks": {A, T}, "remarks": {A, T}, "co_scholastic": {A, T},
             "adjust": {A}, "sheet": {A, T}, "upload": {A, T}}  # fmt: skip
    permission_model = Mark
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return Mark.objects.all()

    def _paper(self, data):
        paper = s.PaperQuerySerializer(data=data, context={"request": self.request})
        paper.is_valid(raise_exception=True)
        v = paper.validated_data
        return v["exam"], scopes.readable_section(self.request.user, v["section"]), v["subject"]

    def _paper_body(self, exam, section, subject, *, family: bool) -> dict:
        user = self.request.user
        marks = scopes.readable_marks(user).filter(exam=exam, subject=subject, section=section)
        rows = {
            m["student_id"]: m
            for m in marks.annotate(adjustment=Sum("adjustments__delta")).values(
                "id", "student_id", "marks", "status", "remarks", "adjustment"
            )
        }
        enrolled = Enrollment.objects.filter(section=section).order_by("roll_number")
        if family:
            enrolled = enrolled.filter(student_id__in=rows.keys())
        entries = [
            {
                "id": rows.get(e["student_id"], {}).get("id"),
                "student": e["student_id"],
                "student_name": e["student__user__full_name"],
                "roll_number": e["roll_number"],
                "marks": rows.get(e["student_id"], {}).get("marks"),
                "status": rows.get(e["student_id"], {}).get("status"),
                "remarks": rows.get(e["student_id"], {}).get("remarks", ""),
                "adjustment": rows.get(e["student_id"], {}).get("adjustment"),
            }
            for e in enrolled.values("student_id", "student__user__full_name", "roll_number")
        ]
        return {
            "exam": exam.pk, "section": section.pk, "subject": subject.pk,
            "max_marks": paper_max(exam, section, subject),
            "entry_open": entry_open(exam, school_today(section.school)),
            "locked": exam.locked_at is not None, "entries": entries,
        }  # fmt: skip

    @extend_schema(methods=["GET"], parameters=PAPER_PARAMS, responses=s.PaperMarksSerializer,
                   description="Roles: school admin; teachers of the section (any subject, or "
                   "its class teacher); staff with the permission." + FAMILY_NOTE +
                   " One row per student of the section (marks null when absent, medical or "
                   "exempt: absent is not zero).")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="marks")
    def marks(self, request):
        user = request.user
        family = user.role in (ST, P)
        exam, section, subject = self._paper(request.query_params)
        if family and not ResultRun.objects.filter(
            scopes.published_q(), plan_term_id=exam.plan_term_id,
            school_class_id=section.school_class_id,
        ).exists():  # fmt: skip
            raise Http404
        return Response(s.PaperMarksSerializer(
            self._paper_body(exam, section, subject, family=family)).data)  # fmt: skip

    @extend_schema(request=s.MarksInputSerializer,
                   responses=s.PaperMarksSerializer,
                   description="Roles: the subject teacher of the section (else 403 "
                   "`not_subject_teacher`) and school admins. Enters one paper's marks in one "
                   "request: each entry has marks (at most the paper's maximum) when present, "
                   "none when absent, medical or exempt. After the entry window, the lock or "
                   "publication only a school admin changes marks, with a `reason`; every change "
                   "is audited (before/after).")  # fmt: skip
    @marks.mapping.post
    def enter_marks(self, request):
        user = request.user
        data = s.MarksInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        section = scopes.readable_section(user, v["section"])
        services.marks_enter(actor=user, exam=v["exam"], section=section, subject=v["subject"],
                             entries=v["entries"], reason=v["reason"])  # fmt: skip
        body = self._paper_body(v["exam"], section, v["subject"], family=False)
        return Response(s.PaperMarksSerializer(body).data)

    @extend_schema(parameters=PAPER_PARAMS, responses={(200, "text/csv"): OpenApiTypes.STR},
                   description="Roles: the subject teacher of the section and school admins. "
                   "The paper's marks sheet as CSV (the section's students by roll number, "
                   "marks entered so far), to fill in and upload.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="marks/sheet")
    def sheet(self, request):
        exam, section, subject = self._paper(request.query_params)
        if not scopes.can_enter_marks(request.user, section, subject):
            raise refuse(_("Only the subject teacher or a school admin enters these marks."),
                         code="not_subject_teacher", status_code=403)  # fmt: skip
        body = services.marks_sheet(exam=exam, section=section, subject=subject)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        name = f"marks-{section.display_name}-{subject.code}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(request={"multipart/form-data": s.MarksUploadSerializer},
                   responses={200: s.MarksUploadReportSerializer,
                              400: s.MarksUploadReportSerializer},
                   description="Roles: the subject teacher of the section and school admins. "
                   "The filled sheet: `dry_run=true` checks every row and writes nothing; a "
                   "real run writes every row or none (the rules of `POST /exams/marks/`). "
                   "Errors name the CSV line and field.")  # fmt: skip
    @action(detail=False, methods=["post"], url_path="marks/upload",
            parser_classes=[MultiPartParser])  # fmt: skip
    def upload(self, request):
        uploads.refuse_oversized_request(request, settings.UPLOAD_CSV_MAX_BYTES)
        data = s.MarksUploadSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        section = scopes.readable_section(request.user, v["section"])
        with transaction.atomic():
            report = services.marks_upload(actor=request.user, exam=v["exam"], section=section,
                                           subject=v["subject"], file=v["file"],
                                           dry_run=v["dry_run"], reason=v["reason"])  # fmt: skip
        body = s.MarksUploadReportSerializer(report).data
        if not report["ok"]:
            error = {"code": "sheet_invalid", "fields": {},
                     "message": _("Some rows are not valid; nothing was written.")}  # fmt: skip
            return Response({"error": error, **body}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)

    @extend_schema(request=s.AdjustmentInputSerializer, responses={201: s.AdjustmentSerializer},
                   parameters=[OpenApiParameter("mark", OpenApiTypes.UUID, required=True)],
                   description=ADMIN_DOC + " Moderation or grace marks on a mark (`?mark=`): an "
                   "audited adjustment with a reason, the caller its approver; the raw mark is "
                   "never edited. Whether grace shows on the card is a school setting.")  # fmt: skip
    @action(detail=False, methods=["post"], url_path="marks/adjust")
    def adjust(self, request):
        if not request.query_params.get("mark"):
            raise refuse(_("Say which mark."), code="required", fields=["mark"])
        mark = get_object_or_404(scopes.readable_marks(request.user),
                                 pk=_uuid_or_404(request.query_params.get("mark")))  # fmt: skip
        data = s.AdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = services.mark_adjust(actor=request.user, mark=mark, **data.validated_data)
        return Response(s.AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RemarksInputSerializer, responses=s.CountSerializer,
                   description="Roles: the class teacher of the section (else 403 "
                   "`not_class_teacher`) and school admins. The class teacher's remark on each "
                   "listed student for the term.")  # fmt: skip
    @action(detail=False, methods=["post"])
    def remarks(self, request):
        data = s.RemarksInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        section = scopes.readable_section(request.user, v["section"])
        saved = services.remarks_enter(actor=request.user, section=section,
                                       plan_term=v["plan_term"], entries=v["entries"])  # fmt: skip
        return Response({"saved": saved})

    @extend_schema(request=s.CoScholasticInputSerializer, responses=s.CountSerializer,
                   description="Roles: the class teacher of the section and school admins. "
                   "Co-scholastic grades (a letter of the area's scale) for the term.")  # fmt: skip
    @action(detail=False, methods=["post"], url_path="co-scholastic")
    def co_scholastic(self, request):
        data = s.CoScholasticInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        section = scopes.readable_section(request.user, v["section"])
        saved = services.co_scholastic_enter(actor=request.user, section=section,
                                             plan_term=v["plan_term"], area=v["area"],
                                             entries=v["entries"])  # fmt: skip
        return Response({"saved": saved})


def _uuid_or_404(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


RESULT_FILTERS = [
    OpenApiParameter("plan_term", OpenApiTypes.UUID, required=False),
    OpenApiParameter("section", OpenApiTypes.UUID, required=False),
    OpenApiParameter("student", OpenApiTypes.UUID, required=False),
]


@extend_schema_view(
    list=extend_schema(parameters=RESULT_FILTERS, description=RESULTS_DOC + " Ranks are shown "
                       "only where the school enables them."),
    retrieve=extend_schema(description=RESULTS_DOC),
)  # fmt: skip
@extend_schema(tags=["exams"])
class ResultViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.StudentResultSerializer
    roles = {"list": READ, "retrieve": READ, "compute": {A}, "publish": {A}}
    permission_model = StudentResult
    filter_backends: list = []
    ordering = ["section", "-percent"]

    def base_queryset(self):
        return StudentResult.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StudentResult.objects.none()
        qs = scopes.readable_results(self.request.user).select_related(
            "student__user", "section__school_class", "run"
        ).order_by("section__name", "-percent", "student__user__full_name")  # fmt: skip
        params = self.request.query_params
        for name, path in (("plan_term", "run__plan_term_id"), ("section", "section_id"),
                           ("student", "student_id")):  # fmt: skip
            if params.get(name):
                qs = qs.filter(**{path: _uuid_or_404(params[name])})
        return qs

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if getattr(user, "school", None) is not None:
            context["show_rank"] = services.exam_settings(user.school).show_rank
        return context

    @extend_schema(request=s.ComputeInputSerializer, responses={202: s.ExamJobStartedSerializer},
                   description=ADMIN_DOC + " Starts a background job computing the class's "
                   "results for the term into a snapshot (poll the job at `url`). Published "
                   "results are not computed again (409 `results_published`).")  # fmt: skip
    @action(detail=False, methods=["post"])
    def compute(self, request):
        data = s.ComputeInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        job, _run = services.results_compute_start(school=request.user.school, actor=request.user,
                                                   **data.validated_data)  # fmt: skip
        return _job_response(request, job)

    @extend_schema(request=s.PublishInputSerializer, responses=s.RunSerializer,
                   description=ADMIN_DOC + " Publishes computed results; families see them "
                   "from `visible_from` (the embargo) and are notified. The grade scales used "
                   "are frozen.")  # fmt: skip
    @action(detail=False, methods=["post"])
    def publish(self, request):
        data = s.PublishInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        run = get_object_or_404(ResultRun.objects.filter(school_id=request.user.school_id),
                                school_class=v["school_class"], plan_term=v["plan_term"])  # fmt: skip
        run = services.results_publish(run=run, actor=request.user, visible_from=v["visible_from"])
        return Response(s.RunSerializer(run).data)


CARD_FILTERS = [
    OpenApiParameter("plan_term", OpenApiTypes.UUID, required=False),
    OpenApiParameter("section", OpenApiTypes.UUID, required=False),
    OpenApiParameter("student", OpenApiTypes.UUID, required=False),
]


@extend_schema_view(
    list=extend_schema(parameters=CARD_FILTERS, description=RESULTS_DOC + " Every version; the "
                       "newest first per student."),
    retrieve=extend_schema(description=RESULTS_DOC),
)  # fmt: skip
@extend_schema(tags=["exams"])
class ReportCardViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ReportCardSerializer
    roles = {"list": READ, "retrieve": READ, "pdf": READ, "generate": {A}}
    permission_model = ReportCard
    filter_backends: list = []

    def base_queryset(self):
        return ReportCard.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportCard.objects.none()
        qs = scopes.readable_cards(self.request.user).select_related(
            "student__user", "section__school_class"
        ).order_by("section__name", "student__user__full_name", "-version")  # fmt: skip
        params = self.request.query_params
        for name, path in (("plan_term", "plan_term_id"), ("section", "section_id"),
                           ("student", "student_id")):  # fmt: skip
            if params.get(name):
                qs = qs.filter(**{path: _uuid_or_404(params[name])})
        return qs

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   description=RESULTS_DOC + " The card's PDF, as stored.")  # fmt: skip
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        card = self.get_object()
        with card.file.open("rb") as fh:
            data = fh.read()
        response = HttpResponse(data, content_type="application/pdf")
        name = f"report-card-{card.student.admission_number}-v{card.version}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response

    @extend_schema(request=s.GenerateCardsInputSerializer, responses={202: s.ExamJobStartedSerializer},
                   description=ADMIN_DOC + " Starts a background job rendering the section's "
                   "report cards for the term (one PDF per student and one combined), each a "
                   "new version (published cards are never overwritten). 409 "
                   "`results_not_computed` before the results are.")  # fmt: skip
    @action(detail=False, methods=["post"])
    def generate(self, request):
        data = s.GenerateCardsInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        section = scopes.readable_section(request.user, v["section"])
        job = services.cards_generate_start(school=request.user.school, actor=request.user,
                                            section=section, plan_term=v["plan_term"])  # fmt: skip
        return _job_response(request, job)


__all__ = ["RunStatus"]
