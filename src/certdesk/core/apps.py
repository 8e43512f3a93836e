from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(sender, using="default", **kwargs):
    # The database cache (shared by every web and worker process) needs its table;
    # creating it after every migrate keeps `certdesk migrate` the only set-up step.
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    name = "certdesk.core"
    label = "core"

    def ready(self):
        post_migrate.connect(_create_cache_table, sender=self)
