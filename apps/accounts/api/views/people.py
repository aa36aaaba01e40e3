"""The school and its people: users, students, teachers and staff.

Who may call what is declared in each view's `roles`; what they see is decided by
`apps.core.access.scope_queryset` and `apps.accounts.scopes`. Writes go through
`apps.accounts.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.core import uploads
from apps.core.access import is_platform_superuser
from apps.core.api.views import (
    EVERYONE,
    ScopedModelViewSet,
    ScopedViewSetMixin,
)
from apps.core.compiled import compiles_for
from apps.core.pagination import asks_only_for_a_page

from ... import csv_io, scopes, selectors, services
from ...models import Role, School, StaffProfile, StudentProfile, TeacherProfile, User
from .. import serializers as s
from ..filters import StudentFilter, UserFilter

A, T, SF = Role.ADMIN, Role.TEACHER, Role.STAFF


# --- School ----------------------------------------------------------------------------------------
@extend_schema(
    tags=["schools"],
    description="Roles: every role reads its own school; school admins may update it.",
)
class SchoolViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.SchoolSerializer
    roles = {"list": EVERYONE, "retrieve": EVERYONE, "update": {A}, "partial_update": {A}}
    staff_perms = {"list": "accounts.view_school", "retrieve": "accounts.view_school"}
    permission_model = School
    http_method_names = ["get", "patch", "head", "options"]

    def base_queryset(self):
        return School.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return School.objects.none()
        return scopes.readable_schools(self.request.user)

    def perform_update(self, serializer):
        services.school_update(
            school=serializer.instance, actor=self.request.user, data=serializer.validated_data
        )


# --- Users ----------------------------------------------------------------------------------------
class ActivationMixin:
    """`POST .../{id}/activate/` and `.../deactivate/` for anything with a user."""

    def _user_of(self, obj) -> User:
        return obj if isinstance(obj, User) else obj.user

    @extend_schema(request=None, description="Roles: school admin.")
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        obj = self.get_object()
        services.user_set_active(user=self._user_of(obj), actor=request.user, active=True)
        return Response(self.get_serializer(self._reload(obj)).data)

    @extend_schema(request=None, description="Roles: school admin. Signs the user out everywhere.")
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        obj = self.get_object()
        services.user_set_active(user=self._user_of(obj), actor=request.user, active=False)
        return Response(self.get_serializer(self._reload(obj)).data)

    def _reload(self, obj):
        return self.get_queryset().get(pk=obj.pk)


@extend_schema(tags=["users"])
class UserViewSet(ActivationMixin, ScopedModelViewSet):
    """Users of the caller's school. School admins manage; staff with the permission read."""

    serializer_class = s.UserSerializer
    filterset_class = UserFilter
    search_fields = ["email", "full_name", "phone"]
    ordering_fields = ["full_name", "email", "created_at", "last_login"]
    ordering = ["full_name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {
        "list": {A, SF},
        "retrieve": {A, SF},
        "create": {A},
        "partial_update": {A},
        "activate": {A},
        "deactivate": {A},
        "send_password_reset": {A},
    }
    permission_model = User

    def base_queryset(self):
        users = User.objects.select_related("school")
        user = getattr(self.request, "user", None)
        if user is not None and is_platform_superuser(user):
            return users
        # Platform superusers have no school (a database constraint), so the school filter
        # already leaves them out; say so here too, where the school's people are listed.
        return users.exclude(is_superuser=True)

    @extend_schema(
        request=s.UserCreateSerializer,
        responses={201: s.UserSerializer},
        description="Roles: school admin.",
    )
    def create(self, request):
        data = s.UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(
            school=request.user.school, actor=request.user, **data.validated_data
        )
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.UserUpdateSerializer,
        responses=s.UserSerializer,
        description="Roles: school admin. Role and school cannot change.",
    )
    def partial_update(self, request, pk=None):
        user = self.get_object()
        data = s.UserUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.user_update(user=user, actor=request.user, data=data.validated_data)
        return Response(self.get_serializer(self._reload(user)).data)

    @extend_schema(
        request=None,
        responses={202: s.DetailSerializer},
        description="Roles: school admin. E-mails the user a password reset link.",
    )
    @action(detail=True, methods=["post"], url_path="send-password-reset")
    def send_password_reset(self, request, pk=None):
        user = self.get_object()
        services.password_reset_request(email=user.email)
        return Response(
            {"detail": _("A reset link is on its way.")}, status=status.HTTP_202_ACCEPTED
        )


# --- Profiles ---------------------------------------------------------------------------------------
def profile_writes(input_serializer, output_serializer, *, created: str = "Roles: school admin."):
    """The API docs of a profile endpoint's create and partial update (`ProfileViewSet`'s code):
    the input serializer in, the profile out."""
    return extend_schema_view(
        create=extend_schema(
            request=input_serializer, responses={201: output_serializer}, description=created
        ),
        partial_update=extend_schema(
            request=input_serializer,
            responses=output_serializer,
            description="Roles: school admin.",
        ),
    )


class ProfileViewSet(ActivationMixin, ScopedModelViewSet):
    """Shared shape of the student/teacher/staff endpoints: input serializer -> service."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer = None
    create_service = None
    update_service = None
    update_kwarg = ""

    def create(self, request):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_data, profile_data = data.split()
        profile = type(self).create_service(
            school=request.user.school,
            actor=request.user,
            user_data=user_data,
            profile_data=profile_data,
        )
        return Response(
            self.get_serializer(self._reload(profile)).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, pk=None):
        profile = self.get_object()
        data = self.input_serializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user_data, profile_data = data.split()
        user_data.pop("password", None)  # passwords change through the password endpoints
        type(self).update_service(
            **{self.update_kwarg: profile},
            actor=request.user,
            user_data=user_data,
            profile_data=profile_data,
        )
        return Response(self.get_serializer(self._reload(profile)).data)


@extend_schema(tags=["students"])
@profile_writes(
    s.StudentInputSerializer,
    s.StudentSerializer,
    created="Roles: school admin. Creates the student's account and profile.",
)
class StudentViewSet(ProfileViewSet):
    """Students. Admins manage; teachers see whom they teach; parents their children;
    students themselves; staff with the permission read."""

    serializer_class = s.StudentSerializer
    parser_classes = [JSONParser, MultiPartParser]  # the student's photo
    input_serializer = s.StudentInputSerializer
    create_service = staticmethod(services.student_create)
    update_service = staticmethod(services.student_update)
    update_kwarg = "student"
    filterset_class = StudentFilter
    search_fields = ["user__full_name", "user__email", "admission_number", "roll_number"]
    ordering_fields = ["admission_number", "roll_number", "user__full_name", "admission_date"]
    ordering = ["admission_number"]
    roles = {
        "list": EVERYONE,
        "retrieve": EVERYONE,
        "create": {A},
        "partial_update": {A},
        "activate": {A},
        "deactivate": {A},
        "import_csv": {A},
        "export_csv": {A, SF},
    }
    staff_perms = {"export_csv": "accounts.view_studentprofile"}
    permission_model = StudentProfile

    def base_queryset(self):
        return selectors.student_queryset()

    @extend_schema(
        responses=s.StudentListItemSerializer(many=True),
        description="Roles: every role, each seeing whom they may (school admins the school, "
        "teachers the students of the sections they teach, parents their children, students "
        "themselves, staff with the permission). A summary per student: who and where this "
        "year (`current_enrollment`); guardians and personal details are on the detail.",
    )
    def list(self, request):
        if asks_only_for_a_page(request) and compiles_for(request.user):
            # No filter, search or ordering: SQL compiled once per role, the same answer.
            page = self.paginate_queryset(selectors.student_summary_page(request.user))
        else:
            page = self.paginate_queryset(
                selectors.student_summary_rows(self.filter_queryset(self.get_queryset()))
            )
        storage = StudentProfile._meta.get_field("photo").storage

        def photo_url(name: str) -> str:
            url = storage.url(name)
            return request.build_absolute_uri(url) if url.startswith("/") else url

        rows = selectors.student_summaries(page, photo_url)
        return self.get_paginated_response(s.student_list_rows(rows))

    @extend_schema(
        request={"multipart/form-data": s.StudentImportSerializer},
        responses={200: csv_io.ImportReportSerializer, 400: csv_io.ImportReportSerializer},
        description="Roles: school admin. CSV of students and their guardians, in the export's "
        "layout. `dry_run=true` validates every row and writes nothing; a real run writes all "
        "rows or none. Existing admission numbers are updated. A file over "
        "UPLOAD_CSV_MAX_BYTES (5 MB by default) or not text is a 400 (`file_too_large`, "
        "`file_type_not_allowed`).",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser],
    )
    def import_csv(self, request):
        uploads.refuse_oversized_request(request, settings.UPLOAD_CSV_MAX_BYTES)
        data = s.StudentImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = csv_io.import_students(
            school=request.user.school,
            actor=request.user,
            file=data.validated_data["file"],
            dry_run=data.validated_data["dry_run"],
        )
        code = status.HTTP_200_OK if report["ok"] else status.HTTP_400_BAD_REQUEST
        if not report["ok"]:
            return Response(
                {
                    "error": {
                        "code": "import_invalid",
                        "message": _("Some rows are not valid; nothing was written."),
                        "fields": {},
                    },
                    **report,
                },
                status=code,
            )
        return Response(report, status=code)

    @extend_schema(
        responses={(200, "text/csv"): str},
        parameters=[OpenApiParameter("search", str), OpenApiParameter("gender", str)],
        description="Roles: school admin, staff with view permission. Same layout as the import.",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_csv(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="students.csv"'
        csv_io.export_students(queryset, response)
        return response


@extend_schema(tags=["teachers"])
@profile_writes(s.TeacherInputSerializer, s.TeacherSerializer)
class TeacherViewSet(ProfileViewSet):
    """Teachers. Admins manage; staff with the permission read; a teacher sees themself."""

    serializer_class = s.TeacherSerializer
    input_serializer = s.TeacherInputSerializer
    create_service = staticmethod(services.teacher_create)
    update_service = staticmethod(services.teacher_update)
    update_kwarg = "teacher"
    search_fields = ["user__full_name", "user__email", "employee_code"]
    ordering_fields = ["employee_code", "user__full_name", "joining_date"]
    ordering = ["employee_code"]
    roles = {
        "list": {A, T, SF},
        "retrieve": {A, T, SF},
        "create": {A},
        "partial_update": {A},
        "activate": {A},
        "deactivate": {A},
    }
    permission_model = TeacherProfile

    def base_queryset(self):
        return TeacherProfile.objects.select_related("user")


@extend_schema(tags=["staff"])
@profile_writes(s.StaffInputSerializer, s.StaffSerializer)
class StaffViewSet(ProfileViewSet):
    """Non-teaching staff. Admins manage; staff with the permission read; staff see themselves."""

    serializer_class = s.StaffSerializer
    input_serializer = s.StaffInputSerializer
    create_service = staticmethod(services.staff_create)
    update_service = staticmethod(services.staff_update)
    update_kwarg = "staff"
    search_fields = ["user__full_name", "user__email", "employee_code", "designation"]
    ordering_fields = ["employee_code", "user__full_name"]
    ordering = ["employee_code"]
    roles = {
        "list": {A, SF},
        "retrieve": {A, SF},
        "create": {A},
        "partial_update": {A},
        "activate": {A},
        "deactivate": {A},
    }
    permission_model = StaffProfile

    def base_queryset(self):
        return StaffProfile.objects.select_related("user")
