"""Domain name rules: IDNA 2008 normalization, wildcards, public suffixes, coverage.

Pure functions, no database and no network. Names are stored as A-labels (lowercase
ASCII, no trailing dot) and shown as U-labels. The Public Suffix List is the snapshot
bundled with the `publicsuffixlist` package (ICANN and private sections), read offline.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import idna

from certdesk.core.i18n import msg

from .errors import InvalidDomainName

MAX_NAME_LENGTH = 253  # RFC 1035 §2.3.4, presentation form without the trailing dot
MAX_LABEL_LENGTH = 63
# `*.example.org` covers names up to this many labels below `example.org` (SCM, seed 003 §6.2.3).
WILDCARD_DEPTH = 3
WILDCARD_PREFIX = "*."
_LDH = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@lru_cache(maxsize=1)
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # the bundled snapshot: no network


def _refuse(message: str) -> InvalidDomainName:
    return InvalidDomainName(message, field="name")


def _is_ip_address(text: str) -> bool:
    """IPv4/IPv6 literals, bracketed or not, and the short dotted forms inet_aton reads (`10.1`, `0x7f.1`)."""
    candidate = text.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        return True
    labels = candidate.split(".")
    return len(labels) <= 4 and all(re.fullmatch(r"(?:0x[0-9a-f]+|[0-9]+)", label, re.I) for label in labels)


def normalize(name: str, *, allow_wildcard: bool = True) -> str:
    """Return the stored form of `name` (A-label, lowercase, no trailing dot) or raise InvalidDomainName.

    A wildcard is allowed only as the whole leftmost label (`*.example.org`), and never
    directly on a public suffix (`*.ac.uk`). Public suffixes themselves, IP addresses,
    single labels, empty or over-long labels and names are refused.
    """
    if not isinstance(name, str):
        raise _refuse("The domain name must be text.")
    text = name.strip()
    if not text:
        raise _refuse("The domain name is empty.")
    if len(text) > 4 * MAX_NAME_LENGTH:
        raise _refuse(msg("The domain name is too long (at most %(max_name_length)s characters).",
                          max_name_length=MAX_NAME_LENGTH))
    if any(ch.isspace() for ch in text):
        raise _refuse(msg("'%(name)s' contains spaces; a domain name has none.", name=name))
    # Full-stop variants (U+3002 etc.) are label separators under UTS #46.
    text = re.sub("[\u3002\uff0e\uff61]", ".", text)
    if text.endswith("."):
        text = text[:-1]
    if _is_ip_address(text):
        raise _refuse(msg("'%(name)s' is an IP address; only domain names can be added.", name=name))
    if any(mark in text for mark in ("/", "@", ":")):
        raise _refuse(msg("'%(name)s' is not a domain name (give only the name, such as example.org).", name=name))
    wildcard = False
    if text.startswith(WILDCARD_PREFIX):
        wildcard, text = True, text[len(WILDCARD_PREFIX):]
    if "*" in text:
        raise _refuse(msg("'%(name)s': a wildcard is allowed only as the leftmost label, as in *.example.org.",
                          name=name))
    if wildcard and not allow_wildcard:
        raise _refuse(msg("'%(name)s': a wildcard is not allowed here.", name=name))
    if not text:
        raise _refuse(msg("'%(name)s': a wildcard needs a domain after '*.'.", name=name))
    labels = text.split(".")
    if any(label == "" for label in labels):
        raise _refuse(msg("'%(name)s' has an empty label (two dots in a row, or a leading dot).", name=name))
    for label in labels:
        if len(label) > MAX_LABEL_LENGTH and label.isascii():
            raise _refuse(msg("'%(name)s': the label '%(label)s…' is longer than %(max_label_length)s characters.",
                              name=name, label=label[:20], max_label_length=MAX_LABEL_LENGTH))
    try:
        ascii_name = idna.encode(text, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise _refuse(msg("'%(name)s' is not a valid domain name (IDNA 2008: %(exc)s).", name=name, exc=exc)) from None
    except UnicodeError:
        raise _refuse(msg("'%(name)s' is not a valid domain name.", name=name)) from None
    for label in ascii_name.split("."):
        if len(label) > MAX_LABEL_LENGTH:
            raise _refuse(msg("'%(name)s': the label '%(label)s…' is longer than %(max_label_length)s characters "
                              "once encoded.", name=name, label=label[:20], max_label_length=MAX_LABEL_LENGTH))
        if not _LDH.match(label):
            raise _refuse(msg("'%(name)s': the label '%(label)s' may use only letters, digits and inner hyphens.",
                              name=name, label=label))
    full = (WILDCARD_PREFIX if wildcard else "") + ascii_name
    if len(full) > MAX_NAME_LENGTH:
        raise _refuse(msg("'%(name)s' is too long once encoded (%(count)s characters, at most %(max_name_length)s).",
                          name=name, count=len(full), max_name_length=MAX_NAME_LENGTH))
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        # A top-level domain is never all digits (RFC 3696 §2).
        raise _refuse(msg("'%(name)s' ends with a numeric label; a top-level domain is never all digits.", name=name))
    if is_public_suffix(ascii_name):
        what = msg("a wildcard over a public suffix") if wildcard else msg("a public suffix")
        raise _refuse(msg("'%(name)s' is %(what)s (such as com, ac.uk or gouv.fr): "
                          "add a domain registered under it instead.", name=name, what=what))
    if "." not in ascii_name:  # every single label is a suffix under the PSL's "*" rule; kept as a guard
        raise _refuse(msg("'%(name)s' is a single label: give a full domain name such as example.org.", name=name))
    return full


def to_unicode(name: str) -> str:
    """The U-label form shown to people (`xn--cole-9oa.fr` → `école.fr`); the input if it cannot be decoded."""
    wildcard = name.startswith(WILDCARD_PREFIX)
    rest = name[len(WILDCARD_PREFIX):] if wildcard else name
    try:
        shown = idna.decode(rest)
    except (idna.IDNAError, UnicodeError):
        shown = rest
    return (WILDCARD_PREFIX if wildcard else "") + shown


def is_wildcard(name: str) -> bool:
    return name.startswith(WILDCARD_PREFIX)


def base_name(name: str) -> str:
    """The name without its wildcard label: the name that DCV and CAA look at (BR 3.2.2.6)."""
    return name[len(WILDCARD_PREFIX):] if is_wildcard(name) else name


def is_public_suffix(name: str) -> bool:
    """True for `com`, `ac.uk`, `gouv.fr`, `github.io`; unknown TLDs count as suffixes (PSL `*` rule)."""
    return bool(_psl().is_public(base_name(name)))


def registrable_domain(name: str) -> str | None:
    """The registrable domain (public suffix + one label): `a.b.univ-lyon.fr` → `univ-lyon.fr`."""
    return _psl().privatesuffix(base_name(name))


def public_suffix(name: str) -> str | None:
    return _psl().publicsuffix(base_name(name))


def is_within(name: str, ancestor: str) -> bool:
    """`name` equals `ancestor` or lies below it (label-wise, not string-wise)."""
    return name == ancestor or name.endswith("." + ancestor)


def labels_below(name: str, ancestor: str) -> int | None:
    """How many labels `name` has below `ancestor` (0 when equal), None when not within it."""
    if not is_within(name, ancestor):
        return None
    if name == ancestor:
        return 0
    return name[: -len(ancestor) - 1].count(".") + 1


def delegation_covers(domain_name: str, name: str) -> bool:
    """Whether a delegated domain covers a certificate name (both normalized).

    `example.org` covers only `example.org`; `*.example.org` covers names one to three
    labels below `example.org`, a leading `*` counting as a label (`a.b.c.example.org`
    and `*.b.c.example.org` yes, `a.b.c.d.example.org` no, `example.org` itself no).
    """
    if not is_wildcard(domain_name):
        return name == domain_name
    depth = labels_below(name, base_name(domain_name))
    return depth is not None and 1 <= depth <= WILDCARD_DEPTH and "*" not in name.split(".", 1)[-1]


def parents(name: str, *, stop_at_registrable: bool = True) -> list[str]:
    """`name` and its ancestors, closest first, down to the registrable domain (or the TLD)."""
    current = base_name(name)
    out = [current]
    floor = registrable_domain(current) if stop_at_registrable else None
    if stop_at_registrable and floor is None:
        return out
    while "." in current and current != floor:
        current = current.split(".", 1)[1]
        out.append(current)
    return out
