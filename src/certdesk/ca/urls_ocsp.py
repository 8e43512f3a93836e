"""/ocsp: the OCSP responder, mounted by the root URLconf. RFC 6960 Appendix A: POST the DER
request to /ocsp, or GET /ocsp/<base64 of the request, URL-encoded>."""
from django.urls import path

from . import views

app_name = "ocsp"
urlpatterns = [
    path("ocsp", views.ocsp_responder, name="responder"),
    path("ocsp/", views.ocsp_responder, name="responder-slash"),
    path("ocsp/<path:encoded>", views.ocsp_responder, name="responder-get"),
]
