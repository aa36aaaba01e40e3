"""JWT authentication that also asks `principal_may_act`: a deactivated account or an inactive
school loses access with its very next request, whatever tokens are still unexpired. An access
token of a sign-in session that has ended (sign-out, sign-out everywhere, refresh-token reuse)
is refused too. The principal is cached per session (`principal_cache`), so a request whose
principal has not changed makes no query here."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.db.models import Exists
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from apps.core.throttling import counted_with_principal

from .principals import principal_may_act

# DRF imports this module while it sets up (rest_framework.views reads the authentication
# classes), which can be in the middle of importing models: models are looked up lazily.
FAMILY_CLAIM = "fam"  # TokenFamily.CLAIM


class JWTAuthentication(authentication.JWTAuthentication):
    # DRF makes an authenticator per request: the request it authenticates, for its throttles.
    request = None

    def authenticate(self, request):
        self.request = request
        return super().authenticate(request)

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        # The principal comes from the session cache while nothing it depends on has changed
        # (`principal_cache` says what invalidates it); otherwise from the database, and then
        # the rules below run on what was read. The cache holds only principals they admitted.
        from . import principal_cache

        family = validated_token.get(FAMILY_CLAIM)
        # The view's per-user throttle windows are counted in the same Redis round trip.
        windows = counted_with_principal(self.request, user_id) if self.request else None
        user = principal_cache.principal_get(
            user_id=user_id,
            family_id=family,
            load=lambda: self._load(user_id, family),
            windows=windows,
        )
        if not principal_may_act(user):  # never true of a cached principal; cheap to ask
            raise self._inactive()
        return user

    @staticmethod
    def _inactive() -> AuthenticationFailed:
        return AuthenticationFailed(
            _("This account cannot be used at the moment."), code="user_inactive"
        )

    def _load(self, user_id, family):
        TokenFamily = django_apps.get_model("accounts", "TokenFamily")  # noqa: N806
        # The school and whether the token's sign-in session has ended come with the user, in
        # one query, so the rules below cost nothing more.
        users = self.user_model.objects.select_related("school").filter(
            **{api_settings.USER_ID_FIELD: user_id}
        )
        if family:
            ended = TokenFamily.objects.filter(pk=family, revoked_at__isnull=False)
            users = users.annotate(session_ended=Exists(ended))
        user = users.first()
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not principal_may_act(user):
            raise self._inactive()
        if family and user.session_ended:
            # Signed out, signed out everywhere, or its refresh token was reused.
            raise AuthenticationFailed(
                _("This session has ended. Sign in again."), code="session_revoked"
            )
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the class above (drf-spectacular matches exact classes)."""

    target_class = "apps.accounts.authentication.JWTAuthentication"
