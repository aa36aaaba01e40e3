"""The dashboard cast: the shared `school_year` (root conftest) with the clock pinned to a
Wednesday of its year, and a private write-buffer namespace so attendance marks stay pending
until a test flushes them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from apps.core.testing import buffer_namespace
from apps.exams.tests.conftest import final, marked  # noqa: F401  (an exam marked in 5-A)

NOW = dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC)  # Wednesday 10:30 in Kolkata
TODAY = dt.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def ns(settings):
    settings.ATTENDANCE_EDIT_WINDOW_DAYS = 3
    with buffer_namespace(settings, "dash") as prefix:
        yield prefix
