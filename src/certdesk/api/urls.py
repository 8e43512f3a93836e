"""SCM REST API routes (mounted at /api/ and /private/api/); every trailing slash is optional."""
from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

# `schema` is imported for its side effect: it registers the OpenAPI authentication extension.
from . import admins, organizations, schema, validations  # noqa: F401
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
VALIDATIONS = rf"organization/v2/(?P<org_id>{ID})/validations"

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
    # Anything else under the API root: a JSON 404.
    re_path(r"^.*$", ApiNotFoundView.as_view(), name="not-found"),
]
