"""A planner selects segments on the assignment map, assigns them to a pair, and the board shows them.

Drives Debian's chromium through Playwright against the live test server.
"""

from __future__ import annotations

import os

import pytest

from grids.models import Claim
from tests.conftest import CHROMIUM
from tests.grids import factories as f

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
playwright = pytest.importorskip("playwright.sync_api")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def browser_page():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 850})
        yield page
        browser.close()


def _rect(page, segment_id: int) -> dict:
    return page.evaluate(
        "(sel) => { const r = document.querySelector(sel).getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }",
        f"path.seg-{segment_id}",
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
# One planner's journey, step by step as they would click it: it reads best as one piece.
def test_select_assign_and_see_it_on_the_board(live_server, browser_page, tmp_path):
    so = f.office()
    comm = f.community(so, name="荷清苑社区")
    #  o---o---o---o     three horizontal segments on the bottom row, verticals above,
    #  |   |   |   |     one more row on top
    #  o---o---o---o
    segs = f.lattice(comm, 4, 2)
    pair = f.pair(comm, name="荷清一组")
    other = f.pair(comm, name="荷清二组")
    planner = f.user(so, username="planner1")
    horizontal = [
        s
        for s in segs
        if s.geom.coords[0][1] == s.geom.coords[1][1] and s.geom.coords[0][1] == f.Y0
    ]
    pick = horizontal[:2]
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/accounts/login/?next=/plan/assign/{comm.pk}/")
    page.fill("input[name=username]", planner.username)
    page.fill("input[name=password]", "pw-123456!")
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    assert page.locator("path.seg").count() == len(segs)

    # Unassigned segments are highlighted (red dashed); select two by clicking them.
    assert page.locator(f"path.seg-{pick[0].pk}").get_attribute("stroke") == "#d62728"
    for s in pick:
        # A horizontal line has a zero-height box, which Playwright calls invisible: click its middle.
        r = _rect(page, s.pk)
        page.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)
    assert page.locator("#sel-count").inner_text() == "2"

    # Draw a rectangle around the top-right vertical segment to add it to the selection.
    top_right = max((s for s in segs if s not in horizontal and s.geom.coords[0][0] == s.geom.coords[1][0]),
                    key=lambda s: s.geom.coords[0][0])  # fmt: skip
    box = _rect(page, top_right.pk)
    page.locator(".leaflet-draw-draw-rectangle").click()
    page.mouse.move(box["x"] - 12, box["y"] - 12)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 12, box["y"] + box["height"] + 12, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "document.getElementById('sel-count').textContent === '3'", timeout=5_000
    )

    page.locator(f"#pairs li[data-pair='{pair.pk}']").click()
    page.click("#btn-assign")
    page.wait_for_function("document.getElementById('status').className === 'ok'", timeout=10_000)
    chosen = {pick[0].pk, pick[1].pk, top_right.pk}
    assert set(Claim.objects.filter(pair=pair).values_list("segment_id", flat=True)) == chosen
    assert not Claim.objects.filter(pair=other).exists()
    page.wait_for_function(
        f"document.querySelector('path.seg-{pick[0].pk}').getAttribute('stroke') === '#4e79a7'",
        timeout=5_000,
    )
    page.screenshot(path=str(tmp_path / "assign.png"))

    # The public board shows the pair's alleys in its colour and the stewards in the legend.
    page.goto(f"{live_server.url}/plan/board/{comm.pk}/")
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    assert page.locator(f"path.pair-{pair.pk}").count() == 3
    legend = page.locator(f"#legend tr[data-pair='{pair.pk}']").inner_text()
    assert "荷清一组" in legend
    for name in pair.stewards.values_list("name", flat=True):
        assert name in legend
    assert page.locator(f"#legend tr[data-pair='{other.pk}']").count() == 0
    page.screenshot(path=str(tmp_path / "board.png"))

    # Reassigning a segment of one pair to another asks for confirmation first (409 -> confirm).
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.goto(f"{live_server.url}/plan/assign/{comm.pk}/")
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    r = _rect(page, pick[0].pk)
    page.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)
    page.locator(f"#pairs li[data-pair='{other.pk}']").click()
    page.click("#btn-assign")
    page.wait_for_function("document.getElementById('status').className === 'ok'", timeout=10_000)
    # It names the pair that loses the alley, the alley and its length.
    assert len(dialogs) == 1 and f"{pair.name} 将失去" in dialogs[0] and "米" in dialogs[0]
    holder = Claim.objects.filter(segment=pick[0], valid_to__isnull=True).values_list(
        "pair_id", flat=True
    )
    assert list(holder) == [other.pk]
    assert errors == []
