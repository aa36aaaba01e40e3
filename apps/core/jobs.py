"""Background jobs with progress: what a service creates when it hands work to Celery, and what
the task calls to say how far it got.

    job = jobs.job_create(school=school, kind="fees.generate_invoices", requested_by=user,
                          params={...})
    queue.enqueue_on_commit("apps.fees.tasks.generate_invoices", str(job.pk))

    # in the task (a thin adapter):
    with jobs.running(job_id) as report:
        report.total(len(students))
        for chunk in chunks:
            ...
            report.advance(len(chunk))
        report.succeed({"created": n})

Progress is written with a plain UPDATE outside the work's own transaction, so a reader sees it
while the work runs; a block that raises marks the job failed with the error's message (and
re-raises, so Celery records it too). Running a finished job again does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import timezone

from .models import Job, JobStatus

FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def job_create(*, school, kind: str, requested_by=None, params: dict | None = None) -> Job:
    return Job.objects.create(
        school=school, kind=kind, requested_by=requested_by, params=params or {}
    )


class JobReport:
    """What a running task tells its job."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.result: dict[str, Any] | None = None
        self._file: tuple[str, bytes] | None = None

    def _update(self, **values: Any) -> None:
        Job.objects.filter(pk=self.job.pk).update(updated_at=timezone.now(), **values)

    def total(self, total: int) -> None:
        self._update(progress_total=total, progress_done=0)

    def advance(self, count: int = 1) -> None:
        self._update(progress_done=Least(F("progress_done") + count, F("progress_total")))

    def attach(self, name: str, content: bytes) -> None:
        """A file to keep as the job's result (stored when the job succeeds)."""
        self._file = (name, content)

    def succeed(self, result: dict[str, Any] | None = None) -> None:
        self.result = result or {}


@contextmanager
def running(job_id) -> Iterator[JobReport | None]:
    """Mark the job running for the block, then succeeded (or failed, if the block raises).
    Yields None when the job is already finished, so a task delivered twice does nothing."""
    claimed = Job.objects.filter(pk=job_id).exclude(status__in=FINISHED)
    if not claimed.update(
        status=JobStatus.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
    ):
        yield None
        return
    report = JobReport(Job.objects.get(pk=job_id))
    try:
        yield report
    except Exception as exc:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            error=str(exc)[:2000] or exc.__class__.__name__,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise
    job = Job.objects.get(pk=job_id)
    if report._file is not None:
        name, content = report._file
        job.result_file.save(name, ContentFile(content), save=False)
    job.status = JobStatus.SUCCEEDED
    job.result = report.result or {}
    job.progress_done = job.progress_total
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status", "result", "result_file", "progress_done", "finished_at", "updated_at"
        ]
    )  # fmt: skip


def readable_jobs(user):
    """The jobs `user` may read: their own, and every job of their school for a school admin.
    A platform superuser reads all; anyone else nothing."""
    from .access import is_platform_superuser
    from .roles import Role

    qs = Job.objects.select_related("requested_by")
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if is_platform_superuser(user):
        return qs
    if user.school_id is None:
        return qs.none()
    qs = qs.filter(school_id=user.school_id)
    if user.role == Role.ADMIN:
        return qs
    return qs.filter(Q(requested_by=user))
