"""The staff admin, tenant-aware: every ModelAdmin in the product derives from `SchoolScopedAdmin`.

Who gets in (`Schools24AdminSite.has_permission`): active users with admin-site access who are
platform superusers, school admins or staff. Teachers, students and parents never do, even if
someone ticked `is_staff` on them.

What they see and may do (`SchoolScopedAdmin`):
- rows: `apps.core.access.scope_queryset`, the same rule the API uses, so another school's row
  is simply not found (the admin answers "does not exist" and redirects);
- permissions: platform superuser everything; a school admin everything on school-scoped models
  (those registered with `register_scope`); staff what their Django permissions (duty groups)
  allow; models that are not school-scoped are the platform's alone;
- forms: foreign-key and many-to-many choices are cut to rows of the user's school; the `school`
  field is hidden from school users and set from their account, and it is in place *before*
  validation so unique constraints such as (school, admission_number) are checked by the form;
- writes: a model without a service is saved by the form and audit-logged here (who, before,
  after); an admin whose model has services overrides `save_model`/`delete_model` to call them.
  A service refusing (`ApplicationError`) rolls the request back and shows the message.

This package imports no models at import time: `Schools24AdminConfig` lives here and is loaded
from INSTALLED_APPS before the app registry is ready, so the rest is imported on first use.
"""

from .site import (  # noqa: F401
    Schools24AdminConfig,
    Schools24AdminSite,
    authentication_form,
)

# The ModelAdmin bases build on unfold's, which import models: they load on first use.
_LAZY = {
    "base": (
        "ReadOnlyAdminMixin",
        "SchoolScopedAdmin",
        "SchoolScopedInline",
        "SchoolScopedPermissionsMixin",
        "adopt",
        "snapshot",
        "strip_fieldsets",
    ),
    "forms": ("SchoolBoundFormMixin", "bind_form_to_school"),
    "permissions": (
        "ROLE_ADMIN",
        "ROLE_STAFF",
        "admin_access",
        "application_error_text",
        "direct_school_field",
        "in_user_school",
        "may_use_admin_site",
        "school_choices",
        "school_id_of",
    ),
    "services": ("DATE_WIDGET", "TIME_WIDGET", "ServiceAdmin"),
}
_OWNER = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str):
    module = _OWNER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
