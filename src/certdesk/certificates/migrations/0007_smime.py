"""Client (S/MIME) certificates: the person a certificate is for, escrowed private keys, the
profiles' secondary-name switch, and the seeded client-certificate profiles (seed 003 §8.1)."""
import django.db.models.deletion
from django.db import migrations, models


# Frozen copy of certdesk.certificates.profiles.SEEDED_SMIME_PROFILES at the time of this migration.
SMIME_DEFAULTS = {
    "kind": "SMIME", "validation_level": "OV", "terms": [365, 730],
    "key_types": {"RSA": ["2048", "3072", "4096"], "EC": ["P-256", "P-384"]},
    "max_sans": 20, "wildcard": "FORBIDDEN", "auto_www_san": False, "signature_algorithm": "SHA384withRSA",
    "ou_allowed": False, "extra_policy_oids": [], "validation_only": False, "description": "",
    "use_secondary_org_name": False,
}
SMIME_PROFILES = [
    {"name": "GÉANT Personal Certificate",
     "description": "The standard client certificate, e.g. for S/MIME email signing and encryption (RSA or ECC)."},
    {"name": "GÉANT IGTF-MICS-Personal", "extra_policy_oids": ["1.2.840.113612.5.2.2.5"],
     "use_secondary_org_name": True,
     "description": "IGTF (grid) personal certificate: only to interoperate with IGTF services or users."},
    {"name": "GÉANT IGTF-MICS-Robot Personal", "extra_policy_oids": ["1.2.840.113612.5.2.2.5"],
     "use_secondary_org_name": True,
     "description": "IGTF (grid) robot certificate held by a person: only to interoperate with IGTF services."},
    {"name": "GÉANT IGTF-Classic-Robot Email", "extra_policy_oids": ["1.2.840.113612.5.2.2.1"],
     "use_secondary_org_name": True,
     "description": "IGTF Classic robot certificate with an email address: only to interoperate with IGTF "
                    "services."},
]


def seed(apps, schema_editor):
    Profile = apps.get_model("certificates", "Profile")
    for position, spec in enumerate(SMIME_PROFILES, start=1):
        values = {**SMIME_DEFAULTS, **spec}
        name = values.pop("name")
        Profile.objects.get_or_create(customer=None, kind=values["kind"], name=name,
                                      defaults={**values, "position": position})


def unseed(apps, schema_editor):
    Profile = apps.get_model("certificates", "Profile")
    Profile.objects.filter(customer=None, kind="SMIME", name__in=[p["name"] for p in SMIME_PROFILES],
                           certificates__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0006_dashboard_indexes'),
        ('persons', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='certificate',
            name='person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='persons.person'),
        ),
        migrations.AddField(
            model_name='profile',
            name='use_secondary_org_name',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='EscrowedKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key_id', models.CharField(max_length=16)),
                ('nonce', models.BinaryField()),
                ('ciphertext', models.BinaryField()),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('recovered_count', models.PositiveIntegerField(default=0)),
                ('certificate', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='escrowed_key', to='certificates.certificate')),
            ],
        ),
        migrations.RunPython(seed, unseed),
    ]
