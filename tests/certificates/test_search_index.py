"""Substring search over certificate names, and the SQLite trigram index behind it (certificates/search.py)."""
from __future__ import annotations

import pytest
from django.db import connection

from certdesk.certificates import queries, search
from certdesk.certificates.models import Certificate
from tests.reports.factories import make_certs

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index exists on SQLite only")


def _found(text: str) -> set[int]:
    return set(queries.matching(Certificate.objects.all(), text).values_list("pk", flat=True))


def _certs(physics, *names):
    certs = []
    for name in names:
        (cert,) = make_certs(physics, 1, common_name=name)
        Certificate.objects.filter(pk=cert.pk).update(names_index=f",{name},")
        certs.append(cert)
    return certs


def test_search_finds_substrings_the_same_with_and_without_the_index(physics, monkeypatch):
    wiki, mail, other = _certs(physics, "wiki1.univ-lyon.example", "mail.univ-lyon.example", "wiki.other.example")
    assert _found("wiki") == {wiki.pk, other.pk}
    assert _found("IKI1.UNIV") == {wiki.pk}
    assert _found("univ-lyon") == {wiki.pk, mail.pk}
    assert _found("wi") == {wiki.pk, other.pk}  # under three characters: no trigram, the plain scan
    assert _found('"x') == set()  # quotes are a phrase's characters, not FTS syntax
    monkeypatch.setattr(search, "usable", lambda using="default": False)
    assert _found("wiki") == {wiki.pk, other.pk} and _found("univ-lyon") == {wiki.pk, mail.pk}


@sqlite_only
def test_index_follows_updates_and_deletes(physics):
    (cert,) = _certs(physics, "old-name.univ-lyon.example")
    assert _found("old-name") == {cert.pk}
    Certificate.objects.filter(pk=cert.pk).update(names_index=",new-name.univ-lyon.example,",
                                                  common_name="new-name.univ-lyon.example")
    assert _found("old-name") == set() and _found("new-name") == {cert.pk}
    Certificate.objects.filter(pk=cert.pk).delete()
    assert _found("new-name") == set()


@sqlite_only
def test_missing_triggers_are_recreated_and_the_index_rebuilt(physics):
    """Django's SQLite schema editor rebuilds a table to alter it, which drops its triggers: rows
    written meanwhile are found again once `ensure_index` (run after every migrate) rebuilt it."""
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER {search.FTS_TABLE}_{suffix}")
    (cert,) = _certs(physics, "written-without-trigger.example")
    assert search.ensure_index() is True
    assert _found("without-trigger") == {cert.pk}
    assert search.ensure_index() is False  # nothing missing: nothing done


def test_rest_common_name_filter_uses_it(physics):
    wiki, _mail, _other = _certs(physics, "wiki1.univ-lyon.example", "mail.univ-lyon.example", "wiki.other.example")
    narrowed = search.names_containing("common_name", "wiki1")
    qs = Certificate.objects.filter(common_name__icontains="wiki1")
    if narrowed is not None:
        qs = qs.filter(narrowed)
    assert list(qs.values_list("pk", flat=True)) == [wiki.pk]
