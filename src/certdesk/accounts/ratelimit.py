"""Fixed-window request counters shared by every process through one table (issue 6).

One statement per hit (an upsert that returns the new count), so a limit costs one small indexed
write, whatever the number of web processes and machines. Windows older than two days are swept
by the worker's hourly job (`accounts.tasks`), never by a request: a request's cost stays fixed.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from .models import RateCounter

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
           "d": 86400, "day": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+?)s?\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    def __str__(self) -> str:
        unit = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}[self.period]
        return f"{self.limit} per {unit}"


def parse_rate(text: str, *, setting: str = "rate") -> Rate | None:
    """"600/minute" → Rate(600, 60); "off", "none", "0" or "" → None (no limit)."""
    value = (text or "").strip().lower()
    if value in {"", "off", "none", "0", "unlimited"}:
        return None
    match = _RATE_RE.match(value)
    if not match or match.group(2) not in PERIODS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f"{setting}: {text!r} is not a rate such as 600/minute, 20/second, "
                                   "10000/hour or 'off'.")
    return Rate(int(match.group(1)), PERIODS[match.group(2)])


@dataclass(frozen=True)
class Count:
    hits: int
    retry_after: int  # seconds until the window ends


def hit(*buckets: tuple[str, int], now: float | None = None) -> list[Count]:
    """Count one request in each (bucket, period in seconds) for its current window, all in one
    statement; the counts come back in the order given."""
    if not buckets:
        return []
    now = time.time() if now is None else now
    rows = [(bucket[:160], int(now // period) * period) for bucket, period in buckets]
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    bucket_col, window_col, hits_col = (connection.ops.quote_name(n) for n in ("bucket", "window_start", "hits"))
    values = ", ".join(["(%s, %s, 1)"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({bucket_col}, {window_col}, {hits_col}) VALUES {values} "
        f"ON CONFLICT ({bucket_col}, {window_col}) DO UPDATE SET {hits_col} = {table}.{hits_col} + 1 "
        f"RETURNING {bucket_col}, {window_col}, {hits_col}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        returned = {(bucket, window): hits for bucket, window, hits in cursor.fetchall()}
    return [
        Count(hits=returned[row], retry_after=max(1, int(row[1] + period - now + 0.999)))
        for row, (_bucket, period) in zip(rows, buckets)
    ]


def sweep(*, now: float | None = None) -> int:
    """Forget windows that ended more than a day ago."""
    now = time.time() if now is None else now
    deleted, _ = RateCounter.objects.filter(window_start__lt=int(now) - 2 * 86400).delete()
    return deleted
