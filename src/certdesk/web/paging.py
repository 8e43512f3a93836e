"""Portal paging that stays fast on a network operator's data (issue 8).

An MRAO of a large network sees a million certificates and a hundred thousand domains: an exact
COUNT over that many rows costs a second on every page, for a number nobody pages through.
Portal lists count up to COUNT_CAP rows and then say "more than 5,000": the page links stop
there, the filters and the exports (which stream every row) reach the rest.
"""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 5_000


def capped_count(qs: QuerySet, cap: int = COUNT_CAP) -> int:
    """min(rows, cap + 1): the database stops reading after cap + 1 keys."""
    return qs.values("pk").order_by()[:cap + 1].count()


class CappedPaginator(Paginator):
    """A Paginator whose count stops at `cap` (`capped` says when more rows match)."""

    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        found = capped_count(self.object_list, self.cap)
        self.capped = found > self.cap
        return min(found, self.cap)
