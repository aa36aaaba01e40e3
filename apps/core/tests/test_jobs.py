"""Background jobs: progress reporting, the /api/v1/jobs/{id}/ endpoint, and the admin list."""

from __future__ import annotations

import pytest

from apps.core import jobs
from apps.core.models import Job, JobStatus


def _job(cast, user):
    return jobs.job_create(school=user.school, kind="test.kind", requested_by=user)


def test_running_reports_progress_and_success(cast):
    job = _job(cast, cast.admin)
    with jobs.running(job.pk) as report:
        report.total(4)
        report.advance(3)
        assert Job.objects.get(pk=job.pk).progress_done == 3
        assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
        report.attach("out.csv", b"a,b\n")
        report.succeed({"rows": 3})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.percent) == (4, 4, 100)
    assert job.result == {"rows": 3}
    assert job.result_file.read() == b"a,b\n"
    assert job.started_at and job.finished_at


def test_a_failing_block_marks_the_job_failed_and_a_finished_job_is_not_run_again(cast):
    job = _job(cast, cast.admin)
    with pytest.raises(ValueError), jobs.running(job.pk) as report:
        report.total(10)
        report.advance(20)  # never beyond the total
        assert Job.objects.get(pk=job.pk).progress_done == 10
        raise ValueError("boom")
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "boom")
    with jobs.running(job.pk) as report:
        assert report is None


@pytest.mark.parametrize(
    "persona, found",
    [
        ("accountant", True),  # the requester
        ("admin", True),  # their school's admin
        ("admin2", False),  # another school
        ("teacher", False),
        ("parent", False),
        ("student", False),
    ],
)
def test_job_endpoint_answers_the_requester_and_school_admins_only(cast, api, persona, found):
    job = _job(cast, cast.accountant.user)
    with jobs.running(job.pk) as report:
        report.total(2)
        report.advance(1)
        response = api(cast.user(persona)).get(f"/api/v1/jobs/{job.pk}/")
    if not found:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "running"
    assert (body["progress_done"], body["progress_total"], body["percent"]) == (1, 2, 50)
    assert body["result_file"] is None


def test_admin_lists_the_schools_jobs(cast, client):
    mine = _job(cast, cast.admin)
    jobs.job_create(school=cast.school2, kind="other.school", requested_by=cast.admin2)
    client.force_login(cast.admin)
    response = client.get("/admin/core/job/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "test.kind" in text and "other.school" not in text
    assert client.get(f"/admin/core/job/{mine.pk}/change/").status_code == 200
