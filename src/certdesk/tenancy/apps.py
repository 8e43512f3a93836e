from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "certdesk.tenancy"
    label = "tenancy"
