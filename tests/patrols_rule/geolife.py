"""Read GeoLife .plt files for tests: 6 header lines, then lat,lon,0,alt_ft,days,date,time (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np


def read_plt(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, lon, lat = [], [], []
    for line in path.read_text().splitlines()[6:]:
        parts = line.strip().split(",")
        if len(parts) < 7:
            continue
        stamp = datetime.strptime(f"{parts[5]} {parts[6]}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        t.append(stamp.timestamp())
        lat.append(float(parts[0]))
        lon.append(float(parts[1]))
    return np.array(t), np.array(lon), np.array(lat)


def read_user(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = [read_plt(p) for p in sorted(folder.glob("*.plt"))]
    t = np.concatenate([p[0] for p in parts])
    order = np.argsort(t, kind="stable")
    return tuple(np.concatenate([p[i] for p in parts])[order] for i in range(3))  # type: ignore[return-value]
