"""The network update page in a real browser, in English: upload, map drawn offline, apply, undo."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from geo.models import Membership, NetworkImport
from tests.network.conftest import SOURCE, edited_copy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_planner_previews_applies_and_undoes_an_import(
    live_server, chromium_page, network, tmp_path
):
    net = network
    user = User.objects.create_user("netplanner", password="pw-123456!")
    Membership.objects.create(user=user, street_office=net.office, role=Membership.Role.PLANNER)
    page = chromium_page
    foreign, errors = [], []
    page.on(
        "request", lambda r: None if r.url.startswith(live_server.url) else foreign.append(r.url)
    )
    # Failed loads are caught by status below; the console's copy also covers the browser's own
    # /favicon.ico probe, which no page asks for.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    target = f"/en/plan/network/{net.office.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={target}")
    page.fill("input[name=username]", "netplanner")
    page.fill("input[name=password]", "pw-123456!")
    page.click("form [type=submit]")
    page.wait_for_url(f"{live_server.url}{target}")
    page.set_input_files("input[name=file]", str(edited_copy(net, tmp_path, "footway", "delete")))
    page.fill("input[name=source]", SOURCE)
    page.click("#upload button")
    page.wait_for_selector("#apply")
    # Leaflet (from our static files) drew the changed segments on a plain background.
    page.wait_for_function(
        "() => document.querySelectorAll('#change-map .leaflet-overlay-pane canvas, "
        "#change-map .leaflet-overlay-pane path').length > 0"
    )
    assert "Claims affected" in page.inner_text("body") and "Split" in page.inner_text("body")
    page.click("#apply")
    page.wait_for_selector("#undo")
    run = NetworkImport.objects.get(source=SOURCE, file_name__startswith="edited")
    assert run.counts["split"] == 1 and run.undone_at is None
    page.click("#undo")
    page.wait_for_selector("text=undone")
    run.refresh_from_db()
    assert run.undone_at is not None
    assert not foreign and not errors, (foreign, errors)
    page.screenshot(path=str(tmp_path / "network-page.png"))
