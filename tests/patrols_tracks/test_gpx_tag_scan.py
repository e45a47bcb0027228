"""The numpy tag scan (gpx_tags) reads exactly what the tree parser reads, or hands over.

Every case is compared with the tree parser (ElementTree, the reference) on the whole arrays
(t, lat, lon, seg, ref) or on the rejection code and message. Where the strict route must be the
one that read the file, the general regex and the expat gate are made to fail if called.
"""

from __future__ import annotations

import io
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

from bench.gpx_layouts import LAYOUTS, walk, write_gpx
from patrols.tracks import formats as tf
from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import gpx, gpx_scan
from patrols.tracks.formats.columns import parse_decimal_bytes
from tests.patrols_tracks.test_gpx_without_gate import _outcome, identical, tree_route

DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def strict_only(monkeypatch) -> None:
    """Fail the test if the general regex or the expat gate is used."""

    def general(body: bytes):
        raise AssertionError("the general pattern ran")

    def gate(*args, **kwargs):
        raise AssertionError("the expat gate ran")

    monkeypatch.setattr(gpx_scan, "_general_columns", general)
    monkeypatch.setattr(gpx, "refuse_unsafe_xml", gate)


def read(data: bytes) -> dict[str, np.ndarray]:
    p = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    return {k: getattr(p, k) for k in ("t", "lat", "lon", "seg", "ref")}


def agrees(data: bytes) -> tuple[str, object]:
    """Assert the route read_points takes gives the tree parser's outcome; return it."""
    want, got = _outcome(tree_route, data), _outcome(read, data)
    assert got[0] == want[0], (got, want)
    if got[0] == "rejected":
        assert got[1] == want[1]
    else:
        assert identical(got[1], want[1])
    return got


def doc(points: bytes, head: bytes = b'<gpx version="1.1" creator="t">') -> bytes:
    return DECL + head + b"<trk><trkseg>\n" + points + b"</trkseg></trk></gpx>\n"


def pt(i: int, *, lat: bytes | None = None, lon: bytes | None = None, inner: bytes = b"") -> bytes:
    la = lat if lat is not None else b"40.%04d" % i
    lo = lon if lon is not None else b"116.%04d" % i
    t = b"<time>2024-05-01T01:%02d:%02dZ</time>" % (i // 60 % 60, i % 60)
    return b'<trkpt lat="%s" lon="%s">%s%s</trkpt>\n' % (la, lo, t, inner)


@pytest.mark.parametrize("step", [1, 5])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_bench_layout_takes_the_strict_route(tmp_path: Path, monkeypatch, layout, step):
    path = tmp_path / "f.gpx"
    write_gpx(path, layout, walk(600, step, seed=5), seed=5)
    data = path.read_bytes()
    want = tree_route(data)
    strict_only(monkeypatch)
    assert identical(read(data), want) and want["t"].size == 600 // step


@pytest.mark.parametrize("block", [97, 331, 1024, 4099])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_points_cut_by_any_block_boundary(tmp_path: Path, monkeypatch, layout, block) -> None:
    path = tmp_path / "f.gpx"
    write_gpx(path, layout, walk(300, 1, seed=6), seed=6)
    data = path.read_bytes()
    want = tree_route(data)
    strict_only(monkeypatch)
    monkeypatch.setattr(gpx_scan, "_GPX_BLOCK", block)
    assert identical(read(data), want)


def test_lon_first_mixed_orders_and_optional_ele_stay_strict(monkeypatch) -> None:
    points = b"".join(
        [
            pt(0),
            b'<trkpt lon="116.5" lat="40.5"><ele>3.5</ele><time>2024-05-01T01:00:01Z</time></trkpt>',
            b'<trkpt lat="40.6" lon="116.6">\n  <ele>4</ele>\n  <time>2024-05-01T01:00:02Z</time>'
            b"\n  <hdop>3</hdop><extensions><a>&amp;</a></extensions></trkpt>\n",
            b'<trkpt lon="-0.5" lat="-40"><time>2024-05-01T01:00:03.250Z</time>text</trkpt>',
        ]
    )
    data = doc(points)
    want = tree_route(data)
    strict_only(monkeypatch)
    got = read(data)
    assert identical(got, want)
    assert got["lat"].tolist() == [40.0, 40.5, 40.6, -40.0]
    assert got["lon"].tolist() == [116.0, 116.5, 116.6, -0.5]


def test_variable_widths_long_and_negative_decimals_stay_strict(monkeypatch) -> None:
    values = [
        b"40",
        b"-0.0",
        b"39.999994731557841",
        b"116.310000000000002",
        b"-179.9999999999999999",
    ]
    values += [b"0.1000000000000000055", b"7.", b".5", b"-.25", b"1234567.25"]
    points = b"".join(pt(i, lat=v, lon=values[-1 - i]) for i, v in enumerate(values))
    data = doc(points)
    want = tree_route(data)
    strict_only(monkeypatch)
    got = read(data)
    assert identical(got, want)
    assert got["lat"].tolist() == [float(v) for v in values]
    assert np.signbit(got["lat"][1])


@pytest.mark.parametrize(
    "point",
    [
        b"<trkpt lat='40.1' lon='116.3'><time>2024-05-01T01:00:00Z</time></trkpt>",
        b'<trkpt  lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3" src="gps"><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat = "40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"/>',
        b'<trkpt lat="40.1" lon="116.3"></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><ele>5</ele></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><sat>7</sat><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><ele/><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time ></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt >',
        b'<trkpt lat="40.1" lon="116.3"><time> 2024-05-01T01:00:00Z </time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01 01:00:00+08:00</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time>'
        b'<extensions><trkpt lat="1" lon="2"><time>2024-05-01T00:00:00Z</time></trkpt>'
        b"</extensions></trkpt>",
        b'<trkpt lat="4&#48;.1" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:0&#48;Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><ele>&#49;</ele><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time><!-- c --></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time><![CDATA[2024-05-01T01:00:00Z]]></time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time><?pi x?></trkpt>',
        b'<g:trkpt xmlns:g="urn:g" lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time>'
        b"</g:trkpt>",
        b'<trkpt lat="40.1" lon="116.3"><g:time xmlns:g="urn:g">2024-05-01T01:00:00Z</g:time>'
        b"</trkpt>",
        b'<trkptx lat="1" lon="1"/><trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time>'
        b"</trkpt>",
        b'<trkpt lat="" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="1e1" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>',
        b'<trkpt lat="40.1" lon="116.3"><time>2024-02-30T01:00:00Z</time></trkpt>',
        b'<trkpt lat="' + b"4" * 70 + b'" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>',
    ],
    ids=[
        "single-quotes",
        "two-spaces",
        "extra-attribute",
        "spaces-around-equals",
        "self-closing",
        "empty",
        "no-time",
        "time-not-first",
        "self-closing-ele",
        "time-close-with-space",
        "point-close-with-space",
        "time-with-spaces",
        "time-with-offset",
        "nested-point",
        "reference-in-lat",
        "reference-in-time",
        "reference-in-ele",
        "comment-in-point",
        "cdata-time",
        "pi-in-point",
        "prefixed-point",
        "prefixed-time",
        "unknown-trkpt-like-element",
        "empty-lat",
        "exponent",
        "february-30",
        "very-long-value",
    ],
)
def test_odd_points_among_plain_ones_agree_with_the_tree_parser(point: bytes) -> None:
    agrees(doc(pt(0) + point + b"\n" + pt(1)))


@pytest.mark.parametrize(
    "body",
    [
        b"<trkseg></trkseg><trkseg>" + pt(0) + b"</trkseg><trkseg>" + pt(1) + pt(2),
        pt(0) + b"</trkseg><trkseg>" + pt(1),
        b"</trkseg>" + pt(0) + b"<trkseg>" + pt(1),
        b"<trkseg >" + pt(0),
        b"<trksegment/>" + pt(0),
    ],
    ids=["empty-segment", "two-segments", "point-outside-a-segment", "spaced-segment", "trksegx"],
)
def test_segments_number_as_the_tree_numbers_them(body: bytes) -> None:
    agrees(doc(body))


@pytest.mark.parametrize(
    "data",
    [
        DECL
        + b'<gpx version="1.1"/><gpx version="1.1"><trk><trkseg>'
        + pt(0)
        + b"</trkseg></trk></gpx>",
        DECL + b"<gpx/><gpx><trk><trkseg>" + pt(0) + b"</trkseg></trk></gpx>",
        DECL + b'<gpx version="1.1"><trk><trkseg>' + pt(0) + b"</trkseg></trk></gpx>"
        b'<gpx version="1.1"></gpx>',
        DECL
        + b'<p:gpx xmlns:p="urn:p"><p:trk><p:trkseg>'
        + pt(0).replace(b"trkpt", b"p:trkpt").replace(b"time>", b"p:time>")
        + b"</p:trkseg></p:trk></p:gpx>",
        DECL
        + b'<topografix:gpx xmlns:topografix="urn:t"><trk><trkseg>'
        + pt(0)
        + b"</trkseg></trk></topografix:gpx>",
        DECL
        + b'<topografix:gpx xmlns:topografix="urn:t"><trk><trkseg>'
        + pt(0)
        + b"</trkseg></trk></topografix:gpx><topografix:gpx/>",
        DECL + b'<gpx version="1.1"><trk><trkseg>' + pt(0) + b"</trkseg></trk></gpx>\n\n",
    ],
    ids=[
        "self-closing-root-then-another",
        "bare-self-closing-root",
        "second-root",
        "prefixed-root",
        "long-prefixed-root",
        "long-prefixed-second-root",
        "trailing-whitespace",
    ],
)
def test_roots_are_checked_as_expat_checks_them(data: bytes) -> None:
    agrees(data)


def test_a_reference_after_the_time_keeps_the_strict_route(monkeypatch) -> None:
    data = doc(pt(0, inner=b"<name>A &amp; B</name>") + pt(1))
    want = tree_route(data)
    strict_only(monkeypatch)
    assert identical(read(data), want)


def test_broken_markup_inside_points_is_refused_like_expat() -> None:
    for broken in (
        doc(pt(0) + b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time>'),
        doc(pt(0) + b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</trkpt>'),
        doc(pt(0) + b"</trkpt>" + pt(1)),
    ):
        with pytest.raises(TrackRejected) as exc:
            tf.read_points(io.BytesIO(broken), tf.TrackFormat.GPX)
        assert exc.value.code == "bad_xml"


def test_decimals_of_every_shape_read_as_float_reads_them() -> None:
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-180, 180, 30_000), rng.uniform(-1, 1, 5_000)])
    texts = [repr(v) for v in x.tolist()] + [f"{v:.15f}" for v in x.tolist()]
    texts += [f"{v:.{d}f}" for d in range(0, 17) for v in x[:2000].tolist()]
    texts += [
        "7.",
        ".5",
        "-.5",
        "-0",
        "0",
        "00012.500",
        "9999999999999999999",
        "1.000000000000000001",
    ]
    # Long decimals next to the halfway points between doubles (where rounding twice goes wrong).
    with localcontext() as ctx:
        ctx.prec = 60
        for v in rng.uniform(0.001, 180, 5_000).tolist():
            halfway = (Decimal(v) + Decimal(float(np.nextafter(v, 1e9)))) / 2
            texts += [format(halfway, f".{d}g") for d in (17, 18, 19)]
    for start in range(0, len(texts), 5000):
        part = texts[start : start + 5000]
        raw = np.array([t.encode() for t in part])
        got = parse_decimal_bytes(raw)
        want = np.array([float(t) for t in part])
        if got is None:
            assert any(len(t.replace("-", "").replace(".", "")) > 19 or "e" in t for t in part)
            continue
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64))


@pytest.mark.parametrize(
    "values",
    [
        (b"1e5",),
        (b" 1",),
        (b"1.2.3",),
        (b"-",),
        (b"-.",),
        (b".",),
        (b"1-2",),
        (b"+1",),
        (b"1\x002",),
    ],
)
def test_what_is_not_a_plain_decimal_is_left_to_the_general_cast(values) -> None:
    assert parse_decimal_bytes(np.array(values)) is None
