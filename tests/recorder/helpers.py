"""Drive the recorder API the way the phone does: open, batches of 30 fixes, finish."""

from __future__ import annotations

import uuid

import numpy as np
from rest_framework.test import APIClient

BATCH = 30


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
