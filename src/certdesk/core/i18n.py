"""Refusal messages that stay English in the core and can be translated at the portal edge.

`msg("The domain %(name)s already exists.", name=name)` returns a `Message`: a `str` whose
value is the English text, so the REST API, ACME, the audit log and the logs use it as
before, but which also carries its template and parameters. The portal's `translated()`
(web/labels.py) looks the template up in the catalogue and fills it in the active language.
`makemessages` extracts the templates (the project's override adds `--keyword=msg`).

Templates use named `%(name)s` placeholders (Python %-formatting, flagged `python-format`
by xgettext, so `msgfmt --check` verifies that a translation keeps them).
"""
from __future__ import annotations

from typing import Any


class Message(str):
    """English text of a refusal, with the template and parameters it was made from."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = template % params if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def __reduce__(self):
        # str subclasses pickle by value; rebuild from the template so copies keep it
        return (_rebuild, (self.template, self.params))

    def __repr__(self) -> str:
        return f"msg({self.template!r}{''.join(f', {k}={v!r}' for k, v in self.params.items())})"


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


def msg(template: str, /, **params: Any) -> Message:
    """The English text `template % params`, carrying `.template` and `.params` for translation."""
    return Message(template, **params)


def join(separator: str, parts) -> Message:
    """`separator.join(parts)` that keeps the parts translatable (those that are messages)."""
    parts = list(parts)
    template = separator.replace("%", "%%").join(f"%(p{i})s" for i in range(len(parts)))
    return Message(template, **{f"p{i}": part for i, part in enumerate(parts)})
