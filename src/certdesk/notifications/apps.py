from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "certdesk.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import certificate_receivers, receivers, tenancy_receivers

        receivers.connect()
        certificate_receivers.connect()
        tenancy_receivers.connect()
