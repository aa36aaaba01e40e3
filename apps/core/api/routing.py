"""URL patterns indexed by their literal prefix, so resolving an API path does not walk (and
record as tried) every pattern of the apps before the one that matches.

Django's resolver tries the patterns in order; a failed `include()` returns the list of every
pattern it tried, and the including resolver copies that list into its own. With six routers
behind `/api/v1/` (some 200 patterns), resolving a path of the last app cost about 0.5 ms, as
much as a whole request of a bare view. `indexed()` groups consecutive patterns by the first
segment of their literal prefix (`attempts/...`, `^attempts\\.(?P<format>...)`) and puts each
group behind a resolver that answers at once when the path starts with none of the group's
prefixes. A pattern can only match a path that starts with its literal prefix, and the order of
the patterns is kept, so the same view answers every path as before; reversing and the OpenAPI
schema see the same routes (the guard's own route is the empty string, as `path("", ...)`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, RoutePattern

_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_QUANTIFIERS = frozenset("*+?{")


def literal_prefix(pattern: URLPattern | URLResolver) -> str:
    """The text every path this pattern matches starts with ("" when unknown)."""
    matcher = pattern.pattern
    if isinstance(matcher, PrefixGuard):
        return ""
    if isinstance(matcher, RoutePattern):
        return str(matcher._route).split("<", 1)[0]
    if isinstance(matcher, RegexPattern):
        regex = str(matcher._regex)
        if not regex.startswith("^"):
            return ""  # Django anchors every pattern, but be safe with a hand-written one
        out = []
        for char in regex[1:]:
            if char in _REGEX_SPECIAL:
                if char in _QUANTIFIERS and out:
                    out.pop()  # the last character is optional or repeated: not literal
                break
            out.append(char)
        return "".join(out)
    return ""


class PrefixGuard(RoutePattern):
    """The route "" (as `path("", include(...))`) that matches only paths starting with one of
    `prefixes`."""

    def __init__(self, prefixes: Iterable[str]):
        super().__init__("", is_endpoint=False)
        self.prefixes = tuple(sorted(set(prefixes)))

    def match(self, path):
        if path.startswith(self.prefixes):
            return path, (), {}
        return None

    def __str__(self) -> str:
        return ""


def _segment(prefix: str) -> str:
    return prefix.split("/", 1)[0].split(".", 1)[0]


def indexed(patterns: Iterable[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """`patterns` in the same order, consecutive ones with the same first literal segment
    grouped behind a `PrefixGuard`; a pattern without a literal prefix stays as it is."""
    out: list[URLPattern | URLResolver] = []
    group: list[URLPattern | URLResolver] = []
    prefixes: list[str] = []
    segment = None

    def close() -> None:
        if group:
            out.append(URLResolver(PrefixGuard(prefixes), list(group)))
        group.clear()
        prefixes.clear()

    for pattern in patterns:
        prefix = literal_prefix(pattern)
        if not prefix:
            close()
            segment = None
            out.append(pattern)
            continue
        if _segment(prefix) != segment:
            close()
            segment = _segment(prefix)
        group.append(pattern)
        prefixes.append(prefix)
    close()
    return out
