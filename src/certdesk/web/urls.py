"""Portal URLs (namespace `web`): names read `object-action`."""
from django.urls import path

from .views import access, accounts, auth, domains, pages, tenancy
from .views import notifications
from .views import reports
from .views import certificates
from .views import acme
from .views import enrollment, enrollment_public
from .views import persons
from .views import discovery
from .views import smime
from .views import invitations

app_name = "web"


def _unavailable(section: str):
    return {"section": section}


urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.login, name="login"),
    path("customer/<slug:uri>/", auth.login, name="customer-login"),
    path("logout/", auth.logout, name="logout"),
    path("password/change/", auth.password_change, name="password-change"),
    path("language/", auth.set_language, name="set-language"),

    path("dashboard/", pages.dashboard, name="dashboard"),
    # Certificates → SSL Certificates (issue 4)
    path("certificates/", certificates.certificate_list, name="certificate-list"),
    path("certificates/new/", certificates.certificate_create, name="certificate-create"),
    path("certificates/<int:pk>/", certificates.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/approve/", certificates.certificate_approve, name="certificate-approve"),
    path("certificates/<int:pk>/decline/", certificates.certificate_decline, name="certificate-decline"),
    path("certificates/<int:pk>/revoke/", certificates.certificate_revoke, name="certificate-revoke"),
    path("certificates/<int:pk>/renew/", certificates.certificate_renew, name="certificate-renew"),
    path("certificates/<int:pk>/replace/", certificates.certificate_replace, name="certificate-replace"),
    path("certificates/<int:pk>/edit/", certificates.certificate_edit, name="certificate-edit"),
    path("certificates/<int:pk>/download/<str:fmt>/", certificates.certificate_download,
         name="certificate-download"),
    # Certificates → Client Certificates (seed 003 §8)
    path("certificates/client/", smime.client_list, name="smime-list"),
    path("certificates/client/new/", smime.client_create, name="smime-create"),
    path("certificates/client/<int:pk>/", smime.client_detail, name="smime-detail"),
    path("certificates/client/<int:pk>/approve/", smime.client_approve, name="smime-approve"),
    path("certificates/client/<int:pk>/decline/", smime.client_decline, name="smime-decline"),
    path("certificates/client/<int:pk>/revoke/", smime.client_revoke, name="smime-revoke"),
    path("certificates/client/<int:pk>/renew/", smime.client_renew, name="smime-renew"),
    path("certificates/client/<int:pk>/pkcs12/", smime.client_keystore, name="smime-keystore"),
    path("certificates/client/<int:pk>/download/<str:fmt>/", smime.client_download, name="smime-download"),
    # Discovery (seed 000): scan tasks and the certificates they found
    path("discovery/", discovery.task_list, name="discovery-list"),
    path("discovery/new/", discovery.task_create, name="discovery-create"),
    path("discovery/<int:pk>/", discovery.task_detail, name="discovery-detail"),
    path("discovery/<int:pk>/edit/", discovery.task_edit, name="discovery-edit"),
    path("discovery/<int:pk>/delete/", discovery.task_delete, name="discovery-delete"),
    path("discovery/<int:pk>/run/", discovery.task_run, name="discovery-run"),
    path("discovery/certificates/", discovery.certificate_list, name="discovery-certificate-list"),
    path("discovery/certificates/<int:pk>/", discovery.certificate_detail, name="discovery-certificate-detail"),
    path("discovery/certificates/<int:pk>/import/", discovery.certificate_import,
         name="discovery-certificate-import"),
    path("domains/", domains.domain_list, name="domain-list"),
    # Persons (seed 000): the people who will hold client certificates
    path("persons/", persons.person_list, name="person-list"),
    path("persons/new/", persons.person_create, name="person-create"),
    path("persons/<int:pk>/", persons.person_detail, name="person-detail"),
    path("persons/<int:pk>/edit/", persons.person_edit, name="person-edit"),
    path("persons/<int:pk>/delete/", persons.person_delete, name="person-delete"),
    path("persons/<int:pk>/certificates/revoke/", smime.person_revoke_all, name="person-certificates-revoke"),
    path("persons/<int:pk>/invitations/send/", invitations.invitation_send, name="person-invitation-send"),
    path("persons/<int:pk>/invitations/<int:invitation_pk>/cancel/", invitations.invitation_cancel,
         name="person-invitation-cancel"),
    path("reports/", notifications.report_index, name="report-list"),
    path("reports/notifications/", notifications.notification_log, name="report-notifications"),
    # Reports (issue 8)
    path("reports/certificates/", reports.certificate_report, name="report-certificates"),
    path("reports/domains/", reports.domain_report, name="report-domains"),
    path("reports/activity/", reports.activity_report, name="report-activity"),
    # Enrollments → ACME accounts (issue 5, seed 002)
    path("enrollments/acme/", acme.account_list, name="enrollment-acme-list"),
    path("enrollments/acme/new/", acme.account_create, name="enrollment-acme-create"),
    path("enrollments/acme/<int:pk>/", acme.account_detail, name="enrollment-acme-detail"),
    path("enrollments/acme/<int:pk>/details/", acme.account_credentials, name="enrollment-acme-credentials"),
    path("enrollments/acme/<int:pk>/rename/", acme.account_rename, name="enrollment-acme-rename"),
    path("enrollments/acme/<int:pk>/suspend/", acme.account_set_suspended, {"suspended": True},
         name="enrollment-acme-suspend"),
    path("enrollments/acme/<int:pk>/resume/", acme.account_set_suspended, {"suspended": False},
         name="enrollment-acme-resume"),
    path("enrollments/acme/<int:pk>/delete/", acme.account_delete, name="enrollment-acme-delete"),
    path("enrollments/acme/<int:pk>/domains/bind/", acme.domain_bind, name="enrollment-acme-domain-bind"),
    path("enrollments/acme/<int:pk>/domains/unbind/", acme.domain_unbind, name="enrollment-acme-domain-unbind"),
    path("enrollments/acme/<int:pk>/clients/<int:client_pk>/deactivate/", acme.client_deactivate,
         name="enrollment-acme-client-deactivate"),
    # Enrollment → SSL web forms and the public self-enrollment pages (issue 4, seed 003 §7.4.2)
    path("enrollments/", enrollment.enrollment_index, name="enrollment-list"),
    path("enrollments/endpoints/", enrollment.endpoint_list, name="enrollment-endpoint-list"),
    path("enrollments/web-forms/", enrollment.webform_list, name="enrollment-webform-list"),
    path("enrollments/web-forms/new/", enrollment.webform_create, name="enrollment-webform-create"),
    path("enrollments/web-forms/<int:pk>/edit/", enrollment.webform_edit, name="enrollment-webform-edit"),
    path("enrollments/web-forms/<int:pk>/code/", enrollment.webform_code, name="enrollment-webform-code"),
    path("enrollments/web-forms/<int:pk>/enable/", enrollment.webform_set_enabled, {"enabled": True},
         name="enrollment-webform-enable"),
    path("enrollments/web-forms/<int:pk>/disable/", enrollment.webform_set_enabled, {"enabled": False},
         name="enrollment-webform-disable"),
    path("enrollments/web-forms/<int:pk>/delete/", enrollment.webform_delete, name="enrollment-webform-delete"),
    path("enroll/ssl/certificate/<int:pk>/<str:token>/", enrollment_public.enroll_certificate,
         name="enroll-ssl-certificate"),  # public: no login
    path("enroll/ssl/certificate/<int:pk>/<str:token>/<str:fmt>/", enrollment_public.enroll_certificate_download,
         name="enroll-ssl-certificate-download"),  # public: no login
    path("enroll/invitation/<str:token>/", invitations.enroll_invitation,
         name="enroll-invitation"),  # public: no login (client-certificate invitations)
    path("enroll/ssl/<str:slug>/", enrollment_public.enroll_access, name="enroll-ssl"),  # public: no login
    path("enroll/ssl/<str:slug>/request/", enrollment_public.enroll_request, name="enroll-ssl-request"),  # public
    path("enroll/ssl/<str:slug>/done/", enrollment_public.enroll_done, name="enroll-ssl-done"),  # public
    path("integrations/", pages.unavailable, _unavailable("integrations"), name="integration-list"),
    path("about/", pages.about, name="about"),

    path("organizations/", tenancy.organization_list, name="organization-list"),
    path("organizations/new/", tenancy.organization_create, name="organization-create"),
    path("organizations/<int:pk>/", tenancy.organization_detail, name="organization-detail"),
    path("organizations/<int:pk>/edit/", tenancy.organization_edit, name="organization-edit"),
    path("departments/<int:pk>/edit/", tenancy.organization_edit, name="department-edit"),
    path("organizations/<int:pk>/departments/new/", tenancy.department_create, name="department-create"),
    path("organizations/<int:pk>/validations/submit/", tenancy.validation_submit, name="validation-submit"),
    path("organizations/<int:pk>/validations/<int:validation_pk>/approve/", tenancy.validation_approve,
         name="validation-approve"),
    path("organizations/<int:pk>/validations/<int:validation_pk>/reject/", tenancy.validation_reject,
         name="validation-reject"),

    path("domains/new/", domains.domain_create, name="domain-create"),
    path("domains/<int:pk>/", domains.domain_detail, name="domain-detail"),
    path("domains/<int:pk>/edit/", domains.domain_edit, name="domain-edit"),
    path("domains/<int:pk>/delete/", domains.domain_delete, name="domain-delete"),
    path("domains/<int:pk>/suspend/", domains.domain_set_state, {"active": False}, name="domain-suspend"),
    path("domains/<int:pk>/activate/", domains.domain_set_state, {"active": True}, name="domain-activate"),
    path("domains/<int:pk>/caa/", domains.domain_caa, name="domain-caa"),
    path("domains/<int:pk>/delegations/add/", domains.delegation_add, name="domain-delegation-add"),
    path("domains/<int:pk>/delegations/decide/", domains.delegation_decide, name="domain-delegation-decide"),
    path("domains/<int:pk>/delegations/<int:org_pk>/remove/", domains.delegation_remove,
         name="domain-delegation-remove"),
    path("domains/<int:pk>/dcv/", domains.dcv_panel, name="domain-dcv"),
    path("domains/<int:pk>/dcv/validate/", domains.dcv_validate, name="domain-dcv-validate"),
    path("domains/<int:pk>/dcv/save/", domains.dcv_save, name="domain-dcv-save"),
    path("domains/<int:pk>/dcv/submit/", domains.dcv_submit, name="domain-dcv-submit"),
    path("domains/<int:pk>/dcv/reset/", domains.dcv_reset, name="domain-dcv-reset"),
    path("dcv/email/<str:token>/", domains.dcv_email_confirm, name="dcv-email-confirm"),  # public: no login

    path("settings/", pages.settings_index, name="settings"),
    path("settings/dcv/", domains.dcv_methods, name="settings-dcv-methods"),
    path("settings/admins/", accounts.admin_list, name="admin-list"),
    path("settings/access-control/", access.access_control, name="access-control"),
    path("settings/access-control/<int:pk>/remove/", access.access_control_remove, name="access-control-remove"),
    path("settings/access-control/web-api/<int:pk>/secret/", access.web_api_secret, name="web-api-secret"),
    path("settings/api-tokens/", access.api_tokens, name="api-tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", access.api_token_revoke, name="api-token-revoke"),
    path("settings/api-tokens/certificate/", access.client_certificate, name="client-certificate"),
    path("settings/admins/new/", accounts.admin_create, name="admin-create"),
    path("settings/admins/<int:pk>/", accounts.admin_detail, name="admin-detail"),
    path("settings/admins/<int:pk>/edit/", accounts.admin_edit, name="admin-edit"),
    path("settings/admins/<int:pk>/disable/", accounts.admin_disable, name="admin-disable"),
    path("settings/admins/<int:pk>/enable/", accounts.admin_enable, name="admin-enable"),
    path("settings/admins/<int:pk>/password/reset/", accounts.admin_password_reset, name="admin-password-reset"),

    # Settings → Email Notifications, and the bell (issue 7)
    path("settings/notifications/", notifications.notification_list, name="settings-notifications"),
    path("settings/notifications/new/", notifications.notification_create, name="settings-notification-create"),
    path("settings/notifications/<int:pk>/edit/", notifications.notification_edit, name="settings-notification-edit"),
    path("settings/notifications/<int:pk>/toggle/", notifications.notification_toggle,
         name="settings-notification-toggle"),
    path("settings/notifications/<int:pk>/delete/", notifications.notification_delete,
         name="settings-notification-delete"),
    path("settings/notifications/templates/", notifications.template_list, name="settings-notification-templates"),
    path("settings/notifications/templates/<str:type_code>/<str:language>/", notifications.template_edit,
         name="settings-notification-template-edit"),
    path("settings/notifications/webhooks/", notifications.webhook_list, name="settings-notification-webhooks"),
    path("settings/notifications/webhooks/<int:pk>/toggle/", notifications.webhook_toggle,
         name="settings-notification-webhook-toggle"),
    path("settings/notifications/webhooks/<int:pk>/delete/", notifications.webhook_delete,
         name="settings-notification-webhook-delete"),
    path("notifications/bell/", notifications.bell, name="notification-bell"),
    path("notifications/bell/read/", notifications.bell_read, name="notification-bell-read"),
]
