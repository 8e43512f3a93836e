"""Public downloads of the CA certificates (no login): the AIA caIssuers target and the About page links;
the CRLs (RFC 5280 §5, application/pkix-crl) and the OCSP responder (RFC 6960 Appendix A).

DER answers as application/pkix-cert (RFC 2585 §4.1; what RFC 5280 §4.2.2.1 caIssuers
clients expect); PEM (RFC 7468) as application/x-pem-file.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from . import crl, ocsp, queries
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


# ---------------------------------------------------------------------------
# CRLs: /ca/<slug>.crl (full) and /ca/<slug>/<shard>.crl


def _crl_response(pub, filename: str) -> HttpResponse:
    der = bytes(pub.der)
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = f"public, max-age={settings.REVOCATION_HTTP_MAX_AGE}"
    response["Last-Modified"] = http_date(pub.this_update.timestamp())
    response["Expires"] = http_date(pub.next_update.timestamp())
    response["ETag"] = f'"{pub.number}"'
    return response


@require_safe
def download_crl(request, slug: str):
    ca = _authority(slug)
    return _crl_response(crl.current(ca, None), f"{ca.slug}.crl")


@require_safe
def download_crl_shard(request, slug: str, shard: int):
    ca = _authority(slug)
    if not crl.valid_shard(ca, shard):
        raise Http404(f"No CRL shard {shard} for {ca.slug}.")
    return _crl_response(crl.current(ca, shard), f"{ca.slug}-{shard}.crl")


# ---------------------------------------------------------------------------
# OCSP: POST /ocsp (application/ocsp-request), GET /ocsp/<base64 request>


def _ocsp_response(found: ocsp.Answer) -> HttpResponse:
    response = HttpResponse(found.der, content_type="application/ocsp-response")
    if found.cacheable and found.next_update is not None:
        remaining = int((found.next_update - timezone.now()).total_seconds())
        max_age = max(0, min(settings.REVOCATION_HTTP_MAX_AGE, remaining))
        # RFC 5019 §6.2: max-age no later than nextUpdate; ETag over the response.
        response["Cache-Control"] = f"public, max-age={max_age}, no-transform, must-revalidate"
        response["ETag"] = '"' + hashlib.sha1(found.der).hexdigest() + '"'
        response["Expires"] = http_date(timezone.now().timestamp() + max_age)
    else:
        response["Cache-Control"] = "no-cache, no-store, max-age=0"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ocsp_responder(request, encoded: str = ""):
    """POST: the DER request as the body; GET: base64 (URL-encoded) request after /ocsp/."""
    if request.method == "POST":
        body = request.body
        return _ocsp_response(ocsp.answer(body if len(body) <= ocsp.MAX_REQUEST_BYTES else None))
    return _ocsp_response(ocsp.answer(ocsp.decode_get(encoded)))
