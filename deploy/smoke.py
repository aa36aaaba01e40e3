#!/usr/bin/env python3
"""Smoke check of a running deployment, through its public API only (standard library only, so
a pipeline runs it without the project's packages; `manage.py smoke` runs the same code).

    python deploy/smoke.py https://api.schools24.example --email ops@school.example
    (password from --password or SMOKE_PASSWORD; e-mail from SMOKE_EMAIL when not given)

Signs in as an operator (a school admin), checks /healthz, then per domain one read and one
write that leaves the data as it was: a PATCH writing back a field's current value (the whole
update path runs: validation, permissions, the save, the audit row) or a PUT of what was just
read. A domain whose list is empty skips its write. Domains whose writes are records (marks,
payments, attempts, submissions) are read only. Exit 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

API = "/api/v1"
# domain: (read path, write) with write one of
#   ("patch-same", list path, field): PATCH the first row's `field` with its own value
#   ("put-same", path, keys): PUT back the given keys of what GET answered
#   None: read only (its writes create records that must not be made by a check)
CHECKS: dict[str, tuple[str, tuple | None]] = {
    "accounts": ("/me/", ("patch-same", "/me/", "full_name")),
    "academics": ("/subjects/", ("patch-same", "/subjects/", "name")),
    "attendance": ("/attendance/not-taken/", None),
    "calendar": ("/calendar-events/", ("patch-same", "/calendar-events/", "title")),
    "exams": ("/exams/grade-scales/", ("patch-same", "/exams/grade-scales/", "name")),
    "fees": ("/fees/heads/", ("patch-same", "/fees/heads/", "name")),
    "homework": ("/homework/", None),
    "inventory": ("/inventory/categories/", ("patch-same", "/inventory/categories/", "name")),
    "notifications": (
        "/notifications/",
        ("put-same", "/notifications/preferences/", ("rules", "quiet_hours")),
    ),
    "payments": ("/payments/orders/", None),
    "quizzes": ("/quizzes/", None),
    "transport": ("/transport/routes/", ("patch-same", "/transport/routes/", "name")),
}


@dataclass
class Result:
    name: str
    ok: bool
    detail: str


class Client:
    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.token = ""

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        request.add_header("X-Request-ID", f"smoke-{int(time.time())}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")[:200]


def _rows(payload) -> list:
    if isinstance(payload, dict):
        return payload.get("results") or []
    return payload if isinstance(payload, list) else []


def _write(client: Client, write: tuple) -> Result | None:
    kind, path = write[0], API + write[1]
    if kind == "put-same":
        status, current = client.call("GET", path)
        if status != 200 or not isinstance(current, dict):
            return Result("write", False, f"GET {path} answered {status}")
        body = {key: current.get(key) for key in write[2]}
        status, _ = client.call("PUT", path, body)
        return Result("write", status == 200, f"PUT {path} (unchanged) -> {status}")
    field = write[2]
    status, payload = client.call("GET", path)
    if status != 200:
        return Result("write", False, f"GET {path} answered {status}")
    if isinstance(payload, dict) and "results" not in payload:
        target, value = path, payload.get(field)  # a single resource (/me/)
    else:
        rows = _rows(payload)
        if not rows:
            return Result("write", True, f"skipped: {path} is empty")
        target, value = f"{path}{rows[0]['id']}/", rows[0].get(field)
    status, answer = client.call("PATCH", target, {field: value})
    same = isinstance(answer, dict) and answer.get(field) == value
    return Result(
        "write", status == 200 and same, f"PATCH {target} {field} (unchanged) -> {status}"
    )


def run(base_url: str, email: str, password: str, *, out=sys.stdout) -> bool:
    client = Client(base_url)
    results: list[tuple[str, Result]] = []
    status, _ = client.call("GET", "/healthz")
    results.append(("health", Result("healthz", status == 200, f"GET /healthz -> {status}")))
    status, body = client.call("POST", f"{API}/auth/token/", {"email": email, "password": password})
    signed_in = status == 200 and isinstance(body, dict) and bool(body.get("access"))
    results.append(("auth", Result("sign-in", signed_in, f"POST {API}/auth/token/ -> {status}")))
    if signed_in:
        client.token = body["access"]
        for domain, (read, write) in CHECKS.items():
            status, _ = client.call("GET", API + read)
            results.append((domain, Result("read", status == 200, f"GET {API}{read} -> {status}")))
            if write is not None:
                results.append((domain, _write(client, write)))
    for domain, result in results:
        mark = "ok  " if result.ok else "FAIL"
        print(f"[smoke] {mark} {domain:<13} {result.name:<7} {result.detail}", file=out)
    passed = all(result.ok for _, result in results)
    print(f"[smoke] {'passed' if passed else 'FAILED'}: {len(results)} checks", file=out)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--email", default=os.environ.get("SMOKE_EMAIL", ""))
    parser.add_argument("--password", default=os.environ.get("SMOKE_PASSWORD", ""))
    args = parser.parse_args(argv)
    if not (args.email and args.password):
        parser.error("give --email and --password (or SMOKE_EMAIL / SMOKE_PASSWORD)")
    return 0 if run(args.base_url, args.email, args.password) else 1


if __name__ == "__main__":
    sys.exit(main())
