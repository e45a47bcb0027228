"""Importing area polygons (street offices, communities, grids) with attribute mapping."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _

from geo import queries
from geo.importers.reading import ImportFileError, check_text_encoding, pick_column, read_layer
from geo.models import Community, Grid, StreetOffice

LEVELS = {"street_office": StreetOffice, "community": Community, "grid": Grid}
NAME_FIELDS = ["name", "NAME", "名称", "jdname", "sqname"]
CODE_FIELDS = ["code", "CODE", "代码", "id", "gb"]


@dataclass
class AreaImportResult:
    level: str
    created: int = 0
    updated: int = 0
    skipped: Counter = field(default_factory=Counter)
    dry_run: bool = False

    def summary(self) -> str:
        skipped = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items())) or "0"
        return _("%(level)s：新增 %(c)d，更新 %(u)d；跳过：%(s)s%(dry)s") % {
            "level": self.level,
            "c": self.created,
            "u": self.updated,
            "s": skipped,
            "dry": _("（演练，未写入）") if self.dry_run else "",
        }


def _parent_for(geom: shapely.Geometry, candidates: list, explicit_code: str | None, label: str):
    """The explicit parent by code, else the candidate containing the polygon's interior point."""
    if explicit_code:
        for c in candidates:
            if c.code == explicit_code:
                return c
        raise ImportFileError(
            _("找不到代码为 %(code)s 的上级%(label)s") % {"code": explicit_code, "label": label}
        )
    point = shapely.point_on_surface(geom)
    for c in candidates:
        if shapely.contains(shapely.from_wkb(bytes(c.geom.wkb)), point):
            return c
    return None


def import_areas(
    path: str | Path,
    *,
    level: str,
    name_field: str | None = None,
    code_field: str | None = None,
    parent_field: str | None = None,
    parent_code: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    assume_srid: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> AreaImportResult:
    """Upsert polygons of one level by code; parents come from a field, a fixed code, or location."""
    if level not in LEVELS:
        raise ImportFileError(_("未知的区域级别：%(level)s") % {"level": level})
    path = Path(path)
    say = progress or (lambda msg: None)
    df = read_layer(path, layer=layer, encoding=encoding, assume_srid=assume_srid)
    polys = df.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not polys.any():
        raise ImportFileError(_("%(name)s 中没有面要素，区域必须是多边形。") % {"name": path.name})
    result = AreaImportResult(level=level, dry_run=dry_run)
    if (~polys).any():
        result.skipped[_("非面要素")] += int((~polys).sum())
    df = df[polys]
    name_col = pick_column(df, name_field, NAME_FIELDS)
    code_col = pick_column(df, code_field, CODE_FIELDS)
    if name_col is None:
        raise ImportFileError(_("找不到名称字段，请用 --name-field 指定"))
    names = df[name_col].astype(str).to_numpy()
    check_text_encoding(names, file_name=path.name)
    codes = df[code_col].astype(str).to_numpy() if code_col else names
    parents = df[pick_column(df, parent_field, [])].astype(str).to_numpy() if parent_field else None
    geoms = shapely.make_valid(df.geometry.to_numpy())
    geoms = np.array(
        [
            shapely.multipolygons(
                shapely.get_parts(g)[shapely.get_type_id(shapely.get_parts(g)) == 3]
            )
            for g in geoms
        ]
    )

    model = LEVELS[level]
    with transaction.atomic():
        offices = list(StreetOffice.objects.all())
        communities = list(Community.objects.all())
        for i, (name, code, geom) in enumerate(zip(names, codes, geoms, strict=True)):
            explicit = parents[i] if parents is not None else parent_code
            defaults = {
                "name": name,
                "geom": GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=4326),
                "source": path.name,
            }
            if level == "community":
                office = _parent_for(geom, offices, explicit, _("街道"))
                if office is None:
                    result.skipped[_("不在任何街道内")] += 1
                    continue
                lookup = {"street_office": office, "code": code}
            elif level == "grid":
                community = _parent_for(geom, communities, explicit, _("社区"))
                if community is None:
                    result.skipped[_("不在任何社区内")] += 1
                    continue
                lookup = {"street_office_id": community.street_office_id, "code": code}
                defaults["community"] = community
            else:
                lookup = {"code": code}
            _obj, created = model.objects.update_or_create(defaults=defaults, **lookup)
            result.created += created
            result.updated += not created
            if (i + 1) % 50 == 0:
                say(_("%(i)d / %(n)d") % {"i": i + 1, "n": len(names)})
        queries.assign_segments_to_areas()
        if dry_run:
            transaction.set_rollback(True)
    return result
