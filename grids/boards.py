"""责任分布牌: the public board of who answers for which alley, per community or grid.

Public data only: names, the phone as the street office chooses to show it (full or masked), grid
names, and the alleys. ID numbers are never read here (the query does not even select that column).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.staticfiles import finders

from geo.geojson import feature, feature_collection
from geo.local_days import local_today
from geo.models import Community, Grid, Segment
from grids.models import Claim
from stewards.models import Pair, PairMember, ProgrammeSettings
from stewards.registry import mask_phone

# Distinct colours that survive printing and colour-blind reading (Tableau 10 and friends),
# without reds and pinks: red is what unassigned streets are drawn in on the planner's map.
PALETTE = [
    "#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#9c755f", "#17becf", "#8c564b", "#bcbd22", "#1f3a93", "#2ca02c",
]  # fmt: skip
UNASSIGNED_COLOUR = "#d62728"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def board_data(
    community: Community, grid: Grid | None = None, day: dt.date | None = None
) -> dict[str, Any]:
    """Legend and GeoJSON of the board; every community segment is drawn, claimed ones in pair colours."""
    day = day or local_today()
    segments = Segment.objects.valid_on(day).filter(community=community)
    if grid is not None:
        segments = segments.filter(grid=grid)
    claims = dict(
        Claim.objects.on(day).filter(segment__in=segments).values_list("segment_id", "pair_id")
    )
    pair_ids = sorted(set(claims.values()))
    # Colours follow the community's current pairs in id order, as on the planner's assignment map.
    order = list(
        Pair.objects.filter(community=community, dissolved_on__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    order += [p for p in pair_ids if p not in order]
    members = (
        PairMember.objects.on(day)
        .filter(pair_id__in=pair_ids)
        .select_related("pair")
        .order_by("pair_id", "steward__name")
        .values("pair_id", "pair__name", "steward__name", "steward__phone")
    )
    masked = ProgrammeSettings.for_office(community.street_office_id).phone_display == "masked"
    legend: dict[int, dict[str, Any]] = {}
    for pid in pair_ids:
        legend[pid] = {
            "pair": pid,
            "colour": colour(order.index(pid)),
            "name": "",
            "stewards": [],
            "grids": [],
            "length_m": 0.0,
        }
    for m in members:
        entry = legend[m["pair_id"]]
        entry["name"] = m["pair__name"]
        phone = m["steward__phone"] or ""
        entry["stewards"].append(
            {"name": m["steward__name"], "phone": mask_phone(phone) if masked else phone}
        )
    features = []
    grid_names: dict[int, set[str]] = {pid: set() for pid in pair_ids}
    rows = segments.annotate(gj=AsGeoJSON("geom", precision=6)).values(
        "id", "name", "length_m", "gj", "grid__name"
    )
    for s in rows.order_by("id"):
        pid = claims.get(s["id"])
        if pid is not None:
            legend[pid]["length_m"] += s["length_m"]
            if s["grid__name"]:
                grid_names[pid].add(s["grid__name"])
        features.append(
            feature(
                s["gj"],
                {
                    "id": s["id"],
                    "name": s["name"],
                    "length_m": round(s["length_m"], 1),
                    "pair": pid,
                    "colour": legend[pid]["colour"] if pid else None,
                },
            )
        )
    for pid, entry in legend.items():
        entry["grids"] = sorted(grid_names[pid])
        entry["length_m"] = round(entry["length_m"])
        if not entry["name"]:
            entry["name"] = str(pid)
    return {
        "boundary": _outline(grid or community),
        "community": community.name,
        "grid": grid.name if grid else None,
        "day": day.isoformat(),
        "legend": list(legend.values()),
        "features": feature_collection(features),
    }


def _outline(area: Community | Grid) -> dict | None:
    """The area's boundary as GeoJSON, drawn on the board."""
    return json.loads(area.geom.json) if area.geom else None


def inline_static(path: str) -> str:
    """A static file's text, for self-contained pages that chromium renders from disk."""
    found = finders.find(path)
    return Path(found).read_text(encoding="utf-8") if found else ""


def render_with_chromium(html: str, fmt: str, *, size: tuple[int, int] = (1587, 1123)) -> bytes:
    """Print a self-contained HTML page to PDF or PNG with Debian's headless chromium (offline).

    The page must not need the network: Leaflet and the data are inlined by the caller, and the board
    has no tile layer. ``size`` is the window in CSS px (A3 landscape at 96 dpi by default).
    """
    chromium = settings.CHROMIUM_PATH
    with tempfile.TemporaryDirectory(prefix="board-") as tmp:
        page = Path(tmp) / "board.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / f"board.{fmt}"
        target = f"--print-to-pdf={out}" if fmt == "pdf" else f"--screenshot={out}"
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp}/profile", f"--window-size={size[0]},{size[1]}",
            "--virtual-time-budget=4000", "--run-all-compositor-stages-before-draw",
            "--no-pdf-header-footer", "--hide-scrollbars", target, page.as_uri(),
        ]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True, timeout=90)  # noqa: S603 - fixed argv
        return out.read_bytes()
