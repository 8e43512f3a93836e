from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "certdesk.domains"
    label = "domains"
    verbose_name = "Domains and DCV"
