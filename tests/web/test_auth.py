"""Portal login, customer choice, refusals, forced password change, logout."""
from __future__ import annotations

from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin, AdminType

from .conftest import PASSWORD, login_post

GENERIC = "Invalid customer, login or password."


def test_root_redirects_to_login_then_to_dashboard(client, mrao, login_as):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    login_as(mrao)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_login_form_has_username_and_password_and_implies_a_single_customer(client, customer):
    html = client.get("/login/").content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'type="hidden" name="customer" value="renater"' in html
    assert 'id="id_customer"' in html  # hidden, prefilled


def test_good_login_reaches_dashboard_with_a_new_session(client, mrao):
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    response = login_post(client, "mrao")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.session.session_key != before
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"mrao" in page.content


def test_bad_password_and_unknown_login_get_the_same_generic_message(client, mrao):
    wrong_password = login_post(client, "mrao", "not-the-password")
    unknown_login = login_post(client, "nobody", PASSWORD)
    for response in (wrong_password, unknown_login):
        assert response.status_code == 200
        assert GENERIC in response.content.decode()
        assert "_auth_user_id" not in client.session
    assert wrong_password.content.decode().count("form-errors") == unknown_login.content.decode().count("form-errors")


def test_customer_field_is_shown_when_two_customers_exist(client, mrao, other_mrao):
    html = client.get("/login/").content.decode()
    assert 'type="text" name="customer"' in html and 'for="id_customer"' in html
    # the wrong customer for a good login/password: generic refusal
    response = login_post(client, "jisc-mrao", customer="renater")
    assert GENERIC in response.content.decode()
    response = login_post(client, "jisc-mrao", customer="jisc")
    assert response.status_code == 302
    assert client.get("/dashboard/").context["actor"].customer.uri == "jisc"


def test_missing_customer_is_a_field_error_when_several_exist(client, mrao, other_mrao):
    response = login_post(client, "mrao")
    assert response.status_code == 200
    assert "id_customer_error" in response.content.decode()


def test_customer_url_shows_the_same_form_with_the_customer_prefilled(client, mrao, other_mrao):
    page = client.get("/customer/jisc/")
    html = page.content.decode()
    assert page.status_code == 200 and 'type="hidden" name="customer" value="jisc"' in html
    assert 'name="username"' in html and 'name="password"' in html
    response = client.post("/customer/jisc/", {"username": "jisc-mrao", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard/").context["actor"].admin.login == "jisc-mrao"


def test_customer_url_ignores_a_posted_customer(client, mrao, other_mrao):
    response = client.post("/customer/jisc/", {"username": "mrao", "password": PASSWORD, "customer": "renater"})
    assert GENERIC in response.content.decode()


def test_api_only_admin_is_refused_by_the_portal(client, api_robot):
    response = login_post(client, "robot_physics")
    assert response.status_code == 200
    assert "This account may only use the REST API" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_disabled_admin_cannot_log_in(client, mrao_actor, rao_univ):
    accounts.set_admin_active(mrao_actor, rao_univ, False)
    response = login_post(client, "rao_univ")
    assert GENERIC in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_live_session_of_a_disabled_admin_ends(client, mrao_actor, rao_univ, login_as):
    login_as(rao_univ)
    assert client.get("/dashboard/").status_code == 200
    accounts.set_admin_active(mrao_actor, rao_univ, False)
    response = client.get("/organizations/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_live_session_of_an_admin_turned_api_only_ends(client, mrao_actor, rao_univ, login_as):
    login_as(rao_univ)
    accounts.update_admin(mrao_actor, rao_univ, type=AdminType.API)
    response = client.get("/dashboard/", follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "This account may only use the REST API" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_forced_password_change_redirects_everything_until_done(client, newcomer):
    response = login_post(client, "newcomer")
    assert response.status_code == 302
    for url in ("/dashboard/", "/organizations/", "/settings/admins/", "/about/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/password/change/", url
    page = client.get("/password/change/")
    assert page.status_code == 200 and "You must choose a new password" in page.content.decode()
    # logout and the language switch stay reachable
    assert client.post("/language/", {"language": "fr", "next": "/password/change/"}).status_code == 302

    new = "Another-Long-Passphrase-42"
    response = client.post("/password/change/", {"current_password": PASSWORD, "new_password": new,
                                                 "confirm_password": new})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200  # still logged in after the change
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password and newcomer.check_password(new)


def test_password_change_errors_show_next_to_their_fields(client, newcomer, login_as):
    login_as(newcomer)
    cases = [
        ({"current_password": "wrong", "new_password": "Another-Long-Passphrase-42",
          "confirm_password": "Another-Long-Passphrase-42"}, "id_current_password_error"),
        ({"current_password": PASSWORD, "new_password": "Another-Long-Passphrase-42",
          "confirm_password": "different"}, "id_confirm_password_error"),
        ({"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
         "id_new_password_error"),
        ({"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD},
         "id_new_password_error"),
    ]
    for data, error_id in cases:
        response = client.post("/password/change/", data)
        assert response.status_code == 200 and error_id in response.content.decode(), data
    newcomer.refresh_from_db()
    assert newcomer.must_change_password and newcomer.check_password(PASSWORD)


def test_logout_is_a_post(client, mrao, login_as):
    login_as(mrao)
    assert client.get("/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302


def test_next_is_followed_only_to_local_paths(client, mrao):
    response = client.post("/login/?next=/organizations/", {"username": "mrao", "password": PASSWORD})
    assert response["Location"] == "/organizations/"
    client.post("/logout/")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login/", {"username": "mrao", "password": PASSWORD, "next": evil})
        assert response["Location"] == "/dashboard/", evil
        client.post("/logout/")


def test_anonymous_page_request_goes_to_login_with_next(client, customer):
    response = client.get("/organizations/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/organizations/"


def test_anonymous_htmx_request_is_told_to_reload_the_login_page(client, customer):
    response = client.post("/organizations/1/validations/submit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/login/"


def test_password_reset_by_another_admin_ends_the_target_session(client, mrao_actor, rao_univ, login_as):
    login_as(rao_univ)
    assert client.get("/dashboard/").status_code == 200
    accounts.reset_password(mrao_actor, rao_univ, "Brand-New-Passphrase-77")
    assert client.get("/dashboard/").status_code == 302


def test_login_failures_are_rate_limited_with_the_same_message(client, mrao, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        login_post(client, "mrao", "bad-password")
    response = login_post(client, "mrao")  # right password, but locked for now
    assert GENERIC in response.content.decode()
    assert Admin.objects.get(pk=mrao.pk).last_login is None


def test_forms_are_csrf_protected(mrao):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "mrao", "password": PASSWORD}).status_code == 403
    page = strict.get("/login/")
    token = page.context["csrf_token"]
    response = strict.post("/login/", {"username": "mrao", "password": PASSWORD, "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert strict.post("/logout/").status_code == 403  # no token: still logged in
    assert strict.get("/dashboard/").status_code == 200
