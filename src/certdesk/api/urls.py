"""SCM REST API routes (mounted at /api/ and /private/api/); every trailing slash is optional."""
from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

# `schema` is imported for its side effect: it registers the OpenAPI authentication extension.
from . import admins, organizations, schema, validations  # noqa: F401
from . import dcv, domains
from . import tokens
from . import acme
from . import notifications
from . import ssl
from . import ssl_import
from . import reports
from . import persons
from . import smime
from .base import ID, ScmView, scm_path

app_name = "api"


class ApiNotFoundView(ScmView):
    """Unknown paths under /api answer a JSON 404 in the SCM shape, whatever the method."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = None

    def _missing(self, request, *args, **kwargs):
        raise NotFound()

    get = post = put = patch = delete = head = options = _missing


class PublicSchemaView(SpectacularAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class PublicSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from local assets; its init script is a separate same-origin file (strict CSP)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The page carries a small inline <style>; everything else comes from 'self'.
        response["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
        )
        return response


ORG = rf"organization/v1/(?P<org_id>{ID})"
SSL_ROOT = r"ssl/v(?P<version>[12])"
VALIDATIONS = rf"organization/v2/(?P<org_id>{ID})/validations"
PERSON_ROOT = r"person/v(?P<version>[12])"
SMIME_ROOT = r"smime/v(?P<version>[12])"

urlpatterns = [
    scm_path("schema", PublicSchemaView.as_view(), name="schema"),
    scm_path("docs", PublicSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Organizations and departments
    scm_path("organization/v1", organizations.OrganizationListView.as_view(), name="organization-list"),
    scm_path(r"organization/v1/managedBy/(?P<role>[A-Za-z_]{1,32})",
             organizations.OrganizationManagedByView.as_view(), name="organization-managed-by"),
    scm_path(r"organization/v1/managed-by/(?P<role>[A-Za-z_]{1,32})",  # the OpenAPI spelling
             organizations.OrganizationManagedByView.as_view(), name="organization-managed-by-openapi"),
    scm_path(r"organization/v1/report-type/(?P<report_type>[A-Za-z]{1,32})",
             organizations.OrganizationReportTypeView.as_view(), name="organization-report-type"),
    scm_path(ORG, organizations.OrganizationDetailView.as_view(), name="organization-detail"),
    scm_path(VALIDATIONS, validations.ValidationListView.as_view(), name="organization-validation-list"),
    scm_path(rf"{VALIDATIONS}/submit", validations.ValidationSubmitView.as_view(),
             name="organization-validation-submit"),
    scm_path(rf"{VALIDATIONS}/(?P<validation_id>{ID})", validations.ValidationDetailView.as_view(),
             name="organization-validation-detail"),
    scm_path(rf"{VALIDATIONS}/(?P<validation_id>{ID})/approve", validations.ValidationApproveView.as_view(),
             name="organization-validation-approve"),
    scm_path(rf"{VALIDATIONS}/(?P<validation_id>{ID})/reject", validations.ValidationRejectView.as_view(),
             name="organization-validation-reject"),
    # Administrators
    scm_path("admin/v1", admins.AdminListView.as_view(), name="admin-list"),
    scm_path("admin/v1/roles", admins.AdminRolesView.as_view(), name="admin-roles"),
    scm_path("admin/v1/privileges", admins.AdminPrivilegesView.as_view(), name="admin-privileges"),
    scm_path("admin/v1/password", admins.AdminPasswordView.as_view(), name="admin-password"),
    scm_path("admin/v1/changepassword", admins.AdminChangePasswordView.as_view(), name="admin-changepassword"),
    scm_path("admin/v1/idp", admins.AdminIdpView.as_view(), name="admin-idp"),
    scm_path(rf"admin/v1/(?P<admin_id>{ID})", admins.AdminDetailView.as_view(), name="admin-detail"),
    # The caller's API tokens (certdesk extension, issue 6)
    scm_path("admin/v1/tokens", tokens.TokenListView.as_view(), name="admin-token-list"),
    scm_path(rf"admin/v1/tokens/(?P<token_id>{ID})", tokens.TokenDetailView.as_view(), name="admin-token-detail"),
    # Domains and delegations (spec §7.6)
    scm_path("domain/v1", domains.DomainListView.as_view(), name="domain-list"),
    scm_path("domain/v1/count", domains.DomainCountView.as_view(), name="domain-count"),
    scm_path("domain/v1/delegation", domains.DomainBulkDelegationView.as_view(), name="domain-bulk-delegation"),
    scm_path(rf"domain/v1/(?P<domain_id>{ID})", domains.DomainDetailView.as_view(), name="domain-detail"),
    scm_path(rf"domain/v1/(?P<domain_id>{ID})/activate", domains.DomainActivateView.as_view(), name="domain-activate"),
    scm_path(rf"domain/v1/(?P<domain_id>{ID})/suspend", domains.DomainSuspendView.as_view(), name="domain-suspend"),
    scm_path(rf"domain/v1/(?P<domain_id>{ID})/delegation", domains.DomainDelegationView.as_view(),
             name="domain-delegation"),
    scm_path(rf"domain/v1/(?P<domain_id>{ID})/delegation/approve", domains.DomainDelegationApproveView.as_view(),
             name="domain-delegation-approve"),
    scm_path(rf"domain/v1/(?P<domain_id>{ID})/delegation/reject", domains.DomainDelegationRejectView.as_view(),
             name="domain-delegation-reject"),
    # Domain control validation (spec §7.5), v1 and v2 alike
    scm_path(r"dcv/v(?P<version>[12])/validation", dcv.DcvListView.as_view(), name="dcv-list"),
    scm_path(r"dcv/v(?P<version>[12])/validation/status", dcv.DcvStatusView.as_view(), name="dcv-status"),
    scm_path(r"dcv/v(?P<version>[12])/validation/sync", dcv.DcvSyncView.as_view(), name="dcv-sync"),
    scm_path(r"dcv/v(?P<version>[12])/validation/clear", dcv.DcvClearView.as_view(), name="dcv-clear"),
    scm_path(r"dcv/v(?P<version>[12])/validation/delete", dcv.DcvDeleteView.as_view(), name="dcv-delete"),
    scm_path(r"dcv/v(?P<version>[12])/validation/start/domain/(?P<method>http|https|cname|txt|email)",
             dcv.DcvStartView.as_view(), name="dcv-start"),
    scm_path(r"dcv/v(?P<version>[12])/validation/submit/domain/(?P<method>http|https|cname|txt|email)",
             dcv.DcvSubmitView.as_view(), name="dcv-submit"),
    scm_path(r"dcv/v(?P<version>[12])/validation/submit-bulk/domain/email", dcv.DcvBulkEmailSubmitView.as_view(),
             name="dcv-submit-bulk-email"),
    # Notifications (spec §7.12) and the notification log report (issue 7)
    scm_path("notification/v1", notifications.NotificationListView.as_view(), name="notification-list"),
    scm_path("notification/v1/types", notifications.NotificationTypesView.as_view(), name="notification-types"),
    scm_path(rf"notification/v1/(?P<notification_id>{ID})", notifications.NotificationDetailView.as_view(),
             name="notification-detail"),
    scm_path("report/v1/notification-log", notifications.NotificationLogView.as_view(),
             name="report-notification-log"),
    # SSL certificates (spec §7.1), v1 and v2 alike
    scm_path(SSL_ROOT, ssl.SslListView.as_view(), name="ssl-list"),
    scm_path(rf"{SSL_ROOT}/types", ssl.SslTypesView.as_view(), name="ssl-types"),
    scm_path(rf"{SSL_ROOT}/customFields", ssl.SslCustomFieldsView.as_view(), name="ssl-custom-fields"),
    scm_path(rf"{SSL_ROOT}/enroll", ssl.SslEnrollView.as_view(), name="ssl-enroll"),
    scm_path(rf"{SSL_ROOT}/(?P<ssl_id>{ID})", ssl.SslDetailView.as_view(), name="ssl-detail"),
    scm_path(rf"{SSL_ROOT}/collect/(?P<ssl_id>{ID})", ssl.SslCollectView.as_view(), name="ssl-collect"),
    scm_path(rf"{SSL_ROOT}/collect/(?P<ssl_id>{ID})/(?P<fmt>[A-Za-z0-9_]{{1,32}})", ssl.SslCollectFormatView.as_view(),
             name="ssl-collect-format"),
    scm_path(rf"{SSL_ROOT}/approve/(?P<ssl_id>{ID})", ssl.SslApproveView.as_view(), name="ssl-approve"),
    scm_path(rf"{SSL_ROOT}/decline/(?P<ssl_id>{ID})", ssl.SslDeclineView.as_view(), name="ssl-decline"),
    scm_path(rf"{SSL_ROOT}/revoke/(?P<ssl_id>{ID})", ssl.SslRevokeView.as_view(), name="ssl-revoke"),
    scm_path(rf"{SSL_ROOT}/revoke/serial/(?P<serial>[0-9A-Fa-fxX:]{{1,128}})", ssl.SslRevokeSerialView.as_view(),
             name="ssl-revoke-serial"),
    scm_path(rf"{SSL_ROOT}/revoke/manual", ssl_import.SslRevokeManualView.as_view(), name="ssl-revoke-manual"),
    scm_path(r"ssl/v(?P<version>2)/import", ssl_import.SslImportView.as_view(), name="ssl-import"),
    scm_path(rf"{SSL_ROOT}/renewById/(?P<ssl_id>{ID})", ssl.SslRenewByIdView.as_view(), name="ssl-renew-by-id"),
    scm_path(rf"{SSL_ROOT}/renew/(?P<renew>[0-9A-Za-z_-]{{1,128}})", ssl.SslRenewView.as_view(), name="ssl-renew"),
    scm_path(rf"{SSL_ROOT}/replace/(?P<ssl_id>{ID})", ssl.SslReplaceView.as_view(), name="ssl-replace"),
    # ACME servers and accounts (spec §7.10); the protocol itself is at /acme/ (issue 5)
    scm_path("acme/v1/server", acme.AcmeServerListView.as_view(), name="acme-server-list"),
    scm_path(r"acme/v(?P<version>[12])/account", acme.AcmeAccountListView.as_view(), name="acme-account-list"),
    scm_path(rf"acme/v(?P<version>[12])/account/(?P<account_id>{ID})", acme.AcmeAccountDetailView.as_view(),
             name="acme-account-detail"),
    scm_path(rf"acme/v(?P<version>2)/account/(?P<account_id>{ID})/domain", acme.AcmeAccountDomainView.as_view(),
             name="acme-account-domain"),
    scm_path(rf"acme/v(?P<version>1)/account/(?P<account_id>{ID})/domains", acme.AcmeAccountDomainView.as_view(),
             name="acme-account-domains-v1"),
    scm_path(rf"acme/v(?P<version>2)/account/(?P<account_id>{ID})/client", acme.AcmeAccountClientListView.as_view(),
             name="acme-account-client-list"),
    scm_path(rf"acme/v(?P<version>2)/account/(?P<account_id>{ID})/client/(?P<client_id>{ID})",
             acme.AcmeAccountClientDetailView.as_view(), name="acme-account-client-detail"),
    # Persons (spec §7.9), v1 and v2 alike; v2 import-key is in smime.py, invitation/send in persons.py
    scm_path(PERSON_ROOT, persons.PersonListView.as_view(), name="person-list"),
    scm_path(rf"{PERSON_ROOT}/id/byEmail/(?P<email>[^/]{{1,254}})", persons.PersonByEmailView.as_view(),
             name="person-by-email"),
    scm_path(rf"{PERSON_ROOT}/(?P<person_id>{ID})", persons.PersonDetailView.as_view(), name="person-detail"),
    scm_path(rf"person/v(?P<version>2)/(?P<person_id>{ID})/import-key", smime.PersonImportKeyView.as_view(),
             name="person-import-key"),
    scm_path(rf"person/v(?P<version>2)/(?P<person_id>{ID})/invitation/send",
             persons.PersonInvitationView.as_view(), name="person-invitation-send"),
    # Client (S/MIME) certificates (spec §7.2), v1 and v2 alike
    scm_path(SMIME_ROOT, smime.SmimeListView.as_view(), name="smime-list"),
    scm_path(rf"{SMIME_ROOT}/types", smime.SmimeTypesView.as_view(), name="smime-types"),
    scm_path(rf"{SMIME_ROOT}/customFields", smime.SmimeCustomFieldsView.as_view(), name="smime-custom-fields"),
    scm_path(rf"{SMIME_ROOT}/enroll", smime.SmimeEnrollView.as_view(), name="smime-enroll"),
    scm_path(rf"{SMIME_ROOT}/byPersonId/(?P<person_id>{ID})", smime.SmimeByPersonIdView.as_view(),
             name="smime-by-person-id"),
    scm_path(rf"{SMIME_ROOT}/byPersonEmail/(?P<email>[^/]{{1,254}})", smime.SmimeByPersonEmailView.as_view(),
             name="smime-by-person-email"),
    scm_path(rf"{SMIME_ROOT}/(?P<cert_id>{ID})", smime.SmimeDetailView.as_view(), name="smime-detail"),
    scm_path(rf"{SMIME_ROOT}/collect/(?P<cert_id>{ID})", smime.SmimeCollectView.as_view(), name="smime-collect"),
    scm_path(rf"{SMIME_ROOT}/collect/(?P<cert_id>{ID})/(?P<fmt>[A-Za-z0-9_]{{1,32}})",
             smime.SmimeCollectFormatView.as_view(), name="smime-collect-format"),
    scm_path(rf"{SMIME_ROOT}/keystore/(?P<cert_id>{ID})", smime.SmimeKeystoreView.as_view(), name="smime-keystore"),
    scm_path(rf"{SMIME_ROOT}/approve/(?P<cert_id>{ID})", smime.SmimeApproveView.as_view(), name="smime-approve"),
    scm_path(rf"{SMIME_ROOT}/decline/(?P<cert_id>{ID})", smime.SmimeDeclineView.as_view(), name="smime-decline"),
    scm_path(rf"{SMIME_ROOT}/revoke", smime.SmimeRevokePersonView.as_view(), name="smime-revoke-person"),
    scm_path(rf"{SMIME_ROOT}/revoke/order/(?P<cert_id>{ID})", smime.SmimeRevokeOrderView.as_view(),
             name="smime-revoke-order"),
    scm_path(rf"{SMIME_ROOT}/revoke/serial/(?P<serial>[0-9A-Fa-fxX:]{{1,128}})", smime.SmimeRevokeSerialView.as_view(),
             name="smime-revoke-serial"),
    scm_path(rf"{SMIME_ROOT}/renew/order/(?P<cert_id>{ID})", smime.SmimeRenewOrderView.as_view(),
             name="smime-renew-order"),
    scm_path(rf"{SMIME_ROOT}/renew/serial/(?P<serial>[0-9A-Fa-fxX:]{{1,128}})", smime.SmimeRenewSerialView.as_view(),
             name="smime-renew-serial"),
    scm_path(rf"{SMIME_ROOT}/replace/order/(?P<cert_id>{ID})", smime.SmimeReplaceView.as_view(),
             name="smime-replace"),
    # Reports (spec §7.13)
    scm_path("report/v1/ssl-certificates", reports.SslCertificatesReportView.as_view(), name="report-ssl-certificates"),
    scm_path("report/v1/client-certificates", reports.ClientCertificatesReportView.as_view(),
             name="report-client-certificates"),
    scm_path("report/v1/activity", reports.ActivityReportView.as_view(), name="report-activity"),
    scm_path("report/v1/domains", reports.DomainsReportView.as_view(), name="report-domains"),
    # Anything else under the API root: a JSON 404.
    # [\s\S], not ".": a path with a newline (%0A) is unknown too, not a Django HTML page (found by
    # schemathesis); a (?s) flag would make the whole URLconf non-reversible.
    re_path(r"^[\s\S]*$", ApiNotFoundView.as_view(), name="not-found"),
]
