"""The original a phone recording keeps: its fixes as little-endian float64 columns, rendered as
GeoJSON only when someone downloads it.

Writing a text original at compaction (JSON's shortest decimals for 4 numbers a fix, ~8 ms for a
two-hour recording) cost more than the whole file ingest of the same points; the binary columns
are lossless, hashed for the duplicate and same-evidence checks like any file, and cost ~0.1 ms.
The download (rare: the steward or a supervisor checking a day) renders the GeoJSON that the file
path reads back into the same track.
"""

from __future__ import annotations

import json

import numpy as np

from geo.geojson import feature, feature_collection

MAGIC = b"ALLEYFX1"  # format and version; the rest: n × (t, lon, lat, acc) float64, little-endian
_ROW = np.dtype("<f8")


def encode_fixes(t: np.ndarray, lon: np.ndarray, lat: np.ndarray, acc: np.ndarray) -> bytes:
    """The kept original of a recording's fixes (time in epoch seconds, WGS-84, metres)."""
    return MAGIC + np.column_stack([t, lon, lat, acc]).astype(_ROW).tobytes()


def is_fixes(head: bytes) -> bool:
    return head.startswith(MAGIC)


def fixes_to_geojson(data: bytes, name: str) -> bytes:
    """One GeoJSON LineString with per-vertex times (epoch seconds) and accuracies (null where
    unknown), which the file path reads back into the same track."""
    cols = np.frombuffer(data, dtype=_ROW, offset=len(MAGIC)).reshape(-1, 4)
    t, lon, lat, acc = cols.T
    line = {"type": "LineString", "coordinates": np.column_stack([lon, lat]).tolist()}
    props = {
        "name": name,
        "times": t.tolist(),
        "accuracy_m": np.where(np.isnan(acc), None, acc).tolist(),
    }
    doc = feature_collection([feature(line, props)])
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
