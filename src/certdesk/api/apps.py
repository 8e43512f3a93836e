from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "certdesk.api"
    label = "api"
