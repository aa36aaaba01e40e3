"""Staff duties: Django groups of permissions that give staff members their finer rights.

The groups are (re)installed after every `migrate`, so a fresh deploy has them and a new
permission added to a duty here reaches existing databases on the next migrate. Other apps add
their permissions to a duty with `add_duty_permissions`.
"""

from __future__ import annotations

ACCOUNTANT = "Accountant"
TRANSPORT_MANAGER = "Transport manager"
STORE_MANAGER = "Store manager"

DUTIES: dict[str, set[str]] = {
    ACCOUNTANT: {
        "accounts.view_school",
        "accounts.view_user",
        "accounts.view_studentprofile",
        "accounts.view_guardian",
    },
    TRANSPORT_MANAGER: {
        "accounts.view_school",
        "accounts.view_studentprofile",
        "accounts.view_guardian",
    },
    STORE_MANAGER: {"accounts.view_school"},
}


def add_duty_permissions(duty: str, perms: set[str]) -> None:
    DUTIES.setdefault(duty, set()).update(perms)


def install_duty_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    for name, perms in DUTIES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
