from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "certdesk.discovery"
    label = "discovery"
    verbose_name = "Discovery (network certificate scans)"
