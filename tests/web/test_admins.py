"""Settings → Admins: list, add, edit, disable/enable, reset password, scope."""
from __future__ import annotations

import re

from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin, AdminType

from .conftest import PASSWORD, login_post

NEW_PASSWORD = "Initial-Passphrase-2024"


def _new_admin(**overrides):
    data = {
        "login": "jdupont", "email": "jean.dupont@univ-lyon.example", "forename": "Jean", "surname": "Dupont",
        "telephone": "", "password": NEW_PASSWORD,
        "roles-TOTAL_FORMS": "3", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "50",
        "roles-0-role": "", "roles-0-organization": "",
        "roles-1-role": "", "roles-1-organization": "",
        "roles-2-role": "", "roles-2-organization": "",
    }
    data.update(overrides)
    return data


def test_list_shows_level_roles_type_and_status(mrao_client, mrao_actor, rao_univ, drao_physics, api_robot):
    accounts.set_admin_active(mrao_actor, drao_physics, False)
    response = mrao_client.get("/settings/admins/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("mrao", "rao_univ", "drao_physics", "robot_physics", "Rachel Orga", "rao@univ-lyon.example",
                 "MRAO", "RAO", "DRAO", "RAO – SSL @ Universite de Lyon", "DRAO – SSL @ Universite de Lyon / Physics",
                 "Web API Use Only", "Standard (portal and API)", "Enabled", "Disabled"):
        assert text in html, text
    assert 'href="/settings/admins/new/"' in html


def test_list_query_count_does_not_grow_with_admins(mrao_client, mrao_actor, univ, physics,
                                                    django_assert_max_num_queries):
    for i in range(25):
        accounts.create_admin(mrao_actor, login=f"admin{i}", email=f"a{i}@univ-lyon.example", forename="A",
                              surname=f"N{i}", password=PASSWORD,
                              credentials=[{"role": "RAO_SSL", "orgId": univ.pk},
                                           {"role": "DRAO_SMIME", "orgId": physics.pk}])
    with django_assert_max_num_queries(10):
        response = mrao_client.get("/settings/admins/")
    assert len(response.context["admins"]) == 27


def test_add_admin_form_offers_privileges_and_role_rows(mrao_client, univ, physics):
    html = mrao_client.get("/settings/admins/new/").content.decode()
    assert "Allow creating of peer admin users" in html and 'value="allowCreate"' in html
    assert 'name="roles-0-role"' in html and 'name="roles-0-organization"' in html
    assert "Universite de Lyon / Physics" in html
    assert "Web API Use Only" in html


def test_mrao_adds_a_rao_who_must_change_the_password(client, login_as, mrao, univ):
    login_as(mrao)
    data = _new_admin(**{"roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk),
                         "privileges": ["allowCreate", "allowDCV"]})
    response = client.post("/settings/admins/new/", data)
    admin = Admin.objects.get(login="jdupont")
    assert response.status_code == 302 and response["Location"] == f"/settings/admins/{admin.pk}/"
    assert admin.must_change_password and admin.type == AdminType.STANDARD
    assert sorted(admin.privileges) == ["allowCreate", "allowDCV"]
    assert [(c.role, c.organization_id) for c in admin.credential_list()] == [("RAO_SSL", univ.pk)]
    client.post("/logout/")
    login_post(client, "jdupont", NEW_PASSWORD)
    assert client.get("/dashboard/")["Location"] == "/password/change/"


def test_web_api_use_only_checkbox_makes_an_api_admin(mrao_client, physics):
    data = _new_admin(api_only="on", **{"roles-0-role": "DRAO_SSL", "roles-0-organization": str(physics.pk)})
    assert mrao_client.post("/settings/admins/new/", data).status_code == 302
    assert Admin.objects.get(login="jdupont").type == AdminType.API


def test_add_admin_errors_are_shown_and_nothing_written(mrao_client, univ, rao_univ):
    before = Admin.objects.count()
    cases = [
        (_new_admin(login="rao_univ", **{"roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk)}),
         "id_login_error", "already used"),
        (_new_admin(password="short", **{"roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk)}),
         "id_password_error", ""),
        (_new_admin(), "roles-error", "at least one role"),
        (_new_admin(**{"roles-0-role": "RAO_SSL"}), "roles-error", "needs an orgId"),
        (_new_admin(email="not-an-email", **{"roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk)}),
         "id_email_error", ""),
        (_new_admin(login="bad login!", **{"roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk)}),
         "id_login_error", "Login must be"),
        (_new_admin(privileges=["sslManage"], **{"roles-0-role": "RAO_SMIME",
                                                 "roles-0-organization": str(univ.pk)}),
         "id_privileges_error", "cannot be given"),
    ]
    for data, error_id, message in cases:
        response = mrao_client.post("/settings/admins/new/", data)
        html = response.content.decode()
        assert response.status_code == 200, data
        assert error_id in html and message in html, (error_id, message)
    assert Admin.objects.count() == before


def test_edit_admin_profile_roles_and_privileges(mrao_client, rao_univ, univ, physics):
    page = mrao_client.get(f"/settings/admins/{rao_univ.pk}/edit/").content.decode()
    assert 'value="rao@univ-lyon.example"' in page and 'name="password"' not in page
    assert re.search(r'<option value="RAO_SSL" selected>', page)
    data = _new_admin(login="ignored", email="rachel@univ-lyon.example", forename="Rachel", surname="Orga",
                      privileges=["allowEdit"], **{
                          "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "1",
                          "roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk),
                          "roles-1-role": "DRAO_SMIME", "roles-1-organization": str(physics.pk)})
    del data["password"]
    response = mrao_client.post(f"/settings/admins/{rao_univ.pk}/edit/", data)
    assert response.status_code == 302
    rao_univ.refresh_from_db()
    rao_univ.forget_credentials()
    assert rao_univ.login == "rao_univ" and rao_univ.email == "rachel@univ-lyon.example"
    assert rao_univ.privileges == ["allowEdit"]
    assert sorted(c.role for c in rao_univ.credential_list()) == ["DRAO_SMIME", "RAO_SSL"]


def test_edit_can_remove_a_role_row(mrao_client, mrao_actor, univ, physics):
    admin = accounts.create_admin(mrao_actor, login="two_roles", email="two@univ-lyon.example", forename="T",
                                  surname="R", password=PASSWORD,
                                  credentials=[{"role": "RAO_SSL", "orgId": univ.pk},
                                               {"role": "DRAO_SMIME", "orgId": physics.pk}])
    data = _new_admin(email="two@univ-lyon.example", forename="T", surname="R", **{
        "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "2",
        "roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk),
        "roles-1-role": "DRAO_SMIME", "roles-1-organization": str(physics.pk), "roles-1-DELETE": "on"})
    assert mrao_client.post(f"/settings/admins/{admin.pk}/edit/", data).status_code == 302
    admin.forget_credentials()
    assert [c.role for c in admin.credential_list()] == ["RAO_SSL"]


def test_edit_keeps_privileges_the_editor_does_not_hold(client, login_as, mrao_actor, rao_univ, univ):
    peer = accounts.create_admin(mrao_actor, login="peer", email="peer@univ-lyon.example", forename="P",
                                 surname="Eer", password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}],
                                 privileges=["sslManage", "allowDCV"])
    login_as(rao_univ)  # holds allowDCV but not sslManage
    page = client.get(f"/settings/admins/{peer.pk}/edit/").content.decode()
    assert re.search(r'value="sslManage"[^>]*checked disabled', page)
    data = _new_admin(email="peer@univ-lyon.example", forename="P", surname="Eer", **{
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "1",
        "roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk)})
    assert client.post(f"/settings/admins/{peer.pk}/edit/", data).status_code == 302
    peer.refresh_from_db()
    assert peer.privileges == ["sslManage"]  # allowDCV unticked, sslManage kept


def test_disable_through_confirmation_then_enable(mrao_client, rao_univ):
    detail = mrao_client.get(f"/settings/admins/{rao_univ.pk}/").content.decode()
    assert f'hx-get="/settings/admins/{rao_univ.pk}/disable/"' in detail
    confirm = mrao_client.get(f"/settings/admins/{rao_univ.pk}/disable/", HTTP_HX_REQUEST="true")
    assert "Disable rao_univ?" in confirm.content.decode()
    rao_univ.refresh_from_db()
    assert rao_univ.is_active  # a GET never disables
    response = mrao_client.post(f"/settings/admins/{rao_univ.pk}/disable/")
    assert response.status_code == 302
    rao_univ.refresh_from_db()
    assert not rao_univ.is_active
    page = mrao_client.get(f"/settings/admins/{rao_univ.pk}/").content.decode()
    assert "disabled: they can no longer log in" in page and f"/settings/admins/{rao_univ.pk}/enable/" in page
    assert mrao_client.get(f"/settings/admins/{rao_univ.pk}/enable/").status_code == 405
    mrao_client.post(f"/settings/admins/{rao_univ.pk}/enable/")
    rao_univ.refresh_from_db()
    assert rao_univ.is_active


def test_reset_password_generated_is_shown_once(client, login_as, mrao, rao_univ):
    login_as(mrao)
    response = client.post(f"/settings/admins/{rao_univ.pk}/password/reset/", {"password": ""})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert password and password in response.content.decode()
    rao_univ.refresh_from_db()
    assert rao_univ.must_change_password and rao_univ.check_password(password)
    assert password not in client.get(f"/settings/admins/{rao_univ.pk}/").content.decode()


def test_reset_password_typed_and_too_weak(mrao_client, rao_univ):
    html = mrao_client.post(f"/settings/admins/{rao_univ.pk}/password/reset/", {"password": "123"}).content.decode()
    assert "id_password_error" in html
    rao_univ.refresh_from_db()
    assert rao_univ.check_password(PASSWORD) and not rao_univ.must_change_password
    response = mrao_client.post(f"/settings/admins/{rao_univ.pk}/password/reset/",
                                {"password": "Typed-By-Colleague-55"})
    assert "Typed-By-Colleague-55" in response.content.decode()
    rao_univ.refresh_from_db()
    assert rao_univ.check_password("Typed-By-Colleague-55") and rao_univ.must_change_password


def test_no_action_buttons_on_ones_own_account(mrao_client, mrao):
    html = mrao_client.get(f"/settings/admins/{mrao.pk}/").content.decode()
    assert "/edit/" not in html and "/disable/" not in html and "/password/reset/" not in html


def test_rao_does_not_see_mrao_accounts(client, login_as, rao_univ, mrao):
    login_as(rao_univ)
    assert client.get(f"/settings/admins/{mrao.pk}/").status_code == 404


# ---------------------------------------------------------------------------
# Scope


def test_drao_sees_only_admins_of_its_department(client, login_as, drao_physics, drao_chemistry, rao_univ, mrao,
                                                 rao_other):
    login_as(drao_physics)
    response = client.get("/settings/admins/")
    assert [a.login for a in response.context["admins"]] == ["drao_physics"]
    assert 'href="/settings/admins/new/"' not in response.content.decode()  # no allowCreate
    for other in (drao_chemistry, rao_univ, mrao, rao_other):
        for suffix in ("", "edit/", "disable/", "password/reset/"):
            assert client.get(f"/settings/admins/{other.pk}/{suffix}").status_code == 404, (other, suffix)
        assert client.post(f"/settings/admins/{other.pk}/disable/").status_code == 404
    assert client.get("/settings/admins/new/").status_code == 403


def test_drao_with_allow_create_sees_peers_and_cannot_create_a_rao(client, login_as, drao_creator, drao_physics,
                                                                  univ, physics):
    login_as(drao_creator)
    logins = [a.login for a in client.get("/settings/admins/").context["admins"]]
    assert logins == ["drao_creator", "drao_physics"]
    form = client.get("/settings/admins/new/").content.decode()
    assert "Universite de Lyon / Physics" in form
    assert f'<option value="{univ.pk}">' not in form  # the organization is not offered to a DRAO
    before = Admin.objects.count()
    # RAO on the department: the role needs an organization
    html = client.post("/settings/admins/new/", _new_admin(**{"roles-0-role": "RAO_SSL",
                                                             "roles-0-organization": str(physics.pk)})).content.decode()
    assert "roles-error" in html and "RAO_SSL" in html
    # RAO on the organization, id guessed: not a choice the form offers
    html = client.post("/settings/admins/new/", _new_admin(**{"roles-0-role": "RAO_SSL",
                                                             "roles-0-organization": str(univ.pk)})).content.decode()
    assert "id_roles-0-organization_error" in html
    # a privilege the DRAO does not hold
    html = client.post("/settings/admins/new/", _new_admin(privileges=["allowDelete"], **{
        "roles-0-role": "DRAO_SSL", "roles-0-organization": str(physics.pk)})).content.decode()
    assert "id_privileges_error" in html and "allowDelete" in html
    assert Admin.objects.count() == before
    # a peer DRAO of Physics is fine
    response = client.post("/settings/admins/new/", _new_admin(privileges=["allowEdit"], **{
        "roles-0-role": "DRAO_SSL", "roles-0-organization": str(physics.pk)}))
    assert response.status_code == 302
    assert Admin.objects.get(login="jdupont").privileges == ["allowEdit"]


def test_rao_of_another_organization_gets_404_for_univ_admins(client, login_as, rao_other, rao_univ, drao_physics):
    login_as(rao_other)
    logins = [a.login for a in client.get("/settings/admins/").context["admins"]]
    assert logins == ["rao_nantes"]
    for target in (rao_univ, drao_physics):
        assert client.get(f"/settings/admins/{target.pk}/").status_code == 404
        assert client.post(f"/settings/admins/{target.pk}/password/reset/", {"password": ""}).status_code == 404
    rao_univ.refresh_from_db()
    assert rao_univ.check_password(PASSWORD)


def test_another_customers_mrao_gets_404(client, login_as, other_mrao, rao_univ, mrao):
    login_as(other_mrao)
    assert [a.login for a in client.get("/settings/admins/").context["admins"]] == ["jisc-mrao"]
    for target in (rao_univ, mrao):
        for suffix in ("", "edit/", "disable/", "password/reset/"):
            assert client.get(f"/settings/admins/{target.pk}/{suffix}").status_code == 404
        assert client.post(f"/settings/admins/{target.pk}/enable/").status_code == 404


def test_rao_resets_a_drao_of_its_organization(client, login_as, rao_univ, drao_physics):
    login_as(rao_univ)
    response = client.post(f"/settings/admins/{drao_physics.pk}/password/reset/", {"password": ""})
    assert response.status_code == 200
    drao_physics.refresh_from_db()
    assert drao_physics.must_change_password
