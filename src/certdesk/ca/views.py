"""Public downloads of the CA certificates (no login): the AIA caIssuers target and the About page links.

DER answers as application/pkix-cert (RFC 2585 §4.1; what RFC 5280 §4.2.2.1 caIssuers
clients expect); PEM (RFC 7468) as application/x-pem-file.
"""
from __future__ import annotations

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from . import queries
from .errors import AuthorityNotFound

CACHE_CONTROL = "public, max-age=3600"


def _authority(slug: str):
    try:
        return queries.get_by_slug(slug)
    except AuthorityNotFound as exc:
        raise Http404(exc.message) from None


def _download(body, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_safe
def index(request):
    # Rendered without the request: this public page needs none of the portal's context.
    html = render_to_string("ca/index.html", {"authorities": list(queries.public_authorities())})
    return HttpResponse(html)


@require_safe
def download_pem(request, slug: str):
    ca = _authority(slug)
    return _download(ca.certificate_pem, "application/x-pem-file", f"{ca.slug}.pem")


@require_safe
def download_der(request, slug: str):
    ca = _authority(slug)
    return _download(ca.der(), "application/pkix-cert", f"{ca.slug}.crt")


@require_safe
def download_chain(request, slug: str):
    ca = _authority(slug)
    body = "".join(item.certificate_pem for item in queries.chain(ca))
    return _download(body, "application/x-pem-file", f"{ca.slug}-chain.pem")
