"""`makemessages` that also extracts the core's refusal templates: `msg("... %(name)s ...", name=...)`.

The core keeps its refusals English (core/i18n.py); the portal translates them through
web/labels.py `translated()`, so their templates must be in the catalogue.
"""
from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=msg"]
