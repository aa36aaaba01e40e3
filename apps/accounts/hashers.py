"""Password hashing: Argon2id at OWASP's recommended parameters.

Django's own Argon2 hasher defaults to 100 MiB and 8 lanes, which a 2-core web pod pays on
every sign-in. OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2, p=1 as a minimum
configuration of equal strength; at those parameters one check costs ~36 ms of CPU here against
~340 ms for PBKDF2-SHA256 at Django's 1,000,000 iterations (bench/signin.py).

The algorithm name stays "argon2", so a hash made with other Argon2 parameters still verifies
and is re-hashed with these at the next sign-in; PBKDF2 hashes are upgraded the same way
(PASSWORD_HASHERS lists them after this one).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
