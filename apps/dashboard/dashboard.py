"""The dashboard app's own section: the principal's chart series (`apps.dashboard.selectors`),
the same data the admin index draws."""

from __future__ import annotations

from apps.accounts.models import Role

from . import selectors
from .registry import register


@register(Role.ADMIN, "charts")
def charts(ctx):
    return selectors.charts(ctx.school, ctx.today)
