"""SCM paging: `position` (0-based offset) and `size` (at most 200), `X-Total-Count` (spec §4).

Clients stop at the first page shorter than `size`, so a page holds exactly `size` items
whenever that many remain. `HEAD` on a list path answers only the count.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from django.db.models import QuerySet
from rest_framework.response import Response

from .base import parse_int

MAX_SIZE = 200
MAX_POSITION = 2**31 - 1
TOTAL_HEADER = "X-Total-Count"


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
    return items.count() if isinstance(items, QuerySet) else len(items)


def list_response(request, items: QuerySet | Sequence, render: Callable[[Any], dict], *,
                  default_size: int | None = MAX_SIZE) -> Response:
    """A page of `items` rendered, with X-Total-Count; only the count for HEAD."""
    page = page_of(request, default_size=default_size)
    total = total_of(items)
    if request.method == "HEAD":
        return Response(headers={TOTAL_HEADER: str(total)})
    rows = [render(item) for item in page.slice(items)] if page.size != 0 else []
    return Response(rows, headers={TOTAL_HEADER: str(total)})
