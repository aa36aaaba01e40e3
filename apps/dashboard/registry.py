"""The dashboard's sections: each domain registers, in its own `dashboard` module, the builders
of the sections it contributes to a role's dashboard (`register`). The dashboard app imports those
modules at start-up (`autodiscover_modules("dashboard")`), so a domain that is not installed
contributes nothing and its sections are simply absent.

A builder is `builder(ctx) -> dict | None` (ctx: `apps.dashboard.context.DashboardContext`): it
computes its figures only from rows the caller may read, through its domain's scopes and
selectors, in a fixed number of queries; None leaves the section out (e.g. a staff member without
the duty the section is for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Builder = Callable[[Any], dict | list | None]


@dataclass(frozen=True)
class Section:
    role: str
    key: str
    builder: Builder
    domain: str


class Registry:
    def __init__(self) -> None:
        self._sections: dict[str, dict[str, Section]] = {}

    def register(self, roles: str | Iterable[str], key: str, builder: Builder | None = None):
        """Register `builder` as section `key` of each of `roles`' dashboards; as a decorator
        when `builder` is omitted."""

        def add(func: Builder) -> Builder:
            domain = func.__module__.split(".")[1] if func.__module__.startswith("apps.") else ""
            for role in [roles] if isinstance(roles, str) else roles:
                self._sections.setdefault(str(role), {})[key] = Section(
                    str(role), key, func, domain
                )
            return func

        return add(builder) if builder is not None else add

    def sections(self, role: str) -> list[Section]:
        return list(self._sections.get(str(role), {}).values())

    def without(self, domain: str) -> Registry:
        """A copy with `domain`'s sections left out (as if the app were not installed)."""
        copy = Registry()
        for role, sections in self._sections.items():
            copy._sections[role] = {k: s for k, s in sections.items() if s.domain != domain}
        return copy


registry = Registry()
register = registry.register
