"""Loading the shipped demo district (data/shapefiles/wudaokou.gpkg) through the real importers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from geo.importers.areas import import_areas
from geo.importers.streets import import_streets
from geo.models import StreetOffice

DEMO_FILE = "wudaokou.gpkg"
DEMO_SOURCE = "osm-wudaokou"
DEMO_OFFICE_CODE = "DEMO-WDK"


def load_demo_district(
    path: Path | None = None, progress: Callable[[str], None] | None = None
) -> StreetOffice:
    """Import the demo street office, communities, grids and streets; idempotent."""
    path = path or settings.DEMO_DATA_DIR / DEMO_FILE
    say = progress or (lambda msg: None)
    for level, layer in (
        ("street_office", "street_office"),
        ("community", "communities"),
        ("grid", "grids"),
    ):
        parent_field = "community" if level == "grid" else None
        result = import_areas(
            path, level=level, layer=layer, parent_field=parent_field, progress=say
        )
        say(result.summary())
    result = import_streets(path, layer="streets", source=DEMO_SOURCE, progress=say)
    say(result.summary())
    return StreetOffice.objects.get(code=DEMO_OFFICE_CODE)
