"""A report card made again after publication tells each family once per version."""

from __future__ import annotations

import pytest

from apps.exams import services
from apps.exams.models import ResultRun
from apps.notifications.models import Delivery, Notification
from apps.notifications.tasks import raise_event

from .factories import compute

pytestmark = pytest.mark.django_db


def _generate(api, cast, sy, exam, capture):
    with capture(execute=True):
        response = api(cast.admin).post("/api/v1/exams/report-cards/generate/", {
            "section": str(sy.sec_a.pk), "plan_term": str(exam.plan_term_id)}, format="json")  # fmt: skip
    assert response.status_code == 202, response.content


def test_cards_regenerated_after_publication_notify_once(
    cast, school_year, final, marked, api, django_capture_on_commit_callbacks
):
    sy = school_year
    compute(api, cast, sy, final, django_capture_on_commit_callbacks)
    _generate(api, cast, sy, final, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind="exams.report_card_ready").exists()  # unpublished
    run = ResultRun.objects.get()
    services.results_publish(run=run, actor=cast.admin)
    _generate(api, cast, sy, final, django_capture_on_commit_callbacks)
    notes = Notification.objects.filter(kind="exams.report_card_ready")
    # Sam (5-A) and his parent Pat hear of Sam's card; Oscar of his own.
    assert notes.filter(recipient=cast.parent).count() == 1
    assert notes.filter(recipient=cast.student.user).count() == 1
    assert notes.filter(recipient=cast.sibling.user).count() == 0  # 5-B
    pat = Delivery.objects.filter(kind="exams.report_card_ready", recipient=cast.parent)
    assert sorted(pat.values_list("channel", "status")) == [
        ("email", "delivered"), ("in_app", "delivered")
    ]  # fmt: skip
    key = notes.get(recipient=cast.parent).dedupe_key
    version = key.rsplit(":", 1)[1]
    again = raise_event.delay(
        "exams.report_card_ready", str(run.pk), {"section": str(sy.sec_a.pk), "version": version}
    ).get()
    assert again == 0
