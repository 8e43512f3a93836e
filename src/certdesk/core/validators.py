"""Shape checks shared by services: country codes, text that goes into certificate subjects."""
from __future__ import annotations

import re

from .errors import InvalidInput, RequiredField
from .i18n import Message, msg

# ISO 3166-1 alpha-2 (249 officially assigned codes).
COUNTRY_CODES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS
    IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM
    MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS
    PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK
    TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()
)

# Characters allowed in subject attributes: printable ASCII without control characters
# and without the few that break DN parsers and templates.
_SUBJECT_RE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?&@!#*_]*$")


def _label(label) -> Message:
    """A field label, translated with the message at display time (web/labels.py lists the labels)."""
    return label if isinstance(label, Message) else msg(str(label))


def country(value: str, *, field: str = "country", required: bool = True) -> str:
    value = (value or "").strip().upper()
    if not value:
        if required:
            raise RequiredField("Country is required (a 2-letter ISO 3166 code).", field=field)
        return ""
    if value not in COUNTRY_CODES:
        raise InvalidInput(msg("Unknown country code '%(value)s': use a 2-letter ISO 3166 code such as FR or GB.",
                               value=value),
                           field=field)
    return value


def subject_text(value: str, *, field: str, label: str, required: bool = False, max_length: int = 64) -> str:
    """Text that will be copied into certificate subjects: trimmed, ASCII only, bounded."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(msg("%(label)s must be text.", label=_label(label)), field=field)
    value = " ".join(value.split())
    if not value:
        if required:
            raise RequiredField(msg("%(label)s is required.", label=_label(label)), field=field)
        return ""
    if len(value) > max_length:
        raise InvalidInput(msg("%(label)s is too long (at most %(max_length)s characters).",
                               label=_label(label), max_length=max_length), field=field)
    if not _SUBJECT_RE.match(value):
        bad = sorted({ch for ch in value if not _SUBJECT_RE.match(ch)})
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InvalidInput(
            msg("%(label)s contains characters that cannot go into a certificate subject (%(shown)s). "
                "Use plain ASCII letters, digits, spaces and . , - ' ( ) / & : only "
                "(for example 'Universite' rather than 'Université').", label=_label(label), shown=shown),
            field=field,
        )
    return value


def plain_text(value, *, field: str, label: str, required: bool = False, max_length: int = 256) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(msg("%(label)s must be text.", label=_label(label)), field=field)
    value = value.strip()
    if not value:
        if required:
            raise RequiredField(msg("%(label)s is required.", label=_label(label)), field=field)
        return ""
    if len(value) > max_length:
        raise InvalidInput(msg("%(label)s is too long (at most %(max_length)s characters).",
                               label=_label(label), max_length=max_length), field=field)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput(msg("%(label)s contains control characters.", label=_label(label)), field=field)
    return value


_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def email(value, *, field: str = "email", label: str = "Email", required: bool = True) -> str:
    value = plain_text(value, field=field, label=label, required=required, max_length=254)
    if value and not _EMAIL_RE.match(value):
        raise InvalidInput(msg("%(label)s '%(value)s' is not a valid email address.",
                               label=_label(label), value=value), field=field)
    return value
