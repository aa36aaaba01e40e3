"""`notify`: rows in bulk, duplicates skipped, e-mail only after the commit, each in the
recipient's language."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.functional import lazy
from django.utils.text import format_lazy

from apps.accounts.tests.factories import UserFactory
from apps.notifications import kinds
from apps.notifications.models import Notification
from apps.notifications.services import notify, recipient_language

pytestmark = pytest.mark.django_db


def absent(cast, **kwargs):
    student = cast.student
    defaults = {
        "recipients": [cast.parent],
        "kind": kinds.ATTENDANCE_ABSENT,
        "title": "Sam Student was absent today",
        "body": "Marked absent in period 1.",
        "data": {"student_id": student.pk, "date": datetime.date(2025, 7, 1)},
    }
    return notify(**{**defaults, **kwargs})


def test_notify_creates_one_row_per_recipient_in_their_school(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = absent(cast, recipients=[cast.parent, cast.admin, cast.admin2])
    assert len(created) == 3
    rows = {n.recipient_id: n for n in Notification.objects.all()}
    assert rows[cast.parent.pk].school_id == cast.school.pk
    assert rows[cast.admin2.pk].school_id == cast.school2.pk
    parent_row = rows[cast.parent.pk]
    assert parent_row.kind == "attendance.absent"
    assert parent_row.data == {"student_id": str(cast.student.pk), "date": "2025-07-01"}
    assert parent_row.read_at is None and parent_row.language == "en"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.parent.email, cast.admin.email, cast.admin2.email]
    )


def test_email_is_queued_only_after_commit(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (notification,) = absent(cast)
    assert mail.outbox == []  # still inside the transaction: nothing sent
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert len(callbacks) == 1

    callbacks[0]()  # the commit happens
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.parent.email]
    assert message.subject == "[Alice Public School] Sam Student was absent today"
    assert "Hello Pat Parent," in message.body
    assert "Marked absent in period 1." in message.body
    assert message.extra_headers["X-Schools24-Notification"] == str(notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_rolled_back_transaction_notifies_nobody(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            absent(cast)
            transaction.set_rollback(True)
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_email_false_creates_in_app_only(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        (notification,) = absent(cast, email=False)
    assert callbacks == [] and mail.outbox == []
    assert Notification.objects.get().pk == notification.pk


def test_dedupe_key_notifies_once(cast, django_capture_on_commit_callbacks):
    key = f"attendance.absent:{cast.student.pk}:2025-07-01"
    with django_capture_on_commit_callbacks(execute=True):
        first = absent(cast, dedupe_key=key)
        again = absent(cast, dedupe_key=key)
        # A new recipient for the same event is still told; the one already told is not.
        more = absent(cast, recipients=[cast.parent, cast.admin], dedupe_key=key)
    assert len(first) == 1 and again == []
    assert [n.recipient_id for n in more] == [cast.admin.pk]
    assert Notification.objects.filter(recipient=cast.parent).count() == 1
    assert len(mail.outbox) == 2
    # Without a key nothing is deduplicated.
    absent(cast, email=False)
    absent(cast, email=False)
    assert Notification.objects.filter(recipient=cast.parent).count() == 3


def test_dedupe_key_conflict_inserted_concurrently_is_skipped(cast, monkeypatch):
    """A row with the same key that appears between the check and the insert (another
    transaction) is skipped by ON CONFLICT DO NOTHING, and not returned as created."""
    key = "same-event"
    real_filter = Notification.objects.filter
    raced = {"done": False}

    def racing_filter(*args, **kwargs):
        asked = kwargs.get("dedupe_key") == key or any(key in str(a) for a in args)
        if asked and not raced["done"]:
            raced["done"] = True
            Notification.objects.create(
                school=cast.school, recipient=cast.parent, title="first", dedupe_key=key
            )
            return real_filter(pk__in=[])  # the check saw nothing
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "filter", racing_filter)
    created = absent(cast, recipients=[cast.parent, cast.admin], dedupe_key=key, email=False)
    monkeypatch.undo()
    assert [n.recipient_id for n in created] == [cast.admin.pk]
    assert Notification.objects.filter(recipient=cast.parent, dedupe_key=key).count() == 1


def test_duplicates_inactive_and_schoolless_recipients_are_skipped(cast):
    gone = UserFactory(school=cast.school, is_active=False)
    root = UserFactory(school=None, is_superuser=True, is_staff=True)
    created = absent(cast, recipients=[cast.parent, cast.parent, gone, root], email=False)
    assert [n.recipient_id for n in created] == [cast.parent.pk]
    assert absent(cast, recipients=[], email=False) == []


def test_recipients_may_be_a_queryset(cast):
    from apps.accounts.models import User

    created = absent(cast, recipients=User.objects.filter(school=cast.school2), email=False)
    assert {n.recipient_id for n in created} == {cast.admin2.pk, cast.student2.user_id}


def test_invalid_kind_is_refused(cast):
    with pytest.raises(ValidationError):
        absent(cast, kind="Attendance Absent!")
    assert not Notification.objects.exists()


def test_long_title_is_shortened(cast):
    (notification,) = absent(cast, title="x" * 300, email=False)
    assert len(notification.title) == 200 and notification.title.endswith("…")


# --- language ---------------------------------------------------------------------------------
def test_recipient_language_defaults_to_english(cast):
    assert recipient_language(cast.parent) == "en"
    cast.parent.language = "hi-IN"  # what a future preference field would carry
    assert recipient_language(cast.parent) == "hi"
    cast.parent.language = "fr"
    assert recipient_language(cast.parent) == "en"


def test_lazy_text_is_rendered_in_each_recipients_language(
    cast, django_capture_on_commit_callbacks
):
    active_language = lazy(translation.get_language, str)
    cast.parent.language = "hi"
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            recipients=[cast.parent, cast.admin],
            kind=kinds.GENERAL,
            title=format_lazy("Notice ({})", active_language()),
            body=active_language(),
        )
    by_user = {n.recipient_id: n for n in created}
    assert by_user[cast.parent.pk].title == "Notice (hi)"
    assert by_user[cast.parent.pk].language == "hi"
    assert by_user[cast.admin.pk].body == "en"
    hindi = next(m for m in mail.outbox if m.to == [cast.parent.email])
    assert "Notice (hi)" in hindi.subject
