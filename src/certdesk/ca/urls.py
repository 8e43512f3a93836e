"""/ca/: the CA certificates and CRLs, public; the OCSP responder is urls_ocsp.py (/ocsp)."""
from django.urls import path

from . import views

app_name = "ca"
urlpatterns = [
    path("", views.index, name="index"),
    # Before `<slug>.pem`, which would otherwise take "rsa-root-chain" as a slug.
    path("<slug:slug>-chain.pem", views.download_chain, name="download-chain"),
    path("<slug:slug>.pem", views.download_pem, name="download-pem"),
    path("<slug:slug>.crt", views.download_der, name="download-der"),
    path("<slug:slug>.crl", views.download_crl, name="download-crl"),
    path("<slug:slug>/<int:shard>.crl", views.download_crl_shard, name="download-crl-shard"),
]

