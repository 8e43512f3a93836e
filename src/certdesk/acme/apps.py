from django.apps import AppConfig


class AcmeConfig(AppConfig):
    name = "certdesk.acme"
    label = "acme"
    verbose_name = "ACME (RFC 8555)"
