"""Top-level URL map: portal, REST API (also under /private/api for client-certificate auth), CA downloads."""
from django.urls import include, path

urlpatterns = [
    path("api/", include("certdesk.api.urls")),
    path("private/api/", include(("certdesk.api.urls", "api"), namespace="private-api")),
    path("ca/", include("certdesk.ca.urls")),
    path("", include("certdesk.ca.urls_ocsp")),  # /ocsp: the RFC 6960 responder (POST, and GET /ocsp/<request>)
    path("acme/", include("certdesk.acme.urls")),
    path("", include("certdesk.web.urls")),
]
