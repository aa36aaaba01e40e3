"""Sign-in cost: how many password checks one core can do, per hasher.

    .venv/bin/python bench/signin.py [--rounds 20]

A sign-in is dominated by the password check, so this times `check_password` alone (CPU time
of this process, so other load on the machine does not count) for PBKDF2-SHA256 at Django's
default iterations (what existing hashes use) and for Argon2id at OWASP's parameters (what
`PASSWORD_HASHERS` makes now; apps/accounts/hashers.py). No database or Redis is needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import machine, say  # noqa: E402

HASHERS = {
    "pbkdf2_sha256 (Django default, 1,000,000 iterations)": "pbkdf2_sha256",
    "argon2id (m=19 MiB, t=2, p=1)": "argon2",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.test")
    import django
    from django.conf import settings

    django.setup()
    from schools24.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    say(f"machine: {machine()}")
    say(f"rounds: {args.rounds} password checks per hasher, CPU time of this process")
    say()
    say(f"{'hasher':<55} {'ms/check':>9} {'sign-ins/s/core':>16}")
    results = {}
    for label, algorithm in HASHERS.items():
        encoded = make_password("correct horse battery staple", hasher=get_hasher(algorithm))
        times = []
        for _ in range(args.rounds):
            start = time.process_time()
            assert check_password("correct horse battery staple", encoded)
            times.append(time.process_time() - start)
        cost = statistics.median(times)
        results[algorithm] = cost
        say(f"{label:<55} {cost * 1000:>9.1f} {1 / cost:>16.1f}")
    say()
    say(
        f"argon2id signs in {results['pbkdf2_sha256'] / results['argon2']:.1f}x as many users "
        "per core; 1,000 sign-ins on 2 cores take "
        f"{1000 * results['pbkdf2_sha256'] / 2:.0f} s before, "
        f"{1000 * results['argon2'] / 2:.0f} s after"
    )


if __name__ == "__main__":
    main()
