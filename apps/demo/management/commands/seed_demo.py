from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.demo import DEMO_PASSWORD
from apps.demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create the demo schools, the demo logins and a realistic roster (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--students",
            type=int,
            default=1440,
            help="Students in the demo school (spread over classes 1-12, sections A-C).",
        )
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to seed demo data with DEBUG off (demo logins have a known password). "
                "Pass --force if you really mean it."
            )
        if options["students"] < 2:
            raise CommandError("--students must be at least 2 (the demo student and sibling).")
        report = seed_demo(students=options["students"])
        created = ", ".join(f"{n} {kind}" for kind, n in report.created.items()) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created})."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for email in (
            "admin@demo.schools24.test",
            "teacher@demo.schools24.test",
            "student@demo.schools24.test",
            "parent@demo.schools24.test",
            "accountant@demo.schools24.test",
            "admin@second.schools24.test",
        ):
            self.stdout.write(f"  {email}")
