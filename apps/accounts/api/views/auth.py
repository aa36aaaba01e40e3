"""Signing in and out, sessions, passwords, and one's own account (`/me/`)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.clients import client_ip
from apps.core.exceptions import ApplicationError
from apps.core.throttling import ScopedRateThrottle

from ... import selectors, services
from ...models import TokenFamily
from .. import serializers as s


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
