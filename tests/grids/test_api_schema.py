"""The OpenAPI schema documents every endpoint of the registry and assignment APIs, without warnings."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_lists_our_endpoints_and_generates_cleanly(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out), "--fail-on-warn")
    paths = yaml.safe_load(out.read_text())["paths"]
    for path in ("/api/patrols/stewards/", "/api/patrols/stewards/import/", "/api/patrols/pairs/",
                 "/api/grids/assign/", "/api/grids/changes/{id}/undo/", "/api/grids/communities/{id}/suggest/",
                 "/api/grids/coverage/{street_office}/", "/api/grids/boards/{community}/", "/api/grids/segments/"):  # fmt: skip
        assert path in paths, path
    steward = yaml.safe_load(out.read_text())["components"]["schemas"]["Steward"]
    assert steward["properties"]["id_card"].get("writeOnly") is True
