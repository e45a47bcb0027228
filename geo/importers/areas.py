"""Importing area polygons (street offices, communities, grids) with attribute mapping."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.db import connection, transaction
from django.utils.translation import gettext as _

from geo import queries
from geo.importers import area_sql as sql
from geo.importers.reading import ImportFileError, check_text_encoding, pick_column, read_layer
from geo.models import Community, Grid, StreetOffice

LEVELS = {"street_office": StreetOffice, "community": Community, "grid": Grid}
NAME_FIELDS = ["name", "NAME", "名称", "jdname", "sqname"]
CODE_FIELDS = ["code", "CODE", "代码", "id", "gb"]
# Overlap below both of these is a sliver of two sources tracing one boundary, not an overlap.
MIN_OVERLAP_M2 = 200.0
MIN_OVERLAP_SHARE = 0.002


@dataclass
class AreaOverlap:
    """An imported polygon overlapping an existing area of its level, and what would move."""

    new_code: str
    new_name: str
    area_code: str
    area_name: str
    overlap_m2: int
    segment_ids: list[int]
    segment_m: float
    claims: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = _(
            "“%(new)s”（%(new_code)s）与现有的“%(old)s”（%(old_code)s）重叠 %(m2)d 平方米，"
            "将移走 %(n)d 个街巷段（%(m).0f 米）"
        ) % {
            "new": self.new_name, "new_code": self.new_code, "old": self.area_name,
            "old_code": self.area_code, "m2": self.overlap_m2, "n": len(self.segment_ids),
            "m": self.segment_m,
        }  # fmt: skip
        if self.claims:
            text += _("，涉及认领：%(claims)s") % {"claims": "；".join(self.claims)}
        return text


class AreaOverlapError(ImportFileError):
    """Refused: the file's polygons overlap existing areas of the same level."""

    def __init__(self, overlaps: list[AreaOverlap]) -> None:
        self.overlaps = overlaps
        lines = [o.describe() for o in overlaps]
        super().__init__(
            _("导入的区域与现有区域重叠，未写入。如确认要用新范围替换重叠部分，请使用 --replace：")
            + "\n"
            + "\n".join(lines)
        )


# Apps above geo describe the claims on segments an area change would move (grids registers one).
ClaimDescriber = Callable[[list[int]], list[str]]
_CLAIM_DESCRIBERS: list[ClaimDescriber] = []


def on_describe_claims(describer: ClaimDescriber) -> ClaimDescriber:
    if describer not in _CLAIM_DESCRIBERS:
        _CLAIM_DESCRIBERS.append(describer)
    return describer


@dataclass
class AreaImportResult:
    level: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    dry_run: bool = False
    overlaps: list[AreaOverlap] = field(default_factory=list)

    def summary(self) -> str:
        skipped = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items())) or "0"
        text = _("%(level)s：新增 %(c)d，更新 %(u)d，未变 %(n)d；跳过：%(s)s%(dry)s") % {
            "level": self.level,
            "c": self.created,
            "u": self.updated,
            "n": self.unchanged,
            "s": skipped,
            "dry": _("（演练，未写入）") if self.dry_run else "",
        }
        for overlap in self.overlaps:
            text += "\n" + _("已替换：") + overlap.describe()
        return text


def _read_polygons(path: Path, name_field, code_field, parent_field, layer, encoding, assume_srid,
                   result: AreaImportResult):  # fmt: skip
    """(names, codes, parent codes or None, multipolygons) of the file's polygon features."""
    df = read_layer(path, layer=layer, encoding=encoding, assume_srid=assume_srid)
    polys = df.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not polys.any():
        raise ImportFileError(_("%(name)s 中没有面要素，区域必须是多边形。") % {"name": path.name})
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
    parts, index = shapely.get_parts(geoms, return_index=True)
    polygons = shapely.get_type_id(parts) == 3
    multi = shapely.multipolygons(parts[polygons], indices=index[polygons])
    return names, codes, parents, multi


def _load(names, codes, parents, geoms, parent_code: str | None) -> None:
    ewkb = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
    with connection.cursor() as cur:
        for table in ("import_area", "import_overlap"):
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
        cur.execute(sql.CREATE)
        with cur.copy("COPY import_area (i, code, name, parent_code, geom) FROM STDIN") as copy:
            for i, (code, name, geom) in enumerate(zip(codes, names, ewkb, strict=True)):
                parent = parents[i] if parents is not None else parent_code
                copy.write_row((i, code, name, parent or None, geom))


def _resolve_parents(level: str, result: AreaImportResult) -> None:
    spec = sql.LEVEL_SQL[level]
    with connection.cursor() as cur:
        if spec["parent"]:
            cur.execute(sql.PARENT_BY_CODE.format(parent=spec["parent"]))
            cur.execute(sql.PARENT_CODE_MISSING)
            if row := cur.fetchone():
                label = _("街道") if level == "community" else _("社区")
                raise ImportFileError(
                    _("找不到代码为 %(code)s 的上级%(label)s") % {"code": row[0], "label": label}
                )
            cur.execute(sql.PARENT_BY_LOCATION.format(parent=spec["parent"]))
            cur.execute(sql.DROP_ORPHANS)
            if n := len(cur.fetchall()):
                reason = _("不在任何街道内") if level == "community" else _("不在任何社区内")
                result.skipped[reason] += n
            cur.execute(sql.OFFICE_OF_COMMUNITY if level == "community" else sql.OFFICE_OF_GRID)
        cur.execute(sql.DROP_REPEATS)
        if n := len(cur.fetchall()):
            result.skipped[_("代码重复（取最后一个）")] += n


def _overlaps(level: str) -> list[AreaOverlap]:
    spec = sql.LEVEL_SQL[level]
    same_office = "TRUE" if level == "street_office" else "a.street_office_id = t.office_id"
    with connection.cursor() as cur:
        cur.execute(sql.OVERLAPS.format(table=spec["table"], same_office=same_office))
        cur.execute(
            sql.SLIVERS.format(table=spec["table"]),
            {"min_m2": MIN_OVERLAP_M2, "min_share": MIN_OVERLAP_SHARE},
        )
        cur.execute(sql.MOVING_SEGMENTS.format(fk=spec["fk"]))
        found = [AreaOverlap(*row) for row in cur.fetchall()]
    for overlap in found:
        for describe in _CLAIM_DESCRIBERS:
            overlap.claims += describe(overlap.segment_ids)
    return found


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
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> AreaImportResult:
    """Upsert polygons of one level by code, set-based; parents come from a field, a fixed code,
    or location. A polygon overlapping an existing area of its level is refused (AreaOverlapError
    lists the overlaps and the segments and claims they would move) unless ``replace``, which
    clips the existing areas. Only real changes count as updated."""
    if level not in LEVELS:
        raise ImportFileError(_("未知的区域级别：%(level)s") % {"level": level})
    path = Path(path)
    say = progress or (lambda msg: None)
    result = AreaImportResult(level=level, dry_run=dry_run)
    names, codes, parents, geoms = _read_polygons(
        path, name_field, code_field, parent_field, layer, encoding, assume_srid, result
    )
    say(_("%(n)d 个区域，写入数据库 …") % {"n": len(names)})
    with transaction.atomic():
        _load(names, codes, parents, geoms, parent_code)
        _resolve_parents(level, result)
        result.overlaps = _overlaps(level)
        if result.overlaps and not replace:
            raise AreaOverlapError(result.overlaps)
        with connection.cursor() as cur:
            if result.overlaps:
                cur.execute(sql.CLIP_OVERLAPPED.format(table=sql.LEVEL_SQL[level]["table"]))
            cur.execute(sql.UPSERT[level], {"source": path.name})
            inserted = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT count(*) FROM import_area")
            (total,) = cur.fetchone()
        result.created = sum(inserted)
        result.updated = len(inserted) - result.created
        result.unchanged = total - len(inserted)
        queries.assign_segments_to_areas()
        if dry_run:
            transaction.set_rollback(True)
    return result
