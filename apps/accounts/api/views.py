"""Accounts API: sign-in, own profile, the school, and managing its people.

Who may call what is declared in each view's `roles`; what they see is decided by
`apps.core.access.scope_queryset`. Writes go through `apps.accounts.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core import uploads
from apps.core.access import is_platform_superuser
from apps.core.api.views import (
    EVERYONE,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
    ScopedViewSetMixin,
)
from apps.core.clients import client_ip
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditLog
from apps.core.throttling import ScopedRateThrottle

from .. import csv_io, scopes, selectors, services
from ..models import (
    Guardian,
    Role,
    School,
    StaffProfile,
    StudentProfile,
    TeacherProfile,
    TokenFamily,
    User,
)
from . import serializers as s
from .filters import AuditLogFilter, GuardianFilter, StudentFilter, UserFilter

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF


# --- Auth -----------------------------------------------------------------------------------------
class TokenObtainView(APIView):
    """Sign in with e-mail and password. Any role."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_authenticate_header(self, request):
        # Without authentication classes DRF would turn 401 into 403; a failed sign-in is a 401.
        return 'Bearer realm="api"'

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={200: s.TokenResponseSerializer},
        summary="Obtain access and refresh tokens",
        description="Roles: anyone with an account. Wrong password, inactive account and "
        "inactive school all answer 401; repeated failures for one account or client answer "
        "429 (`locked_out`), even with the right password, until the lockout ends. The address "
        "is compared after NFKC normalisation and case folding; one that is still not plain "
        "ASCII answers 400 on `email`.",
        tags=["auth"],
    )
    def post(self, request):
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, password = data.validated_data["email"], data.validated_data["password"]
        # The backend applies the lockout (per account and client) and `principal_may_act`.
        user = authenticate(request, email=email, password=password)
        if user is None:
            raise AuthenticationFailed(
                _("No active account found with the given credentials."), code="invalid_credentials"
            )
        tokens = services.tokens_for_sign_in(
            user=user,
            client=request.META.get("HTTP_USER_AGENT", ""),
            ip_address=client_ip(request),
        )
        user.mark_login()
        return Response({**tokens, "user": s.UserSummarySerializer(user).data})


class TokenRefreshRotateView(APIView):
    """Trade a refresh token for new access and refresh tokens (rotation)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'

    @extend_schema(
        request=s.TokenRefreshSerializer,
        responses={200: s.TokenRefreshSerializer},
        description="Roles: anyone holding a refresh token. The old refresh token is used up; "
        "use the new one from the response. A session lasts at most `JWT_EXPIRY_HOURS` from "
        "the password sign-in, however often it is refreshed (`session_expired`). Presenting a "
        "refresh token that was already used ends the whole session: the newest token stops "
        "working too (`token_reused`). All refusals are 401.",
        tags=["auth"],
    )
    def post(self, request):
        data = s.TokenRefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.tokens_refresh(raw=data.validated_data["refresh"]))


@extend_schema(tags=["auth"])
class SessionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's signed-in devices; signing one out."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.SessionSerializer
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return TokenFamily.objects.none()
        return selectors.sessions_of(self.request.user)

    def _rows(self, sessions) -> list[dict]:
        current = str((self.request.auth or {}).get(TokenFamily.CLAIM) or "")
        return [
            {
                "id": session.pk,
                "signed_in_at": session.signed_in_at,
                "last_used_at": session.last_used_at,
                "expires_at": services.session_limit(session.signed_in_at),
                "client": session.client,
                "ip_address": session.ip_address,
                "current": str(session.pk) == current,
            }
            for session in sessions
        ]

    @extend_schema(
        description="Roles: any signed-in user, for their own sessions. One row per password "
        "sign-in that is still valid (not signed out, not past `JWT_EXPIRY_HOURS`): when it "
        "began, when it was last used (sign-in or token refresh), the device's User-Agent and "
        "address, and which one this request's token belongs to (`current`)."
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(self._rows(page), many=True).data)

    @extend_schema(
        responses={204: None},
        description="Roles: any signed-in user, for their own sessions. Signs that device out: "
        "its refresh token is refused from now on and so are its access tokens. Another "
        "user's session, or one already ended, is a 404.",
    )
    def destroy(self, request, *args, **kwargs):
        services.session_end(user=request.user, session=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    """Blacklist a refresh token of the caller, ending that session."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.RefreshSerializer,
        responses={205: None},
        description="Roles: any signed-in user, for their own refresh token.",
        tags=["auth"],
    )
    def post(self, request):
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
        except TokenError:
            raise ApplicationError(
                _("This refresh token is invalid or already signed out."),
                code="invalid_token",
                fields={"refresh": [_("This refresh token is invalid or already signed out.")]},
            ) from None
        if str(token.get("user_id")) != str(request.user.pk):
            raise ApplicationError(
                _("This refresh token is not yours."),
                code="invalid_token",
                fields={"refresh": [_("This refresh token is not yours.")]},
            )
        token.blacklist()
        services.token_family_end(family_id=token.get("fam"), reason="sign_out")
        return Response(status=status.HTTP_205_RESET_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PasswordChangeSerializer,
        responses={200: s.DetailSerializer},
        description="Roles: any signed-in user. Signs out every session; sign in again.",
        tags=["auth"],
    )
    def post(self, request):
        data = s.PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(user=request.user, **data.validated_data)
        return Response({"detail": _("Your password has been changed.")})


class PasswordResetRequestView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password_reset"

    @extend_schema(
        request=s.PasswordResetRequestSerializer,
        responses={202: s.DetailSerializer},
        description="Roles: anyone. Always 202, whether or not the address has an account.",
        tags=["auth"],
    )
    def post(self, request):
        data = s.PasswordResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        return Response(
            {"detail": _("If this address has an account, a reset link is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=s.PasswordResetConfirmSerializer,
        responses={200: s.DetailSerializer},
        description="Roles: anyone holding a reset link.",
        tags=["auth"],
    )
    def post(self, request):
        data = s.PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response({"detail": _("Your password has been reset. You can sign in now.")})


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(responses=s.MeSerializer, description="Roles: any signed-in user.", tags=["me"])
    def get(self, request):
        # request.user arrives with its school (JWTAuthentication, or the cached principal).
        return Response(s.MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        request=s.MeUpdateSerializer,
        responses=s.MeSerializer,
        description="Roles: any signed-in user. Role, school and e-mail are not writable here. "
        "`full_name`: at most 150 characters with at least one letter, no `<` or `>`, no "
        "control or invisible characters. `profile_picture`: a JPEG, PNG, WebP or GIF image "
        "(by its content, with a matching extension) of at most UPLOAD_IMAGE_MAX_BYTES (2 MB "
        "by default). Refusals are 400 field errors.",
        tags=["me"],
    )
    def patch(self, request):
        data = s.MeUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.user_update(user=request.user, actor=request.user, data=data.validated_data)
        user = selectors.user_with_school(request.user.pk)
        return Response(s.MeSerializer(user, context={"request": request}).data)


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
        page = self.paginate_queryset(
            selectors.student_summary_rows(self.filter_queryset(self.get_queryset()))
        )
        storage = StudentProfile._meta.get_field("photo").storage

        def photo_url(name: str) -> str:
            url = storage.url(name)
            return request.build_absolute_uri(url) if url.startswith("/") else url

        rows = selectors.student_summaries(page, photo_url)
        return self.get_paginated_response(s.StudentListItemSerializer(rows, many=True).data)

    @extend_schema(
        request=s.StudentInputSerializer,
        responses={201: s.StudentSerializer},
        description="Roles: school admin. Creates the student's account and profile.",
    )
    def create(self, request):
        return super().create(request)

    @extend_schema(
        request=s.StudentInputSerializer,
        responses=s.StudentSerializer,
        description="Roles: school admin.",
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

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

    @extend_schema(
        request=s.TeacherInputSerializer,
        responses={201: s.TeacherSerializer},
        description="Roles: school admin.",
    )
    def create(self, request):
        return super().create(request)

    @extend_schema(
        request=s.TeacherInputSerializer,
        responses=s.TeacherSerializer,
        description="Roles: school admin.",
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)


@extend_schema(tags=["staff"])
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

    @extend_schema(
        request=s.StaffInputSerializer,
        responses={201: s.StaffSerializer},
        description="Roles: school admin.",
    )
    def create(self, request):
        return super().create(request)

    @extend_schema(
        request=s.StaffInputSerializer,
        responses=s.StaffSerializer,
        description="Roles: school admin.",
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)


# --- Guardians ---------------------------------------------------------------------------------------
@extend_schema(tags=["guardians"])
class GuardianViewSet(ScopedModelViewSet):
    """Parent-student links. Admins manage; parents see their own links; students theirs;
    teachers those of students they teach; staff with the permission read."""

    serializer_class = s.GuardianSerializer
    filterset_class = GuardianFilter
    ordering_fields = ["created_at", "relation"]
    ordering = ["student__admission_number", "-is_primary"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {
        "list": EVERYONE,
        "retrieve": EVERYONE,
        "create": {A},
        "partial_update": {A},
        "destroy": {A},
    }
    permission_model = Guardian

    def base_queryset(self):
        return Guardian.objects.select_related("parent__school", "student__user")

    @extend_schema(
        request=s.GuardianCreateSerializer,
        responses={201: s.GuardianSerializer},
        description="Roles: school admin. Link an existing parent or create one.",
    )
    def create(self, request):
        data = s.GuardianCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        link = services.guardian_link(
            student=v["student"],
            actor=request.user,
            parent=v.get("parent"),
            parent_data=v.get("new_parent"),
            relation=v["relation"],
            is_primary=v["is_primary"],
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=link.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=s.GuardianUpdateSerializer,
        responses=s.GuardianSerializer,
        description="Roles: school admin.",
    )
    def partial_update(self, request, pk=None):
        link = self.get_object()
        data = s.GuardianUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.guardian_update(link=link, actor=request.user, data=data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=link.pk)).data)

    @extend_schema(description="Roles: school admin. Removes the link, not the accounts.")
    def destroy(self, request, pk=None):
        services.guardian_unlink(link=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Audit log ------------------------------------------------------------------------------------
@extend_schema(tags=["audit"], description="Roles: school admin; staff with the permission.")
class AuditLogViewSet(ScopedReadOnlyViewSet):
    serializer_class = None
    filterset_class = AuditLogFilter
    ordering = ["-created_at", "-id"]
    roles = {"list": {A, SF}, "retrieve": {A, SF}}
    permission_model = AuditLog

    def get_serializer_class(self):
        from apps.core.api.serializers import AuditLogSerializer

        return AuditLogSerializer

    def base_queryset(self):
        return AuditLog.objects.select_related("actor")
