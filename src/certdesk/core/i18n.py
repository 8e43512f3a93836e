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


# ---------------------------------------------------------------------------
# Messages kept in the database (a DCV check's last error): the English text stays the column
# users of the API read; its template and parameters are kept beside it so the portal can show
# it in the reader's language later.

_PLAIN = (str, int, float, bool, type(None))


def to_data(value) -> dict | None:
    """A JSON form of a `Message` (nested messages kept), or None for plain text."""
    if not isinstance(value, Message):
        return None
    params = {}
    for name, param in value.params.items():
        if isinstance(param, Message):
            params[name] = {"msg": to_data(param)}
        elif isinstance(param, _PLAIN) and not isinstance(param, str):
            params[name] = param
        else:
            params[name] = str(param)
    return {"t": value.template, "p": params}


def from_data(text: str, data) -> str:
    """The stored `text` as a `Message` again when `data` (from `to_data`) still gives exactly that
    text; else the text itself (an older row, a truncated one, or data that does not fit)."""
    message = _from_data(data)
    return message if message is not None and str(message) == text else text


def _from_data(data) -> Message | None:
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not isinstance(data.get("p"), dict):
        return None
    params = {}
    for name, param in data["p"].items():
        if isinstance(param, dict):
            param = _from_data(param.get("msg"))
            if param is None:
                return None
        params[name] = param
    try:
        return Message(data["t"], **params)
    except (KeyError, ValueError, TypeError):
        return None
