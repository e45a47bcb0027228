"""Load test: mixed traffic against the production server as `make run` starts it.

    python -m bench.load [--base http://127.0.0.1:8000] [--full] [--restart-db "CMD"]
    python -m bench.load --levels 1,4,8,16 --seconds 60     # the lead's concurrency sweep

Kinds of request, in proportions like a working day: pages (home, district map), API lists
(hazard reports, segments, one page each), coverage tiles, track uploads (a fresh small GPX each, as
a steward) and hazard reports (as a steward). Each concurrency level runs for a while with that many
client threads; per kind it prints requests, error rate and p50/p95. With --restart-db, the command
(e.g. `pg_ctl -D … restart`) runs in the middle of the last level, and afterwards the run checks
that every acknowledged upload and report is still there, that every failure was a JSON 503 with
Retry-After, and that the server serves again. Default: levels 1, 4, 8 × 15 s (< 3 min); --full:
1, 4, 8, 16, 32 × 60 s; --levels/--seconds choose them. The run ends with one summary table (a row
per level: requests/s, then error rate and p95 per kind) and the machine's load average before and
after, so a noisy run shows itself. Needs the demo accounts (password alley-demo). Figures are provisional on a
shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

KINDS = {"page": 30, "api_list": 25, "tile": 30, "upload": 5, "report": 10}


def call(base: str, method: str, path: str, token: str | None = None, body=None, ctype=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if ctype:
        headers["Content-Type"] = ctype
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except OSError as e:  # connection refused or reset: counted as an error without a response
        return 0, {}, str(e).encode()


def token_for(base: str, username: str) -> str:
    body = json.dumps({"username": username, "password": "alley-demo"}).encode()
    status, _, data = call(base, "POST", "/api/auth/token/", body=body, ctype="application/json")
    if status != 200:
        raise SystemExit(f"cannot log in as {username} ({status}): run `make run` (demo) first")
    return json.loads(data)["token"]


def gpx() -> tuple[bytes, str]:
    """A 10-minute walk near Wudaokou at 1 Hz on a random past day (a new file every time)."""
    start = datetime(2026, 1, 1, 8, tzinfo=UTC) + timedelta(
        days=random.randint(0, 300), seconds=random.randint(0, 36000)
    )
    pts = "".join(
        f'<trkpt lat="{39.995 + i * 2e-6:.6f}" lon="{116.330 + i * 3e-6:.6f}">'
        f"<time>{(start + timedelta(seconds=i)).isoformat().replace('+00:00', 'Z')}</time></trkpt>"
        for i in range(600)
    )
    doc = f'<?xml version="1.0"?><gpx version="1.1" creator="bench"><trk><trkseg>{pts}</trkseg></trk></gpx>'
    return doc.encode(), start.isoformat()


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/gpx+xml\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def tile_path() -> str:
    z = 15
    lat, lon = 39.99 + random.random() * 0.02, 116.31 + random.random() * 0.04
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    return f"/api/grids/coverage/tiles/{z}/{x}/{y}.pbf"


class Run:
    def __init__(self, base: str, tokens: dict[str, str]):
        self.base, self.tokens = base, tokens
        self.samples: dict[str, list[tuple[float, int, dict, bytes]]] = defaultdict(list)
        self.acknowledged: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def one(self) -> None:
        kind = random.choices(list(KINDS), weights=list(KINDS.values()))[0]
        began = time.perf_counter()
        if kind == "page":
            status, headers, body = call(self.base, "GET", random.choice(["/", "/map/"]))
        elif kind == "api_list":
            path = random.choice(["/api/hazards/reports/?limit=50", "/api/geo/segments/?limit=50"])
            status, headers, body = call(self.base, "GET", path, self.tokens["supervisor"])
        elif kind == "tile":
            status, headers, body = call(self.base, "GET", tile_path(), self.tokens["supervisor"])
        elif kind == "upload":
            data, _ = gpx()
            payload, ctype = multipart("walk.gpx", data)
            status, headers, body = call(
                self.base, "POST", "/api/tracks/upload/", self.tokens["steward"], payload, ctype
            )
        else:
            payload = json.dumps(
                {"category": "safety", "lat": 39.995, "lng": 116.33, "description": "bench"}
            ).encode()
            status, headers, body = call(
                self.base,
                "POST",
                "/api/hazards/reports/",
                self.tokens["steward"],
                payload,
                "application/json",
            )
        elapsed = time.perf_counter() - began
        with self.lock:
            self.samples[kind].append((elapsed, status, headers, body[:300]))
            if kind in ("upload", "report") and status == 201:
                self.acknowledged.append((kind, json.loads(body)))

    def level(self, clients: int, seconds: float) -> None:
        stop = time.monotonic() + seconds

        def loop() -> None:
            while time.monotonic() < stop:
                self.one()

        threads = [threading.Thread(target=loop) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def stats(run: Run, seconds: float) -> dict[str, tuple[float, float]]:
    """Per kind: (error rate, p95 in ms); "_rate": (requests/s, 0). Errors: no answer or 5xx."""
    out = {"_rate": (sum(len(v) for v in run.samples.values()) / seconds, 0.0)}
    for kind, s in run.samples.items():
        times = sorted(x[0] * 1000 for x in s)
        errors = sum(1 for x in s if x[1] == 0 or x[1] >= 500)
        out[kind] = (errors / len(s), times[min(len(times) - 1, int(len(times) * 0.95))])
    return out


def summary(rows: list[tuple[int, dict]]) -> None:
    """One table for the design notes: a row per concurrency level."""
    head = "| clients | req/s | " + " | ".join(f"{k} err / p95" for k in KINDS) + " |"
    print("\nsummary (errors = no answer or 5xx; p95 in ms)\n" + head)
    print("|" + " --- |" * (len(KINDS) + 2))
    for clients, st in rows:
        cells = [
            f"{st[k][0]:.1%} / {st[k][1]:.0f}" if k in st else "–" for k in KINDS
        ]  # fmt: skip
        print(f"| {clients} | {st['_rate'][0]:.1f} | " + " | ".join(cells) + " |")


def report(clients: int, run: Run, seconds: float) -> None:
    total = sum(len(v) for v in run.samples.values())
    print(f"\n{clients} clients, {seconds:.0f} s: {total / seconds:.1f} requests/s")
    print(f"{'kind':10} {'n':>6} {'errors':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for kind in KINDS:
        s = run.samples.get(kind, [])
        if not s:
            continue
        times = sorted(x[0] * 1000 for x in s)
        errors = sum(1 for x in s if x[1] == 0 or x[1] >= 500)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"{kind:10} {len(s):>6} {errors / len(s):>7.1%} {statistics.median(times):>8.0f} {p95:>8.0f}"
        )


def check_restart(run: Run, base: str) -> None:
    failures = [x for v in run.samples.values() for x in v if x[1] == 0 or x[1] >= 500]
    not_503 = [x for x in failures if x[1] != 503 or "Retry-After" not in x[2]]
    print(
        f"\nrestart: {len(failures)} failed requests, {len(not_503)} of them not a 503 with"
        f" Retry-After {[(x[1], x[3][:80]) for x in not_503[:3]]}"
    )
    token = run.tokens["steward"]
    lost, rechecked = [], 0
    for kind, body in run.acknowledged:
        if kind == "upload":
            # The upload's tracks are stored, and its re-check job (committed with it) ran.
            paths = [f"/api/tracks/{t['id']}/" for t in body["tracks"]]
            job = body.get("recheck")
            if job:
                for _ in range(60):
                    state = json.loads(call(base, "GET", job["status_url"], token)[2]).get("state")
                    if state in ("done", "failed"):
                        break
                    time.sleep(1)
                rechecked += state == "done"
        else:
            paths = [f"/api/hazards/reports/{body['id']}/"]
        if any(call(base, "GET", p, token)[0] != 200 for p in paths):
            lost.append((kind, body.get("id") or body["upload"]["id"]))
    print(f"re-check jobs done: {rechecked}")
    print(f"acknowledged writes: {len(run.acknowledged)}, lost: {len(lost)} {lost[:5]}")
    status = call(base, "GET", "/healthz")[0]
    print(f"after the restart /healthz answers {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--restart-db", help="shell command restarting PostgreSQL mid-run")
    parser.add_argument("--steward", default="steward1")
    parser.add_argument("--levels", help="client counts, e.g. 1,4,8,16 (default 1,4,8)")
    parser.add_argument("--seconds", type=float, help="per level (default 15; 60 with --full)")
    args = parser.parse_args()
    levels, seconds = ([1, 4, 8, 16, 32], 60.0) if args.full else ([1, 4, 8], 15.0)
    if args.levels:
        levels = [int(x) for x in args.levels.split(",") if x.strip()]
    seconds = args.seconds or seconds
    rows: list[tuple[int, dict]] = []
    load_before = tuple(round(x, 2) for x in os.getloadavg())
    tokens = {
        "supervisor": token_for(args.base, "supervisor"),
        "steward": token_for(args.base, args.steward),
    }
    print("provisional figures: shared machine")
    for i, clients in enumerate(levels):
        run = Run(args.base, tokens)
        restart = None
        if args.restart_db and i == len(levels) - 1:
            restart = threading.Timer(
                seconds / 2, lambda: subprocess.run(args.restart_db, shell=True, check=True)
            )
            restart.start()
        run.level(clients, seconds)
        if restart:
            restart.join()
        report(clients, run, seconds)
        rows.append((clients, stats(run, seconds)))
        if restart:
            time.sleep(2)
            check_restart(run, args.base)
    summary(rows)
    after = os.getloadavg()
    print(
        f"load average (1/5/15 min): before {load_before}, after {tuple(round(x, 2) for x in after)}"
    )


if __name__ == "__main__":
    main()
