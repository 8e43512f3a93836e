from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "certdesk.enrollment"
    label = "enrollment"
    verbose_name = "Self-enrollment (SSL web forms)"
