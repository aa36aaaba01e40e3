"""Local development (`make run`): DEBUG on, console e-mail, embedded services from the env."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403
