"""Reads of the certificate authorities: the public list, one by slug, a chain to its root."""
from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from certdesk.core.i18n import msg

from .errors import AuthorityNotFound
from .models import PURPOSE_ORDER, CertificateAuthority, KeyAlgorithm


def public_authorities() -> QuerySet[CertificateAuthority]:
    """Every CA, roots first (RSA then ECC), then issuing CAs by purpose, RSA before ECC."""
    return (
        CertificateAuthority.objects.select_related("parent")
        .annotate(
            purpose_rank=Case(*[When(purpose=p, then=Value(i)) for i, p in enumerate(PURPOSE_ORDER)],
                              default=Value(len(PURPOSE_ORDER)), output_field=IntegerField()),
            family_rank=Case(When(key_algorithm=KeyAlgorithm.RSA, then=Value(0)), default=Value(1),
                             output_field=IntegerField()),
        )
        .order_by("purpose_rank", "family_rank", "slug")
    )


def get_by_slug(slug: str) -> CertificateAuthority:
    try:
        return CertificateAuthority.objects.select_related("parent").get(slug=slug)
    except CertificateAuthority.DoesNotExist:
        raise AuthorityNotFound(msg("No certificate authority '%(slug)s'.", slug=slug)) from None


def chain(ca: CertificateAuthority) -> list[CertificateAuthority]:
    """`ca`, then its issuer, up to the self-signed root (RFC 5246 §7.4.2 order)."""
    result, seen = [ca], {ca.pk}
    while result[-1].parent_id is not None and result[-1].parent_id not in seen:
        parent = result[-1].parent
        seen.add(parent.pk)
        result.append(parent)
    return result
