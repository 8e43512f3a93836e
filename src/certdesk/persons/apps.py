from django.apps import AppConfig


class PersonsConfig(AppConfig):
    name = "certdesk.persons"
    label = "persons"
    verbose_name = "Persons (holders of client certificates)"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the organization deletion guard
