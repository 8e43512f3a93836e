from django.apps import AppConfig


class CaConfig(AppConfig):
    name = "certdesk.ca"
    label = "ca"
