"""The hazard closed loop as the people in it use it, in both languages, offline:

a resident on a phone reports (without and with a photo) and follows the report by its number;
the community's grid worker files and dispatches it from "my tasks"; the department takes it on
and marks it rectified with a photo; the grid worker checks the photo and verifies; the supervisor
finds it in the case list by its status, sees the photos before and after, closes it, and still
finds it afterwards; the resident sees it closed.

The steps run in order on one server and hand the case on through CASES (one case per language).
"""

from __future__ import annotations

import io
import re

import psycopg
import pytest
from PIL import Image

pytestmark = pytest.mark.browser
LANGS = ["zh", "en"]
CASES: dict[str, dict] = {}
STATUS = {
    "zh": {"reported": "已上报", "dispatched": "已派遣", "resolved": "已处置", "verified": "已核查",
           "closed": "已结案", "in_progress": "处置中", "accepted": "已立案"},
    "en": {"reported": "Reported", "dispatched": "Dispatched", "resolved": "Handled",
           "verified": "Verified", "closed": "Closed", "in_progress": "In progress",
           "accepted": "Accepted"},
}  # fmt: skip


def _jpeg(colour: tuple[int, int, int]) -> dict:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def _staff_for(db_url: str, report_id: int) -> tuple[str, str]:
    """The grid worker of the report's community and a member of its department (demo logins)."""
    with psycopg.connect(db_url.replace("postgis://", "postgresql://")) as conn:
        grid_worker = conn.execute(
            """SELECT u.username FROM patrols_hazardreport r
               JOIN geo_membership m ON m.street_office_id = r.street_office_id
                AND m.role = 'grid_worker' AND m.community_id = r.community_id
               JOIN auth_user u ON u.id = m.user_id WHERE r.id = %s ORDER BY u.username LIMIT 1""",
            [report_id],
        ).fetchone()
        department = conn.execute(
            """SELECT u.username FROM patrols_hazardreport r
               JOIN patrols_hazarddepartmentmember d ON d.street_office_id = r.street_office_id
                AND d.department = r.department
               JOIN auth_user u ON u.id = d.user_id WHERE r.id = %s ORDER BY u.username LIMIT 1""",
            [report_id],
        ).fetchone()
    assert grid_worker and department, f"report {report_id} has no grid worker or department"
    return grid_worker[0], department[0]


def _refused_photo_reads_as_a_sentence(j) -> None:
    """A file that is not a photo: the server refuses it and the person reads why."""
    page = j.page
    page.set_input_files("#photos", files=[{"name": "notes.txt", "mimeType": "image/jpeg",
                                            "buffer": b"not a photo"}])  # fmt: skip
    page.locator("#submit").tap()
    page.wait_for_selector("#result.error")
    message = page.inner_text("#result")
    assert message.strip() and "object" not in message, message
    j.check_language()  # the refusal is in the page's language
    j.shot("refused photo")
    # The refusal is a 400 the page expects and explains; the browser logs it as a failed load.
    j.problems[:] = [p for p in j.problems if not ("/hazards/report/send/" in p and "400" in p)]


def _report(j, *, category: str, text: str, photo: dict | None, bad_first: bool = False) -> int:
    """Fill the report form as a resident on a phone would; returns the number shown."""
    j.goto("/hazards/report/")
    page = j.page
    page.wait_for_function("() => window.hazardPickMap !== undefined")
    before = page.inner_text("#coords")
    box = page.locator("#pick-map").bounding_box()
    page.locator("#pick-map").tap(position={"x": box["width"] * 0.42, "y": box["height"] * 0.45})
    page.wait_for_function(f"() => document.getElementById('coords').textContent !== {before!r}")
    page.select_option("#category", category)
    page.fill("#description", text)
    if bad_first:
        _refused_photo_reads_as_a_sentence(j)
    if photo:
        page.set_input_files("#photos", files=[photo])
    j.shot("form filled")
    page.locator("#submit").tap()
    page.wait_for_selector("#result.ok, #result.error")
    assert page.get_attribute("#result", "class") == "ok", page.inner_text("#result")
    # The confirmation is where the person is looking: in the viewport, not below the form.
    page.wait_for_function(
        """() => { const r = document.getElementById('result').getBoundingClientRect();
                   return r.top >= 0 && r.top < innerHeight / 2; }"""
    )
    j.check_language()
    j.shot("confirmation")
    return int(re.search(r"#(\d+)", page.inner_text("#result .big")).group(1))


def _follow(j, locator, *, tap: bool = False) -> None:
    """Click (or tap) something that loads a page, wait for it, and check its language."""
    with j.page.expect_navigation():
        locator.tap() if tap else locator.click()
    j.page.wait_for_load_state("networkidle")
    j.check_language()


def _login(j, username: str, then: str) -> None:
    """Log in from the page a person was sent to (the log-in page with ?next=)."""
    j.goto(f"/accounts/login/?next={j.url(then).removeprefix(j.base_url)}")
    j.page.fill("input[name=username]", username)
    j.page.fill("input[name=password]", "alley-demo")
    _follow(j, j.page.locator("form [type=submit]").first)


def _on_case(j, case_id: int, action: str, photo: dict | None = None) -> None:
    """On the case page, take the act named by its button (the form for `action`)."""
    form = j.page.locator(f"form.act-form[data-to={action}]")
    if photo:
        form.locator("input[name=after_photo]").set_input_files(files=[photo])
    assert form.locator("button").inner_text().strip()
    _follow(j, form.locator("button"))
    assert j.page.url.rstrip("/").endswith(f"/hazards/cases/{case_id}")
    assert j.page.locator(".flash.ok").count() == 1, j.page.inner_text("main")


def _open_task(j, case_id: int) -> None:
    j.goto("/hazards/tasks/")
    task = j.page.locator(f"#tasks a.task[data-id='{case_id}']")
    assert task.count() == 1, f"case {case_id} is not in {j.name}'s tasks"
    j.shot("my tasks")
    _follow(j, task)


def _photo_loaded(j, which: str) -> bool:
    return j.page.evaluate(
        f"""() => [...document.querySelectorAll('#photos-{which} img')]
                   .some(img => img.complete && img.naturalWidth > 0)"""
    )


@pytest.mark.parametrize("lang", LANGS)
def test_resident_reports_without_a_photo_and_follows_it(journey, lang):
    j = journey("hazard-resident-no-photo", lang, phone=True)
    number = _report(j, category="clutter", text="3号楼门口堆着旧家具", photo=None)
    code = j.page.inner_text("#result .code").strip()
    _follow(j, j.page.locator("#follow-link"), tap=True)
    assert f"#{number}" in j.page.inner_text("h1")
    assert STATUS[lang]["reported"] in j.page.inner_text("#follow-status")
    assert j.page.locator("#timeline li").count() == 1
    j.shot("follow page")
    # Later, from the number and code alone (typed in capitals, as people do).
    j.goto("/hazards/follow/")
    j.page.fill("#number", str(number))
    j.page.fill("#code", code.upper())
    _follow(j, j.page.locator("#lookup button"), tap=True)
    assert f"#{number}" in j.page.inner_text("h1")
    # A wrong code shows nothing about the report.
    j.goto(f"/hazards/follow/?number={number}&code=wrong")
    assert j.page.locator("#lookup-error").count() == 1
    assert j.page.locator("#follow-status").count() == 0
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_resident_reports_with_a_photo(journey, lang):
    j = journey("hazard-resident-photo", lang, phone=True)
    photo = _jpeg((160, 90, 40))
    number = _report(j, category="clutter", text="楼道里堆满纸箱", photo=photo, bad_first=True)
    CASES[lang] = {"id": number, "follow": j.page.get_attribute("#follow-link", "href")}
    _follow(j, j.page.locator("#follow-link"), tap=True)
    assert j.page.locator(".photos img").count() == 1
    j.shot("follow page with photo")
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_grid_worker_files_and_dispatches_from_my_tasks(journey, journey_db_url, lang):
    case = CASES[lang]
    case["grid_worker"], case["department"] = _staff_for(journey_db_url, case["id"])
    j = journey("hazard-grid-worker-dispatch", lang)
    _login(j, case["grid_worker"], "/hazards/tasks/")
    _open_task(j, case["id"])
    assert _photo_loaded(j, "before"), "the resident's photo is on the case page"
    j.shot("case reported")
    _on_case(j, case["id"], "accepted")
    _on_case(j, case["id"], "dispatched")
    assert STATUS[lang]["dispatched"] in j.page.inner_text("#case-status")
    assert j.page.locator("#timeline li").count() == 3
    j.shot("case dispatched")
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_department_takes_it_on_and_marks_it_rectified_with_a_photo(journey, lang):
    case = CASES[lang]
    j = journey("hazard-department", lang, phone=lang == "en")
    _login(j, case["department"], "/hazards/tasks/")
    _open_task(j, case["id"])
    _on_case(j, case["id"], "in_progress")
    # Without the photo the browser does not send the form: the photo is required.
    assert j.page.locator("form.act-form[data-to=resolved] input[type=file][required]").count()
    _on_case(j, case["id"], "resolved", photo=_jpeg((40, 160, 90)))
    assert STATUS[lang]["resolved"] in j.page.inner_text("#case-status")
    assert _photo_loaded(j, "after")
    j.shot("case rectified")
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_grid_worker_checks_the_photo_and_verifies(journey, lang):
    case = CASES[lang]
    j = journey("hazard-grid-worker-verify", lang, phone=lang == "zh")
    _login(j, case["grid_worker"], "/hazards/tasks/")
    _open_task(j, case["id"])
    assert _photo_loaded(j, "before") and _photo_loaded(j, "after")
    j.shot("case to verify")
    _on_case(j, case["id"], "verified")
    assert STATUS[lang]["verified"] in j.page.inner_text("#case-status")
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_supervisor_finds_sees_both_photos_closes_and_still_finds_it(journey, lang):
    case = CASES[lang]
    j = journey("hazard-supervisor", lang)
    _login(j, "supervisor", "/hazards/cases/")
    # The default list keeps verified cases (awaiting closure) in view, with counts per status.
    assert j.page.locator(f"#cases tr[data-id='{case['id']}']").count() == 1
    # Closing needs the photos: the list offers the case page, not a blind button.
    assert j.page.locator(f"#cases tr[data-id='{case['id']}'] button[value=closed]").count() == 0
    _follow(j, j.page.locator("#status-filter a[data-status=verified]"))
    j.shot("cases verified")
    _follow(j, j.page.locator(f"#cases tr[data-id='{case['id']}'] a").first)
    assert _photo_loaded(j, "before") and _photo_loaded(j, "after")
    assert j.page.locator("#case-map").count() == 1
    j.shot("case before after")
    _on_case(j, case["id"], "closed")
    assert STATUS[lang]["closed"] in j.page.inner_text("#case-status")
    assert j.page.locator("form.act-form").count() == 0
    j.goto("/hazards/cases/?status=closed")
    assert j.page.locator(f"#cases tr[data-id='{case['id']}']").count() == 1
    j.goto("/hazards/cases/?status=all")
    assert j.page.locator(f"#cases tr[data-id='{case['id']}']").count() == 1
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_resident_sees_the_case_closed(journey, lang):
    j = journey("hazard-resident-closed", lang, phone=True)
    j.goto(CASES[lang]["follow"])
    assert STATUS[lang]["closed"] in j.page.inner_text("#follow-status")
    assert j.page.locator(".photos img").count() == 2
    assert j.page.locator("#follow-steps li.done").count() == 7
    text = j.page.inner_text("main")
    assert "supervisor" not in text and "grid-" not in text  # no staff names in public
    j.shot("follow closed")
    j.check()


@pytest.mark.parametrize("lang", LANGS)
def test_supervisor_hazard_map_hot_cells_above_heat_and_readable_kpis(journey, lang):
    j = journey("hazard-map", lang)
    _login(j, "supervisor", "/hazards/map/")
    page = j.page
    page.wait_for_function("() => window.L && typeof L.heatLayer === 'function'")
    z = page.evaluate(
        """() => { const z = (sel) => +getComputedStyle(document.querySelector(sel)).zIndex;
                   return [z('.leaflet-overlay-pane'), z('.leaflet-hotspots-pane')]; }"""
    )
    assert z[1] > z[0], f"hexagons pane z-index {z[1]} must be above the heat map's {z[0]}"
    # KPI names and figures on one line; headings at most two lines (words, not single characters).
    tall = page.evaluate(
        """() => [...document.querySelectorAll('#kpis th, #kpis td')].filter(c => {
                   const line = parseFloat(getComputedStyle(c).lineHeight) || 1.5 * parseFloat(getComputedStyle(c).fontSize);
                   const lines = (c.clientHeight - 10) / line;
                   return c.closest('thead') ? lines > 2.2 : lines > 1.2; }).map(c => c.textContent.trim())"""
    )
    assert not tall, f"KPI cells wrap: {tall}"
    j.shot("hazard map")
    j.check()
