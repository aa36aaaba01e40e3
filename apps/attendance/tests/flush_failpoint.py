"""Imported by a flushing subprocess (`manage.py flush_write_buffer`) through the buffer's test
hook SCHOOLS24_BUFFER_TEST_KINDS, before it flushes: points the process at the test's Redis
key namespace (ATTENDANCE_TEST_PREFIX) and installs the failpoint named by
BUFFER_PROBE_FAILPOINT ("point[:n]", see `apps.core.tests.buffer_probe`), where the flusher
prints "FAILPOINT ..." and hangs until the test kills it."""

from __future__ import annotations

import os

from django.conf import settings

from apps.core.tests import buffer_probe

if os.environ.get("ATTENDANCE_TEST_PREFIX"):
    settings.BATCH_PROCESSOR_KEY_PREFIX = os.environ["ATTENDANCE_TEST_PREFIX"]
if os.environ.get("BUFFER_PROBE_FAILPOINT"):
    buffer_probe._install_failpoint(os.environ["BUFFER_PROBE_FAILPOINT"])
