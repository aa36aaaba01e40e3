"""Writes of the analytics app: the rollups (`rollup`) and report exports (`exports`)."""

from .rollup import rollup_day, rollup_nightly, rollup_range  # noqa: F401
