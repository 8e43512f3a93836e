"""SCM paging: `position` (0-based offset) and `size` (at most 200), `X-Total-Count` (spec §4).

Clients stop at the first page shorter than `size`, so a page holds exactly `size` items
whenever that many remain. `HEAD` on a list path answers only the count.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from rest_framework.response import Response

from certdesk.core.models import AuditHead

from .base import parse_int

MAX_SIZE = 200
MAX_POSITION = 2**31 - 1
TOTAL_HEADER = "X-Total-Count"
# From this position on, a page is read as its ids first (an index walk) and then those rows:
# skipping 100,000 whole rows costs seconds on SQLite, skipping 100,000 index keys milliseconds.
DEFERRED_FROM = 1_000
# Exact totals of at least this many rows are kept COUNT_CACHE_SECONDS, keyed by the query and
# the audit log's tip (every change writes an audit row): a robot paging through a million
# certificates pays the COUNT once, not on each of its 5,000 pages, and still sees every change.
COUNT_CACHE_FROM = 10_000
COUNT_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Page:
    position: int
    size: int | None  # None: everything from `position` on

    def slice(self, items):
        end = None if self.size is None else self.position + self.size
        return items[self.position:end]


def page_of(request, *, default_size: int | None = MAX_SIZE) -> Page:
    """Read `position` and `size`; a missing size means `default_size` (None = no limit)."""
    params = request.query_params
    position = 0
    if params.get("position", "") != "":
        position = parse_int(params["position"], name="position", maximum=MAX_POSITION)
    size = default_size
    if params.get("size", "") != "":
        size = parse_int(params["size"], name="size", maximum=MAX_SIZE)
    return Page(position, size)


def total_of(items: QuerySet | Sequence) -> int:
    """The exact number of items (SCM's X-Total-Count); large counts come from the cache while
    nothing has changed."""
    if not isinstance(items, QuerySet):
        return len(items)
    counted = items.order_by()
    small = counted.values("pk")[:COUNT_CACHE_FROM].count()  # stops after COUNT_CACHE_FROM keys
    if small < COUNT_CACHE_FROM:
        return small
    try:
        sql, params = counted.values("pk").query.sql_with_params()
    except EmptyResultSet:  # pragma: no cover - an empty query set counted 0 above
        return 0
    tip = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    digest = hashlib.sha256(f"{counted.db}|{sql}|{params!r}|{tip}".encode()).hexdigest()
    key = f"certdesk:api-count:{digest}"
    total = cache.get(key)
    if total is None:
        total = counted.count()
        cache.set(key, total, COUNT_CACHE_SECONDS)
    return total


def page_items(items: QuerySet | Sequence, page: Page) -> list:
    """The items of `page`; deep pages of a query set read their ids first, then those rows."""
    if not isinstance(items, QuerySet) or page.position < DEFERRED_FROM:
        return list(page.slice(items))
    ids = list(page.slice(items.values_list("pk", flat=True)))
    found = {obj.pk: obj for obj in items.filter(pk__in=ids).order_by()}
    return [found[pk] for pk in ids if pk in found]


def list_response(request, items: QuerySet | Sequence, render: Callable[[Any], dict], *,
                  default_size: int | None = MAX_SIZE) -> Response:
    """A page of `items` rendered, with X-Total-Count; only the count for HEAD."""
    page = page_of(request, default_size=default_size)
    total = total_of(items)
    if request.method == "HEAD":
        return Response(headers={TOTAL_HEADER: str(total)})
    rows = [render(item) for item in page_items(items, page)] if page.size != 0 else []
    return Response(rows, headers={TOTAL_HEADER: str(total)})
