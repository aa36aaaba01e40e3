"""JWT authentication that also asks `principal_may_act`: a deactivated account or an inactive
school loses access with its very next request, whatever tokens are still unexpired."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from .principals import principal_may_act


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        # The school comes with the user (one query, as before) so the rule below costs nothing.
        user = (
            self.user_model.objects.select_related("school")
            .filter(**{api_settings.USER_ID_FIELD: user_id})
            .first()
        )
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not principal_may_act(user):
            raise AuthenticationFailed(
                _("This account cannot be used at the moment."), code="user_inactive"
            )
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the class above (drf-spectacular matches exact classes)."""

    target_class = "apps.accounts.authentication.JWTAuthentication"
