"""Formatted refusals (core.i18n.msg) stay English in the core and the REST API, French in the French portal."""
from __future__ import annotations

import copy
import json
import pickle
from html import unescape
from pathlib import Path

import pytest
from django.utils import translation

from certdesk.core.errors import DomainError, InvalidInput
from certdesk.core.i18n import Message, join, msg
from certdesk.domains.models import Domain
from certdesk.web.labels import translated
from tests.api.conftest import error_of, mrao_api  # noqa: F401 - fixture
from tests.api.conftest import scm  # noqa: F401 - fixture
from tests.domains.conftest import _dns_server, _domain_settings, dns, make_domain  # noqa: F401 - fixtures

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}
HX = {"HTTP_HX_REQUEST": "true"}
ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src/certdesk/locale/fr/LC_MESSAGES/django.po"


def _html(response) -> str:
    return unescape(response.content.decode())


# ---------------------------------------------------------------------------
# Message: a str whose value is the English text


def test_message_is_the_english_string():
    text = msg("The domain %(domain)s already exists.", domain="univ-lyon.test")
    assert isinstance(text, str) and isinstance(text, Message)
    assert text == "The domain univ-lyon.test already exists."
    assert str(text) == text and f"{text}" == text and text + "!" == "The domain univ-lyon.test already exists.!"
    assert hash(text) == hash("The domain univ-lyon.test already exists.")
    assert text.template == "The domain %(domain)s already exists." and text.params == {"domain": "univ-lyon.test"}
    assert json.dumps({"description": text}) == '{"description": "The domain univ-lyon.test already exists."}'
    assert json.loads(json.dumps([text])) == ["The domain univ-lyon.test already exists."]
    for copied in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text), copy.copy(text)):
        assert copied == text and copied.template == text.template and copied.params == text.params
    # formats like the f-strings it replaced
    assert msg("%(key)r under %(n)g s", key="k", n=10.0) == "'k' under 10 s"
    assert msg("100%% fixed") == "100%% fixed" and msg("%(a)s is 100%%", a="x") == "x is 100%"


def test_domain_error_keeps_the_message_object():
    text = msg("%(label)s is required.", label="Name")
    err = InvalidInput(text, field="name")
    assert err.message is text and str(err) == "Name is required." and err.args == (text,)
    assert DomainError(text).message.template == "%(label)s is required."


def test_translated_fills_the_french_template_and_its_message_parameters():
    text = msg("'%(name)s' is %(what)s (such as com, ac.uk or gouv.fr): add a domain registered under it instead.",
               name="ac.uk", what=msg("a public suffix"))
    assert text == "'ac.uk' is a public suffix (such as com, ac.uk or gouv.fr): add a domain registered under it instead."
    with translation.override("fr"):
        assert translated(text) == ("«\u00a0ac.uk\u00a0» est un suffixe public (comme com, ac.uk ou gouv.fr)\u00a0: ajoutez "
                                    "plutôt un domaine enregistré sous celui-ci.")
        # a plain string is looked up whole, as before; unknown text is shown as it is
        assert translated("Name is required.") != "Name is required."
        assert translated("no such text") == "no such text" and translated(None) == ""
        # a whole-text translation wins over the template (fixed refusals of web/labels.py)
        assert translated(msg("%(label)s is required.", label="Name")) == translated("Name is required.")
        # labels given to validators are messages themselves: translated inside the sentence
        assert translated(msg("%(label)s is required.", label=msg("Description"))) == (
            "Le champ «\u00a0Description\u00a0» est obligatoire.")
        joined = join(" ", [msg("a public suffix"), "plain"])
        assert joined == "a public suffix plain" and translated(joined) == "un suffixe public plain"
    with translation.override("en"):
        assert translated(text) == text


def test_a_broken_translation_falls_back_to_english(monkeypatch):
    import certdesk.web.labels as labels

    text = msg("The domain %(domain)s is suspended.", domain="x.test")
    monkeypatch.setattr(labels, "gettext", lambda s: "Le domaine %(other)s" if "%(" in s else s)
    assert labels.translated(text) == "The domain x.test is suspended."


# ---------------------------------------------------------------------------
# Flows: French in the French portal, English on the API whatever Accept-Language says


def test_refused_domain_name_is_french_in_the_portal_and_english_on_the_api(mrao_client, mrao_api, univ):
    html = _html(mrao_client.post("/domains/new/", {"name": "192.0.2.1", "org_1": univ.pk, "types_1": ["SSL"]}, **FR))
    assert "«\u00a0192.0.2.1\u00a0» est une adresse IP\u00a0; seuls des noms de domaine peuvent être ajoutés." in html
    assert "is an IP address" not in html
    body = {"name": "192.0.2.1", "delegations": [{"orgId": univ.pk, "certTypes": ["SSL"]}]}
    for language in ("fr", "fr-FR,fr;q=0.9", "en"):
        status, code, description = error_of(mrao_api.post("domain/v1", body, headers={"Accept-Language": language}))
        assert status == 400 and description == "'192.0.2.1' is an IP address; only domain names can be added."
    assert not Domain.objects.exists()


def test_existing_domain_is_french_in_the_portal_and_english_on_the_api(mrao_client, mrao_api, make_domain, univ):
    make_domain("univ-lyon.test", univ)
    data = {"name": "univ-lyon.test", "org_1": univ.pk, "types_1": ["SSL"]}
    html = _html(mrao_client.post("/domains/new/", data, **FR))
    assert "Le domaine univ-lyon.test existe déjà. Ajoutez-lui plutôt une délégation." in html
    assert "already exists" not in html
    assert "The domain univ-lyon.test already exists. Add a delegation to it instead." in _html(
        mrao_client.post("/domains/new/", data, HTTP_ACCEPT_LANGUAGE="en"))
    body = {"name": "univ-lyon.test", "delegations": [{"orgId": univ.pk, "certTypes": ["SSL"]}]}
    status, code, description = error_of(mrao_api.post("domain/v1", body, headers={"Accept-Language": "fr"}))
    assert (status, code) == (400, -700)
    assert description == "The domain univ-lyon.test already exists. Add a delegation to it instead."


def test_dcv_refusal_is_french_in_the_portal_and_english_on_the_api(mrao_client, mrao_api, make_domain, univ):
    domain = make_domain("univ-lyon.test", univ)
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", **HX, **FR))
    assert ("Aucune demande de DCV n’est lancée pour univ-lyon.test\u00a0: choisissez d’abord une méthode (Valider)."
            in html)
    response = mrao_api.post("dcv/v1/validation/submit/domain/cname", {"domain": "univ-lyon.test"},
                             headers={"Accept-Language": "fr"})
    status, code, description = error_of(response)
    assert status == 400 and "No DCV order is started for univ-lyon.test" in description
    assert "Aucune" not in description


def test_a_failed_dcv_check_is_french_in_the_portal_and_english_on_the_api(mrao_client, mrao_api, make_domain,
                                                                           univ, mrao_actor, dns):
    from certdesk.domains import services as domain_services
    from certdesk.domains.models import DcvOrder

    domain = make_domain("univ-lyon.test", univ)
    started = domain_services.start_dcv(mrao_actor, domain, "TXT")
    dns.add(f'{started.host} 60 IN TXT "not-the-value"')
    html = _html(mrao_client.post(f"/domains/{domain.pk}/dcv/submit/", **HX, **FR))
    host = started.host
    french = f'Les enregistrements TXT de {host} ("not-the-value") ne contiennent pas la valeur attendue.'
    assert french in html and "do not contain" not in html, html
    order = DcvOrder.objects.get(domain=domain, status="SUBMITTED")
    assert order.last_error == f'The TXT records at {host} ("not-the-value") do not contain the expected value.'
    assert order.last_error_data["t"].startswith("The TXT records at %(host)s")
    # Later, on the domain's page: the stored last check in the reader's language.
    page = _html(mrao_client.get(f"/domains/{domain.pk}/", **FR))
    assert "Dernière vérification" in page and french in page, page
    english = _html(mrao_client.get(f"/domains/{domain.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "do not contain the expected value" in english
    listed = mrao_api.get("dcv/v1/validation", {"domain": "univ-lyon.test"}, headers={"Accept-Language": "fr"})
    assert "ne contiennent" not in listed.content.decode()


def test_caa_findings_are_french_in_the_portal(mrao_client, make_domain, univ, dns):
    domain = make_domain("univ-lyon.test", univ)
    dns.add('univ-lyon.test. 60 IN CAA 0 issue "other-ca.example"')
    html = _html(mrao_client.get(f"/domains/{domain.pk}/caa/", **HX, **FR))
    assert 'Le CAA de univ-lyon.test n’autorise pas cette AC' in html and "Ajoutez" in html, html
    assert "does not authorize" not in html
    dns.reset()
    assert "Aucun enregistrement CAA ne restreint" in _html(mrao_client.get(f"/domains/{domain.pk}/caa/", **HX, **FR))


def test_stored_messages_come_back_only_when_they_still_match():
    from certdesk.core.i18n import from_data, to_data

    text = msg("Could not fetch %(url)s: %(errors)s.", url="http://x.test/f",
               errors=join("; ", [msg("%(address)s: %(error)s", address="127.0.0.1", error=msg("too many redirects")),
                                  "plain"]))
    data = json.loads(json.dumps(to_data(text)))
    back = from_data(str(text), data)
    assert isinstance(back, Message) and back == text and back.params["errors"].params["p0"].template
    assert from_data(str(text)[:20], data) == str(text)[:20] and not isinstance(from_data("other", data), Message)
    assert to_data("plain text") is None and from_data("plain", None) == "plain"
    assert from_data("x", {"t": "%(missing)s", "p": {}}) == "x"


def test_admin_creation_refusal_is_french_in_the_portal_and_english_on_the_api(mrao_client, mrao_api, univ,
                                                                                rao_univ):
    data = {
        "login": "rao_univ", "email": "jean.dupont@univ-lyon.example", "forename": "Jean", "surname": "Dupont",
        "telephone": "", "password": "Initial-Passphrase-2024",
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "50",
        "roles-0-role": "RAO_SSL", "roles-0-organization": str(univ.pk),
    }
    html = _html(mrao_client.post("/settings/admins/new/", data, **FR))
    assert "L’identifiant «\u00a0rao_univ\u00a0» est déjà utilisé chez ce client." in html
    body = {"login": "rao_univ", "email": "new@univ-lyon.example", "forename": "New", "surname": "Admin",
            "password": "Initial-Passw0rd-For-New", "credentials": [{"role": "RAO_SSL", "orgId": univ.pk}]}
    status, code, description = error_of(mrao_api.post("admin/v1", body, headers={"Accept-Language": "fr"}))
    assert status in (400, 409) and "The login 'rao_univ' is already used in this customer." in description


def test_unknown_role_on_the_api_stays_english_under_a_french_session(mrao_client, mrao_api):
    """LocaleMiddleware is global: even with French active, the API answers in English."""
    body = {"login": "x_new", "email": "x@univ-lyon.example", "forename": "X", "surname": "Y",
            "password": "Initial-Passw0rd-For-New", "credentials": [{"role": "KING"}]}
    status, code, description = error_of(mrao_api.post("admin/v1", body, headers={"Accept-Language": "fr"}))
    assert status == 400 and "Unknown role 'KING'." in description


# ---------------------------------------------------------------------------
# The catalogue: makemessages extracts msg("...") through the project's override


def test_makemessages_override_adds_the_msg_keyword():
    from django.core.management import get_commands, load_command_class

    app = get_commands()["makemessages"]
    assert app == "certdesk.core"
    command = load_command_class(app, "makemessages")
    assert "--keyword=msg" in command.xgettext_options and "--from-code=UTF-8" in command.xgettext_options


@pytest.mark.parametrize("msgid", [
    "'%(name)s' is an IP address; only domain names can be added.",
    "The domain %(domain)s already exists. Add a delegation to it instead.",
    "No DCV order is started for %(domain)s: choose a method (Validate) first.",
    "The login '%(login)s' is already used in this customer.",
    "%(label)s is required.",
])
def test_catalogue_holds_the_msg_templates_translated(msgid):
    text = CATALOGUE.read_text(encoding="utf-8")
    entry = text.split(f'msgid "{msgid}"\n', 1)
    assert len(entry) == 2, msgid
    assert entry[0].rstrip().endswith("#, python-format")
    assert not entry[1].startswith('msgstr ""\n')


def test_xgettext_extracts_msg_calls(tmp_path):
    """What the override asks of xgettext: msg("...") literals, concatenated, flagged python-format."""
    import shutil
    import subprocess

    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (gettext) is not installed")
    from certdesk.core.management.commands.makemessages import Command

    source = tmp_path / "sample.py"
    source.write_text('raise E(msg("The %(a)s is "\n        "long.", a=1))\nx = msg("plain")\n', encoding="utf-8")
    out = tmp_path / "out.pot"
    subprocess.run(["xgettext", "--language=Python", *Command.xgettext_options, "-o", str(out), str(source)],
                   check=True)
    pot = out.read_text(encoding="utf-8")
    assert 'msgid "The %(a)s is long."' in pot and "python-format" in pot and 'msgid "plain"' in pot
