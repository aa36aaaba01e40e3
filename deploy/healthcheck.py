"""Container health check: GET /healthz on this container's own gunicorn.

Sends a Host header Django accepts (the first concrete name in ALLOWED_HOSTS), so the check does
not fail with 400 DisallowedHost when ALLOWED_HOSTS lists only the public names.
Exit 0 when healthy, 1 otherwise (Docker HEALTHCHECK semantics).
"""

import os
import sys
import urllib.request


def host_header() -> str:
    for name in os.environ.get("ALLOWED_HOSTS", "").split(","):
        name = name.strip().lstrip(".")
        if name and "*" not in name:
            return name
    return "localhost"


def main() -> int:
    port = os.environ.get("PORT", "8080")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": host_header(), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - local URL
            return 0 if response.status == 200 else 1
    except Exception as exc:  # noqa: BLE001
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
