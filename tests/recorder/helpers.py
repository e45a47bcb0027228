"""Drive the recorder API the way the phone does: open, batches of 30 fixes, finish."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
from rest_framework.test import APIClient

from demo.simulate import simulate_pair_day
from tests.patrols_tracks import factories as f

BATCH = 30

# A pair with six claimed alleys and a simulated normal patrol of both members along them.
DAY = date(2024, 5, 14)
LINES = [((116.320 + dx, 40.000), (116.320 + dx, 40.003)) for dx in (0.0, 0.002, 0.004)] + [
    ((116.320, 40.000 + dy), (116.324, 40.000 + dy)) for dy in (0.0, 0.0015, 0.003)
]


def pair_walk_on_claimed_alleys() -> dict:
    office = f.office()
    a, b = f.steward(office), f.steward(office)
    pair = f.pair(a, b)
    segments = f.claimed_alleys(pair, LINES)
    tracks = simulate_pair_day([s.geom for s in segments], DAY, scenario="normal", seed=7)
    return {"office": office, "a": a, "b": b, "pair": pair, "tracks": tracks}


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def device_id() -> str:
    """Like the app's: random letters only, so it can never look like a phone number."""
    return "".join(chr(97 + b % 26) for b in uuid.uuid4().bytes) + "dev"


def open_recording(client: APIClient, t0: float, device: str | None = None, **extra) -> str:
    rid = str(uuid.uuid4())
    body = {"id": rid, "device_id": device or device_id(), "started_at": t0, **extra}
    r = client.post("/api/recordings/", body, format="json")
    assert r.status_code == 201, r.json()
    return rid


def batches(track, size: int = BATCH, acc: float = 8.0) -> list[dict]:
    t, lon, lat = (np.asarray(a, dtype=float) for a in track)
    t = np.round(t * 1000) / 1000  # a phone's position.timestamp is whole milliseconds
    out = []
    for seq, i in enumerate(range(0, t.size, size)):
        fixes = [
            {"t": float(a), "lon": float(b), "lat": float(c), "acc": acc}
            for a, b, c in zip(t[i : i + size], lon[i : i + size], lat[i : i + size], strict=True)
        ]
        out.append({"seq": seq, "fixes": fixes})
    return out


def send(client: APIClient, rid: str, body: dict):
    return client.post(f"/api/recordings/{rid}/batches/", body, format="json")


def record(client: APIClient, track, device: str | None = None, finish: bool = True) -> str:
    rid = open_recording(client, float(np.asarray(track[0])[0]), device)
    for body in batches(track):
        assert send(client, rid, body).status_code == 201
    if finish:
        r = client.post(f"/api/recordings/{rid}/finish/", format="json")
        assert r.status_code == 200, r.json()
    return rid
