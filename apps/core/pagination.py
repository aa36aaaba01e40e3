"""Page-number pagination that counts only when it must.

A list's `count` is the number of rows across all pages. Django's paginator runs a `COUNT(*)`
(the list's whole query again, scopes and joins included) before it reads any page. When the
page read comes back short of `page_size`, it is the last page, and the count is simply the
rows before it plus the rows on it: `CountingPaginator` reads the page first and counts only
when the page is full (more rows may follow). Responses are the same: `count`, `next`,
`previous`, `results`, and 404 for a page past the end.
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from rest_framework.pagination import PageNumberPagination

PAGING_PARAMS = frozenset({"page", "page_size"})


def asks_only_for_a_page(request) -> bool:
    """A list request with no filter, search or ordering: only `page` and `page_size`, if any."""
    return set(request.query_params) <= PAGING_PARAMS


# PostgreSQL's OFFSET is a bigint: a page number past it is answered by counting (a 404).
MAX_OFFSET = 2**62


class CountingPaginator(Paginator):
    def page(self, number):
        if "count" in self.__dict__ or self.orphans:
            return super().page(number)  # counted already, or Django's rule for orphans
        number = self._checked(number)
        bottom = (number - 1) * self.per_page
        if bottom + self.per_page > MAX_OFFSET:
            return super().page(number)  # no such page: Django's check against the count
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if len(rows) < self.per_page:
            if not rows and number > 1:
                raise EmptyPage(self.error_messages["no_results"])
            self.count = bottom + len(rows)  # the last page: everything is known
        return self._get_page(rows, number, self)

    def _checked(self, number) -> int:
        """Django's checks of a page number short of comparing it with the page count (the
        page read decides that)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class StandardPagination(PageNumberPagination):
    """Page-number pagination; clients pick `page_size` up to a hard cap."""

    django_paginator_class = CountingPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
