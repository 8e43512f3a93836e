"""The email template language: plain text with `{{ variable }}` and nothing else.

No tags, filters, attribute lookups or expressions: rendering is a substitution of known
names by text, so an administrator's template can never run code or reach an object.
Mistakes are refused when the template is saved, with the line and the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from certdesk.core.errors import InvalidInput
from certdesk.core.i18n import msg

_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.S)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_SUBJECT = 250
MAX_BODY = 20000


class TemplateRefused(InvalidInput):
    """A template that does not parse or uses a variable the type does not have."""


@dataclass(frozen=True)
class Parsed:
    parts: tuple[str | tuple[str], ...]   # text, or (variable name,)

    @property
    def variables(self) -> set[str]:
        return {p[0] for p in self.parts if isinstance(p, tuple)}


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def parse(text: str, *, allowed: Iterable[str], field: str = "body", label: str = "Body") -> Parsed:
    """Check and split a template; TemplateRefused says where and why."""
    allowed = set(allowed)
    if not isinstance(text, str):
        raise TemplateRefused(msg("%(label)s must be text.", label=label), field=field)
    if "\x00" in text:
        raise TemplateRefused(msg("%(label)s contains a NUL character.", label=label), field=field)
    for opener, what in (("{%", msg("Template tags ({% … %})")), ("{#", msg("Template comments ({# … #})"))):
        index = text.find(opener)
        if index >= 0:
            raise TemplateRefused(msg("%(label)s, line %(line)s: %(what)s are not allowed; "
                                      "only {{ variable }} is.",
                                      label=label, line=_line_of(text, index), what=what), field=field)
    parts: list[str | tuple[str]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        before = text[position:match.start()]
        _check_plain(before, text, position, field=field, label=label)
        if before:
            parts.append(before)
        inner = match.group(1).strip()
        line = _line_of(text, match.start())
        if not _NAME.match(inner):
            raise TemplateRefused(msg("%(label)s, line %(line)s: '{{%(group)s}}' is not a variable name "
                                      "(no filters, attributes or expressions: write {{ name }}).",
                                      label=label, line=line, group=match.group(1)), field=field)
        if inner not in allowed:
            raise TemplateRefused(msg("%(label)s, line %(line)s: unknown variable '%(inner)s'. Available: "
                                      "%(allowed)s.",
                                      label=label, line=line, inner=inner, allowed=", ".join(sorted(allowed))),
                                  field=field)
        parts.append((inner,))
        position = match.end()
    rest = text[position:]
    _check_plain(rest, text, position, field=field, label=label)
    if rest:
        parts.append(rest)
    return Parsed(tuple(parts))


def _check_plain(chunk: str, text: str, offset: int, *, field: str, label: str) -> None:
    for token, message in (("{{", msg("'{{' is not closed with '}}'")), ("}}", msg("'}}' has no opening '{{'"))):
        index = chunk.find(token)
        if index >= 0:
            raise TemplateRefused(msg("%(label)s, line %(line)s: %(message)s.",
                                      label=label, line=_line_of(text, offset + index), message=message),
                                  field=field)


def render(parsed: Parsed, values: Mapping[str, str]) -> str:
    return "".join(p if isinstance(p, str) else str(values.get(p[0], "")) for p in parsed.parts)


def check(subject: str, body: str, allowed: Iterable[str]) -> tuple[Parsed, Parsed]:
    """Both parts of an email template, as saved by an administrator."""
    allowed = set(allowed)
    subject = subject if isinstance(subject, str) else ""
    if not subject.strip():
        raise TemplateRefused("The subject is required.", field="subject")
    if len(subject) > MAX_SUBJECT:
        raise TemplateRefused(msg("The subject is too long (at most %(max_subject)s characters).",
                                  max_subject=MAX_SUBJECT), field="subject")
    if "\n" in subject.strip() or "\r" in subject:
        raise TemplateRefused("The subject must be a single line.", field="subject")
    if not isinstance(body, str) or not body.strip():
        raise TemplateRefused("The body is required.", field="body")
    if len(body) > MAX_BODY:
        raise TemplateRefused(msg("The body is too long (at most %(max_body)s characters).",
                                  max_body=MAX_BODY), field="body")
    return (parse(subject.strip(), allowed=allowed, field="subject", label=msg("Subject")),
            parse(body, allowed=allowed, field="body", label=msg("Body")))


def render_subject(parsed: Parsed, values: Mapping[str, str]) -> str:
    """A subject is one header line: values with line breaks are flattened (no header injection)."""
    return " ".join(render(parsed, values).split())[:998]
