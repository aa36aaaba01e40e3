"""`manage.py smoke BASE_URL [--email E] [--password P]`: the deployment smoke check
(deploy/smoke.py): health, sign-in, one read and one unchanged write per domain."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _smoke_module():
    path = Path(settings.BASE_DIR) / "deploy" / "smoke.py"
    spec = importlib.util.spec_from_file_location("schools24_smoke", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class Command(BaseCommand):
    help = (
        "Smoke-check a running deployment through its API as an operator (a school admin): "
        "/healthz, sign-in, one read and one write that changes nothing per domain."
    )

    def add_arguments(self, parser):
        parser.add_argument("base_url", help="e.g. https://api.schools24.example")
        parser.add_argument("--email", default=os.environ.get("SMOKE_EMAIL", ""))
        parser.add_argument(
            "--password",
            default=os.environ.get("SMOKE_PASSWORD", ""),
            help="Or SMOKE_PASSWORD (keeps it out of the process list).",
        )

    def handle(self, *args, **options):
        if not (options["email"] and options["password"]):
            raise CommandError("Give --email and --password (or SMOKE_EMAIL / SMOKE_PASSWORD).")
        passed = _smoke_module().run(
            options["base_url"], options["email"], options["password"], out=self.stdout
        )
        if not passed:
            raise CommandError("Smoke check failed (see the FAIL lines above).")
