from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_search_index(sender, using="default", **kwargs):
    from .search import ensure_index

    ensure_index(using)


class CertificatesConfig(AppConfig):
    name = "certdesk.certificates"
    label = "certificates"
    verbose_name = "Certificates"

    def ready(self):
        post_migrate.connect(_ensure_search_index, sender=self, dispatch_uid="certdesk-certificate-names-fts")
