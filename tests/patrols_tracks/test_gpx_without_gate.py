"""GPX with a plain prolog is scanned without the expat gate: same points, nothing unsafe gets in.

The old route (expat gate, then the regex scan or the tree parser) is kept in the code for every
other file; these tests compare the new route with it on each bench layout, and throw hostile XML
(entities, DTDs hidden behind comments or PIs, other encodings) at the new route.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from bench.gpx_layouts import LAYOUTS, walk, write_gpx
from patrols.tracks import formats as tf
from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import gpx, gpx_scan
from patrols.tracks.formats.columns import decode_chunk
from patrols.tracks.formats.xml_safety import plain_prolog, refuse_unsafe_xml

FIELDS = ("t", "lat", "lon", "seg", "ref")


def concat(chunks) -> dict[str, np.ndarray]:
    return {k: np.concatenate([getattr(c, k) for c in chunks]) for k in FIELDS}


def old_route(data: bytes) -> dict[str, np.ndarray]:
    """What iter_gpx did before: the expat gate first, then the regex scan (or the tree)."""
    fh = io.BytesIO(data)
    if refuse_unsafe_xml(fh):
        try:
            return concat(list(gpx_scan.iter_gpx_fast(fh)))
        except gpx_scan.FastPathMismatch:
            fh.seek(0)
    return concat(list(gpx.iter_gpx_tree(fh, gated=True)))


def tree_route(data: bytes) -> dict[str, np.ndarray]:
    return concat(list(gpx.iter_gpx_tree(io.BytesIO(data))))


def new_route(data: bytes, monkeypatch=None) -> dict[str, np.ndarray]:
    if monkeypatch is not None:

        def gate_not_used(*args, **kwargs):
            raise AssertionError("the expat gate ran")

        monkeypatch.setattr(gpx, "refuse_unsafe_xml", gate_not_used)
    p = tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    return {k: getattr(p, k) for k in FIELDS}


def _outcome(route, data: bytes) -> tuple[str, object]:
    """("points", arrays) or ("rejected", code): what a route makes of the file."""
    try:
        return "points", route(data)
    except TrackRejected as e:
        return "rejected", e.code


def identical(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k], equal_nan=True) for k in FIELDS)


def layout_file(tmp_path: Path, layout: str, step: int) -> bytes:
    path = tmp_path / f"{layout}-{step}.gpx"
    write_gpx(path, layout, walk(900, step, seed=3), seed=3)
    return path.read_bytes()


@pytest.mark.parametrize("step", [1, 5])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_bench_layout_reads_identically_without_the_gate(
    tmp_path, monkeypatch, layout: str, step: int
) -> None:
    data = layout_file(tmp_path, layout, step)
    old, tree = old_route(data), tree_route(data)
    new = new_route(data, monkeypatch)  # the gate must not run for these files
    assert new["t"].size == 900 // step
    assert identical(new, old) and identical(new, tree)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_split_across_blocks_read_identically(tmp_path, monkeypatch, layout) -> None:
    data = layout_file(tmp_path, layout, 1)
    old = old_route(data)
    monkeypatch.setattr(gpx_scan, "_GPX_BLOCK", 5000)
    assert identical(new_route(data, monkeypatch), old)


def minimal_gpx(prolog: bytes = b'<?xml version="1.0" encoding="UTF-8"?>\n', n: int = 5) -> bytes:
    pts = b"".join(
        b'<trkpt lat="40.%04d" lon="116.31"><time>2024-05-01T01:00:%02dZ</time></trkpt>\n' % (i, i)
        for i in range(n)
    )
    return prolog + b'<gpx version="1.1"><trk><trkseg>\n' + pts + b"</trkseg></trk></gpx>\n"


BOMB_DTD = (
    b'<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
XXE_DTD = b'<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
PARAM_DTD = b'<!DOCTYPE gpx [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]>'
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'

HOSTILE_PROLOGS = {
    "billion-laughs": DECL + BOMB_DTD,
    "external-entity": DECL + XXE_DTD,
    "parameter-entity": DECL + PARAM_DTD,
    "doctype-after-comment": DECL + b"<!-- exported -->\n" + BOMB_DTD,
    "doctype-after-pi": DECL + b'<?xml-stylesheet href="a.xsl"?>\n' + XXE_DTD,
    "doctype-without-declaration": BOMB_DTD,
    "doctype-after-bom": b"\xef\xbb\xbf" + DECL + XXE_DTD,
}


@pytest.mark.parametrize("prolog", HOSTILE_PROLOGS.values(), ids=HOSTILE_PROLOGS.keys())
def test_a_dtd_anywhere_before_the_root_is_refused(prolog: bytes) -> None:
    # The entity is also used inside a point, where the scan would read it.
    data = minimal_gpx(prolog).replace(b"<trkseg>", b"<name>&c;</name><trkseg>", 1)
    if b"ENTITY x" in prolog:
        data = data.replace(b"&c;", b"&x;")
    if b"ENTITY %" in prolog:
        data = data.replace(b"<name>&c;</name>", b"")
    assert plain_prolog(data[:4096]) is None
    with pytest.raises(TrackRejected) as exc:
        tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    assert exc.value.code == "unsafe_xml"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_bombs_are_refused_and_utf16_files_take_the_gated_route(encoding: str) -> None:
    bomb = (DECL.replace(b"UTF-8", b"UTF-16") + BOMB_DTD).decode() + minimal_gpx(b"").decode()
    data = bomb.replace("<trkseg>", "<name>&c;</name><trkseg>", 1).encode(encoding)
    assert plain_prolog(data[:4096]) is None
    with pytest.raises(TrackRejected) as exc:
        tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    assert exc.value.code == "unsafe_xml"
    plain = minimal_gpx(b'<?xml version="1.0" encoding="UTF-16"?>\n').decode().encode(encoding)
    assert plain_prolog(plain[:4096]) is None
    want, got = _outcome(old_route, plain), _outcome(new_route, plain)
    assert got[0] == want[0] and (
        got[0] == "rejected" and got[1] == want[1] or identical(got[1], want[1])
    )


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n',
        b'<?xml version="1.0" encoding="UTF-7"?>\n',
        b'<?xml version="1.0" encoding="UTF-16"?>\n',
        b'<?xml version="1.0"?>\n<!-- hello -->\n',
        b'<?xml version="1.0"?>\n<?pi x?>\n',
        b"<?xml version='1.0' standalone='maybe'?>",
        b"<kml>",
    ],
)
def test_anything_but_a_plain_prolog_takes_the_gated_route(prolog: bytes) -> None:
    assert plain_prolog(prolog + b'<gpx version="1.1">') is None


@pytest.mark.parametrize(
    "prolog",
    [
        b"",
        b"\xef\xbb\xbf",
        b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\r\n',
        b"<?xml version='1.1' encoding='US-ASCII' standalone='yes' ?>\n\n",
        b'<?xml version="1.0"?>',
    ],
)
def test_plain_prologs_skip_the_gate_and_read_as_before(monkeypatch, prolog: bytes) -> None:
    data = minimal_gpx(prolog)
    assert plain_prolog(data[:4096]) is not None
    old = old_route(data)
    assert identical(new_route(data, monkeypatch), old) and old["t"].size == 5


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"</trkseg>", b"<!-- a comment late in the file --></trkseg>"),
        (b"</trkseg>", b"<![CDATA[ <trkpt> ]]></trkseg>"),
        (b"</trkseg>", b"<?pi late?></trkseg>"),
        (b"</gpx>\n", b"</gpx>\n<!-- after the root -->"),
        (b"<trkseg>\n", b"<trkseg>\n<g:trkseg>\n"),
    ],
    ids=["comment", "cdata", "pi", "comment-after-root", "prefixed-segment"],
)
def test_markup_past_the_prolog_goes_to_the_gated_tree_parser(monkeypatch, old, new) -> None:
    data = minimal_gpx(n=60).replace(old, new, 1)
    monkeypatch.setattr(gpx_scan, "_GPX_BLOCK", 400)  # the odd markup is in a later block
    want, got = _outcome(tree_route, data), _outcome(new_route, data)
    assert got[0] == want[0]
    assert got[1] == want[1] if got[0] == "rejected" else identical(got[1], want[1])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d[:-30],  # truncated upload
        lambda d: d[: d.rindex(b"</trkpt>") + 8],  # cut right after a point
        lambda d: d.replace(b"</trkseg>", b"", 1),  # a segment never closed
        lambda d: d.replace(b"<trkseg>", b"<trkseg><trkseg>", 1),  # one opened twice
        lambda d: d + b"<gpx></gpx>",  # a second root
        lambda d: d.replace(b"</gpx>", b"</gpx>junk"),
    ],
    ids=["truncated", "cut-after-point", "unclosed-segment", "double-open", "two-roots", "junk"],
)
def test_broken_documents_are_still_refused_with_expats_message(mangle) -> None:
    data = mangle(minimal_gpx(n=40))
    with pytest.raises(TrackRejected) as new:
        tf.read_points(io.BytesIO(data), tf.TrackFormat.GPX)
    with pytest.raises(TrackRejected) as old:
        refuse_unsafe_xml(io.BytesIO(data))
    assert new.value.code == old.value.code == "bad_xml"
    assert new.value.message == old.value.message


def test_bytes_decimals_read_exactly_as_float_reads_them() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(-180, 180, 20_000)
    texts = [repr(v) for v in x.tolist()] + [f"{v:.15f}" for v in x.tolist()]
    texts += ["1e5", "-0.0", "+2.5", "0.1000000000000000055511151231257827", "39.999994731557841"]
    raw = np.array([t.encode() for t in texts])
    times = np.array([b"2024-05-01T01:00:00Z"] * raw.size)
    got = decode_chunk(times, raw, raw, np.zeros(raw.size), np.arange(raw.size), tf.RefKind.POINT)
    assert got.lat.tolist() == [float(t) for t in texts] == got.lon.tolist()


def test_a_bad_variable_width_number_still_names_its_point() -> None:
    raw = np.array([b"40.123456789012345", b"40.1x", b"40.12"])
    times = np.array([b"2024-05-01T01:00:00Z"] * 3)
    with pytest.raises(TrackRejected) as exc:
        decode_chunk(times, raw, raw, np.zeros(3), np.arange(1, 4), tf.RefKind.POINT)
    assert exc.value.code == "bad_number" and "40.1x" in exc.value.message
