#!/usr/bin/env python3
"""`make test`: embedded servers for the URLs that are unset, then pytest on 2 cores.

    python deploy/local/test.py [pytest args...]      e.g. make test ARGS="-k login -x"

DATABASE_URL / REDIS_URL / MONGODB_URI that are set are used as they are (CI sets the first two
to the machine's PostgreSQL and Redis); each unset one gets an embedded server under .data/.
PYTEST_WORKERS (default 2) sets `-n`; a `-n` in the arguments wins. Exits with pytest's code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402


def main(args: list[str]) -> int:
    os.chdir(services.ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "schools24.settings.test"
    try:
        urls = services.ensure(lease=True)
    except services.ServiceError as exc:
        services.log(f"ERROR: {exc}")
        services.release()
        return 1
    os.environ.update(urls)
    for var in services.SERVICES:
        where = "embedded" if var in urls else "from the environment"
        print(f"[test] {var} {where}: {os.environ[var]}", file=sys.stderr)

    workers = os.environ.get("PYTEST_WORKERS", "2")
    cmd = [sys.executable, "-m", "pytest"]
    if workers not in ("", "0", "1"):
        cmd += ["-n", workers]
    cmd += args
    print(f"[test] {' '.join(cmd)}", file=sys.stderr, flush=True)

    # pytest shares our process group, so Ctrl-C reaches it directly; we only wait for it to
    # finish, and pass SIGTERM on.
    started = time.monotonic()
    proc = subprocess.Popen(cmd)  # noqa: S603
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM))
    try:
        code = proc.wait()
    finally:
        services.release()
    if code < 0:  # killed by a signal: report it the way a shell does
        code = 128 - code
    print(f"[test] pytest exited {code} after {time.monotonic() - started:.1f}s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
