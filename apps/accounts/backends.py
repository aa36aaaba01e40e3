"""The only authentication backend: e-mail and password through `services.sign_in_authenticate`,
so the API's token endpoint and the admin's login form obey the same lockout and the same
`principal_may_act` rule. Sessions (the admin) are re-checked against that rule on every request.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from apps.core.clients import client_ident

from . import services
from .models import User
from .principals import principal_may_act


class SignInBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        """Raises `services.LockedOut` (an ApplicationError) when the account or the client is
        over its limit, and ApplicationError for an address that is not plain ASCII."""
        email = email if email is not None else username
        if email is None:
            email = kwargs.get(User.USERNAME_FIELD)
        if email is None or password is None:
            return None
        client = client_ident(request) if request is not None else "unknown"
        return services.sign_in_authenticate(email=email, password=password, client=client)

    def user_can_authenticate(self, user) -> bool:
        return principal_may_act(user)

    def get_user(self, user_id):
        user = User._default_manager.select_related("school").filter(pk=user_id).first()
        return user if principal_may_act(user) else None
