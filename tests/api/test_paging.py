"""Paging (`position`, `size` ≤ 200), `X-Total-Count`, `HEAD`, optional trailing slashes (spec §1, §4)."""
from __future__ import annotations

import pytest

from certdesk.accounts.models import Admin
from certdesk.tenancy import services as tenancy
from tests.api.conftest import error_of


@pytest.fixture
def many_admins(customer, mrao):
    admins = []
    for i in range(7):
        admin = Admin(customer=customer, login=f"bulk{i:02d}", email=f"bulk{i}@renater.example", forename="B",
                      surname=f"{i}", must_change_password=False)
        admin.set_unusable_password()
        admins.append(admin)
    Admin.objects.bulk_create(admins)
    return Admin.objects.filter(customer=customer).order_by("id")


def test_pages_of_admins(mrao_api, many_admins):
    ids = [a.pk for a in many_admins]
    assert len(ids) == 8
    seen = []
    position = 0
    while True:
        response = mrao_api.get("admin/v1", {"position": position, "size": 3})
        assert response["X-Total-Count"] == "8"
        page = [a["id"] for a in response.json()]
        seen += page
        if len(page) < 3:
            break
        position += 3
    assert seen == ids


def test_default_and_maximum_size(mrao_api, many_admins):
    assert len(mrao_api.get("admin/v1").json()) == 8
    assert len(mrao_api.get("admin/v1", {"size": 200}).json()) == 8
    assert mrao_api.get("admin/v1", {"size": 0}).json() == []
    assert mrao_api.get("admin/v1", {"position": 100}).json() == []
    assert error_of(mrao_api.get("admin/v1", {"size": 201}))[:2] == (400, -1601)


def test_head_returns_only_the_count(mrao_api, many_admins):
    response = mrao_api.head("admin/v1", {"login": "bulk03"})
    assert response.status_code == 200
    assert response["X-Total-Count"] == "1"
    assert response.content == b""


def test_head_on_organizations(mrao_api, mrao_actor, univ, physics):
    tenancy.create_organization(mrao_actor, name="Second", city="Lyon", country="FR")
    response = mrao_api.head("organization/v1/")
    assert (response.status_code, response["X-Total-Count"], response.content) == (200, "2", b"")


def test_organization_list_pages_on_request_only(mrao_api, mrao_actor, univ):
    for i in range(4):
        tenancy.create_organization(mrao_actor, name=f"Org {i}", city="Lyon", country="FR")
    assert len(mrao_api.get("organization/v1").json()) == 5
    response = mrao_api.get("organization/v1", {"position": 1, "size": 2})
    assert [o["name"] for o in response.json()] == ["Org 1", "Org 2"]
    assert response["X-Total-Count"] == "5"


@pytest.mark.parametrize("path", ["admin/v1", "admin/v1/", "admin/v1/roles", "admin/v1/roles/",
                                  "organization/v1", "organization/v1/", "admin/v1/idp/", "admin/v1/password/"])
def test_trailing_slash_is_optional(mrao_api, path):
    assert mrao_api.get(path).status_code == 200


def test_trailing_slash_optional_on_ids_and_posts(mrao_api, mrao, univ):
    assert mrao_api.get(f"admin/v1/{mrao.pk}/").json()["id"] == mrao.pk
    assert mrao_api.get(f"organization/v1/{univ.pk}/").json()["id"] == univ.pk
    response = mrao_api.post("organization/v1/", {"name": "Slash Org", "city": "Lyon", "country": "FR"})
    assert response.status_code == 201


def test_admin_list_query_count_is_bounded(mrao_api, many_admins, django_assert_max_num_queries, settings):
    settings.API_AUTH_CACHE_SECONDS = 3600  # the warmed credential stays cached however slow the machine
    mrao_api.get("admin/v1")  # warm the credential cache
    with django_assert_max_num_queries(6):  # + the IP access-control lookup
        assert len(mrao_api.get("admin/v1").json()) == 8


def test_deep_pages_read_ids_first_and_keep_the_order(mrao_api, many_admins, monkeypatch):
    from certdesk.api import paging

    ids = [a.pk for a in many_admins]
    monkeypatch.setattr(paging, "DEFERRED_FROM", 2)
    pages = [[a["id"] for a in mrao_api.get("admin/v1", {"position": p, "size": 3}).json()] for p in (0, 3, 6)]
    assert sum(pages, []) == ids
    assert mrao_api.get("admin/v1", {"position": 4, "size": 2, "login": "bulk03"}).json() == []


def test_large_totals_are_cached_until_something_changes(mrao_api, mrao_actor, many_admins, monkeypatch,
                                                          django_assert_max_num_queries):
    from certdesk.api import paging

    monkeypatch.setattr(paging, "COUNT_CACHE_FROM", 3)
    monkeypatch.setattr(paging, "COUNT_CACHE_SECONDS", 3600)  # no entry ages out on a slow machine
    assert mrao_api.get("admin/v1", {"size": 1})["X-Total-Count"] == "8"
    Admin.objects.filter(login="bulk06").delete()  # not audited: the cached total stays until the next change
    assert mrao_api.get("admin/v1", {"size": 1})["X-Total-Count"] == "8"
    tenancy.create_organization(mrao_actor, name="Moves the audit tip", city="Lyon", country="FR")
    assert mrao_api.get("admin/v1", {"size": 1})["X-Total-Count"] == "7"
    monkeypatch.setattr(paging, "COUNT_CACHE_FROM", 100)  # below the threshold: counted exactly every time
    Admin.objects.filter(login="bulk05").delete()
    assert mrao_api.get("admin/v1", {"size": 1})["X-Total-Count"] == "6"
