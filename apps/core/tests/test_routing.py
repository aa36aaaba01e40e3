"""`apps.core.api.routing.indexed`: the API's patterns grouped by literal prefix resolve every
path to the same view as the plain list did."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLResolver, get_resolver, path, re_path
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from drf_spectacular.generators import SchemaGenerator

from apps.core.api.routing import PrefixGuard, indexed, literal_prefix
from schools24 import api_urls


def _view(request):  # pragma: no cover - never called
    return None


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (path("me/", _view), "me/"),
        (path("attempts/<uuid:pk>/answers/", _view), "attempts/"),
        (re_path(r"^attempts/(?P<pk>[^/.]+)/$", _view), "attempts/"),
        (re_path(r"^attempts\.(?P<format>[a-z0-9]+)/?$", _view), "attempts"),
        (re_path(r"^colou?r/$", _view), "colo"),
        (re_path(r"^(?P<x>\d+)/$", _view), ""),
        (re_path(r"no-anchor/$", _view), ""),
        (path("", _view), ""),
    ],
)
def test_literal_prefix(pattern, prefix):
    assert literal_prefix(pattern) == prefix


def test_a_guard_answers_only_its_prefixes():
    guard = PrefixGuard(["attempts/", "attempts"])
    assert guard.match("attempts/1/") == ("attempts/1/", (), {})
    assert guard.match("quizzes/") is None
    assert str(guard) == ""


def test_patterns_keep_their_order_and_a_pattern_without_prefix_its_place():
    patterns = [
        path("a/", _view, name="a1"),
        re_path(r"^a\.(?P<format>[a-z]+)$", _view, name="a2"),
        re_path(r"^(?P<any>[^/]+)/$", _view, name="any"),
        path("a/", _view, name="a3"),
        path("b/", _view, name="b"),
    ]
    out = indexed(patterns)
    assert [type(p) for p in out] == [URLResolver, type(patterns[2]), URLResolver, URLResolver]
    assert [p.name for p in out[0].url_patterns] == ["a1", "a2"]
    assert [[p.name for p in group.url_patterns] for group in out[2:]] == [["a3"], ["b"]]
    resolver = URLResolver(RoutePattern("/"), out)
    assert resolver.resolve("/a/").url_name == "a1"
    assert resolver.resolve("/a.json").url_name == "a2"
    assert resolver.resolve("/b/").url_name == "any"  # the catch-all still comes first


def _sample_paths() -> list[str]:
    """One concrete path per API route (ids filled in), plus format suffixes and misses."""
    paths = []
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for route in schema["paths"]:
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route)
        paths += [concrete, concrete.rstrip("/") + ".json", concrete + "nope/"]
    return paths + ["/api/v1/", "/api/v1/nope/", "/api/v1/auth/", "/api/v1/attendance/register.csv"]


def _outcome(resolver, path_: str):
    try:
        match = resolver.resolve(path_)
    except Resolver404:
        return None
    return (match.func.__module__, match.func.__qualname__, match.url_name, match.kwargs)


def test_every_api_path_resolves_as_the_plain_list_did(db):
    plain = URLResolver(
        RoutePattern("/"),
        [
            path("api/v1/", api_urls.api_root, name="root"),
            *[
                URLResolver(RoutePattern("api/v1/"), module.urlpatterns)
                for module in api_urls.URL_MODULES
            ],
        ],
    )
    real = get_resolver()
    paths = _sample_paths()
    assert len(paths) > 250
    differ = [p for p in paths if _outcome(real, p) != _outcome(plain, p)]
    assert differ == []
    assert sum(_outcome(real, p) is not None for p in paths) > 150
