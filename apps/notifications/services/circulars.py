"""School announcements (circulars): compose, preview, schedule, release, fan out.

Rules:
- A circular is edited while a draft; `circular_schedule` fixes when it goes (default now),
  `circular_cancel` stops a draft or a scheduled one. The beat sweeper releases scheduled
  circulars whose time came (`circulars_release_due`, never a broker ETA) and the fan-out runs
  in a Celery task (`circular_send`).
- The audience: the whole school is every active parent, teacher, staff member and admin; a
  class, a section or a transport route is the parents of its students (the current year's
  enrolments; the route's active assignments); `attendance` is the parents of the students the
  daily register marks absent (or late) today, pending marks in the write buffer included.
- The fan-out goes in chunks of NOTIFICATIONS_CIRCULAR_CHUNK recipients through `notify_many`
  (a constant number of queries per chunk) with the dedupe key `circular:<id>`, so a re-run
  task creates no second notification or delivery for anyone.
- Preview figures: recipients, and per channel those who can receive it; the SMS cost is
  segments × SMS recipients × NOTIFICATIONS_SMS_COST_PAISE.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.core.queue import enqueue_on_commit
from apps.core.services import refuse

from .. import kinds
from ..models import (
    Channel,
    Circular,
    CircularAudience,
    CircularStatus,
    Delivery,
    Device,
    SchoolChannelSettings,
    SmsTemplate,
)
from .budget import limit_of, month_start, sms_segments, usage

logger = logging.getLogger("schools24.notifications")

ATTENDANCE_STATUSES = ("absent", "late")
EDITABLE = ("title", "body", "language", "audience", "target_id", "attendance_status", "channels")


# --- audience ---------------------------------------------------------------------------------
def _current_sections(school_id):
    from apps.academics.models import Section

    return Section.objects.filter(school_id=school_id, year__is_current=True)


def audience_students(circular: Circular) -> list:
    """The student profile ids a class, section, route or attendance circular is about."""
    from apps.academics.models import Enrollment

    school_id = circular.school_id
    if circular.audience == CircularAudience.SECTION:
        qs = Enrollment.objects.filter(school_id=school_id, section_id=circular.target_id)
        return list(qs.values_list("student_id", flat=True))
    if circular.audience == CircularAudience.CLASS:
        qs = Enrollment.objects.filter(
            school_id=school_id,
            section__school_class_id=circular.target_id,
            year__is_current=True,
        )
        return list(qs.values_list("student_id", flat=True))
    if circular.audience == CircularAudience.ROUTE:
        from apps.transport.models import Assignment

        qs = Assignment.objects.filter(
            school_id=school_id, trip__route_id=circular.target_id, is_active=True
        )
        return list(qs.values_list("student_id", flat=True).distinct())
    if circular.audience == CircularAudience.ATTENDANCE:
        from apps.attendance import selectors as attendance

        today = attendance.school_today(circular.school)
        section_ids = list(_current_sections(school_id).values_list("pk", flat=True))
        counts = attendance.daily_counts_by_student(school_id, section_ids, today, today)
        return [
            student
            for student, by_status in counts.items()
            if by_status.get(circular.attendance_status, 0) > 0
        ]
    return []


def recipient_ids(circular: Circular) -> list:
    """The user ids a circular goes to (see the module), sorted."""
    from apps.accounts.models import Guardian, Role, User

    if circular.audience == CircularAudience.SCHOOL:
        qs = User.objects.filter(
            school_id=circular.school_id,
            is_active=True,
            role__in=[Role.PARENT, Role.TEACHER, Role.STAFF, Role.ADMIN],
        )
        return sorted(qs.values_list("pk", flat=True))
    students = audience_students(circular)
    if not students:
        return []
    qs = Guardian.objects.filter(
        school_id=circular.school_id, student_id__in=students, parent__is_active=True
    )
    return sorted(set(qs.values_list("parent_id", flat=True)))


def sms_context(circular: Circular) -> dict:
    """The values a circular's SMS template (kind `school.announcement`) may name."""
    return {
        "title": Truncator(circular.title).chars(30),
        "school": Truncator(circular.school.name).chars(30),
    }


def sms_text(circular: Circular) -> str:
    """The SMS a recipient would get: the school's approved announcement template filled in
    (the circular's language, else English), or the title when none is registered."""
    from ..channels.sms import VAR

    templates = {
        t.language: t
        for t in SmsTemplate.objects.filter(
            school_id=circular.school_id, kind=kinds.SCHOOL_ANNOUNCEMENT, is_active=True
        )
    }
    template = templates.get(circular.language) or templates.get("en")
    if template is None:
        return circular.title
    context, text = sms_context(circular), template.text
    for name in template.variables:
        text = text.replace(VAR, str(context.get(name, "")), 1)
    return text


def circular_preview(circular: Circular) -> dict:
    """Recipients, who can be reached per channel, and the SMS cost (see the module)."""
    from apps.accounts.models import User

    from ..channels.sms import normalise_phone

    ids = recipient_ids(circular)
    users = list(User.objects.filter(pk__in=ids).values_list("pk", "email", "phone"))
    switches = SchoolChannelSettings.objects.filter(school_id=circular.school_id).first()
    channels = set(circular.channels or ())

    def on(channel):
        return channel in channels and (switches is None or getattr(switches, f"{channel}_enabled"))

    by_channel = {Channel.IN_APP.value: len(users), "email": 0, "sms": 0, "push": 0}
    if on(Channel.EMAIL):
        by_channel["email"] = sum(1 for _pk, email, _p in users if email)
    if on(Channel.SMS):
        by_channel["sms"] = sum(1 for _pk, _e, phone in users if normalise_phone(phone))
    if on(Channel.PUSH):
        by_channel["push"] = (
            Device.objects.filter(user_id__in=ids).values("user_id").distinct().count()
        )
    segments = sms_segments(sms_text(circular)) if by_channel["sms"] else 0
    limit = limit_of(switches)
    used = None
    if limit is not None:
        start = month_start(timezone.now(), circular.school.timezone)
        used = usage({circular.school_id: start}).get(circular.school_id, 0)
    return {
        "recipients": len(users),
        "by_channel": by_channel,
        "sms_segments": segments,
        "sms_cost_paise": segments * by_channel["sms"] * settings.NOTIFICATIONS_SMS_COST_PAISE,
        "sms_budget_segments": limit,
        "sms_used_segments": used,
    }


# --- writes -----------------------------------------------------------------------------------
def _check(circular: Circular) -> None:
    from apps.academics.models import SchoolClass

    errors: dict = {}
    if circular.language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Choose one of the product's languages.")]
    wrong = [c for c in circular.channels or [] if c not in Channel.values]
    if wrong or not isinstance(circular.channels, list):
        errors["channels"] = [_("Choose among in_app, email, sms and push.")]
    audience = circular.audience
    needs_target = {
        CircularAudience.CLASS: lambda: SchoolClass.objects,
        CircularAudience.SECTION: lambda: _current_sections(circular.school_id),
        CircularAudience.ROUTE: _routes,
    }
    if audience in needs_target:
        found = circular.target_id and (
            needs_target[audience]()
            .filter(school_id=circular.school_id, pk=circular.target_id)
            .exists()
        )
        if not found:
            errors["target_id"] = [_("Choose a class, section or route of your school.")]
    elif circular.target_id:
        errors["target_id"] = [_("This audience takes no target.")]
    if audience == CircularAudience.ATTENDANCE:
        if circular.attendance_status not in ATTENDANCE_STATUSES:
            errors["attendance_status"] = [_("Choose absent or late.")]
    elif circular.attendance_status:
        errors["attendance_status"] = [_("Only the attendance audience takes a status.")]
    if errors:
        raise ApplicationError(_("The circular cannot be saved."), code="invalid", fields=errors)


def _routes():
    from apps.transport.models import Route

    return Route.objects


def _write(circular: Circular, data: dict) -> Circular:
    """Apply the editable fields of `data`, check the draft and save it."""
    for name in EDITABLE:
        if name in data:
            setattr(circular, name, data[name])
    circular.channels = list(dict.fromkeys(circular.channels or []))
    _check(circular)
    circular.save()
    return circular


def circular_create(*, actor, data: dict, school=None) -> Circular:
    """A draft circular of `school` (the actor's by default)."""
    circular = Circular(school_id=school.pk if school else actor.school_id, created_by=actor)
    return _write(circular, data)


@transaction.atomic
def circular_update(*, circular: Circular, data: dict) -> Circular:
    circular = Circular.objects.select_for_update().get(pk=circular.pk)
    if circular.status != CircularStatus.DRAFT:
        raise refuse(_("Only a draft can be changed."), code="not_draft")
    return _write(circular, data)


@transaction.atomic
def circular_schedule(*, circular: Circular, scheduled_at: dt.datetime | None = None) -> Circular:
    """A draft is scheduled for `scheduled_at` (now when None); the sweeper sends it."""
    circular = Circular.objects.select_for_update().get(pk=circular.pk)
    if circular.status != CircularStatus.DRAFT:
        raise refuse(_("Only a draft can be scheduled."), code="not_draft")
    now = timezone.now()
    circular.scheduled_at = max(scheduled_at or now, now)
    circular.status = CircularStatus.SCHEDULED
    circular.save(update_fields=["scheduled_at", "status", "updated_at"])
    return circular


@transaction.atomic
def circular_cancel(*, circular: Circular) -> Circular:
    circular = Circular.objects.select_for_update().get(pk=circular.pk)
    if circular.status not in (CircularStatus.DRAFT, CircularStatus.SCHEDULED):
        raise refuse(_("Only a draft or a scheduled circular can be cancelled."), code="sent")
    circular.status = CircularStatus.CANCELLED
    circular.save(update_fields=["status", "updated_at"])
    return circular


def circulars_release_due(*, now: dt.datetime | None = None, limit: int = 100) -> list[str]:
    """Mark scheduled circulars whose time came `sending` and queue their fan-out; queue again
    a fan-out silent for NOTIFICATIONS_REQUEUE_AFTER seconds (its worker died: the re-run
    skips whoever was already told)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.NOTIFICATIONS_REQUEUE_AFTER)
    with transaction.atomic():
        ids = list(
            Circular.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=CircularStatus.SCHEDULED, scheduled_at__lte=now)
                | Q(status=CircularStatus.SENDING, updated_at__lt=stale)
            )
            .order_by("scheduled_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Circular.objects.filter(pk__in=ids).update(status=CircularStatus.SENDING, updated_at=now)
        for pk in ids:
            enqueue_on_commit("apps.notifications.tasks.send_circular", str(pk))
    return [str(pk) for pk in ids]


def circular_send(*, circular_id) -> int:
    """Fan a `sending` circular out (see the module); returns the deliveries it has. Safe to
    run again: recipients already told are skipped by the dedupe key."""
    from apps.accounts.models import User

    from .creation import Message, notify_many

    circular = (
        Circular.objects.select_related("school")
        .filter(pk=circular_id, status=CircularStatus.SENDING)
        .first()
    )
    if circular is None:
        return 0
    ids = recipient_ids(circular)
    chunk = max(1, settings.NOTIFICATIONS_CIRCULAR_CHUNK)
    context = sms_context(circular)
    for start in range(0, len(ids), chunk):
        users = list(
            User.objects.select_related("school").filter(pk__in=ids[start : start + chunk])
        )
        with transaction.atomic():
            Circular.objects.filter(pk=circular.pk).update(updated_at=timezone.now())  # alive
            notify_many(
                [
                    Message(
                        users,
                        kinds.SCHOOL_ANNOUNCEMENT,
                        circular.title,
                        circular.body,
                        data={"circular_id": str(circular.pk)},
                        dedupe_key=f"circular:{circular.pk}",
                        context=context,
                        channels=tuple(circular.channels) or (Channel.IN_APP,),
                    )
                ]
            )
    deliveries = Delivery.objects.filter(
        idempotency_key__startswith=f"{kinds.SCHOOL_ANNOUNCEMENT}:circular:{circular.pk}:"
    ).count()
    now = timezone.now()
    Circular.objects.filter(pk=circular.pk, status=CircularStatus.SENDING).update(
        status=CircularStatus.SENT,
        sent_at=now,
        recipient_count=len(ids),
        delivery_count=deliveries,
        updated_at=now,
    )
    logger.info("Circular %s sent to %d recipients", circular.pk, len(ids))
    return deliveries
