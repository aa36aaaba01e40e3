"""What every section builder of one dashboard build shares: the caller, their school's today,
and (for parents and students) the children, each read once however many sections use them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cached_property

from django.utils import timezone

from apps.accounts.models import Role, StudentProfile
from apps.accounts.scopes import visible_student_ids


class DashboardContext:
    def __init__(self, user, *, now: dt.datetime | None = None) -> None:
        self.user = user
        self.role = str(user.role)
        self.school = user.school
        self.now = now or timezone.now()

    @cached_property
    def today(self) -> dt.date:
        return self.now.astimezone(zoneinfo.ZoneInfo(self.school.timezone)).date()

    @cached_property
    def children(self) -> list[dict]:
        """A parent's children or a student themself, with their current section (one query):
        `{"id", "name", "section_id", "section", "class_id"}` dicts (ids as strings)."""
        if self.user.role not in (Role.PARENT, Role.STUDENT):
            return []
        rows = (
            StudentProfile.objects.filter(
                school_id=self.user.school_id, pk__in=visible_student_ids(self.user)
            )
            .order_by("user__full_name")
            .values("pk", "user__full_name")
        )
        from apps.academics.selectors import current_enrollment_summaries

        students = list(rows)
        places = current_enrollment_summaries([r["pk"] for r in students])
        out = []
        for row in students:
            place = places.get(row["pk"]) or {}
            out.append(
                {
                    "id": str(row["pk"]),
                    "name": row["user__full_name"],
                    "section_id": str(place["section"]["id"]) if place else None,
                    "section": place["section"]["name"] if place else "",
                    "class_id": str(place["school_class"]["id"]) if place else None,
                }
            )
        return out

    @cached_property
    def child_ids(self) -> list[str]:
        return [c["id"] for c in self.children]

    @cached_property
    def child_section_ids(self) -> set[str]:
        return {c["section_id"] for c in self.children if c["section_id"]}

    def per_child(self, values: dict[str, object], default=None) -> list[dict]:
        """`values` (keyed by student id) as a list in the children's order, with their names."""
        return [
            {"student": c["id"], "name": c["name"], "value": values.get(c["id"], default)}
            for c in self.children
        ]
