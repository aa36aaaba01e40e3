"""Pieces shared by the accounts admin screens: widgets, helpers, people actions."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin import application_error_text
from apps.core.exceptions import ApplicationError

from .. import services
from ..models import User

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def timezone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def cleared_file(value):
    """A cleared file input arrives as False; the services expect an empty value."""
    return "" if value is False else value


def user_link(user: User):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, user.email)


# --- Activation and password-reset actions, shared by users and profiles ----------------------
class PeopleActionsMixin:
    """Admin actions on people: each calls the service, so rules and audit records are the API's."""

    actions = ["activate_users", "deactivate_users", "send_password_reset"]

    def user_of(self, obj) -> User:
        return obj if isinstance(obj, User) else obj.user

    def _set_active(self, request, queryset, active: bool) -> None:
        done = 0
        for obj in queryset:
            user = self.user_of(obj)
            try:
                before = user.is_active
                services.user_set_active(user=user, actor=request.user, active=active)
                done += int(before != active)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{user.email}: {application_error_text(exc)}", messages.WARNING
                )
        if active:
            text = ngettext("%(count)d user activated.", "%(count)d users activated.", done)
        else:
            text = ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", done)
        self.message_user(request, text % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Activate selected accounts"), permissions=["change"])
    def activate_users(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Deactivate selected accounts"), permissions=["change"])
    def deactivate_users(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Send a password-reset e-mail"), permissions=["change"])
    def send_password_reset(self, request, queryset):
        sent = skipped = 0
        for obj in queryset:
            user = self.user_of(obj)
            if not user.is_active:
                skipped += 1
                continue
            services.password_reset_request(email=user.email)
            sent += 1
        self.message_user(
            request,
            ngettext(
                "A password-reset e-mail is on its way to %(count)d person.",
                "Password-reset e-mails are on their way to %(count)d people.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d inactive account was skipped.",
                    "%(count)d inactive accounts were skipped.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


def rights_of(user: User) -> dict:
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{code}"
            for app, code in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
    }
