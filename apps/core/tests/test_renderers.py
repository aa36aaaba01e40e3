"""The orjson renderer writes what DRF's JSONRenderer writes, byte for byte."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from apps.core.api.renderers import ORJSONRenderer

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))

PAYLOADS = {
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "utc": dt.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=dt.UTC),
    "ist": dt.datetime(2026, 12, 2, 9, 30, tzinfo=IST),
    "naive": dt.datetime(2026, 12, 2, 9, 30),
    "date": dt.date(2026, 12, 2),
    "time": dt.time(9, 5, 7),
    "decimal": Decimal("12.50"),
    "lazy": gettext_lazy("This field is required."),
    "unicode": "नमस्ते ₹100",
    "nested": ReturnDict(
        {"list": ReturnList([1, 2.5, None, True], serializer=None)}, serializer=None
    ),
    "tuple": (1, "a"),
    "bytes": b"raw",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_each_type_renders_as_drf_renders_it(name):
    data = {"value": PAYLOADS[name]}
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_none_renders_an_empty_body():
    assert ORJSONRenderer().render(None) == JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(cast, api):
    response = api(cast.admin).get("/api/v1/me/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, ORJSONRenderer)
    assert response["Content-Type"] == "application/json"
    assert response.json()["email"] == "alice@alice.test"
