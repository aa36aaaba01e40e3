"""`manage.py ensure_mongo`: install the MongoDB collections, validators and indexes we own.

Idempotent: run by `make run` and on every deploy. What is declared lives in
`apps.core.mongo.COLLECTIONS` (extended by each app's `mongo_collections` module).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from pymongo.errors import PyMongoError

from apps.core import mongo


class Command(BaseCommand):
    help = (
        "Create the MongoDB collections Schools24 owns with their $jsonSchema validators "
        "(collMod on existing ones) and indexes. Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "collections",
            nargs="*",
            metavar="COLLECTION",
            help="Only these collections (default: every registered one).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit with an error if anything could only be done partly (a warning).",
        )

    def handle(self, *args, **options):
        where = f"{mongo.redacted_uri()} database {settings.MONGODB_DATABASE!r}"
        specs = mongo.load_collection_specs()
        unknown = sorted(set(options["collections"]) - set(specs))
        if unknown:
            raise CommandError(
                f"Unknown collection(s) {', '.join(unknown)}; "
                f"registered: {', '.join(sorted(specs))}"
            )
        try:
            mongo.get_client().admin.command("ping")
        except PyMongoError as exc:
            raise CommandError(f"MongoDB at {where} is not reachable: {exc}") from exc
        self.stdout.write(f"Ensuring MongoDB collections in {where}")
        try:
            outcomes = mongo.ensure_collections(names=options["collections"] or None)
        except PyMongoError as exc:
            raise CommandError(f"ensure_mongo failed: {exc}") from exc
        style = {
            "ok": lambda text: text,
            "changed": self.style.SUCCESS,
            "warning": self.style.WARNING,
        }
        for outcome in outcomes:
            prefix = "WARNING: " if outcome.level == "warning" else "  "
            self.stdout.write(style[outcome.level](f"{prefix}{outcome.message}"))
        changed = sum(o.level == "changed" for o in outcomes)
        warnings = sum(o.level == "warning" for o in outcomes)
        summary = f"Done: {changed} change(s), {warnings} warning(s)."
        self.stdout.write(self.style.WARNING(summary) if warnings else self.style.SUCCESS(summary))
        if warnings and options["strict"]:
            raise CommandError(f"{warnings} warning(s) with --strict")
