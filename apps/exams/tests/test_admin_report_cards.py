"""Report cards per section in the admin: each section with computed results, its latest
combined PDF and students' cards, and a new generation started from the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.exams import services
from apps.exams.models import ReportCard, ReportCardBatch

pytestmark = pytest.mark.django_db
URL = reverse("admin:exams_reportcardbatch_sections")


@pytest.fixture
def computed(cast, school_year, plan, django_capture_on_commit_callbacks):
    plan_term = plan.terms.get(order=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.results_compute_start(school=cast.school, actor=cast.admin,
                                       school_class=school_year.klass, plan_term=plan_term)  # fmt: skip
    return plan_term


def names(page) -> list[str]:
    assert page.status_code == 200
    return [row["section"].display_name for row in page.context["rows"]]


def test_sections_with_computed_results_and_a_generation(
    cast, school_year, computed, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin)
    page = client.get(URL)
    assert names(page) == ["5-A", "5-B"]
    assert all(row["batch"] is None for row in page.context["rows"])
    assert 'id="report-cards"' in page.content.decode()

    form = {"section": str(school_year.sec_a.pk), "plan_term": str(computed.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form, follow=True)
    assert response.status_code == 200
    assert "are being generated" in response.content.decode()
    batch = ReportCardBatch.objects.get(section=school_year.sec_a)
    assert batch.cards == 2 and ReportCard.objects.filter(section=school_year.sec_a).count() == 2

    rows = {r["section"].display_name: r for r in client.get(URL).context["rows"]}
    assert rows["5-A"]["batch"] == batch and rows["5-B"]["batch"] is None
    html = client.get(URL).content.decode()
    assert batch.file.url in html
    assert f"section__id__exact={school_year.sec_a.pk}" in rows["5-A"]["cards_url"]


def test_another_school_sees_and_generates_nothing_of_ours(cast, school_year, computed, client):
    client.force_login(cast.admin2)
    page = client.get(URL)
    assert names(page) == []  # the page loaded, without school one's sections
    form = {"section": str(school_year.sec_a.pk), "plan_term": str(computed.pk)}
    assert client.post(URL, form).status_code == 404
    assert not ReportCardBatch.objects.exists()
    client.force_login(cast.teacher.user)  # teachers never use the admin
    assert client.get(URL).status_code == 302
