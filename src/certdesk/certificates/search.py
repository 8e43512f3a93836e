"""Substring search over certificate names on SQLite, through an FTS5 trigram index.

PostgreSQL answers `names_index LIKE '%text%'` and `UPPER(common_name) LIKE …` from trigram GIN
indexes (migrations 0003/0004). SQLite has no such index: the same filter reads every row (10 s
for the REST `commonName` filter at 1,000,000 certificates). On SQLite, certdesk keeps an FTS5
table with the trigram tokenizer over (names_index, common_name), an external-content table
kept in step by triggers; a search first takes the rowids whose names contain the text from it,
and the exact LIKE still applies on top, so the rows found are the same as without the index.

The table and triggers are (re)created after every `migrate` (post_migrate): Django's SQLite
schema editor rebuilds a table to alter it, dropping its triggers, so they are checked each
time and the index is rebuilt when they were missing.
"""
from __future__ import annotations

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

FTS_TABLE = "certificate_names_fts"
MIN_LENGTH = 3  # trigrams: shorter texts cannot use the index

_TRIGGERS = {
    f"{FTS_TABLE}_ai": f"""
        CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON certificates_certificate BEGIN
          INSERT INTO {FTS_TABLE}(rowid, names_index, common_name) VALUES (new.id, new.names_index, new.common_name);
        END""",
    f"{FTS_TABLE}_ad": f"""
        CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON certificates_certificate BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, names_index, common_name)
            VALUES ('delete', old.id, old.names_index, old.common_name);
        END""",
    f"{FTS_TABLE}_au": f"""
        CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF names_index, common_name ON certificates_certificate BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, names_index, common_name)
            VALUES ('delete', old.id, old.names_index, old.common_name);
          INSERT INTO {FTS_TABLE}(rowid, names_index, common_name) VALUES (new.id, new.names_index, new.common_name);
        END""",
}


def ensure_index(using: str = "default") -> bool:
    """Create the FTS table and its triggers where missing (SQLite only); rebuild the index when
    anything was missing. True when something was (re)created."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        names = {row[0] for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = 'certificates_certificate' OR name LIKE ?", (f"{FTS_TABLE}%",))}
        if "certificates_certificate" not in names:
            return False
        missing = [name for name in (FTS_TABLE, *_TRIGGERS) if name not in names]
        if not missing:
            return False
        if FTS_TABLE in missing:
            cursor.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(names_index, common_name, "
                           f"content='certificates_certificate', content_rowid='id', tokenize='trigram')")
        for name, sql in _TRIGGERS.items():
            if name in missing:
                cursor.execute(sql)
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    return True


def usable(using: str = "default") -> bool:
    return connections[using].vendor == "sqlite"


def names_containing(column: str, text: str, *, using: str = "default") -> Q | None:
    """A Q narrowing certificates to those whose `column` (names_index or common_name) may contain
    `text`, answered by the trigram index; None where it cannot help (PostgreSQL has its own
    indexes, texts under three characters have no trigram)."""
    if column not in ("names_index", "common_name") or not usable(using) or len(text) < MIN_LENGTH:
        return None
    phrase = '"' + text.replace('"', '""') + '"'
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {column} MATCH %s", (phrase,)))
