"""The exams admin screens open for a school admin with the school's rows only; a computed
class's results are published from the admin; a frozen scale is read-only there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.exams import services
from apps.exams.models import GradeScale, ResultRun

pytestmark = pytest.mark.django_db
MODELS = ["examsettings", "gradescale", "assessmentplan", "planterm", "exam", "mark",
          "coscholasticarea", "resultrun", "studentresult", "reportcard", "reportcardbatch"]  # fmt: skip


@pytest.mark.parametrize("model", MODELS)
def test_changelists_open(cast, school_year, plan, client, model):
    client.force_login(cast.admin)
    response = client.get(reverse(f"admin:exams_{model}_changelist"))
    assert response.status_code == 200


def test_publish_from_the_admin_and_frozen_scales(cast, school_year, plan, client,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(cast.admin)
    plan_term = plan.terms.get(order=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.results_compute_start(school=cast.school, actor=cast.admin,
                                       school_class=school_year.klass, plan_term=plan_term)  # fmt: skip
    run = ResultRun.objects.get()
    response = client.post(reverse("admin:exams_resultrun_changelist"),
                           {"action": "publish", "_selected_action": [str(run.pk)]})  # fmt: skip
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "published"
    scale = GradeScale.objects.get(school=cast.school, code="cbse-8")
    page = client.get(reverse("admin:exams_gradescale_change", args=[scale.pk]))
    assert page.status_code == 200 and b'name="name"' not in page.content  # read-only
    other = client.get(reverse("admin:exams_gradescale_change", args=[scale.pk]).replace(
        str(scale.pk), "00000000-0000-0000-0000-000000000000"))  # fmt: skip
    assert other.status_code == 302  # not found: back to the list
