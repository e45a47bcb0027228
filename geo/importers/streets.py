"""The one street importer, used by `manage.py import_streets`, the demo loader and the tests."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.db import connection, transaction
from django.utils.translation import gettext as _

from geo import queries
from geo.importers.network import split_at_shared_vertices
from geo.importers.reading import (
    ImportFileError,
    check_text_encoding,
    is_osm,
    pick_column,
    read_layer,
)
from geo.importers.versioning import (
    NetworkChange,
    apply_pieces,
    change_features,
    load_pieces,
    notify,
)
from geo.local_days import local_today
from geo.models import NetworkImport

# Road classes a steward patrols on foot. Motorways, trunk roads, ramps, platforms and cycle-only
# ways are left out: nobody walks them and they would dilute coverage.
WALKABLE_CLASSES = frozenset(
    {
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "pedestrian",
        "footway",
        "path",
        "steps",
        "track",
        "alley",
        "road",
    }
)
NAME_FIELDS = ["name", "name_zh", "NAME", "名称", "road_name", "街巷名"]
CLASS_FIELDS = ["highway", "fclass", "road_class", "class", "type", "道路等级"]
ID_FIELDS = ["osm_id", "source_id", "id", "fid", "way_id"]

Progress = Callable[[str], None]


@dataclass
class StreetImportResult:
    source: str
    segments: int = 0
    total_km: float = 0.0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    features_read: int = 0
    skipped: Counter = field(default_factory=Counter)
    dry_run: bool = False
    counts: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    run_id: int | None = None

    def summary(self) -> str:
        skipped = ", ".join(f"{reason}: {n}" for reason, n in sorted(self.skipped.items())) or "0"
        return _(
            "%(segments)d 个街巷段，共 %(km).2f 公里（新增 %(c)d，更新 %(u)d，未变 %(n)d，停用 %(d)d）；"
            "读取 %(read)d 个要素，跳过：%(skipped)s%(dry)s"
        ) % {
            "segments": self.segments,
            "km": self.total_km,
            "c": self.created,
            "u": self.updated,
            "n": self.unchanged,
            "d": self.retired,
            "read": self.features_read,
            "skipped": skipped,
            "dry": _("（演练，未写入）") if self.dry_run else "",
        }


def _lines_only(df: pd.DataFrame, path: Path, skipped: Counter) -> pd.DataFrame:
    """The (multi)line features; a file without any is rejected, other geometries are counted."""
    geom_types = df.geometry.geom_type
    is_line = geom_types.isin(["LineString", "MultiLineString"]).to_numpy()
    if not is_line.any():
        found = ", ".join(sorted(set(geom_types.dropna()))) or _("无几何")
        raise ImportFileError(
            _("%(name)s 中没有线要素（找到的是：%(found)s）。街巷必须是线（LineString）。")
            % {"name": path.name, "found": found}
        )
    if (~is_line).any():
        skipped[_("非线要素")] += int((~is_line).sum())
    return df[is_line]


def _attributes(
    df: pd.DataFrame,
    path: Path,
    name_field: str | None,
    class_field: str | None,
    id_field: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name, road class (lower case) and a unique source id per feature."""
    name_col = pick_column(df, name_field, NAME_FIELDS)
    class_col = pick_column(df, class_field, CLASS_FIELDS)
    id_col = pick_column(df, id_field, ID_FIELDS)
    names = df[name_col].fillna("").astype(str).to_numpy() if name_col else np.full(len(df), "")
    check_text_encoding(names, file_name=path.name)
    classes = (
        df[class_col].fillna("").astype(str).str.lower().to_numpy()
        if class_col
        else np.full(len(df), "road")
    )
    ids = df[id_col].astype(str).to_numpy() if id_col else np.arange(len(df)).astype(str)

    # Repeated ids (clipped or duplicated features) get an occurrence suffix so upserts stay stable.
    occurrence = pd.Series(ids).groupby(ids).cumcount().to_numpy()
    ids = np.where(
        occurrence > 0, np.char.add(np.char.add(ids.astype(str), "#"), occurrence.astype(str)), ids
    )
    return names, classes, ids


def _walkable_and_present(
    classes: np.ndarray, geoms: np.ndarray, all_classes: bool, skipped: Counter
) -> np.ndarray:
    """Features to keep: walkable road classes (unless all_classes) with a geometry."""
    keep = np.ones(len(classes), dtype=bool)
    if not all_classes:
        walkable = np.isin(classes, list(WALKABLE_CLASSES))
        for cls, n in Counter(classes[~walkable]).items():
            reason = _("不可步行的道路等级 %(cls)s") % {"cls": cls} if cls else _("不是道路")
            skipped[reason] += n
        keep &= walkable
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    if (keep & empty).any():
        skipped[_("空几何")] += int((keep & empty).sum())
    keep &= ~empty
    return keep


def _segment_columns(
    geoms: np.ndarray, names: np.ndarray, classes: np.ndarray, ids: np.ndarray
) -> dict[str, np.ndarray]:
    """The lines split at shared vertices, as columns (source id: line id[.part]:segment no)."""
    # Multi-part lines become one line per part; the part number joins the source id.
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    multi = shapely.get_type_id(geoms) == 5
    part_no = np.arange(len(parts)) - np.searchsorted(part_of, part_of)
    part_ids = np.where(
        multi[part_of],
        np.char.add(np.char.add(ids[part_of], "."), part_no.astype(str)),
        ids[part_of],
    )

    segments, line_idx, seg_no = split_at_shared_vertices(parts)
    return {
        "geom": segments,
        "name": names[part_of][line_idx],
        "road_class": classes[part_of][line_idx],
        "source_id": np.char.add(
            np.char.add(part_ids[line_idx].astype(str), ":"), seg_no.astype(str)
        ),
    }


def prepare_segments(
    path: str | Path,
    *,
    layer: str | None = None,
    name_field: str | None = None,
    class_field: str | None = None,
    id_field: str | None = None,
    encoding: str | None = None,
    assume_srid: int | None = None,
    all_classes: bool = False,
) -> tuple[dict[str, np.ndarray], Counter, int]:
    """Read a file and return its walkable network split into segments (columns as arrays)."""
    path = Path(path)
    skipped: Counter = Counter()
    if is_osm(path):
        df = read_layer(path, layer=layer or "lines", encoding=encoding)
    else:
        df = read_layer(path, layer=layer, encoding=encoding, assume_srid=assume_srid)
    features_read = len(df)

    df = _lines_only(df, path, skipped)
    names, classes, ids = _attributes(df, path, name_field, class_field, id_field)
    geoms = df.geometry.to_numpy()
    keep = _walkable_and_present(classes, geoms, all_classes, skipped)
    columns = _segment_columns(geoms[keep], names[keep], classes[keep], ids[keep])
    return columns, skipped, features_read


def write_segments(
    columns: dict[str, np.ndarray],
    *,
    source: str,
    replace: bool = True,
    on: dt.date | None = None,
    file_name: str = "",
    user: Any = None,
    progress: Progress | None = None,
) -> NetworkChange:
    """Write the pieces as a new version of the source's network (see geo.importers.versioning)
    and tell the subscribed apps (claims follow their streets). Call inside a transaction."""
    run = NetworkImport.objects.create(
        source=source, file_name=file_name, imported_on=on or local_today(), created_by=user
    )
    if progress:
        progress(_("写入 %(n)d 个街巷段 …") % {"n": len(columns["geom"])})
    load_pieces(columns)
    change = apply_pieces(source, run, replace=replace)
    queries.assign_segments_to_areas()
    notify(change)
    run.counts = change.counts()
    run.report = {
        **change.report,
        "classes": _class_lists(change),
        "features": change_features(change),
    }
    run.save(update_fields=["counts", "report"])
    return change


def _class_lists(change: NetworkChange) -> dict[str, list[int]]:
    """Segment ids per class, old and new, for the report page's map."""
    lists: dict[str, list[int]] = {}
    for side, classes in (("old", change.old_class), ("new", change.new_class)):
        for sid, cls in classes.items():
            lists.setdefault(f"{side}_{cls}", []).append(sid)
    return {k: sorted(v) for k, v in lists.items()}


def import_streets(
    path: str | Path,
    *,
    source: str | None = None,
    dry_run: bool = False,
    on: dt.date | None = None,
    user: Any = None,
    progress: Progress | None = None,
    **read_options,
) -> StreetImportResult:
    """Import a street file as a new network version; all-or-nothing. A dry run does everything
    (claims included) and rolls back, so its report is exactly what applying would do."""
    path = Path(path)
    source = source or path.stem
    say = progress or (lambda msg: None)
    say(_("读取 %(name)s …") % {"name": path.name})
    columns, skipped, features_read = prepare_segments(path, **read_options)
    if len(columns["geom"]) == 0:
        raise ImportFileError(_("%(name)s 中没有可步行的街巷。") % {"name": path.name})
    say(_("切分为 %(n)d 个街巷段，写入数据库 …") % {"n": len(columns["geom"])})
    result = StreetImportResult(
        source=source, features_read=features_read, skipped=skipped, dry_run=dry_run
    )
    with transaction.atomic():
        change = write_segments(
            columns, source=source, on=on, file_name=path.name, user=user, progress=say
        )
        counts = change.run.counts
        result.created = len(change.created)
        result.updated = len(change.renumbered)
        result.unchanged = len(change.kept) - len(change.renumbered)
        result.retired = len(change.retired)
        result.counts = counts
        result.report = change.run.report
        result.run_id = None if dry_run else change.run.pk
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), coalesce(sum(length_m), 0) / 1000 FROM geo_segment"
                " WHERE source = %s AND retired_on IS NULL",
                [source],
            )
            result.segments, result.total_km = cur.fetchone()
        if dry_run:
            transaction.set_rollback(True)
    return result
