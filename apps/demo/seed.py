"""The demo school, seeded app by app in the order their data depends on each other.

This app sits above every domain app: it is the only place that knows them all, so no domain's
demo module imports another's orchestration (each exposes its own `seed_*`).
"""

from __future__ import annotations

import random

from django.db import transaction

from apps.accounts.demo import SeedReport


@transaction.atomic
def seed_demo(*, students: int = 1440, seed: int = 24) -> SeedReport:
    """Every domain's demo data for the demo school (idempotent: a second run adds only what
    is missing and resets the demo passwords)."""
    # Module attributes are looked up at call time, so a test may replace one domain's seeder.
    from apps.academics import demo as academics_demo
    from apps.accounts import demo as accounts_demo
    from apps.analytics import demo as analytics_demo
    from apps.attendance import demo as attendance_demo
    from apps.calendar import demo as calendar_demo
    from apps.exams import demo as exams_demo
    from apps.fees import demo as fees_demo
    from apps.homework import demo as homework_demo
    from apps.inventory import demo as inventory_demo
    from apps.notifications import demo as notifications_demo
    from apps.quizzes import demo as quizzes_demo
    from apps.transport import demo as transport_demo

    rng = random.Random(seed)
    report = SeedReport()
    school, teacher = accounts_demo.seed_people(report=report, students=students, rng=rng)
    academics_demo.seed_academics(report=report, school=school, demo_teacher=teacher)
    calendar_demo.seed_calendar(report=report, school=school)
    notifications_demo.seed_notifications(report=report, school=school)
    attendance_demo.seed_attendance(report=report, school=school, rng=rng, weeks=3)
    quizzes_demo.seed_quizzes(report=report, school=school, rng=rng, teacher=teacher)
    # Riders before the first invoices: the transport fee head is priced per rider's stop.
    transport_demo.seed_transport(report=report, school=school, rng=rng)
    fees_demo.seed_fees(report=report, school=school, rng=rng)
    homework_demo.seed_homework(report=report, school=school, rng=rng)
    inventory_demo.seed_inventory(report=report, school=school, rng=rng)
    exams_demo.seed_exams(report=report, school=school, rng=rng)
    analytics_demo.seed_analytics(report=report, school=school)  # last: it sums up the rest
    return report
