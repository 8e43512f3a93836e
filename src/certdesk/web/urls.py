"""Portal URLs (namespace `web`): names read `object-action`."""
from django.urls import path

from .views import access, accounts, auth, domains, pages, tenancy
from .views import notifications

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
    path("certificates/", pages.unavailable, _unavailable("certificates"), name="certificate-list"),
    path("discovery/", pages.unavailable, _unavailable("discovery"), name="discovery-list"),
    path("domains/", domains.domain_list, name="domain-list"),
    path("persons/", pages.unavailable, _unavailable("persons"), name="person-list"),
    path("reports/", notifications.report_index, name="report-list"),
    path("reports/notifications/", notifications.notification_log, name="report-notifications"),
    # Placeholders until their pages land (issue 8: reports; issues 4/5: enrollments)
    path("reports/certificates/", pages.unavailable, _unavailable("reports"), name="report-certificates"),
    path("reports/domains/", pages.unavailable, _unavailable("reports"), name="report-domains"),
    path("reports/activity/", pages.unavailable, _unavailable("reports"), name="report-activity"),
    path("enrollments/acme/", pages.unavailable, _unavailable("enrollments"), name="enrollment-acme-list"),
    path("enrollments/web-forms/", pages.unavailable, _unavailable("enrollments"), name="enrollment-webform-list"),
    path("enrollments/", pages.unavailable, _unavailable("enrollments"), name="enrollment-list"),
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
