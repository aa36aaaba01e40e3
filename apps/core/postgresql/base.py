"""Django's PostgreSQL backend with a health check that costs no round trip on a busy worker.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` on a reused connection before a request's
first query: one more round trip on every request that touches the database (a fifth of an
autosave's). A connection PostgreSQL answered on less than DATABASE_HEALTH_CHECK_IDLE seconds
ago is trusted instead (the time is kept by `apps.core.pgtimeout.TimedConnection`); one idle
longer, or closed, is checked as Django checks it. What changes: a server restarted within that
moment fails the next statement on each such connection instead of the check (the request
answers 503 and Django drops the connection when it ends), where a longer-idle connection, the
case the check exists for, is still checked.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        conn = self.connection
        if (
            conn is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not conn.closed
            and time.monotonic() - getattr(conn, "answered_at", float("-inf"))
            < settings.DATABASE_HEALTH_CHECK_IDLE
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
