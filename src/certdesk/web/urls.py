"""Portal URLs (namespace `web`): names read `object-action`."""
from django.urls import path

from .views import accounts, auth, pages, tenancy

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
    path("domains/", pages.unavailable, _unavailable("domains"), name="domain-list"),
    path("persons/", pages.unavailable, _unavailable("persons"), name="person-list"),
    path("reports/", pages.unavailable, _unavailable("reports"), name="report-list"),
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

    path("settings/", pages.settings_index, name="settings"),
    path("settings/admins/", accounts.admin_list, name="admin-list"),
    path("settings/admins/new/", accounts.admin_create, name="admin-create"),
    path("settings/admins/<int:pk>/", accounts.admin_detail, name="admin-detail"),
    path("settings/admins/<int:pk>/edit/", accounts.admin_edit, name="admin-edit"),
    path("settings/admins/<int:pk>/disable/", accounts.admin_disable, name="admin-disable"),
    path("settings/admins/<int:pk>/enable/", accounts.admin_enable, name="admin-enable"),
    path("settings/admins/<int:pk>/password/reset/", accounts.admin_password_reset, name="admin-password-reset"),
]
