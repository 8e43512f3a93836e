"""An index on serial_hex alone (the REST `serialNumber` filter and the portal search look a
serial up without its CA; the unique (ca, serial_hex) index cannot serve them: 7.5 s on SQLite
at 1,000,000 certificates).

PostgreSQL only: a trigram GIN index on UPPER(common_name), for the REST list's
`commonName` filter (icontains → UPPER(common_name) LIKE UPPER('%text%'), api/ssl.py), which
otherwise reads every row (issue 8: 3 s at 1,000,000 certificates). SQLite has no equivalent.
"""
from django.db import migrations, models


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS certificate_common_name_upper_trgm ON certificates_certificate "
                          "USING gin ((UPPER(common_name::text)) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS certificate_common_name_upper_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(model_name="certificate",
                            index=models.Index(fields=["serial_hex"], name="certificate_serial_hex")),
        migrations.RunPython(create, drop),
    ]
