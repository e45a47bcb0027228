"""The GPX regex fast path and the ElementTree path agree; unusual files take the tree path."""

from __future__ import annotations

import io

import gpxpy
import numpy as np
import pytest

from patrols.tracks import formats as tf
from patrols.tracks.formats import gpx, gpx_scan
from tests.conftest import data_file

GPX_FILES = [
    "gpxpy_Mojstrovka.gpx",
    "gpxpy_around-visnjan-with-car.gpx",
    "gpxpy_cerknicko-jezero.gpx",
    "gpxpy_korita-zbevnica.gpx",
    "movingpandas_run.gpx",
]


def both(data: bytes) -> tuple[tf.RawPoints, tf.RawPoints]:
    fast = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    tree = io.BytesIO(data)
    chunks = list(gpx.iter_gpx_tree(tree))
    cat = {
        k: np.concatenate([getattr(c, k) for c in chunks])
        for k in ("t", "lat", "lon", "seg", "ref")
    }
    return fast, tf.RawPoints(**cat, ref_kind=tf.RefKind.POINT, format=tf.TrackFormat.GPX)


def same(a: tf.RawPoints, b: tf.RawPoints) -> bool:
    return all(
        np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True)
        for k in ("t", "lat", "lon", "seg", "ref")
    )


@pytest.mark.parametrize("name", GPX_FILES)
def test_fast_and_tree_paths_agree_on_real_files(name: str) -> None:
    fast, tree = both(data_file("gps", "gpx", name).read_bytes())
    assert fast.size > 0 and same(fast, tree)


def test_prefixed_self_closing_and_reordered_points() -> None:
    data = (
        b'<?xml version="1.0"?><g:gpx xmlns:g="http://www.topografix.com/GPX/1/1" version="1.1"><g:trk>'
        b"<g:trkseg><g:trkpt lon='116.31' lat='40.0'><g:time>2024-05-01T01:00:00Z</g:time></g:trkpt>"
        b'<g:trkpt lat="40.1" lon="116.32"/></g:trkseg>'
        b'<g:trkseg><g:trkpt lat="40.2" lon="116.33"><g:ele>1</g:ele><g:time> 2024-05-01T01:00:10Z </g:time></g:trkpt></g:trkseg>'
        b"</g:trk></g:gpx>"
    )
    fast, tree = both(data)
    assert same(fast, tree)
    assert fast.lat.tolist() == [40.0, 40.1, 40.2] and fast.seg.tolist() == [0, 0, 1]
    assert np.isnan(fast.t[1]) and fast.t[2] - fast.t[0] == 10


def test_comments_switch_to_the_tree_parser() -> None:
    data = (
        b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        b'<!-- <trkpt lat="1" lon="1"><time>2024-05-01T00:00:00Z</time></trkpt> -->'
        b'<trkpt lat="40.0" lon="116.31"><time>2024-05-01T01:00:00Z</time></trkpt></trkseg></trk></gpx>'
    )
    assert tf.refuse_unsafe_xml(io.BytesIO(data)) is False
    points = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    assert points.lat.tolist() == [40.0]


def test_unexpected_markup_falls_back_instead_of_missing_points() -> None:
    data = (
        b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        b'<trkpt lat="40.0" lon="116.31" src="odd"><time>2024-05-01T01:00:00Z</time></trkpt>'
        b'<trkpt lat="40.1" lon="116.32"><time>2024-05-01T01:00:05Z</time></trkpt></trkseg></trk></gpx>'
    )
    with pytest.raises(gpx_scan.FastPathMismatch):
        list(gpx_scan.iter_gpx_fast(io.BytesIO(data)))
    points = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    assert points.lat.tolist() == [40.0, 40.1]


def test_points_split_across_read_blocks(monkeypatch) -> None:
    monkeypatch.setattr(gpx_scan, "_GPX_BLOCK", 97)
    body = b"".join(
        b'<trkpt lat="40.%03d" lon="116.31"><time>2024-05-01T01:%02d:00Z</time></trkpt>\n' % (i, i)
        for i in range(40)
    )
    data = (
        b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>'
        + body
        + b"</trkseg><trkseg>"
        + body.split(b"\n")[0]
        + b"</trkseg></trk></gpx>"
    )
    fast, tree = both(data)
    assert fast.size == 41 and same(fast, tree)


def general_not_needed(body: bytes) -> None:
    raise AssertionError("the general pattern was not needed")


def test_simulator_layout_takes_the_strict_route_and_agrees(monkeypatch) -> None:
    from datetime import date

    from demo.simulate import gpx_bytes, simulate_pair_day

    lines = [[(116.31, 40.0), (116.315, 40.0)], [(116.315, 40.0), (116.315, 40.004)]]
    data = gpx_bytes(simulate_pair_day(lines, date(2024, 5, 1), seed=2)["a"])
    monkeypatch.setattr(gpx_scan, "_general_columns", general_not_needed)
    fast, tree = both(data)
    assert fast.size > 1000 and same(fast, tree)


def test_fixed_layout_decimals_are_bit_identical_to_float() -> None:
    rng = np.random.default_rng(7)
    for decimals in range(0, 9):
        for lo, hi in ((-180, 180), (0, 90), (-90, 0), (100, 120), (-0.9, 0.9)):
            text = [f"{v:.{decimals}f}".encode() for v in rng.uniform(lo, hi, 5000)]
            column = tf.bytes_column(tuple(text), np.ones(len(text), dtype=bool))
            got = tf.parse_decimal_bytes(column)
            if got is None:  # mixed widths (e.g. 9.5 and 10.5): numpy's general cast
                assert len({len(t) for t in text}) > 1
                continue
            want = np.array([float(t) for t in text])
            assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize(
    "values",
    [(b"1e5",), (b" 1",), (b"1.2.3",), (b"-",), (b"-.",), (b"1-2",), (b"nan",), (b"1.5", b"1,5")],
)
def test_unusual_decimals_leave_the_fixed_layout_path(values: tuple[bytes, ...]) -> None:
    assert tf.parse_decimal_bytes(tf.bytes_column(values, np.ones(len(values), bool))) is None


def test_mixed_widths_signs_and_odd_times_agree_with_the_tree_parser() -> None:
    rows = [
        ("40.1", "116.3", "2024-05-01T01:00:00Z"),
        ("40.12345", "-0.5", "2024-05-01T01:00:01.250Z"),
        ("+40.2", "116.30000001", "2024-05-01T09:00:02+08:00"),
        ("40.3", "1.5e2", ""),
    ]
    body = "".join(
        f'<trkpt lat="{la}" lon="{lo}"><ele>1</ele><time>{t}</time></trkpt>\n' for la, lo, t in rows
    )
    data = (
        f'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>{body}</trkseg></trk></gpx>'
    ).encode()
    fast, tree = both(data)
    assert fast.size == 4 and same(fast, tree)
    assert fast.lon.tolist()[:3] == [116.3, -0.5, 116.30000001] and fast.lon[3] == 150.0
    assert np.isnan(fast.t[3]) and fast.t[1] - fast.t[0] == 1.25 and fast.t[2] - fast.t[0] == 2


def test_a_bad_number_in_the_fast_path_names_the_point() -> None:
    data = (
        b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>'
        b'<trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time></trkpt>'
        b'<trkpt lat="40.x" lon="116.3"><time>2024-05-01T01:00:01Z</time></trkpt>'
        b"</trkseg></trk></gpx>"
    )
    with pytest.raises(tf.TrackRejected, match="第 2 个点.*40.x"):
        tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)


@pytest.mark.parametrize("name", GPX_FILES)
def test_every_real_gpx_reads_exactly_as_gpxpy_reads_it(name: str) -> None:
    """gpxpy (the well-kept reference parser) as an independent oracle, point by point."""
    data = data_file("gps", "gpx", name).read_bytes()
    ours = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    ref = gpxpy.parse(data.decode("utf-8"))
    points = [
        (seg_no, p)
        for seg_no, seg in enumerate(s for trk in ref.tracks for s in trk.segments)
        for p in seg.points
    ]
    assert ours.size == len(points) > 0
    assert ours.lat.tolist() == [p.latitude for _, p in points]
    assert ours.lon.tolist() == [p.longitude for _, p in points]
    want_t = [p.time.timestamp() if p.time else np.nan for _, p in points]
    assert np.array_equal(ours.t, np.array(want_t), equal_nan=True)
    assert ours.seg.tolist() == [s for s, _ in points]


def test_character_references_are_decoded_by_the_tree_parser() -> None:
    data = (
        b'<?xml version="1.0"?><gpx version="1.1"><metadata><name>A &amp; B</name></metadata>'
        b'<trk><trkseg><trkpt lat="&#52;0.1" lon="116.3"><time>2024-05-01T01:00:00Z</time>'
        b"</trkpt></trkseg></trk></gpx>"
    )
    fast, tree = both(data)
    assert fast.lat.tolist() == [40.1] and same(fast, tree)


def test_references_in_a_time_or_a_prefixed_point_also_go_to_the_tree_parser() -> None:
    data = (
        b'<?xml version="1.0"?><g:gpx xmlns:g="http://www.topografix.com/GPX/1/1" version="1.1">'
        b'<g:trk><g:trkseg><g:trkpt lon="116.3" lat="40.1"><g:name>x</g:name>'
        b"<g:time>2024-05-01T01:00:0&#48;Z</g:time></g:trkpt></g:trkseg></g:trk></g:gpx>"
    )
    fast, tree = both(data)
    assert fast.t.tolist() == [1714525200.0] and same(fast, tree)


def test_an_ampersand_outside_the_points_keeps_the_fast_path(monkeypatch) -> None:
    data = (
        b'<?xml version="1.0"?><gpx version="1.1"><metadata><name>A &amp; B</name></metadata>'
        b'<trk><trkseg><trkpt lat="40.1" lon="116.3"><time>2024-05-01T01:00:00Z</time>'
        b"</trkpt></trkseg></trk></gpx>"
    )

    def no_tree(*args, **kwargs):
        raise AssertionError("the tree parser was not needed")

    monkeypatch.setattr(gpx, "iter_gpx_tree", no_tree)
    assert tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX).lat.tolist() == [40.1]


def phone_gpx(n: int, *, segments: int = 1, variable: bool = False, millis: bool = False) -> bytes:
    """GPX the way phone apps write it: indented, 1 s sampling, ele, time, GPX 1.0's course
    and speed, hdop, and a Garmin TrackPointExtension (heart rate, cadence) on every point."""
    rng = np.random.default_rng(n)
    lat = 40.0 + np.cumsum(rng.normal(0, 1.5e-5, n))
    lon = 116.31 + np.cumsum(rng.normal(0, 1.5e-5, n))
    step = np.arange(n) * (1001 if millis else 1000)
    stamps = np.datetime_as_string(
        np.datetime64(1714550400, "ms") + step.astype("timedelta64[ms]"),
        unit="ms" if millis else "s",
    )
    fmt = (lambda v: repr(round(v, 8))) if variable else (lambda v: f"{v:.7f}")
    points = [
        f'   <trkpt lat="{fmt(la)}" lon="{fmt(lo)}">\n    <ele>{50 + i % 7 / 10:.1f}</ele>\n'
        f"    <time>{s}Z</time>\n    <course>{i % 360}.0</course>\n    <speed>1.{i % 9}</speed>\n"
        f"    <hdop>{1 + i % 5}.0</hdop>\n    <extensions>\n     <gpxtpx:TrackPointExtension>\n"
        f"      <gpxtpx:hr>{90 + i % 60}</gpxtpx:hr>\n      <gpxtpx:cad>{70 + i % 20}</gpxtpx:cad>\n"
        "     </gpxtpx:TrackPointExtension>\n    </extensions>\n   </trkpt>\n"
        for i, (la, lo, s) in enumerate(zip(lat.tolist(), lon.tolist(), stamps, strict=True))
    ]
    per_seg = -(-n // segments)
    body = "  </trkseg>\n  <trkseg>\n".join(
        "".join(points[k : k + per_seg]) for k in range(0, n, per_seg)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="PhoneApp" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f" <metadata><time>{stamps[0]}Z</time></metadata>\n <trk>\n  <name>Walk</name>\n"
        f"  <trkseg>\n{body}  </trkseg>\n </trk>\n</gpx>\n"
    ).encode()


def assert_reads_as_gpxpy(data: bytes) -> tf.RawPoints:
    ours = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    ref = gpxpy.parse(data.decode("utf-8"))
    points = [
        (seg_no, p)
        for seg_no, seg in enumerate(s for trk in ref.tracks for s in trk.segments)
        for p in seg.points
    ]
    assert ours.size == len(points) > 0
    assert ours.lat.tolist() == [p.latitude for _, p in points]
    assert ours.lon.tolist() == [p.longitude for _, p in points]
    want_t = [p.time.timestamp() if p.time else np.nan for _, p in points]
    assert np.array_equal(ours.t, np.array(want_t), equal_nan=True)
    assert ours.seg.tolist() == [s for s, _ in points]
    assert ours.ref.tolist() == list(range(1, ours.size + 1))
    return ours


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"segments": 3}, {"variable": True, "millis": True}],
    ids=["fixed-decimals", "three-segments", "varying-decimals-and-ms"],
)
def test_phone_app_layout_reads_exactly_as_gpxpy_reads_it(kwargs) -> None:
    data = phone_gpx(3000, **kwargs)
    ours = assert_reads_as_gpxpy(data)
    assert np.all(np.diff(ours.t) > 0)


def test_phone_app_layout_takes_the_strict_route_and_agrees_with_the_tree(monkeypatch) -> None:
    data = phone_gpx(500, segments=2)
    monkeypatch.setattr(gpx_scan, "_general_columns", general_not_needed)
    fast, tree = both(data)
    assert fast.size == 500 and same(fast, tree)


def test_phone_app_points_split_across_read_blocks(monkeypatch) -> None:
    monkeypatch.setattr(gpx_scan, "_GPX_BLOCK", 1000)  # ~3 points a block, cut mid-extension
    assert_reads_as_gpxpy(phone_gpx(300, segments=2))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"</trkpt>", b"</trkpt >"),  # the strict tail stops at "</trkpt" and gives up
        (b"<extensions>", b'<extensions><trkpt lat="1" lon="2"></trkpt>'),  # nested: tree
        (b"<course>", b"<name>A &amp; B</name><course>"),  # a reference the tail just skips
        (b"    <time>", b"    <sat>7</sat><time>"),  # time after another child: general
    ],
    ids=["close-with-space", "nested-trkpt", "reference-in-extra-child", "time-not-first"],
)
def test_odd_phone_layouts_still_agree_with_the_tree_parser(old: bytes, new: bytes) -> None:
    fast, tree = both(phone_gpx(200).replace(old, new))
    assert fast.size == tree.size >= 200 and same(fast, tree)
