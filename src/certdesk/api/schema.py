"""OpenAPI for the SCM REST API: the header authentication, and one copy of each path.

The API is also mounted under /private/api (client-certificate auth, spec §1); the schema
documents the /api paths only.
"""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ScmHeaderAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "certdesk.api.authentication.ScmHeaderAuthentication"
    name = ["login", "password", "customerUri"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "login", "description": "Admin login"},
            {"type": "apiKey", "in": "header", "name": "password", "description": "Admin password"},
            {"type": "apiKey", "in": "header", "name": "customerUri",
             "description": "Customer URI (tenant), e.g. renater"},
        ]

    def get_security_requirement(self, auto_schema):
        # All three headers together (one requirement object), not any one of them.
        return {name: [] for name in self.name}


def public_paths_only(endpoints):
    """drf-spectacular preprocessing hook: drop the /private/api duplicates."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/private/")]
