"""OpenAPI schema and Swagger UI: public, complete for this API, assets served locally."""
from __future__ import annotations

import re

import yaml


def test_schema_needs_no_authentication(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in ("/api/organization/v1", "/api/organization/v1/{org_id}", "/api/admin/v1", "/api/admin/v1/{admin_id}",
                 "/api/admin/v1/changepassword", "/api/admin/v1/privileges",
                 "/api/organization/v2/{org_id}/validations/submit"):
        assert path in paths, path
    assert not any(p.startswith("/private/") for p in paths)
    assert set(schema["components"]["securitySchemes"]) == {"login", "password", "customerUri", "apiToken"}
    create = paths["/api/organization/v1"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/OrganizationInput")
    assert "201" in create["responses"] and "Location" in create["responses"]["201"]["headers"]
    fields = schema["components"]["schemas"]["OrganizationInput"]["properties"]
    assert {"name", "parentOrgName", "stateProvince", "alternativeName", "country"} <= set(fields)
    detail = schema["components"]["schemas"]["AdminDetail"]["properties"]
    assert {"passwordState", "credentials", "privileges", "activeStatus"} <= set(detail)


def test_swagger_ui_uses_local_assets(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset


def test_swagger_init_script_is_same_origin(client, db):
    response = client.get("/api/docs/", {"script": ""})
    assert response.status_code == 200
    assert 'url: "/api/schema"' in response.content.decode()
