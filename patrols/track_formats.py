"""Track file parsers → one common stream of numpy chunks (t, lat, lon, seg, ref).

Every format ends in the same shape so cleaning and storage never care where points came from:

- `t`   float64 epoch seconds UTC (NaN where the file gave no time),
- `lat`, `lon` float64 as written in the file (the declared CRS is applied later),
- `seg` int64: the file's own segment number (GPX trkseg, KML gx:Track, GeoJSON line …),
- `ref` int64: where the point is in the file, for error messages — a line number for text
  formats (CSV, PLT), the 1-based point ordinal for XML/JSON formats (see `RefKind`).

XML safety: every XML file first goes through `refuse_unsafe_xml`, an expat pass with
defusedxml's policy (entity declarations and external references raise defusedxml's exceptions)
that also proves the file well-formed. GPX is then read by a C-speed regex scan in 4 MB blocks
when the file is plain (no comments/CDATA/DOCTYPE) and every trkpt is accounted for, otherwise by
ElementTree's iterparse, clearing elements as they are read. Either way memory follows the number
of points (~40 bytes each), never the size of the XML tree.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from django.utils.translation import gettext as _

from patrols.track_errors import TrackRejected

CHUNK_POINTS = 50_000


class TrackFormat(StrEnum):
    GPX = "gpx"
    KML = "kml"
    GEOJSON = "geojson"
    CSV = "csv"
    PLT = "plt"


class RefKind(StrEnum):
    LINE = "line"
    POINT = "point"


@dataclass
class PointChunk:
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    seg: np.ndarray
    ref: np.ndarray


@dataclass
class RawPoints(PointChunk):
    ref_kind: RefKind
    format: TrackFormat

    @property
    def size(self) -> int:
        return int(self.t.size)

    def where(self, i: int) -> str:
        """Human description of point i's place in the file (for messages)."""
        if self.ref_kind is RefKind.LINE:
            return _("第 %(n)d 行") % {"n": int(self.ref[i])}
        return _("第 %(n)d 个点") % {"n": int(self.ref[i])}


# --- format detection -------------------------------------------------------------------------

_EXTENSIONS = {
    ".gpx": TrackFormat.GPX,
    ".kml": TrackFormat.KML,
    ".geojson": TrackFormat.GEOJSON,
    ".json": TrackFormat.GEOJSON,
    ".csv": TrackFormat.CSV,
    ".txt": TrackFormat.CSV,
    ".plt": TrackFormat.PLT,
}


def detect_format(filename: str, head: bytes) -> TrackFormat:
    """By content first (phones name files oddly), then by extension."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"geolife trajectory"):
        return TrackFormat.PLT
    if text.startswith(b"<"):
        if b"<gpx" in text:
            return TrackFormat.GPX
        if b"<kml" in text:
            return TrackFormat.KML
    if text.startswith(b"{"):
        return TrackFormat.GEOJSON
    name = filename.lower()
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    if text and b"," in text.split(b"\n", 1)[0]:
        return TrackFormat.CSV
    raise TrackRejected(
        _(
            "无法识别文件格式“%(name)s”：支持 GPX、KML、GeoJSON、CSV（含经纬度和时间列）和 GeoLife PLT。"
        )
        % {"name": filename},
        415,
        code="unknown_format",
    )


# --- time conversion --------------------------------------------------------------------------

_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def _parse_utc_z(values: list[Any]) -> np.ndarray | None:
    """The common case (every time 'YYYY-MM-DDTHH:MM:SS[.fff]Z') parsed by numpy in C; else None."""
    try:
        if not all(v[-1] == "Z" for v in values):
            return None
        stamps = np.array([v[:-1] for v in values], dtype="datetime64[us]")
    except (TypeError, ValueError, IndexError):
        return None
    return stamps.astype(np.int64) / 1e6


def parse_times(
    values: list[Any], refs: list[int], ref_kind: RefKind, naive_tz: str = "UTC"
) -> np.ndarray:
    """ISO-8601 strings (or None) → epoch seconds, NaN for missing. Vectorised through pandas.

    Naive strings are read in `naive_tz` (GPX/KML/GeoJSON define UTC; CSV from Chinese apps is
    usually local time).
    """
    out = np.full(len(values), np.nan)
    idx = [i for i, v in enumerate(values) if v not in (None, "")]
    if not idx:
        return out
    if len(idx) == len(values):
        fast = _parse_utc_z(values)
        if fast is not None:
            return fast
    strings = pd.Series([str(values[i]).strip() for i in idx])
    aware = strings.str.endswith(("Z", "z"))
    if not aware.all():
        aware |= strings.str.contains(_TZ_SUFFIX)
    parsed = np.full(len(idx), np.nan)
    for mask, tz in ((aware, None), (~aware, naive_tz)):
        if not mask.any():
            continue
        sub = strings[mask]
        dt = pd.to_datetime(sub, errors="coerce", format="ISO8601", utc=tz is None)
        if tz is not None:
            dt = dt.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        bad = dt.isna().to_numpy()
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            i = idx[int(sub.index[k])]
            where = (_("第 %(n)d 行") if ref_kind is RefKind.LINE else _("第 %(n)d 个点")) % {
                "n": refs[i]
            }
            raise TrackRejected(
                _(
                    "%(where)s：时间“%(value)s”无法识别，请使用 ISO 8601 格式（如 2024-05-01T08:30:00Z）。"
                )
                % {"where": where, "value": sub.iloc[k]},
                code="bad_time",
            )
        naive_utc = dt.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
        parsed[mask.to_numpy()] = naive_utc.astype(np.int64) / 1e6
    out[idx] = parsed
    return out


def bytes_column(values: tuple[bytes, ...], keep: np.ndarray) -> np.ndarray:
    """The kept items of a column of bytes values as a numpy ``S`` array.

    Loggers write every value of a column with the same width (fixed decimals, one time
    format); then the column is one join and a buffer view instead of a Python object per
    value. Rows not kept (trkseg tokens) are empty, so the join skips them by itself.
    """
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    kept = lengths[keep]
    if kept.size and kept.min() == kept.max() > 0 and not lengths[~keep].any():
        return np.frombuffer(b"".join(values), dtype=f"S{kept[0]}")
    return np.array(values, dtype=bytes)[keep]


def parse_decimal_bytes(raw: np.ndarray) -> np.ndarray | None:
    """Fixed-layout decimals (same width, point in the same column, ≤ 15 digits) → float64.

    numpy's bytes→float cast calls strtod per item; here the digits are one integer matrix
    product. With ≤ 15 digits the mantissa and the power of ten are exact doubles, so one
    correctly rounded division gives exactly what ``float()`` gives. Any other layout returns
    None and the caller takes the general path.
    """
    n, width = raw.size, raw.dtype.itemsize
    if n == 0 or raw.dtype.kind != "S" or width == 0:
        return None
    b = np.ascontiguousarray(raw).view(np.uint8).reshape(n, width)
    dots = np.flatnonzero(b[0] == 46)
    if dots.size > 1:
        return None
    negative = b[:, 0] == 45
    digit_cols = np.ones(width, dtype=bool)
    if dots.size:
        digit_cols[dots[0]] = False
        if not (b[:, dots[0]] == 46).all():
            return None
    digits = b[:, digit_cols].astype(np.int64) - 48
    if negative.any():
        digits[negative, 0] = 0
        if not digit_cols[0]:
            return None
    if digits.shape[1] == 0 or digits.shape[1] > 15 or not ((digits >= 0) & (digits <= 9)).all():
        return None
    if negative.any() and digits.shape[1] == 1:
        return None
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    frac_digits = width - 1 - int(dots[0]) if dots.size else 0
    values = (digits @ powers).astype(np.float64) / 10.0**frac_digits
    return np.where(negative, -values, values)


def _floats(
    values: list[Any] | np.ndarray, refs: list[int], ref_kind: RefKind, what: str
) -> np.ndarray:
    if isinstance(values, np.ndarray):
        fast = parse_decimal_bytes(values)
        if fast is not None:
            return fast
        values = [v.decode(errors="replace") for v in values.tolist()]
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for i, v in enumerate(values):
            try:
                float(v)
            except (TypeError, ValueError):
                where = (_("第 %(n)d 行") if ref_kind is RefKind.LINE else _("第 %(n)d 个点")) % {
                    "n": refs[i]
                }
                raise TrackRejected(
                    _("%(where)s：%(what)s“%(value)s”不是数字。")
                    % {"where": where, "what": what, "value": v},
                    code="bad_number",
                ) from None
        raise


def parse_utc_z_bytes(raw: np.ndarray) -> np.ndarray | None:
    """Times written 'YYYY-MM-DDTHH:MM:SS[.fff]Z' (what GPX loggers write) → epoch s, in numpy.

    None when any value has another shape; parse_times then gives the per-point message.
    """
    if raw.size == 0 or raw.dtype.kind != "S":
        return None
    lengths = np.strings.str_len(raw)
    if lengths.min() < 20 or not np.strings.endswith(raw, b"Z").all():
        return None
    try:
        if lengths.max() == 20:
            stamps = raw.astype("S19").astype("datetime64[us]")
        else:
            stamps = np.strings.replace(raw, b"Z", b"").astype("datetime64[us]")
    except ValueError:
        return None
    return stamps.astype(np.int64) / 1e6


def _chunk(
    times: list[Any] | np.ndarray,
    lats: list[Any] | np.ndarray,
    lons: list[Any] | np.ndarray,
    segs: list[int] | np.ndarray,
    refs: list[int] | np.ndarray,
    ref_kind: RefKind,
    naive_tz: str = "UTC",
) -> PointChunk:
    """One chunk from parsed text: lists of str, or bytes arrays from the GPX fast path."""
    t = None
    if isinstance(times, np.ndarray):
        t = times if times.dtype.kind == "f" else parse_utc_z_bytes(times)
        if t is None:
            times = [v.decode(errors="replace") for v in times.tolist()]
    if t is None:
        ref_list = refs.tolist() if isinstance(refs, np.ndarray) else refs
        t = parse_times(times, ref_list, ref_kind, naive_tz)
    return PointChunk(
        t=t,
        lat=_floats(lats, refs, ref_kind, _("纬度")),
        lon=_floats(lons, refs, ref_kind, _("经度")),
        seg=np.asarray(segs, dtype=np.int64),
        ref=np.asarray(refs, dtype=np.int64),
    )


# --- XML (GPX, KML) ---------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def refuse_unsafe_xml(fileobj: IO[bytes]) -> bool:
    """defusedxml's policy, enforced by a pure-C expat pass before the real parse.

    Any entity declaration (billion laughs, quadratic blow-up) or external reference is refused
    with defusedxml's own exceptions. Only handlers for those events are set, so expat runs
    without Python callbacks at ~100 MB/s; the extraction pass below can then use the
    C-accelerated ElementTree (twice as fast as defusedxml's pure-Python parser), because a
    document with no entity declarations has nothing to expand.
    """

    def entity_decl(name, is_parameter_entity, value, base, system_id, public_id, notation_name):
        raise EntitiesForbidden(name, value, base, system_id, public_id, notation_name)

    def external_ref(context, base, system_id, public_id):
        raise ExternalReferenceForbidden(context, base, system_id, public_id)

    plain = True

    def not_plain(*args: object) -> None:
        nonlocal plain
        plain = False

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    # Comments, CDATA and processing instructions are legal but rare in GPX; they switch the
    # regex fast path off (these handlers only run when such a node occurs).
    parser.CommentHandler = not_plain
    parser.StartCdataSectionHandler = not_plain
    parser.ProcessingInstructionHandler = not_plain
    parser.StartDoctypeDeclHandler = not_plain
    parser.EntityDeclHandler = entity_decl
    parser.UnparsedEntityDeclHandler = lambda *a: entity_decl(a[0], False, None, *a[1:])
    parser.ExternalEntityRefHandler = external_ref
    fileobj.seek(0)
    try:
        while block := fileobj.read(1 << 20):
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except DefusedXmlException as exc:
        raise TrackRejected(
            _(
                "文件包含 XML 实体声明或外部引用（%(kind)s），出于安全原因拒绝。请直接上传设备导出的原始文件。"
            )
            % {"kind": type(exc).__name__},
            code="unsafe_xml",
        ) from None
    except expat.ExpatError as exc:
        raise TrackRejected(
            _("XML 格式错误（第 %(line)d 行第 %(col)d 列）：%(err)s。文件可能不完整或已损坏。")
            % {"line": exc.lineno, "col": exc.offset, "err": expat.ErrorString(exc.code)},
            code="bad_xml",
        ) from None
    finally:
        fileobj.seek(0)
    return plain


def _xml_events(fileobj: IO[bytes], gated: bool = False) -> Iterator[tuple[str, Any]]:
    if not gated:
        refuse_unsafe_xml(fileobj)
    try:
        # Safe: refuse_unsafe_xml() has just proven the document declares no entities.
        yield from ElementTree.iterparse(fileobj, events=("start", "end"))  # noqa: S314
    except ElementTree.ParseError as exc:
        line, col = exc.position
        raise TrackRejected(
            _("XML 格式错误（第 %(line)d 行第 %(col)d 列）：%(err)s。文件可能不完整或已损坏。")
            % {"line": line, "col": col, "err": exc},
            code="bad_xml",
        ) from None


class _FastPathMismatch(Exception):
    """The regex scan disagrees with a plain count of trkpt tags: use the tree parser."""


_P = rb"(?:[\w.-]+:)?"
# Values with "&" (character or entity references: &#52;0.1 is 40.1) never match here or in
# _GPX_STRICT, so the counts disagree and the tree parser, which decodes them, takes the file.
_Q = rb"\s*=\s*[\"']([^\"'&]*)[\"']"
# A trkpt has exactly the attributes lat and lon (GPX 1.0/1.1 schema), in either order.
_GPX_TOKEN = re.compile(
    rb"<" + _P + rb"(trkseg)\b[^>]*>"
    rb"|<"
    + _P
    + rb"trkpt\s+(?:lat"
    + _Q
    + rb"\s+lon"
    + _Q
    + rb"|lon"
    + _Q
    + rb"\s+lat"
    + _Q
    + rb")\s*"
    # Schema order inside a trkpt is ele?, time?, …: the first branch captures the time directly.
    rb"(?:/>|>\s*(?:<"
    + _P
    + rb"ele\s*>[^<]*</"
    + _P
    + rb"ele\s*>\s*)?<"
    + _P
    + rb"time\s*>\s*([^<&]*?)\s*</"
    + _P
    + rb"time\s*>"
    rb".*?</" + _P + rb"trkpt\s*>|>(.*?)</" + _P + rb"trkpt\s*>)",
    re.S,
)
_GPX_OPENINGS = re.compile(rb"<" + _P + rb"(trkseg\b|trkpt[\s/>])")
# The layout most loggers and apps write, matched ~5x faster; used only when it accounts for
# every trkseg and trkpt opening in the block.
_GPX_STRICT = re.compile(
    rb'<(trkseg)>|<trkpt lat="([^"]*)" lon="([^"]*)">\s*(?:<ele>[^<]*</ele>\s*)?<time>([^<]*)</time>\s*</trkpt>'
)
# The same, refusing values with "&" (see _Q); a two-character class is ~50 % slower than the
# one-character one, so it is used only for blocks that contain an "&" at all.
_GPX_STRICT_NO_REFS = re.compile(
    rb'<(trkseg)>|<trkpt lat="([^"&]*)" lon="([^"&]*)">\s*(?:<ele>[^<]*</ele>\s*)?<time>([^<&]*)</time>\s*</trkpt>'
)
_GPX_TIME = re.compile(rb"<" + _P + rb"time\s*>\s*([^<]*?)\s*</")
_GPX_ROOT = re.compile(rb"<" + _P + rb"gpx[\s>]")
_GPX_BLOCK = 4 << 20


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around findall's burst of tuples.

    A block's tokens are tuples of bytes, which cannot form cycles, yet their allocation
    triggers collections that walk every tracked object of the process: ~30 % of GPX parsing
    time. Collections resume (and catch up) when the block is done.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _gpx_cut(block: bytes) -> int:
    """End of the last complete trkpt in block (0 if none): the rest waits for more bytes."""
    k = block.rfind(b"trkpt")
    if k >= 0:
        lt = block.rfind(b"<", 0, k)
        gt = block.find(b">", k)
        if lt < 0:
            return 0
        if gt < 0:
            return lt
        if block[lt + 1 : lt + 2] == b"/" or block[gt - 1 : gt] == b"/":
            return gt + 1
        return lt
    return 0


def _iter_gpx_fast(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """Regex scan of a document the expat gate proved well-formed, entity-free and plain.

    findall runs in C over 8 MB blocks; a count of trkpt tags per block guards against any
    construct the pattern does not understand (then the caller falls back to the tree parser).
    """
    seg_no = -1
    n = 0
    carry = b""
    saw_gpx = False
    while True:
        more = fileobj.read(_GPX_BLOCK)
        block = carry + more
        if not block:
            break
        cut = len(block) if not more else _gpx_cut(block)
        if more and cut == 0:
            carry = block
            continue
        body, carry = block[:cut], block[cut:]
        if not saw_gpx and _GPX_ROOT.search(body):
            saw_gpx = True
        strict_pattern = _GPX_STRICT_NO_REFS if b"&" in body else _GPX_STRICT
        with _collector_paused():
            tokens = strict_pattern.findall(body)
        n_segs = body.count(b"<trkseg")
        # bytes.count runs at memory speed; prefixed tags would be invisible to it, so they
        # (and any other layout) send the block to the general pattern.
        strict = (
            b":trkpt" not in body
            and b":trkseg" not in body
            and len(tokens) == n_segs + body.count(b"<trkpt")
        )
        if strict and tokens:
            # Columns as bytes arrays: no Python object per value beyond findall's own.
            with _collector_paused():
                seg_col, lat_col, lon_col, time_col = zip(*tokens, strict=True)
            is_seg = np.frombuffer(bytes(map(len, seg_col)), dtype=np.uint8) != 0
            strict = int(is_seg.sum()) == n_segs
        if strict:
            n_pts = len(tokens) - n_segs
            if n_pts:
                is_pt = ~is_seg
                segs = seg_no + np.cumsum(is_seg)
                seg_no = int(segs[-1])
                refs = np.arange(n + 1, n + n_pts + 1)
                n += n_pts
                yield _chunk(
                    bytes_column(time_col, is_pt),
                    bytes_column(lat_col, is_pt),
                    bytes_column(lon_col, is_pt),
                    np.maximum(segs[is_pt], 0),
                    refs,
                    RefKind.POINT,
                )
            else:
                seg_no += len(tokens)
            if not more:
                break
            continue
        # The general pattern: namespace prefixes, other attribute order, extra children.
        openings = _GPX_OPENINGS.findall(body)
        n_segs = sum(1 for o in openings if o.startswith(b"trkseg"))
        tokens = _GPX_TOKEN.findall(body)
        points = [tk for tk in tokens if not tk[0]]
        if len(tokens) != len(openings) or len(points) != len(openings) - n_segs:
            raise _FastPathMismatch
        if any(b"&" in tk[6] for tk in points if tk[6]):
            raise _FastPathMismatch  # a reference somewhere inside: let the tree parser decode
        lats = [(tk[1] or tk[4]).decode() for tk in points]
        lons = [(tk[2] or tk[3]).decode() for tk in points]
        times = [
            tk[5].decode()
            if tk[5]
            else (m.group(1).decode() if (m := _GPX_TIME.search(tk[6])) else None)
            for tk in points
        ]
        if not points:
            seg_no += len(tokens)
            if not more:
                break
            continue
        is_seg = np.fromiter((bool(tk[0]) for tk in tokens), dtype=bool, count=len(tokens))
        segs = seg_no + np.cumsum(is_seg)
        seg_no = int(segs[-1])
        pt_segs = np.maximum(segs[~is_seg], 0).tolist()
        refs = list(range(n + 1, n + len(points) + 1))
        n += len(points)
        yield _chunk(times, lats, lons, pt_segs, refs, RefKind.POINT)
        if not more:
            break
    if not saw_gpx:
        raise TrackRejected(_("这不是 GPX 文件：缺少 <gpx> 根元素。"), 422, code="not_a_track")


def iter_gpx(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """GPX 1.0 / 1.1: every trkpt of every trk/trkseg; waypoints, routes and extensions ignored.

    Plain files take the C-speed regex path; anything unusual takes the ElementTree path.
    """
    if refuse_unsafe_xml(fileobj):
        # A _FastPathMismatch propagates: read_points restarts with the tree parser.
        yield from _iter_gpx_fast(fileobj)
        return
    fileobj.seek(0)
    yield from _iter_gpx_tree(fileobj, gated=True)


def _iter_gpx_tree(fileobj: IO[bytes], gated: bool = False) -> Iterator[PointChunk]:
    lats: list[str | None] = []
    lons: list[str | None] = []
    times: list[str | None] = []
    segs: list[int] = []
    refs: list[int] = []
    seg_no = -1
    n = 0
    seg_el = None
    saw_gpx = False
    for event, el in _xml_events(fileobj, gated=gated):
        tag = el.tag
        if event == "start":
            if tag.endswith("trkseg") and _local(tag) == "trkseg":
                seg_no += 1
                seg_el = el
            elif not saw_gpx and _local(tag) == "gpx":
                saw_gpx = True
            continue
        if tag.endswith("trkpt") and _local(tag) == "trkpt":
            n += 1
            lats.append(el.get("lat"))
            lons.append(el.get("lon"))
            t = None
            for child in el:
                if child.tag.endswith("time") and _local(child.tag) == "time":
                    t = child.text
                    break
            times.append(t)
            segs.append(max(seg_no, 0))
            refs.append(n)
            # Drop what we have read: the parent keeps only unread children, memory stays flat.
            if seg_el is not None:
                seg_el.clear()
            else:
                el.clear()
            if len(lats) >= CHUNK_POINTS:
                yield _chunk(times, lats, lons, segs, refs, RefKind.POINT)
                lats, lons, times, segs, refs = [], [], [], [], []
        elif tag.endswith(("trkseg", "trk", "wpt", "rte", "metadata")):
            el.clear()
    if not saw_gpx:
        raise TrackRejected(_("这不是 GPX 文件：缺少 <gpx> 根元素。"), 422, code="not_a_track")
    if lats:
        yield _chunk(times, lats, lons, segs, refs, RefKind.POINT)


def iter_kml(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """KML: gx:Track (when + gx:coord pairs), timed Placemark Points, and LineStrings (untimed)."""
    lats: list[Any] = []
    lons: list[Any] = []
    times: list[Any] = []
    segs: list[int] = []
    refs: list[int] = []
    seg_no = -1
    n = 0
    saw_kml = False
    whens: list[str | None] = []
    coords: list[str] = []
    placemark_time: str | None = None
    placemark_points: list[str] = []
    point_seg: int | None = None

    def add(ts: list[Any], cs: list[str], seg: int) -> None:
        nonlocal n
        for t, c in zip(ts, cs, strict=False):
            parts = c.replace(",", " ").split()
            n += 1
            lon, lat = (parts + ["nan", "nan"])[:2]
            lats.append(lat)
            lons.append(lon)
            times.append(t)
            segs.append(seg)
            refs.append(n)

    for event, el in _xml_events(fileobj):
        local = _local(el.tag)
        if event == "start":
            if local == "kml":
                saw_kml = True
            elif local == "Track":
                seg_no += 1
                whens, coords = [], []
            elif local == "Placemark":
                placemark_time, placemark_points = None, []
            continue
        if local == "when":
            whens.append(el.text)
            if el.text and not coords and placemark_time is None:
                placemark_time = el.text.strip()
        elif local == "coord":
            coords.append(el.text or "")
        elif local == "Track":
            if len(whens) != len(coords):
                raise TrackRejected(
                    _(
                        "KML gx:Track 第 %(k)d 段：<when> 有 %(w)d 个而 <gx:coord> 有 %(c)d 个，数量必须一致。"
                    )
                    % {"k": seg_no + 1, "w": len(whens), "c": len(coords)},
                    code="bad_kml",
                )
            add(whens, coords, seg_no)
            whens, coords = [], []
            placemark_time = None
            el.clear()
        elif local == "coordinates":
            placemark_points.append(el.text or "")
        elif local == "Placemark":
            tuples = [c for text in placemark_points for c in text.split()]
            if len(tuples) == 1 and placemark_time:
                # Timed points (one Placemark each) form one segment, like a logger's waypoints.
                if point_seg is None:
                    seg_no += 1
                    point_seg = seg_no
                add([placemark_time], tuples, point_seg)
            elif tuples:
                seg_no += 1
                add([None] * len(tuples), tuples, seg_no)
            placemark_time, placemark_points = None, []
            el.clear()
        if len(lats) >= CHUNK_POINTS:
            yield _chunk(times, lats, lons, segs, refs, RefKind.POINT)
            lats, lons, times, segs, refs = [], [], [], [], []
    if not saw_kml:
        raise TrackRejected(_("这不是 KML 文件：缺少 <kml> 根元素。"), 422, code="not_a_track")
    if lats:
        yield _chunk(times, lats, lons, segs, refs, RefKind.POINT)


# --- GeoJSON ----------------------------------------------------------------------------------

_TIME_LIST_KEYS = ("coordTimes", "times", "timestamps", "coordinateProperties.times")
_TIME_KEYS = ("time", "timestamp", "datetime", "when", "t")


def _epoch_or_iso(value: Any) -> Any:
    # Numbers are epoch seconds (or milliseconds when too big to be seconds).
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        return pd.Timestamp(v / 1000.0 if v > 1e11 else v, unit="s", tz="UTC").isoformat()
    return value


def iter_geojson(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """LineString/MultiLineString with per-vertex times in properties, or timed Point features."""
    try:
        doc = json.load(fileobj)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrackRejected(
            _("GeoJSON 解析失败：%(err)s。") % {"err": exc}, code="bad_json"
        ) from None
    if not isinstance(doc, dict):
        raise TrackRejected(_("这不是 GeoJSON 对象。"), 422, code="not_a_track")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    lats: list[Any] = []
    lons: list[Any] = []
    times: list[Any] = []
    segs: list[int] = []
    refs: list[int] = []
    seg_no = -1
    point_seg: int | None = None
    n = 0
    for feature in features:
        if not isinstance(feature, dict):
            continue
        geom = feature.get("geometry") or {}
        props = feature.get("properties") or {}
        gtype = geom.get("type")
        coords = geom.get("coordinates") or []
        if gtype == "Point":
            t = next((props[k] for k in _TIME_KEYS if props.get(k) not in (None, "")), None)
            if t is None and len(coords) >= 4:
                t = coords[3]
            if point_seg is None:
                seg_no += 1
                point_seg = seg_no
            lines, line_times, line_segs = [[coords]], [[t]], [point_seg]
        elif gtype in ("LineString", "MultiLineString"):
            lines = [coords] if gtype == "LineString" else list(coords)
            tl = next((props[k] for k in _TIME_LIST_KEYS if props.get(k)), None)
            if tl is None:
                tl = [[c[3] if len(c) >= 4 else None for c in line] for line in lines]
            elif gtype == "LineString":
                tl = [tl]
            line_times = list(tl)
            line_segs = []
            for _line in lines:
                seg_no += 1
                line_segs.append(seg_no)
        else:
            continue
        for line, lt, s in zip(lines, line_times, line_segs, strict=False):
            if lt is not None and len(lt) != len(line):
                raise TrackRejected(
                    _("GeoJSON 线第 %(k)d 段：时间有 %(t)d 个而坐标有 %(c)d 个，数量必须一致。")
                    % {"k": s + 1, "t": len(lt), "c": len(line)},
                    code="bad_geojson",
                )
            for c, t in zip(line, lt, strict=False):
                n += 1
                ok = isinstance(c, list | tuple) and len(c) >= 2
                lons.append(c[0] if ok else "nan")
                lats.append(c[1] if ok else "nan")
                times.append(_epoch_or_iso(t))
                segs.append(s)
                refs.append(n)
    if lats:
        yield _chunk(times, lats, lons, segs, refs, RefKind.POINT)


# --- CSV and GeoLife PLT ----------------------------------------------------------------------

_LAT_NAMES = ("lat", "latitude", "纬度", "y", "lat_deg")
_LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x", "lon_deg")
_TIME_NAMES = ("time", "timestamp", "datetime", "date_time", "utc", "时间", "定位时间", "gps_time")


def parse_column_mapping(spec: str | None) -> dict[str, str]:
    """'lat=纬度,lon=经度,time=时间' → {'lat': '纬度', ...}."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() in ("lat", "lon", "time"):
                mapping[k.strip()] = v.strip()
    return mapping


def _pick(header: list[str], names: tuple[str, ...], mapped: str | None, what: str) -> int:
    lowered = [h.strip().lower() for h in header]
    if mapped:
        if mapped.lower() in lowered:
            return lowered.index(mapped.lower())
        raise TrackRejected(
            _("CSV 中找不到指定的%(what)s列“%(col)s”；表头为：%(header)s。")
            % {"what": what, "col": mapped, "header": ", ".join(header)},
            code="csv_columns",
        )
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise TrackRejected(
        _(
            "CSV 中找不到%(what)s列；表头为：%(header)s。请用 columns 参数指定，例如 lat=纬度,lon=经度,time=时间。"
        )
        % {"what": what, "header": ", ".join(header)},
        422,
        code="csv_columns",
    )


def iter_csv(
    fileobj: IO[bytes], columns: dict[str, str] | None = None, naive_tz: str = "UTC"
) -> Iterator[PointChunk]:
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", errors="strict", newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        header = next(reader, None)
        if not header:
            return
        columns = columns or {}
        i_lat = _pick(header, _LAT_NAMES, columns.get("lat"), _("纬度"))
        i_lon = _pick(header, _LON_NAMES, columns.get("lon"), _("经度"))
        i_time = _pick(header, _TIME_NAMES, columns.get("time"), _("时间"))
        width = max(i_lat, i_lon, i_time) + 1
        lats: list[Any] = []
        lons: list[Any] = []
        times: list[Any] = []
        refs: list[int] = []
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            line = reader.line_num
            if len(row) < width:
                raise TrackRejected(
                    _("第 %(n)d 行只有 %(k)d 列，缺少经纬度或时间。") % {"n": line, "k": len(row)},
                    code="csv_row",
                )
            lats.append(row[i_lat].strip())
            lons.append(row[i_lon].strip())
            raw_t = row[i_time].strip()
            times.append(_epoch_or_iso(float(raw_t)) if _is_number(raw_t) else raw_t)
            refs.append(line)
            if len(lats) >= CHUNK_POINTS:
                yield _chunk(times, lats, lons, [0] * len(lats), refs, RefKind.LINE, naive_tz)
                lats, lons, times, refs = [], [], [], []
        if lats:
            yield _chunk(times, lats, lons, [0] * len(lats), refs, RefKind.LINE, naive_tz)
    except UnicodeDecodeError:
        raise TrackRejected(
            _("CSV 文件不是 UTF-8 编码，请另存为 UTF-8 后再上传。"), code="csv_encoding"
        ) from None
    finally:
        text.detach()


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def iter_plt(fileobj: IO[bytes]) -> Iterator[PointChunk]:
    """GeoLife 1.3: 6 header lines, then lat,lon,0,alt_ft,days_since_1899,date,time (UTC)."""
    text = io.TextIOWrapper(fileobj, encoding="utf-8", errors="replace", newline="")
    try:
        lats: list[str] = []
        lons: list[str] = []
        times: list[str] = []
        refs: list[int] = []
        for line_no, line in enumerate(text, start=1):
            if line_no <= 6 or not line.strip():
                continue
            parts = line.strip().split(",")
            if len(parts) < 7:
                raise TrackRejected(
                    _("第 %(n)d 行字段不足（GeoLife PLT 每行应有 7 个字段）。") % {"n": line_no},
                    code="plt_row",
                )
            lats.append(parts[0])
            lons.append(parts[1])
            times.append(f"{parts[5]}T{parts[6]}Z")
            refs.append(line_no)
            if len(lats) >= CHUNK_POINTS:
                yield _chunk(times, lats, lons, [0] * len(lats), refs, RefKind.LINE)
                lats, lons, times, refs = [], [], [], []
        if lats:
            yield _chunk(times, lats, lons, [0] * len(lats), refs, RefKind.LINE)
    finally:
        text.detach()


# --- entry points -----------------------------------------------------------------------------


def iter_chunks(
    fileobj: IO[bytes],
    fmt: TrackFormat,
    *,
    columns: dict[str, str] | None = None,
    naive_tz: str = "UTC",
) -> Iterator[PointChunk]:
    if fmt is TrackFormat.GPX:
        return iter_gpx(fileobj)
    if fmt is TrackFormat.KML:
        return iter_kml(fileobj)
    if fmt is TrackFormat.GEOJSON:
        return iter_geojson(fileobj)
    if fmt is TrackFormat.CSV:
        return iter_csv(fileobj, columns, naive_tz)
    return iter_plt(fileobj)


def read_points(
    fileobj: IO[bytes],
    fmt: TrackFormat,
    *,
    columns: dict[str, str] | None = None,
    naive_tz: str = "UTC",
) -> RawPoints:
    """All points of a file as flat arrays (chunks concatenated; ~40 bytes a point)."""
    try:
        chunks = list(iter_chunks(fileobj, fmt, columns=columns, naive_tz=naive_tz))
    except _FastPathMismatch:
        fileobj.seek(0)
        chunks = list(_iter_gpx_tree(fileobj, gated=True))
    kind = RefKind.LINE if fmt in (TrackFormat.CSV, TrackFormat.PLT) else RefKind.POINT
    if not chunks:
        empty = np.empty(0)
        return RawPoints(
            empty, empty, empty, empty.astype(np.int64), empty.astype(np.int64), kind, fmt
        )
    cat = {
        f: np.concatenate([getattr(c, f) for c in chunks])
        for f in ("t", "lat", "lon", "seg", "ref")
    }
    return RawPoints(**cat, ref_kind=kind, format=fmt)
