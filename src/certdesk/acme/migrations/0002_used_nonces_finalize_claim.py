"""Stateless replay nonces: the table now holds used nonces only (`acme.nonces`); the rows of
issued nonces it held are dropped (their format is refused now). Orders get the finalize claim."""
from django.db import migrations, models


def drop_issued_nonces(apps, schema_editor):
    apps.get_model("acme", "Nonce").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("acme", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_issued_nonces, migrations.RunPython.noop),
        migrations.RenameModel(old_name="Nonce", new_name="UsedNonce"),
        migrations.AddField(
            model_name="acmeorder",
            name="finalizing_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
