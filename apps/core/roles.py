"""The product's fixed vocabulary of roles. It lives in core, beneath every app, so the access
helpers here need no domain app; `apps.accounts.models.Role` is this same class."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("School admin")
    TEACHER = "teacher", _("Teacher")
    STUDENT = "student", _("Student")
    STAFF = "staff", _("Staff")
    PARENT = "parent", _("Parent")


# Roles that may use the Django admin (staff by the permissions of their duties).
ADMIN_SITE_ROLES = (Role.ADMIN, Role.STAFF)
