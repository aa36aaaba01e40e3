"""The admin sidebar: the product's domains, each listing what the signed-in user may open.

Who sees what is the admin's own rule (`SchoolScopedAdmin.has_module_permission` and the model
permissions behind `AdminSite.get_app_list`), so the sidebar never shows a link its reader
would be refused:

- platform superusers: every domain, and the platform group (write buffer, jobs, audit log);
- school admins: every school domain;
- staff: the domains their duties (accountant, transport, store, ...) give them.

A ModelAdmin adds its own pages (a report, a register) under its domain with `sidebar_links`:
`[(title, url name, icon)]`, shown to whoever may view that model.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (title, icon, app labels), in the order staff work through their day.
DOMAINS = (
    (_("People"), "groups", ("accounts",)),
    (_("Academics"), "menu_book", ("academics",)),
    (_("Attendance"), "fact_check", ("attendance",)),
    (_("Exams and report cards"), "grading", ("exams",)),
    (_("Homework"), "assignment", ("homework",)),
    (_("Quizzes"), "quiz", ("quizzes",)),
    (_("Fees and payments"), "payments", ("fees", "payments")),
    (_("Transport"), "directions_bus", ("transport",)),
    (_("Inventory"), "inventory_2", ("inventory",)),
    (_("Calendar"), "event", ("calendar",)),
    (_("Notifications"), "notifications", ("notifications",)),
    (_("Reports and analytics"), "monitoring", ("analytics",)),
    (_("Platform"), "settings", ("core", "auth", "django_celery_beat")),
)


def sidebar(request) -> list[dict]:
    """Unfold's `SIDEBAR["navigation"]` for this request (see the module docstring)."""
    site = admin.site
    by_label = {app["app_label"]: app for app in site.get_app_list(request)}
    known = {label for _title, _icon, labels in DOMAINS for label in labels}
    groups = [(title, labels) for title, _icon, labels in DOMAINS]
    others = tuple(label for label in by_label if label not in known)
    if others:
        groups.append((_("Other"), others))
    navigation = []
    for title, labels in groups:
        items = []
        for label in labels:
            app = by_label.get(label)
            if app is not None:
                items.extend(_app_items(site, app))
        if "core" in labels and request.user.is_superuser:
            items.extend(_links([(_("Write-behind buffer"), "admin:write-buffer", "database")]))
        if items:
            navigation.append(
                {"title": title, "collapsible": True, "separator": True, "items": items}
            )
    return navigation


def _app_items(site, app) -> list[dict]:
    items, extra = [], []
    for entry in app["models"]:
        if entry.get("admin_url"):
            items.append({"title": entry["name"], "link": entry["admin_url"]})
        model_admin = site._registry.get(entry["model"])
        extra.extend(getattr(model_admin, "sidebar_links", ()))
    return _links(extra) + items


def _links(entries) -> list[dict]:
    links = []
    for title, url_name, icon in entries:
        try:
            links.append({"title": title, "link": reverse(url_name), "icon": icon})
        except NoReverseMatch:
            continue
    return links


def school_name(request) -> str | None:
    """Unfold's `SITE_SUBHEADER`: the signed-in user's school under the product name."""
    user = getattr(request, "user", None)
    school = getattr(user, "school", None) if getattr(user, "school_id", None) else None
    return school.name if school is not None else None


def site_title(request) -> str:
    """Unfold's `SITE_TITLE`: the site's own, translated ("Schools24")."""
    return str(admin.site.site_title)


def site_header(request) -> str:
    """Unfold's `SITE_HEADER`: the site's own, translated ("Schools24 administration")."""
    return str(admin.site.site_header)


def stylesheet(request) -> str:
    """Unfold's `STYLES`: the product's few rules for its own admin pages (tables, badges)."""
    from django.templatetags.static import static

    return static("schools24/admin.css")
