"""Backfill the analytics rollups: `manage.py rollup --from 2025-04-01 --to 2026-03-31`."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import School


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Upsert the daily rollups of a range of days (every active school, or --school)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--school", help="one school's id")

    def handle(self, *args, start, end, school=None, **options):
        from apps.analytics.services import rollup_range

        first, last = _date(start), _date(end)
        if last < first:
            raise CommandError("--to is before --from")
        schools = School.objects.filter(is_active=True).order_by("pk")
        if school:
            schools = schools.filter(pk=school)
        for one in schools:
            totals = rollup_range(one, first, last)
            self.stdout.write(f"{one.name}: {first}..{last} {totals}")
