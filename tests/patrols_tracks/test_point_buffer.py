"""PointBuffer: where chunks end, for the buffer itself and for every parser that uses it."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from patrols.tracks import formats as tf
from patrols.tracks.formats import buffer

N = tf.CHUNK_POINTS


def stamp(i: int) -> str:
    return str(np.datetime64(1714525200 + i, "s")) + "Z"


def sizes(chunks: list[tf.PointChunk]) -> list[int]:
    return [c.t.size for c in chunks]


def add_points(buf: buffer.PointBuffer, count: int) -> list[tf.PointChunk]:
    """What a per-point parser does: add, and take a chunk whenever add says it is full."""
    chunks = []
    for i in range(count):
        if buf.add(stamp(i), "40.5", "116.25", 0, i + 1):
            chunks.append(buf.take())
    return chunks + list(buf.flush())


@pytest.mark.parametrize(
    ("count", "want"),
    [(0, []), (1, [1]), (N - 1, [N - 1]), (N, [N]), (N + 1, [N, 1]), (2 * N + 1, [N, N, 1])],
)
def test_buffer_flushes_every_chunk_points(count: int, want: list[int]) -> None:
    buf = buffer.PointBuffer(tf.RefKind.LINE)
    chunks = add_points(buf, count)
    assert sizes(chunks) == want and len(buf) == 0 and not buf.full
    if count:
        ref = np.concatenate([c.ref for c in chunks])
        t = np.concatenate([c.t for c in chunks])
        assert ref.tolist() == list(range(1, count + 1))
        assert np.array_equal(t, 1714525200 + np.arange(count, dtype=np.float64))
        assert all(c.seg.dtype == np.int64 and c.lat[0] == 40.5 for c in chunks)


def test_full_is_what_add_returned() -> None:
    buf = buffer.PointBuffer(tf.RefKind.POINT)
    for i in range(N - 1):
        assert buf.add(None, "1", "2", 0, i) is False
    assert len(buf) == N - 1 and not buf.full
    assert buf.add(None, "1", "2", 0, N) is True and buf.full
    chunk = buf.take()
    assert chunk.t.size == N and np.isnan(chunk.t).all() and list(buf.flush()) == []


def test_naive_times_are_read_in_the_buffers_zone() -> None:
    buf = buffer.PointBuffer(tf.RefKind.LINE, naive_tz="Asia/Shanghai")
    buf.add("2024-05-01 09:00:00", "40", "116", 0, 2)
    (chunk,) = buf.flush()
    assert chunk.t.tolist() == [1714525200.0]


def test_a_bad_value_names_its_line_when_the_chunk_is_taken() -> None:
    buf = buffer.PointBuffer(tf.RefKind.LINE)
    buf.add(stamp(0), "40", "116", 0, 7)
    buf.add(stamp(1), "north", "116", 0, 9)
    with pytest.raises(tf.TrackRejected, match="第 9 行"):
        list(buf.flush())


def csv_bytes(count: int) -> bytes:
    rows = "".join(f"{40 + i * 1e-6:.6f},116.3,{stamp(i)}\n" for i in range(count))
    return ("lat,lon,time\n" + rows).encode()


@pytest.mark.parametrize(("count", "want"), [(N, [N]), (N + 1, [N, 1])])
def test_csv_chunks_at_full_size(count: int, want: list[int]) -> None:
    chunks = list(tf.iter_chunks(io.BytesIO(csv_bytes(count)), tf.TrackFormat.CSV))
    assert sizes(chunks) == want
    assert chunks[0].ref[0] == 2 and chunks[-1].ref[-1] == count + 1  # line numbers


@pytest.fixture
def small_chunks(monkeypatch) -> int:
    monkeypatch.setattr(buffer, "CHUNK_POINTS", 4)
    return 4


def plt_bytes(count: int) -> bytes:
    head = "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,T,0,0,2,0\n0\n"
    rows = "".join(f"39.9,116.3,0,492,39744.1,2008-10-23,02:00:{i:02d}\n" for i in range(count))
    return (head + rows).encode()


def gpx_tree_bytes(count: int) -> bytes:
    """A comment sends the file to the tree parser, the one GPX path that uses the buffer."""
    pts = "".join(
        f'<trkpt lat="40.{i}" lon="116.3"><time>{stamp(i)}</time></trkpt>' for i in range(count)
    )
    return f'<?xml version="1.0"?><gpx version="1.1"><!-- c --><trk><trkseg>{pts}</trkseg></trk></gpx>'.encode()


@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        (tf.TrackFormat.CSV, csv_bytes),
        (tf.TrackFormat.PLT, plt_bytes),
        (tf.TrackFormat.GPX, gpx_tree_bytes),
    ],
)
@pytest.mark.parametrize(("count", "want"), [(3, [3]), (4, [4]), (5, [4, 1]), (9, [4, 4, 1])])
def test_per_point_parsers_end_a_chunk_after_the_point_that_fills_it(
    small_chunks, fmt, make, count: int, want: list[int]
) -> None:
    chunks = list(tf.iter_chunks(io.BytesIO(make(count)), fmt))
    assert sizes(chunks) == want
    whole = tf.read_points(io.BytesIO(make(count)), fmt)
    assert np.array_equal(np.concatenate([c.t for c in chunks]), whole.t)


def test_kml_ends_a_chunk_only_after_a_whole_track_or_placemark(small_chunks) -> None:
    def track(k: int) -> str:
        whens = "".join(f"<when>{stamp(i)}</when>" for i in range(k))
        coords = "".join(f"<gx:coord>116.3 40.{i} 0</gx:coord>" for i in range(k))
        return f"<Placemark><gx:Track>{whens}{coords}</gx:Track></Placemark>"

    mark = f"<Placemark><TimeStamp><when>{stamp(0)}</when></TimeStamp><Point><coordinates>116.3,40</coordinates></Point></Placemark>"
    doc = (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2" '
        'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document>'
        + track(6)
        + track(2)
        + mark * 3
        + track(1)
        + "</Document></kml>"
    )
    chunks = list(tf.iter_chunks(io.BytesIO(doc.encode()), tf.TrackFormat.KML))
    assert sizes(chunks) == [6, 4, 2]
    assert np.concatenate([c.seg for c in chunks]).tolist() == [0] * 6 + [1] * 2 + [2] * 3 + [3]


def test_geojson_is_one_chunk_however_long(small_chunks) -> None:
    doc = {
        "type": "Feature",
        "properties": {"times": [stamp(i) for i in range(9)]},
        "geometry": {"type": "LineString", "coordinates": [[116.3, 40 + i / 10] for i in range(9)]},
    }
    chunks = list(tf.iter_chunks(io.BytesIO(json.dumps(doc).encode()), tf.TrackFormat.GEOJSON))
    assert sizes(chunks) == [9]
