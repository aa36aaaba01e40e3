"""The academics services use the shared service plumbing of apps/core."""

from __future__ import annotations

from apps.core.services import apply_fields as apply  # noqa: F401
from apps.core.services import refuse  # noqa: F401
from apps.core.services import save_checked as save  # noqa: F401
