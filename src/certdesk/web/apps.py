from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "certdesk.web"
    label = "web"
