"""The calendar tests use the academics cast (see apps/academics/tests/conftest.py): school one's
current year 2026-27 with Class 5, sections 5-A (Sam, Oscar; Tara teaches Mathematics there) and
5-B (Sia); Pat is the parent of Sam and Sia."""

from apps.academics.tests.conftest import academics  # noqa: F401  (the fixture)
