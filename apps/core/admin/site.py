"""The admin site (who gets in, the sign-in form with the API's lockout) and its AppConfig."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from .permissions import may_use_admin_site


# --- The admin site ---------------------------------------------------------------------------
@cache
def authentication_form():
    """The admin login form, refusing accounts that may not use the admin with the usual message.
    The lockout itself is the authentication backend's, shared with the API's sign-in.

        Built on first use: Django's admin forms import the auth models, and this module is loaded
        from INSTALLED_APPS before models may be imported.
    """
    from unfold.forms import AuthenticationForm

    from ..exceptions import ApplicationError

    class Schools24AuthenticationForm(AuthenticationForm):
        def clean(self):
            # The authentication backend refuses with an ApplicationError when the account or
            # the client is locked out (or the address is not plain ASCII): show its message.
            try:
                return super().clean()
            except ApplicationError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc

        def confirm_login_allowed(self, user):
            super().confirm_login_allowed(user)
            if not may_use_admin_site(user):
                raise ValidationError(
                    self.error_messages["invalid_login"],
                    code="invalid_login",
                    params={"username": self.username_field.verbose_name},
                )

    return Schools24AuthenticationForm


class Schools24AdminSite(UnfoldAdminSite):
    """Unfold's site (the skin, the sidebar of `navigation.py`) with the product's door."""

    site_header = _("Schools24 administration")
    site_title = _("Schools24")
    index_title = _("School administration")

    @property
    def login_form(self):
        return authentication_form()

    @property
    def site_url(self):
        # "View site" leads to the product's web app, not to this API server's root.
        from django.conf import settings

        return settings.FRONTEND_URL or "/"

    def has_permission(self, request) -> bool:
        return may_use_admin_site(request.user)

    def get_urls(self):
        from django.urls import path

        return [
            path("write-buffer/", self.admin_view(self.write_buffer_view), name="write-buffer"),
            *super().get_urls(),
        ]

    def write_buffer_view(self, request):
        """Platform operators: pending writes per buffered kind, their age, and a flush button."""
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        from .. import buffer
        from ..tasks import flush_write_buffer

        if not request.user.is_superuser:
            raise PermissionDenied
        if request.method == "POST":
            flush_write_buffer.delay()
            messages.success(request, _("A flush of every buffered kind was queued."))
            return redirect("admin:write-buffer")
        rows = [{"kind": kind, **figures} for kind, figures in sorted(buffer.stats().items())]
        context = {
            **self.each_context(request),
            "title": _("Write-behind buffer"),
            "rows": rows,
            "stale_after": settings.REDIS_WRITE_BUFFER_TTL,
        }
        return TemplateResponse(request, "admin/write_buffer.html", context)


class Schools24AdminConfig(AdminConfig):
    """Use in INSTALLED_APPS instead of "django.contrib.admin" to make `admin.site` ours."""

    default_site = "apps.core.admin.Schools24AdminSite"
