from django.apps import AppConfig


class CaConfig(AppConfig):
    name = "certdesk.ca"
    label = "ca"

    def ready(self) -> None:
        # CRL and OCSP refresh on revocation (certificates.signals revoked/replaced/issued).
        from . import receivers  # noqa: F401
