"""ACME routes: /acme/<endpoint>/… (RFC 8555 §7.1)."""
from django.urls import path, re_path

from . import views

app_name = "acme"

EP = "<str:endpoint>"
TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,64})"

urlpatterns = [
    path(f"{EP}/directory", views.DirectoryView.as_view(), name="directory"),
    path(f"{EP}/new-nonce", views.NonceView.as_view(), name="new-nonce"),
    path(f"{EP}/new-account", views.NewAccountView.as_view(), name="new-account"),
    path(f"{EP}/new-order", views.NewOrderView.as_view(), name="new-order"),
    path(f"{EP}/key-change", views.KeyChangeView.as_view(), name="key-change"),
    path(f"{EP}/revoke-cert", views.RevokeView.as_view(), name="revoke-cert"),
    re_path(r"^(?P<endpoint>[A-Za-z]{1,16})/renewal-info/(?P<cert_id>[A-Za-z0-9_.-]{1,300})$",
            views.RenewalInfoView.as_view(), name="renewal-info"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/acct/{TOKEN}$", views.AccountView.as_view(), name="account"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/acct/{TOKEN}/orders$", views.AccountOrdersView.as_view(),
            name="account-orders"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/order/{TOKEN}$", views.OrderView.as_view(), name="order"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/order/{TOKEN}/finalize$", views.FinalizeView.as_view(),
            name="finalize"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/authz/{TOKEN}$", views.AuthorizationView.as_view(), name="authz"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/chall/{TOKEN}$", views.ChallengeView.as_view(), name="challenge"),
    re_path(rf"^(?P<endpoint>[A-Za-z]{{1,16}})/cert/{TOKEN}(?:/(?P<alternate>[0-9]))?$",
            views.CertificateView.as_view(), name="certificate"),
]
