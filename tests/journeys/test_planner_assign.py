"""The planner's journey: the assignment map (unassign → suggestion drawn → apply → undo,
a reassignment that names what the other pair loses, drawing tools in the page's language),
then the community's 责任分布牌 and its one-sheet PDFs, printed by a render job the page follows."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from .sign_in import sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "zh": {"draw": "画多边形圈选街巷", "loses": "将失去", "applied": "已采用建议"},
    "en": {"draw": "Draw a polygon round streets to select them", "loses": "will lose", "applied": "Suggestion applied"},
}  # fmt: skip


def _segments_of_pair(page, index: int, n: int) -> list[int]:
    return page.evaluate(
        """([index, n]) => { const a = window.alleyAssign; const pairs = [...new Set(
             [...a.feats.values()].map(f => f.properties.pair).filter(p => p != null))].sort((x, y) => x - y);
           return [...a.feats.values()].filter(f => f.properties.pair === pairs[index])
             .slice(0, n).map(f => f.properties.id); }""",
        [index, n],
    )


def _click_segments(page, ids: list[int]) -> None:
    for sid in ids:
        page.locator(f"path.seg-{sid}").dispatch_event("click")


def _status(page, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('status').textContent.includes(t)", arg=text
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_planner_suggests_applies_undoes_and_prints_the_board(journey, lang):
    words = WORDS[lang]
    j = journey("planner-assign", lang=lang)
    page = j.page
    sign_in(j, "planner", "/plan/assign/1/")
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_attribute("a.leaflet-draw-draw-polygon", "title") == words["draw"]
    j.shot("assign-map")

    # Free three alleys, so that there is something to suggest.
    freed = _segments_of_pair(page, 0, 3)
    _click_segments(page, freed)
    page.click("#btn-unassign")
    page.wait_for_function("() => !document.getElementById('btn-undo').disabled")
    unassigned = page.evaluate(
        "() => [...window.alleyAssign.feats.values()].filter(f => f.properties.pair == null).length"
    )
    assert unassigned >= len(freed)
    page.click("#btn-suggest")
    page.wait_for_selector("#proposal li")
    assert page.locator("path.proposed").count() == unassigned
    assert page.is_enabled("#btn-apply")
    j.shot("suggestion-drawn")
    page.click("#btn-apply")
    _status(page, words["applied"])
    assert page.locator("path.proposed").count() == 0
    page.click("#btn-undo")
    page.wait_for_function("() => document.getElementById('btn-undo').disabled")

    # Reassign two alleys of the second pair to the first: the confirmation names the loss.
    taken = _segments_of_pair(page, 1, 2)
    _click_segments(page, taken)
    page.locator("#pairs li").first.click()
    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.click("#btn-assign")
    page.wait_for_function("() => !document.getElementById('btn-undo').disabled")
    assert messages and words["loses"] in messages[0], messages
    j.shot("reassigned")
    page.click("#btn-undo")
    page.wait_for_function("() => document.getElementById('btn-undo').disabled")
    # Leave every alley claimed, as the demo had it, for the journeys after this one.
    page.click("#btn-suggest")
    page.wait_for_selector("#proposal li")
    page.click("#btn-apply")
    _status(page, words["applied"])

    j.goto("/plan/board/1/")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator(".street-label").count() > 0
    j.shot("board")
    # PDF: the click answers at once with a page following the render job (queued → running →
    # done, by the server's worker), which then offers the file.
    page.click("a[href*='board.pdf']")
    _take_pdf(j, "A3")
    j.goto("/plan/board/1/board.pdf?paper=A4")
    _take_pdf(j, "A4")
    j.check()


def _take_pdf(j, paper: str) -> None:
    page = j.page
    link = page.locator("[data-testid=job-download]")
    link.wait_for(timeout=120_000)
    j.check_language()
    j.shot(f"board-pdf-{paper}-ready")
    with page.expect_download() as info:
        link.click()
    body = open(info.value.path(), "rb").read()  # noqa: SIM115 - a temporary file Playwright owns
    assert len(PdfReader(io.BytesIO(body)).pages) == 1, paper
