"""Helpers the benchmarks share: scratch databases, free ports, machine facts, output.

Plain Python (no Django): the scripts create their scratch database before Django starts.
"""

from __future__ import annotations

import os
import platform
import socket
import urllib.parse
from pathlib import Path


def say(text: str = "") -> None:
    print(text, flush=True)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), load average {load}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_url(server_url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def ensure_database(server_url: str, name: str, fresh: bool) -> str:
    import psycopg2

    parts = urllib.parse.urlsplit(server_url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        if fresh:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        made = cursor.fetchone() is None
        if made:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return "created" if made else "reused"


def terminated(signum, frame):
    raise KeyboardInterrupt
