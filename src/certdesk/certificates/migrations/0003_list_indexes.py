"""Indexes for the certificate lists at 1,000,000 rows (issue 8, bench/list_pages.py).

- (status, id) and (requested_via, id): a status / "requested via" filter read newest first
  (ORDER BY id DESC LIMIT n) walks the index instead of sorting or scanning the table.
- (organization, kind, status): lists and their counts filter through the scope join
  (certificate → organization → customer); with this index SQLite counts 1,000,000 rows from
  the index alone (0.08 s instead of 9-13 s for the REST list's X-Total-Count).
- PostgreSQL only: a trigram GIN index on names_index, so the name search (names_index LIKE
  '%text%', certificates.queries) does not read the whole table. pg_trgm is a trusted
  extension (PostgreSQL 13+): the database owner may create it. SQLite has no equivalent.
"""
from django.db import migrations, models


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS certificate_names_trgm ON certificates_certificate "
                          "USING gin (names_index gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS certificate_names_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0002_seed_profiles"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="certificate",
            index=models.Index(fields=["status", "id"], name="certificate_status_id"),
        ),
        migrations.AddIndex(
            model_name="certificate",
            index=models.Index(fields=["requested_via", "id"], name="certificate_via_id"),
        ),
        migrations.AddIndex(
            model_name="certificate",
            index=models.Index(fields=["organization", "kind", "status"], name="certificate_org_kind_status"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
