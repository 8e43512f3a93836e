"""CSV and XLSX renderings of report rows, produced piece by piece so a million rows never sit in
memory: CSV as an iterator of text lines, XLSX through openpyxl's write-only mode into a
temporary file. No HTTP here: the portal wraps these in its responses.

Cells that a spreadsheet would run as a formula (text starting with = + - @, tab or carriage
return) are neutralised (OWASP "CSV injection"): prefixed with a quote in CSV, and stored as
plain text in XLSX. Date-times are written in the time zone given (the admin's).
"""
from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Callable, IO, Iterable, Iterator

from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's row limit, header included.
XLSX_MAX_ROWS = 1_048_576
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Control characters an XLSX (XML 1.0) cell cannot hold.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    header: str  # already translated: exports run after the view returned
    value: Callable[[Any], Any]


def neutralise(text: str) -> str:
    """A quote before text a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value: Any, tz: tzinfo) -> Any:
    """A cell value: local naive date-time, date, number, or text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, tz)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, (date, bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


def csv_cell(value: Any, tz: tzinfo) -> str:
    value = _plain(value, tz)
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    return neutralise(value)


def csv_lines(columns: list[Column], rows: Iterable[Any], *, tz: tzinfo) -> Iterator[str]:
    """The CSV text (UTF-8 with a byte-order mark, so spreadsheets read accents), one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield "\ufeff" + line([neutralise(c.header) for c in columns])
    for row in rows:
        yield line([csv_cell(c.value(row), tz) for c in columns])


def xlsx_file(columns: list[Column], rows: Iterable[Any], *, tz: tzinfo, title: str) -> IO[bytes]:
    """An XLSX workbook of the rows in a temporary file, rewound (the caller streams and closes it).
    Rows beyond Excel's limit are not written: check the count first (`XLSX_MAX_ROWS`)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Report")
    bold = Font(bold=True)

    def cell(value: Any, *, header: bool = False) -> WriteOnlyCell:
        value = _plain(value, tz)
        if isinstance(value, str):
            value = ILLEGAL_XML.sub("", value)
        out = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            out.data_type = "s"  # never a formula, whatever the text starts with
        elif isinstance(value, datetime):
            out.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            out.number_format = "yyyy-mm-dd"
        if header:
            out.font = bold
        return out

    sheet.append([cell(c.header, header=True) for c in columns])
    written = 1
    for row in rows:
        if written >= XLSX_MAX_ROWS:
            break
        sheet.append([cell(c.value(row)) for c in columns])
        written += 1
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out
