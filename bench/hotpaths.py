"""Hot paths against a bare DRF "hello" view, served the same way in one run, as ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ REDIS_URL=redis://127.0.0.1:6379/12 \
        .venv/bin/python bench/hotpaths.py [--fresh] [--duration 10] [--connections 16]

Needs `wrk` (Debian package). Everything happens in a scratch database on DATABASE_URL's server
(`--db`, default schools24_bench_hot; created, migrated and seeded with `seed_demo --force` when
missing, dropped and recreated with `--fresh`; the name must contain "bench"). MongoDB:
MONGODB_URI if it answers, else an in-memory SecantusDB started and stopped by the run.

The server: gunicorn with deploy/gunicorn.conf.py, production settings, 2 sync workers, no
access log, on a free port of 127.0.0.1, serving `bench/hello_wsgi.py`, which is the product's
WSGI application with one extra route, `/bench/hello/`: a DRF APIView with no authentication,
permission or throttle that answers `{"hello": "world"}`. Every other request takes the product's
own path.

The database is `VACUUM ANALYZE`d after seeding, as autovacuum would have done in production.
Measured, each with `wrk -t2 -c<connections> -d<duration>s` after a 2 s warm-up:
- hello (the reference; measured first and last, the mean is the denominator);
- `/healthz`;
- `GET /api/v1/me/` as the demo teacher (the authenticated floor);
- `GET /api/v1/students/?page_size=40` as the demo school admin (40-row list);
- `GET /api/v1/attendance/?section=<5-A>&date=<its latest marked day>&page_size=40` as the demo
  teacher (a section's attendance for a day);
- `GET /api/v1/quizzes/` as the demo student (a student's quizzes);
- `PUT /api/v1/attempts/<id>/answers/` of one answer (quiz autosave): the demo student and 15
  classmates each start the quiz and save their own attempt, the requests rotating over the
  16 (a wrk script); then once more with every request on the demo student's one attempt,
  for comparison (the same attempt's answers share one Redis hash).
Prints requests/s, p50/p99 latency, non-2xx answers, the ratio to hello and the goal for each.
The client (wrk) runs on the same machine as gunicorn, PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    GunicornServer,
    ensure_database,
    free_port,
    machine,
    say,
    scratch_url,
    start_mongo,
    stop_process,
    terminated,
)

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
SECRET = "bench-hotpaths-dummy-secret-key-0123456789abcdefghijklmnopqrstuv"
PASSWORD = "schools24-demo"
GOALS = {  # the code-health goals, as a fraction of hello
    "healthz": None,
    "me": 0.25,
    "students": 0.15,
    "attendance": 0.15,
    "quizzes": 0.15,
    "autosave": 0.25,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="schools24_bench_hot")
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the database")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's log file")
    args = parser.parse_args()
    if "bench" not in args.db or not re.fullmatch(r"[a-z0-9_]+", args.db):
        parser.error("--db must be a lower-case name containing 'bench' (it may be dropped)")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    return args


def product_env(db_url: str, redis_url: str, mongo_uri: str, port: int, workers: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "schools24.settings.production",
            "SECRET_KEY": SECRET,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "MONGODB_URI": mongo_uri,
            "MONGODB_DATABASE": "schools24_bench_hot",
            "CELERY_BROKER_URL": redis_url,  # tasks are enqueued only: no worker runs
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CACHE_KEY_PREFIX": f"bench-hot-{os.getpid()}",
            "THROTTLE_USER": "100000000/min",
            "THROTTLE_ANON": "100000000/min",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": "1",  # sync workers
            "GUNICORN_ACCESS_LOG": "",
            "LOG_LEVEL": "warning",
            "BIND": f"127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("JWT_SECRET", None)
    return env


def manage(env: dict, *args: str, timeout: float = 900) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        say(done.stdout[-2000:] + done.stderr[-4000:])
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return done.stdout


AUTOSAVERS = 16  # students of 5-A autosaving their own attempts, one wrk connection each

FIXTURE_SCRIPT = """
import json
from apps.academics.models import Section
from apps.accounts.models import User
from apps.attendance.models import AttendanceRecord
from apps.quizzes.models import Quiz
student = User.objects.get(email="student@demo.schools24.test").student_profile
section = Section.objects.get(school=student.school, enrollments__student=student,
                              enrollments__year__is_current=True)
day = AttendanceRecord.objects.filter(section=section).order_by("-date").values_list(
    "date", flat=True).first()
quiz = Quiz.objects.filter(school=student.school, status="published",
                           sections=section).order_by("-opens_at").first()
classmates = list(User.objects.filter(
    student_profile__enrollments__section=section).exclude(pk=student.user_id).order_by(
    "email").values_list("email", flat=True)[:AUTOSAVERS - 1])
if quiz:  # a run starts its own attempts: an earlier run's have run out of time by now
    quiz.attempts.filter(student__user__email__in=[student.user.email, *classmates]).delete()
print(json.dumps({"section": str(section.pk), "date": day.isoformat() if day else None,
                  "quiz": str(quiz.pk) if quiz else None,
                  "students": [student.user.email, *classmates]}))
""".replace("AUTOSAVERS - 1", str(AUTOSAVERS - 1))


def request(port, method, path, body=None, token=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        return response.status, json.loads(data) if data else {}
    except ValueError:
        return response.status, {"raw": data[:300].decode(errors="replace")}


def sign_in(port: int, email: str) -> str:
    status, body = request(
        port, "POST", "/api/v1/auth/token/", {"email": email, "password": PASSWORD}
    )
    if status != 200:
        raise SystemExit(f"sign-in as {email} failed: {status} {body}")
    return body["access"]


def one_answer(paper: list[dict]) -> dict:
    """One valid answer for the first question whose type takes a simple value."""
    for question in paper:
        content = question.get("content") or question
        kind = content.get("type")
        options = [o["id"] for o in content.get("options") or []]
        if kind == "single" and options:
            return {"question": question["question"], "answer": options[0]}
        if kind == "true_false":
            return {"question": question["question"], "answer": True}
        if kind == "numeric":
            return {"question": question["question"], "answer": 42}
    raise SystemExit("the demo quiz's paper has no single/true-false/numeric question")


WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
TOTAL = re.compile(r"(\d+) requests in")
LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def rotating(targets: list[tuple[str, str, dict]], threads: int = 2) -> str:
    """A wrk script sending PUTs of (path, token, body) in turn, each wrk thread starting at
    another place in the list, so no two connections keep hitting the same row."""
    rows = ",\n".join(
        f"{{{json.dumps(path)}, {json.dumps(token)}, {json.dumps(json.dumps(body))}}}"
        for path, token, body in targets
    )
    return f"""
local targets = {{
{rows}
}}
local offset = 0
local started = 0
function setup(thread)
  thread:set("offset", started * {len(targets) // threads})
  started = started + 1
end
local i = 0
function request()
  i = i + 1
  local t = targets[(offset + i) % #targets + 1]
  return wrk.format("PUT", t[1], {{["Authorization"] = "Bearer " .. t[2],
                                   ["Content-Type"] = "application/json"}}, t[3])
end
"""


def wrk(port, path, token, duration, connections, method="GET", body=None, lua=None) -> dict:
    script = None
    if lua is None and (method != "GET" or body is not None):
        lua = ""
        lua += f"wrk.method = {json.dumps(method)}\n"
        lua += f"wrk.body = {json.dumps(json.dumps(body))}\n"
        lua += 'wrk.headers["Content-Type"] = "application/json"\n'
    if lua:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(lua)
        script.close()
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "10s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if script:
        cmd += ["-s", script.name]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if script:
        os.unlink(script.name)
    latency = {p: float(v) * UNIT[u] for p, v, u in LATENCY.findall(out)}
    non2xx = NON_2XX.search(out)
    return {
        "rps": float(WRK_LINE.search(out).group(1)),
        "total": int(TOTAL.search(out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
    }


def classmates_autosaving(port: int, fixture: dict) -> list[tuple[str, str, dict]]:
    """The demo student's classmates each start the quiz: (answers path, token, one answer).
    A class autosaves its own attempts in a quiz, not one attempt from every connection."""
    out = []
    for email in fixture["students"][1:]:
        token = sign_in(port, email)
        status, theirs = request(
            port, "POST", f"/api/v1/quizzes/{fixture['quiz']}/attempts/", {}, token
        )
        if status not in (200, 201):
            raise SystemExit(f"{email} could not start the demo quiz: {status} {theirs}")
        path = f"/api/v1/attempts/{theirs['id']}/answers/"
        body = {"answers": [one_answer(theirs["paper"])]}
        status, reply = request(port, "PUT", path, body, token)
        if status >= 300:
            raise SystemExit(f"PUT {path} answered {status}: {str(reply)[:300]}")
        out.append((path, token, body))
    return out


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, terminated)
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    db_url = scratch_url(server_url, args.db)
    state = ensure_database(server_url, args.db, args.fresh)
    mongo, mongo_uri, mongo_kind = start_mongo()
    server = None
    try:
        port = free_port()
        env = product_env(db_url, redis_url, mongo_uri, port, args.web_workers)
        say(f"machine : {machine()}")
        say(f"mongo   : {mongo_kind}")
        started = time.perf_counter()
        manage(env, "migrate", "--noinput")
        manage(env, "ensure_mongo")
        # seed_demo is idempotent; quizzes are remade when the (in-memory) bank was emptied
        manage(env, "seed_demo", "--force")
        # A production database has planner statistics (autovacuum); a just-seeded one has
        # none yet, and the planner's guesses then sort a whole school to show 40 students.
        manage(
            env,
            "shell",
            "-c",
            "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')",
        )
        fixture = json.loads(manage(env, "shell", "-c", FIXTURE_SCRIPT).strip().splitlines()[-1])
        say(f"database: {args.db} ({state}), seeded in {time.perf_counter() - started:.1f} s")
        if not fixture["date"] or not fixture["quiz"]:
            raise SystemExit(f"the demo seed lacks attendance or an open quiz: {fixture}")

        server = GunicornServer(env, port, keep_log=args.keep_log, wsgi="bench.hello_wsgi")
        server.wait_ready()
        admin = sign_in(port, "admin@demo.schools24.test")
        teacher = sign_in(port, "teacher@demo.schools24.test")
        student = sign_in(port, "student@demo.schools24.test")
        status, attempt = request(
            port, "POST", f"/api/v1/quizzes/{fixture['quiz']}/attempts/", {}, student
        )
        if status not in (200, 201):
            raise SystemExit(f"could not start the demo quiz: {status} {attempt}")
        answer = {"answers": [one_answer(attempt["paper"])]}
        autosaves = [(f"/api/v1/attempts/{attempt['id']}/answers/", student, answer)]
        autosaves += classmates_autosaving(port, fixture)

        cases = [
            ("hello", "/bench/hello/", None, "GET", None),
            ("healthz", "/healthz", None, "GET", None),
            ("me", "/api/v1/me/", teacher, "GET", None),
            ("students", "/api/v1/students/?page_size=40", admin, "GET", None),
            (
                "attendance",
                f"/api/v1/attendance/?section={fixture['section']}&date={fixture['date']}"
                "&page_size=40",
                teacher,
                "GET",
                None,
            ),
            ("quizzes", "/api/v1/quizzes/", student, "GET", None),
            ("autosave", autosaves[0][0], None, "PUT", None),
            ("autosave, one attempt", autosaves[0][0], student, "PUT", answer),
            ("hello", "/bench/hello/", None, "GET", None),
        ]
        scripts = {"autosave": rotating(autosaves)}
        for name, path, token, method, body in cases:  # every path answers before timing
            if name in scripts:
                continue  # checked above
            status, reply = request(port, method, path, body, token)
            if status >= 300:
                raise SystemExit(f"{method} {path} answered {status}: {str(reply)[:300]}")
        say(
            f"server  : gunicorn, {args.web_workers} sync workers, production settings; "
            f"wrk -t2 -c{args.connections} -d{args.duration:g}s per endpoint\n"
        )
        results: dict[str, list[dict]] = {}
        for name, path, token, method, body in cases:
            lua = scripts.get(name)
            wrk(port, path, token, 2, args.connections, method, body, lua)  # warm-up
            results.setdefault(name, []).append(
                wrk(port, path, token, args.duration, args.connections, method, body, lua)
            )
        hello = sum(r["rps"] for r in results["hello"]) / len(results["hello"])
        say(
            f"{'endpoint':<12} {'req/s':>8} {'ratio':>7} {'goal':>6} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'non-2xx':>8}"
        )
        rows = [("hello (first)", results["hello"][0]), ("hello (last)", results["hello"][-1])]
        rows += [(name, runs[0]) for name, runs in results.items() if name != "hello"]
        for name, run in rows:
            goal = GOALS.get(name)
            ratio = run["rps"] / hello
            verdict = "" if goal is None else ("met" if ratio >= goal else "NOT met")
            say(
                f"{name:<14} {run['rps']:>8.0f} {ratio:>6.3f}x "
                f"{(f'{goal:.2f}x' if goal else '-'):>6} {run['p50'] or 0:>8.1f} "
                f"{run['p99'] or 0:>8.1f} {run['non2xx']:>8}  {verdict}"
            )
        say(f"\nhello mean {hello:.0f} req/s; load average {os.getloadavg()[0]:.2f}")
    finally:
        if server:
            server.stop()
        stop_process(mongo)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        say("\ninterrupted")
        sys.exit(130)
