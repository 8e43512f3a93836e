"""Organizations menu: list, create, edit, departments, validation (OV anchor), scope."""
from __future__ import annotations

import pytest

from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Organization, OrganizationValidation
from certdesk.tenancy.states import ValidationStatus

GOOD = {
    "name": "Universite de Rennes", "address1": "2 rue du Thabor", "city": "Rennes", "postal_code": "35000",
    "country": "FR", "contact_emails": "pki@univ-rennes.example, rssi@univ-rennes.example",
    "ssl_certs_api_enabled": "on",
}


def test_list_shows_organizations_with_status_and_department_count(mrao_client, univ, physics, chemistry,
                                                                   other_org):
    response = mrao_client.get("/organizations/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Universite de Lyon" in html and "Universite de Nantes" in html
    assert '<span class="badge validated">Validated</span>' in html
    assert '<span class="badge not_validated">Not validated</span>' in html
    rows = {row["org"].name: row["org"].department_count for row in response.context["rows"]}
    assert rows == {"Universite de Lyon": 2, "Universite de Nantes": 0}
    assert 'href="/organizations/new/"' in html


def test_list_query_count_does_not_grow_with_organizations(mrao_client, mrao_actor, univ,
                                                           django_assert_max_num_queries):
    for i in range(30):
        org = tenancy.create_organization(mrao_actor, name=f"Ecole {i}", city="Paris", country="FR")
        tenancy.create_department(mrao_actor, org, name="IT")
    with django_assert_max_num_queries(12):
        response = mrao_client.get("/organizations/")
    assert len(response.context["rows"]) == 31


def test_list_search_filters_by_name(mrao_client, univ, other_org):
    response = mrao_client.get("/organizations/?q=nantes")
    assert [row["org"].name for row in response.context["rows"]] == ["Universite de Nantes"]


def test_mrao_creates_an_organization(mrao_client):
    response = mrao_client.post("/organizations/new/", GOOD)
    org = Organization.objects.get(name="Universite de Rennes")
    assert response.status_code == 302 and response["Location"] == f"/organizations/{org.pk}/"
    assert org.contact_emails == ["pki@univ-rennes.example", "rssi@univ-rennes.example"]
    assert org.ssl_certs_api_enabled and not org.client_certs_api_enabled
    assert org.validation_status == ValidationStatus.NOT_VALIDATED
    page = mrao_client.get(response["Location"]).content.decode()
    assert "Organization Universite de Rennes created." in page
    assert "Validate organization (OV anchor)" in page


def test_mrao_sets_ev_details_at_creation(mrao_client):
    data = {**GOOD, "ev_business_category": "Government Entity", "ev_jurisdiction_country": "FR",
            "ev_registration_number": "193 509 361", "ev_incorporation_date": "1970-01-01"}
    assert mrao_client.post("/organizations/new/", data).status_code == 302
    org = Organization.objects.get(name="Universite de Rennes")
    assert org.ev_business_category == "Government Entity" and org.ev_incorporation_date.year == 1970


@pytest.mark.parametrize(("field", "value", "error_id"), [
    ("country", "ZZ", "id_country_error"),
    ("country", "", "id_country_error"),
    ("name", "Université de Rennes", "id_name_error"),
    ("name", "", "id_name_error"),
    ("city", "", "id_city_error"),
    ("contact_emails", "not-an-email", "id_contact_emails_error"),
    ("ev_business_category", "Sole Trader", "id_ev_business_category_error"),
])
def test_bad_organization_input_is_shown_next_to_the_field_and_nothing_written(mrao_client, customer, field,
                                                                               value, error_id):
    data = {**GOOD, field: value}
    if field == "city":
        data["state_province"] = ""
    before = Organization.objects.count()
    response = mrao_client.post("/organizations/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert error_id in html, html[html.find("errorlist") - 200:html.find("errorlist") + 300]
    assert 'aria-invalid="true"' in html
    assert Organization.objects.count() == before


def test_non_ascii_name_message_explains_the_fix(mrao_client, customer):
    html = mrao_client.post("/organizations/new/", {**GOOD, "name": "Université de Rennes"}).content.decode()
    assert "Universite" in html and "certificate subject" in html


def test_duplicate_organization_name_is_a_field_error(mrao_client, univ):
    before = Organization.objects.count()
    response = mrao_client.post("/organizations/new/", {**GOOD, "name": "Universite de Lyon"})
    html = response.content.decode()
    assert "id_name_error" in html and "already exists" in html
    assert Organization.objects.count() == before


def test_only_an_mrao_sees_and_may_use_organization_creation(client, login_as, rao_univ):
    login_as(rao_univ)
    assert 'href="/organizations/new/"' not in client.get("/organizations/").content.decode()
    assert client.get("/organizations/new/").status_code == 403
    before = Organization.objects.count()
    assert client.post("/organizations/new/", GOOD).status_code == 403
    assert Organization.objects.count() == before


def test_mrao_edits_an_organization_including_ev_details(mrao_client, univ):
    page = mrao_client.get(f"/organizations/{univ.pk}/edit/").content.decode()
    assert 'value="Universite de Lyon"' in page and "EV details" in page
    data = {"name": "Universite de Lyon", "address1": "92 rue Pasteur", "city": "Lyon", "postal_code": "69007",
            "country": "FR", "academic_code": "univ-lyon.fr", "contact_emails": "pki@univ-lyon.example",
            "ev_business_category": "Government Entity"}
    response = mrao_client.post(f"/organizations/{univ.pk}/edit/", data)
    assert response.status_code == 302
    univ.refresh_from_db()
    assert univ.contact_emails == ["pki@univ-lyon.example"] and univ.ev_business_category == "Government Entity"


def test_edit_with_bad_input_writes_nothing(mrao_client, univ):
    data = {"name": "Université de Lyon", "city": "Lyon", "country": "FR"}
    response = mrao_client.post(f"/organizations/{univ.pk}/edit/", data)
    assert "id_name_error" in response.content.decode()
    univ.refresh_from_db()
    assert univ.name == "Universite de Lyon" and univ.address1 == "92 rue Pasteur"


def test_rao_cannot_edit_its_organization_but_sees_it(client, login_as, rao_univ, univ):
    login_as(rao_univ)
    page = client.get(f"/organizations/{univ.pk}/").content.decode()
    assert "Universite de Lyon" in page and f'href="/organizations/{univ.pk}/edit/"' not in page
    assert client.get(f"/organizations/{univ.pk}/edit/").status_code == 403


def test_department_add_and_edit(mrao_client, univ):
    page = mrao_client.get(f"/organizations/{univ.pk}/").content.decode()
    assert f'href="/organizations/{univ.pk}/departments/new/"' in page
    response = mrao_client.post(f"/organizations/{univ.pk}/departments/new/",
                                {"name": "Biology", "contact_emails": "bio@univ-lyon.example"})
    assert response.status_code == 302 and response["Location"] == f"/organizations/{univ.pk}/"
    dept = Organization.objects.get(parent=univ, name="Biology")
    assert dept.contact_emails == ["bio@univ-lyon.example"]
    page = mrao_client.get(f"/organizations/{univ.pk}/").content.decode()
    assert "Biology" in page and f'href="/departments/{dept.pk}/edit/"' in page

    response = mrao_client.post(f"/departments/{dept.pk}/edit/", {"name": "Biology and Life Sciences",
                                                                  "contact_emails": "", "ssl_certs_api_enabled": "on"})
    assert response.status_code == 302
    dept.refresh_from_db()
    assert dept.name == "Biology and Life Sciences" and dept.contact_emails == [] and dept.ssl_certs_api_enabled


def test_department_errors_are_shown_and_nothing_written(mrao_client, univ, physics):
    before = Organization.objects.count()
    for name, message in (("Physics", "already exists"), ("Physique appliquée", "certificate subject"), ("", "")):
        html = mrao_client.post(f"/organizations/{univ.pk}/departments/new/", {"name": name}).content.decode()
        assert "id_name_error" in html and message in html
    assert Organization.objects.count() == before


def test_rao_with_add_departments_adds_one(client, login_as, rao_univ, univ):
    login_as(rao_univ)
    response = client.post(f"/organizations/{univ.pk}/departments/new/", {"name": "Geology"})
    assert response.status_code == 302
    assert Organization.objects.filter(parent=univ, name="Geology").exists()


def test_department_detail_follows_its_organization(mrao_client, physics):
    html = mrao_client.get(f"/organizations/{physics.pk}/").content.decode()
    assert "Physics" in html and "follows its organization" in html and "Validated" in html


# ---------------------------------------------------------------------------
# Validation (OV anchor)


def test_validation_triggered_by_mrao_and_approved_by_mrao2(client, login_as, mrao, mrao2, other_org):
    login_as(mrao)
    response = client.post(f"/organizations/{other_org.pk}/validations/submit/")
    assert response.status_code == 302
    other_org.refresh_from_db()
    assert other_org.validation_status == ValidationStatus.PENDING
    validation = OrganizationValidation.objects.get(organization=other_org)
    assert validation.submitted_by == mrao

    login_as(mrao2)
    page = client.get(f"/organizations/{other_org.pk}/").content.decode()
    assert f"/validations/{validation.pk}/approve/" in page and f"/validations/{validation.pk}/reject/" in page
    response = client.post(f"/organizations/{other_org.pk}/validations/{validation.pk}/approve/",
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="validation-panel"' in html
    assert "Organization validated." in html
    other_org.refresh_from_db()
    assert other_org.validation_status == ValidationStatus.VALIDATED
    validation.refresh_from_db()
    assert validation.decided_by == mrao2


def test_submit_through_htmx_swaps_the_panel(mrao_client, other_org):
    response = mrao_client.post(f"/organizations/{other_org.pk}/validations/submit/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="validation-panel"' in html and "Pending" in html
    assert "another MRAO must now approve" in html


def test_submitter_cannot_approve_and_is_told_why(mrao_client, mrao_actor, other_org):
    validation = tenancy.submit_validation(mrao_actor, other_org)
    url = f"/organizations/{other_org.pk}/validations/{validation.pk}/approve/"
    html = mrao_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "The MRAO who triggered the validation cannot decide it" in html
    # without HTMX: back to the organization with the same message
    page = mrao_client.post(url, follow=True).content.decode()
    assert "The MRAO who triggered the validation cannot decide it" in page
    other_org.refresh_from_db()
    assert other_org.validation_status == ValidationStatus.PENDING


def test_submitter_refusal_is_translated(mrao_client, mrao_actor, other_org):
    validation = tenancy.submit_validation(mrao_actor, other_org)
    html = mrao_client.post(f"/organizations/{other_org.pk}/validations/{validation.pk}/approve/",
                            HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Le MRAO qui a lancé la validation ne peut pas la trancher" in html


def test_reject_with_reason_through_the_confirmation_step(client, login_as, mrao_actor, mrao2, other_org):
    validation = tenancy.submit_validation(mrao_actor, other_org)
    login_as(mrao2)
    url = f"/organizations/{other_org.pk}/validations/{validation.pk}/reject/"
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'name="reason"' in fragment and "data-dialog-close" in fragment
    assert "<html" in client.get(url).content.decode()  # the same step as a page without JavaScript

    html = client.post(url, {"reason": ""}).content.decode()
    assert "id_reason_error" in html
    other_org.refresh_from_db()
    assert other_org.validation_status == ValidationStatus.PENDING

    response = client.post(url, {"reason": "Address does not match the registry"})
    assert response.status_code == 302
    validation.refresh_from_db()
    other_org.refresh_from_db()
    assert validation.status == "REJECTED" and validation.reason == "Address does not match the registry"
    assert other_org.validation_status == ValidationStatus.NOT_VALIDATED
    assert "Address does not match the registry" in client.get(f"/organizations/{other_org.pk}/").content.decode()


def test_rao_sees_status_but_no_validation_buttons(client, login_as, rao_univ, univ):
    login_as(rao_univ)
    html = client.get(f"/organizations/{univ.pk}/").content.decode()
    assert "Validation (OV anchor)" in html and "/validations/submit/" not in html
    response = client.post(f"/organizations/{univ.pk}/validations/submit/", follow=True)
    assert "Only an MRAO" in response.content.decode()
    assert OrganizationValidation.objects.filter(organization=univ).count() == 1


def test_validation_of_a_department_is_refused(mrao_client, physics):
    response = mrao_client.post(f"/organizations/{physics.pk}/validations/submit/", HTTP_HX_REQUEST="true")
    assert "Departments follow their organization" in response.content.decode()


# ---------------------------------------------------------------------------
# Scope: out of scope answers exactly like missing


def _org_urls(org, validation=None):
    urls = [f"/organizations/{org.pk}/", f"/organizations/{org.pk}/edit/",
            f"/organizations/{org.pk}/departments/new/"]
    if validation is not None:
        urls.append(f"/organizations/{org.pk}/validations/{validation.pk}/reject/")
    return urls


def test_drao_sees_only_its_department(client, login_as, drao_physics, univ, physics, chemistry, other_org):
    login_as(drao_physics)
    response = client.get("/organizations/")
    assert response.context["rows"] == []
    assert [row["org"].pk for row in response.context["department_rows"]] == [physics.pk]
    html = response.content.decode()
    assert "Physics" in html and "Chemistry" not in html and "Nantes" not in html
    assert client.get(f"/organizations/{physics.pk}/").status_code == 200


def test_drao_gets_404_for_other_organizations_and_departments(client, login_as, drao_physics, univ, chemistry,
                                                               other_org):
    login_as(drao_physics)
    validation = univ.validations.first()
    for url in [*_org_urls(univ, validation), *_org_urls(chemistry), *_org_urls(other_org),
                f"/departments/{chemistry.pk}/edit/", "/organizations/999999/"]:
        assert client.get(url).status_code == 404, url
    for url in (f"/organizations/{univ.pk}/validations/submit/",
                f"/organizations/{univ.pk}/validations/{validation.pk}/approve/"):
        assert client.post(url).status_code == 404, url


def test_rao_of_another_organization_gets_404(client, login_as, rao_other, univ, physics):
    login_as(rao_other)
    validation = univ.validations.first()
    for url in [*_org_urls(univ, validation), *_org_urls(physics)]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/organizations/{univ.pk}/departments/new/", {"name": "Intrusion"}).status_code == 404
    assert not Organization.objects.filter(name="Intrusion").exists()


def test_another_customers_mrao_gets_404(client, login_as, other_mrao, univ, physics):
    login_as(other_mrao)
    validation = univ.validations.first()
    for url in [*_org_urls(univ, validation), *_org_urls(physics)]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/organizations/{univ.pk}/validations/{validation.pk}/approve/").status_code == 404
    assert "Universite de Lyon" not in client.get("/organizations/").content.decode()


def test_404_page_says_the_same_for_missing_and_out_of_scope(client, login_as, rao_other, univ):
    login_as(rao_other)
    missing = client.get("/organizations/999999/")
    hidden = client.get(f"/organizations/{univ.pk}/")
    assert missing.status_code == hidden.status_code == 404

    def main(response):
        return response.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]

    assert main(missing) == main(hidden)


def test_detail_query_count_is_bounded(mrao_client, mrao_actor, univ, django_assert_max_num_queries):
    for i in range(20):
        tenancy.create_department(mrao_actor, univ, name=f"Lab {i}")
    with django_assert_max_num_queries(14):
        assert mrao_client.get(f"/organizations/{univ.pk}/").status_code == 200
