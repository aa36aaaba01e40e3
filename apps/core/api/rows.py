"""Response rows built directly for the busiest lists, written as DRF's fields write them.

A 40-row page through a `Serializer` walks every field of every row (attribute lookup,
`to_representation`, null checks): on a register or a students page that cost more than the
queries. The hot lists build plain dicts with these converters instead and keep their
`Serializer` as the documented shape (the OpenAPI schema); each such list has a test that its
rows equal the serializer's output. The renderer writes UUIDs, dates and date-times itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _or_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


# CharField / UUIDField (string form), IntegerField, BooleanField, DateField (ISO 8601).
text = _or_none(str)
integer = _or_none(int)
boolean = _or_none(bool)
iso_date = _or_none(lambda value: value if isinstance(value, str) else value.isoformat())
