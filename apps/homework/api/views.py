"""The homework API under /api/v1/homework/ (and the files it links to).

Roles: school admins (their whole school) and teachers set homework; a teacher sees what they
set and what is set for sections they teach, and manages (edits, extends, grades, releases)
homework they set or whose subject they teach in every one of its sections. Students see
published homework of their section and hand in their own work; parents see their children's
homework and work, never a grade before it is released. Another section's or school's
homework is a 404. Rules: `apps.homework.scopes`; writes: `apps.homework.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.models import Role
from apps.core.api.views import ScopedViewSetMixin, ServiceModelViewSet, crud_schema
from apps.core.exceptions import ApplicationError
from apps.core.uploads import read_bounded, refuse_oversized_request

from .. import scopes, selectors, services
from ..models import Assignment, Attachment, Submission, SubmissionFile
from ..uploads import KIND_MIMES, LimitedUploadHandler, too_large_message
from . import serializers as s
from .filters import AssignmentFilter

A, T, ST, P = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT
READERS = {A, T, ST, P}
SETTERS = {A, T}
READ_DOC = (
    "Roles: school admin (the whole school); teacher (homework they set, or set for a section "
    "they teach); student (published homework of their section); parent (their children's). "
    "Another section's or school's homework is a 404."
)
MANAGE_DOC = (
    "Roles: school admin; the teacher who set the homework or who teaches its subject in every "
    "one of its sections (a colleague who only sees it gets a 403)."
)
SET_DOC = (
    "Roles: school admin (any section of the school); teacher (a subject they teach in every "
    "chosen section). `status` draft (default), scheduled (with `publish_at`; beat publishes "
    "it) or published. No `max_marks`: ungraded. `max_file_bytes` is capped by the platform "
    "(`HOMEWORK_MAX_FILE_BYTES`)."
)
JOB_RESPONSES = {202: s.ZipJobSerializer}
FILE_TYPES = sorted({m for mimes in KIND_MIMES.values() for m in mimes} | {"text/plain"})
FILE_RESPONSES = {**{(200, mime): OpenApiTypes.BINARY for mime in FILE_TYPES}, 302: None}


def serve_file(field, name: str, content_type: str):
    """Stream a stored file as a download, or (S3) redirect to a signed URL that expires."""
    storage = field.storage
    if not isinstance(storage, FileSystemStorage):
        url = storage.url(
            field.name,
            parameters={"ResponseContentDisposition": f'attachment; filename="{name}"'},
            expire=settings.HOMEWORK_FILE_URL_SECONDS,
        )
        return HttpResponseRedirect(url)
    response = FileResponse(field.open("rb"), as_attachment=True, filename=name,
                            content_type=content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _limited_upload(request, limit: int, count: int) -> LimitedUploadHandler:
    """Refuse by Content-Length first, then cut each file off at `limit` while it streams."""
    refuse_oversized_request(request, limit * count)
    handler = LimitedUploadHandler(limit, request._request)
    request._request.upload_handlers.insert(0, handler)
    return handler


def _refuse_cut_off(handler: LimitedUploadHandler, field: str) -> None:
    if handler.too_large:
        message = too_large_message(handler.limit)
        raise ApplicationError(message, code="file_too_large", fields={field: [message]})


@crud_schema(
    tag="homework", output=s.AssignmentSerializer, create_input=s.AssignmentInputSerializer,
    update_input=s.AssignmentUpdateSerializer, read=READ_DOC
    + " Filters: section, subject, status, due_after/due_before.", create=SET_DOC,
    update=MANAGE_DOC + " Moving a published homework's due date moves each student's "
    "extension with it and re-stamps work turned in as on time or late.",
    destroy=MANAGE_DOC + " Not once work has been turned in.",
)  # fmt: skip
class HomeworkViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):  # fmt: skip
    # ServiceModelViewSet's writes without its PUT on the detail (PUT is only grades/).
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    create = ServiceModelViewSet.create
    partial_update = ServiceModelViewSet.partial_update
    destroy = ServiceModelViewSet.destroy
    validated = ServiceModelViewSet.validated
    respond = ServiceModelViewSet.respond
    actor = ServiceModelViewSet.actor
    serializer_class = s.AssignmentSerializer
    create_serializer_class = s.AssignmentInputSerializer
    update_serializer_class = s.AssignmentUpdateSerializer
    permission_model = Assignment
    filterset_class = AssignmentFilter
    search_fields = ["title"]
    ordering_fields = ["due_at", "assigned_on", "title", "created_at"]
    ordering = ["-due_at", "title"]
    roles = {
        "list": READERS, "retrieve": READERS, "create": SETTERS, "partial_update": SETTERS,
        "destroy": SETTERS, "publish": SETTERS, "add_attachment": SETTERS,
        "extensions": SETTERS, "grant_extension": SETTERS, "submissions": READERS,
        "submit": {ST}, "grades": SETTERS, "save_grades": SETTERS, "release": SETTERS,
        "grades_csv": SETTERS, "import_grades_csv": SETTERS, "zip": SETTERS,
    }  # fmt: skip

    def base_queryset(self):
        user = self.request.user
        if getattr(user, "role", None) in (ST, P):
            return selectors.assignment_queryset(family=user)
        return selectors.assignment_queryset()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["staff_view"] = user.is_authenticated and (
            user.is_superuser or user.role in SETTERS
        )
        return context

    def managed(self) -> Assignment:
        assignment = self.get_object()
        if not scopes.can_manage_assignment(self.request.user, assignment):
            raise PermissionDenied(_("Only the homework's teachers and school admins may."))
        return assignment

    def get_object(self):
        if self.action in ("partial_update", "destroy"):
            obj = super().get_object()
            if not scopes.can_manage_assignment(self.request.user, obj):
                raise PermissionDenied(_("Only the homework's teachers and school admins may."))
            return obj
        return super().get_object()

    def create_object(self, data):
        return services.assignment_create(school=self.request.user.school, actor=self.actor,
                                          data=data)  # fmt: skip

    def update_object(self, obj, data):
        return services.assignment_update(assignment=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.assignment_delete(assignment=obj, actor=self.actor)

    @extend_schema(request=None, responses=s.AssignmentSerializer, description=MANAGE_DOC
                   + " Publishes a draft or scheduled homework now.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        obj = services.assignment_publish(assignment=self.managed(), actor=request.user)
        return self.respond(obj)

    @extend_schema(
        request={"multipart/form-data": s.CsvUploadSerializer},
        responses={201: s.AttachmentSerializer},
        description=MANAGE_DOC + " Attaches a file (`file`): checked by its content; "
        "programs, web pages and scripts are refused; at most `HOMEWORK_MAX_FILE_BYTES`.",
    )
    @action(detail=True, methods=["post"], url_path="attachments",
            parser_classes=[MultiPartParser, FormParser, JSONParser])  # fmt: skip
    def add_attachment(self, request, pk=None):
        assignment = self.managed()
        handler = _limited_upload(request, settings.HOMEWORK_MAX_FILE_BYTES, 1)
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        _refuse_cut_off(handler, "file")
        if upload is None or isinstance(upload, str):
            raise ApplicationError(_("Attach a file."), code="required",
                                   fields={"file": [_("Attach a file.")]})  # fmt: skip
        row = services.attachment_add(assignment=assignment, actor=request.user, upload=upload)
        return Response(s.AttachmentSerializer(row, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip

    @extend_schema(responses=s.ExtensionSerializer(many=True), description=MANAGE_DOC
                   + " The students' own due dates.")  # fmt: skip
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def extensions(self, request, pk=None):
        assignment = self.managed()
        return Response(s.ExtensionSerializer(assignment.extensions.all(), many=True).data)

    @extend_schema(request=s.ExtensionInputSerializer, responses={201: s.ExtensionSerializer},
                   description=MANAGE_DOC + " Gives one student their own due date (and "
                   "cut-off), later than the homework's; granting again replaces it. "
                   "Audited.")  # fmt: skip
    @extensions.mapping.post
    def grant_extension(self, request, pk=None):
        assignment = self.managed()
        data = s.ExtensionInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        row = services.extension_grant(assignment=assignment, actor=request.user,
                                       **data.validated_data)  # fmt: skip
        return Response(s.ExtensionSerializer(row).data, status=status.HTTP_201_CREATED)

    # --- submissions ---------------------------------------------------------------------
    def _submission_response(self, qs, *, many: bool, code=status.HTTP_200_OK):
        rows = list(qs)
        grades = {
            (g.assignment_id, g.student_id): g
            for g in scopes.readable_grades(self.request.user).filter(
                assignment_id__in={r.assignment_id for r in rows},
                student_id__in={r.student_id for r in rows},
            )
        }
        context = {**self.get_serializer_context(), "grades": grades}
        data = s.SubmissionSerializer(rows if many else rows[0], many=many, context=context).data
        return Response(data, status=code)

    @extend_schema(responses=s.SubmissionSerializer(many=True), description=READ_DOC
                   + " The work handed in: every student's for the homework's teachers and "
                   "school admins; their own for a student; their children's for a parent "
                   "(status on time, late, missing or excused; a grade only once released).")  # fmt: skip
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[],
            parser_classes=[MultiPartParser, FormParser, JSONParser])  # fmt: skip
    def submissions(self, request, pk=None):
        assignment = self.get_object()
        qs = scopes.readable_submissions(request.user).filter(assignment=assignment)
        qs = qs.select_related("student__user", "section__school_class").prefetch_related(
            "files", "versions"
        )
        return self._submission_response(qs.order_by("section_id", "created_at"), many=True)

    @extend_schema(
        request={"multipart/form-data": s.SubmissionInputSerializer,
                 "application/json": s.SubmissionInputSerializer},
        responses={200: s.SubmissionSerializer},
        description="Roles: student (homework of their own section). Saves the student's "
        "draft: `text`, new `files` (multipart, each checked by its content against the "
        "homework's kinds and cut off at its size limit while it streams), `remove_files`; "
        "`turn_in` hands it in (stamped now; late against the student's own due date; "
        "refused after their cut-off). Work turned in may change until the due date, or after "
        "the teacher returns it; it is then a draft until turned in again. Each turn-in is "
        "kept as a version.",
    )  # fmt: skip
    @submissions.mapping.post
    def submit(self, request, pk=None):
        assignment = self.get_object()
        if not scopes.can_submit(request.user, assignment):
            raise PermissionDenied(_("Only a student of the section hands in work."))
        handler = _limited_upload(request, assignment.max_file_bytes, settings.HOMEWORK_MAX_FILES)
        if request.content_type.startswith("multipart/"):
            data = {k: v for k, v in request.data.items() if k not in ("files", "remove_files")}
            data["files"] = request.data.getlist("files")
            data["remove_files"] = request.data.getlist("remove_files")
        else:
            data = request.data
        _refuse_cut_off(handler, "files")
        form = s.SubmissionInputSerializer(data=data)
        form.is_valid(raise_exception=True)
        student = request.user.student_profile
        submission = services.submission_save(
            assignment=assignment, student=student, **form.validated_data
        )
        qs = selectors.submission_queryset().filter(pk=submission.pk)
        return self._submission_response(qs, many=False)

    # --- grades ------------------------------------------------------------------------------
    def _roster(self, assignment):
        enrollments = services.roster(assignment)
        subs = {x.student_id: x for x in assignment.submissions.all()}
        grades = {g.student_id: g for g in assignment.grades.all()}
        return [
            {
                "student": e.student_id, "name": e.student.user.full_name,
                "admission_number": e.student.admission_number,
                "section": e.section.display_name, "roll_number": e.roll_number,
                "status": subs[e.student_id].status if e.student_id in subs else None,
                "days_late": subs[e.student_id].days_late if e.student_id in subs else 0,
                "submission": subs[e.student_id].pk if e.student_id in subs else None,
                "grade": grades.get(e.student_id),
            }
            for e in enrollments
        ]  # fmt: skip

    @extend_schema(responses=s.RosterRowSerializer(many=True), description=MANAGE_DOC
                   + " Every student of the homework's sections with their work's status and "
                   "grade (drafts included): the grading sheet.")  # fmt: skip
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def grades(self, request, pk=None):
        assignment = self.managed()
        return Response(s.RosterRowSerializer(self._roster(assignment), many=True).data)

    @extend_schema(request=s.GradesInputSerializer, responses=s.RosterRowSerializer(many=True),
                   description=MANAGE_DOC + " Grades many students in one request: each row's "
                   "`marks` (0 to the maximum; the late penalty of the policy is applied and "
                   "shown), `comment`, or `excused`. Grades stay drafts until released. "
                   "Answers the grading sheet.")  # fmt: skip
    @grades.mapping.put
    def save_grades(self, request, pk=None):
        assignment = self.managed()
        data = s.GradesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.grades_save(assignment=assignment, actor=request.user,
                             rows=data.validated_data["grades"])  # fmt: skip
        return Response(s.RosterRowSerializer(self._roster(assignment), many=True).data)

    @extend_schema(request=s.GradeReleaseSerializer, responses=s.ReleasedSerializer,
                   description=MANAGE_DOC + " Releases the draft grades (all, or `students`'): "
                   "students and parents see them from now on and are notified.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        assignment = self.managed()
        data = s.GradeReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.grades_release(assignment=assignment, actor=request.user,
                                        student_ids=data.validated_data.get("students"))  # fmt: skip
        return Response({"released": count})

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, description=MANAGE_DOC
                   + " The grading sheet as CSV (formula cells neutralised).")  # fmt: skip
    @action(detail=True, methods=["get"], url_path="grades/csv",
            parser_classes=[MultiPartParser, FormParser, JSONParser])  # fmt: skip
    def grades_csv(self, request, pk=None):
        assignment = self.managed()
        response = HttpResponse(services.grades_csv(assignment=assignment),
                                content_type="text/csv; charset=utf-8")  # fmt: skip
        response["Content-Disposition"] = f'attachment; filename="homework-{assignment.pk}.csv"'
        return response

    @extend_schema(request={"multipart/form-data": s.CsvUploadSerializer},
                   responses=s.ImportedSerializer, description=MANAGE_DOC + " Marks and "
                   "comments from a CSV in the download's shape (by admission number), saved "
                   "as by PUT grades/.")  # fmt: skip
    @grades_csv.mapping.post
    def import_grades_csv(self, request, pk=None):
        assignment = self.managed()
        refuse_oversized_request(request, settings.UPLOAD_CSV_MAX_BYTES)
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or isinstance(upload, str):
            raise ApplicationError(_("Attach a file."), code="required",
                                   fields={"file": [_("Attach a file.")]})  # fmt: skip
        raw = read_bounded(upload, settings.UPLOAD_CSV_MAX_BYTES)
        saved = services.grades_import_csv(assignment=assignment, actor=request.user, raw=raw)
        return Response({"saved": saved})

    @extend_schema(request=None, responses=JOB_RESPONSES, description=MANAGE_DOC
                   + " Starts a background job that builds a ZIP of every student's files "
                   "(a folder per student); poll the job at `url` for its download link.")  # fmt: skip
    @action(detail=True, methods=["post"])
    def zip(self, request, pk=None):
        job = services.submissions_zip_start(assignment=self.managed(), actor=request.user)
        url = request.build_absolute_uri(reverse("api:job-detail", args=[job.pk]))
        return Response({"job": job.pk, "status": job.status, "url": url},
                        status=status.HTTP_202_ACCEPTED)  # fmt: skip


@extend_schema_view(retrieve=extend_schema(description=READ_DOC + " One student's work."))
@extend_schema(tags=["homework"])
class SubmissionViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.SubmissionSerializer
    permission_model = Submission
    roles = {"retrieve": READERS, "return_work": SETTERS}

    def base_queryset(self):
        return selectors.submission_queryset()

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        grades = {
            (g.assignment_id, g.student_id): g
            for g in scopes.readable_grades(request.user).filter(
                assignment_id=obj.assignment_id, student_id=obj.student_id
            )
        }
        context = {**self.get_serializer_context(), "grades": grades}
        return Response(s.SubmissionSerializer(obj, context=context).data)

    @extend_schema(request=s.ReturnInputSerializer, responses=s.SubmissionSerializer,
                   description=MANAGE_DOC + " Returns turned-in work for revision: the "
                   "student may change it and turn it in again.")  # fmt: skip
    @action(detail=True, methods=["post"], url_path="return")
    def return_work(self, request, pk=None):
        submission = self.get_object()
        if not scopes.can_manage_assignment(request.user, submission.assignment):
            raise PermissionDenied(_("Only the homework's teachers and school admins may."))
        data = s.ReturnInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.submission_return(submission=submission, actor=request.user,
                                   comment=data.validated_data["comment"])  # fmt: skip
        return self.retrieve(request, pk=pk)


@extend_schema_view(
    retrieve=extend_schema(
        responses=FILE_RESPONSES,
        description="Roles: whoever may see the submission (its student, their parents, the "
        "homework's teachers, school admins). Downloads the file (attachment, never rendered "
        "inline); with S3 storage a redirect to a signed URL that expires after "
        "`HOMEWORK_FILE_URL_SECONDS`.",
    )
)
@extend_schema(tags=["homework"])
class SubmissionFileViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):  # fmt: skip
    permission_model = SubmissionFile
    roles = {"retrieve": READERS}

    def base_queryset(self):
        return SubmissionFile.objects.all()

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        return serve_file(row.file, row.name, row.content_type)


@extend_schema_view(
    retrieve=extend_schema(
        responses=FILE_RESPONSES,
        description=READ_DOC + " Downloads a file attached to the homework (as a signed, "
        "expiring URL with S3 storage).",
    )
)
@extend_schema(tags=["homework"])
class AttachmentViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_model = Attachment
    roles = {"retrieve": READERS}

    def base_queryset(self):
        return Attachment.objects.all()

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        return serve_file(row.file, row.name, row.content_type)
