"""Reading vector files (shapefile, GeoPackage, GeoJSON, OSM XML/PBF) into WGS-84 GeoDataFrames.

Every failure a person can fix is raised as `ImportFileError` with a message saying what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.errors
from django.utils.translation import gettext as _

OSM_SUFFIXES = {".osm", ".pbf"}
# Characters that GBK/UTF-8 Chinese bytes turn into when read as ISO-8859-1 (GDAL's shapefile default).
_MOJIBAKE = re.compile(r"[\u00a0-\u00ff]{2}|\ufffd")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class ImportFileError(Exception):
    """A file that cannot be imported; the message is meant for the person who supplied it."""


def is_osm(path: Path) -> bool:
    return path.suffix.lower() in OSM_SUFFIXES


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    assume_srid: int | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer and return it in EPSG:4326, refusing files whose CRS is unknown."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(_("文件不存在：%(path)s") % {"path": path})
    if path.stat().st_size == 0:
        raise ImportFileError(_("文件是空的：%(path)s") % {"path": path.name})
    kwargs = {}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        df = pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportFileError(
            _(
                "无法读取 %(name)s：文件已损坏或不是受支持的格式（shapefile、GeoPackage、GeoJSON、OSM）。详情：%(detail)s"
            )
            % {"name": path.name, "detail": str(exc).splitlines()[0]}
        ) from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("%(name)s 的属性不是 %(enc)s 编码，请用 --encoding 指定正确的编码（如 GBK）")
            % {"name": path.name, "enc": encoding or "UTF-8"}
        ) from exc
    if df.crs is None:
        if assume_srid is None:
            raise ImportFileError(
                _(
                    "%(name)s 没有声明坐标系（例如 shapefile 缺少 .prj 文件）。请补上 .prj，或用 --srid 指定坐标系。"
                )
                % {"name": path.name}
            )
        df = df.set_crs(epsg=assume_srid)
    if df.crs.to_epsg() != 4326:
        df = df.to_crs(epsg=4326)
    return df


def check_text_encoding(values, *, file_name: str) -> None:
    """Refuse names that look like Chinese read with the wrong code page (e.g. a shapefile without .cpg)."""
    for value in values:
        if isinstance(value, str) and _MOJIBAKE.search(value) and not _CJK.search(value):
            raise ImportFileError(
                _(
                    "%(name)s 中的名称出现乱码（例如“%(sample)s”），很可能是编码不对：请添加 .cpg 文件，或用 --encoding 指定（常见为 GBK 或 UTF-8）。"
                )
                % {"name": file_name, "sample": value[:20]}
            )


def pick_column(df: gpd.GeoDataFrame, wanted: str | None, candidates: list[str]) -> str | None:
    """The column named `wanted`, else the first of `candidates` present (case-insensitive)."""
    lower = {c.lower(): c for c in df.columns}
    if wanted:
        if wanted.lower() not in lower:
            raise ImportFileError(
                _("没有找到字段“%(field)s”；文件中的字段有：%(fields)s")
                % {"field": wanted, "fields": ", ".join(c for c in df.columns if c != "geometry")}
            )
        return lower[wanted.lower()]
    for candidate in candidates:
        if candidate.lower() in lower:
            return lower[candidate.lower()]
    return None
