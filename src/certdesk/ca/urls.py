"""/ca/: the CA certificates, public. CRLs (/ca/<slug>.crl) and OCSP come with a later issue."""
from django.urls import path

from . import views

app_name = "ca"
urlpatterns = [
    path("", views.index, name="index"),
    # Before `<slug>.pem`, which would otherwise take "rsa-root-chain" as a slug.
    path("<slug:slug>-chain.pem", views.download_chain, name="download-chain"),
    path("<slug:slug>.pem", views.download_pem, name="download-pem"),
    path("<slug:slug>.crt", views.download_der, name="download-der"),
]
