"""Coverage vector tiles at district scale: the endpoint under gunicorn against its own SQL, bare.

    python -m bench.coverage_tiles [--side 177] [--days 30] [--clients 8] [--tiles 40] [--rounds 2]

Builds a district in a schema of its own (created here, dropped at the end): a street network of
side × side jittered blocks (177 → 62,304 segments of ~60 m over ~10 × 10 km, 2–3 vertices each),
~2,000 pairs claiming ~30 segments each, and a month of coverage rows (a pair patrols on 85 % of
days; claimed segments walked 70 % of the time, plus a few neighbouring ones): ~1.5 M rows, with
the same indexes as the real tables. Then, in the same run, for --tiles random tiles per zoom level
14–17 within the district, requested by --clients concurrent clients (every client every tile, in
its own order; no tile cache anywhere):

* endpoint: GET /api/grids/coverage/tiles/z/x/y.pbf?office=…&from=…&to=… under gunicorn started
  as `make run` starts it (config/gunicorn.conf.py: 2 gthread workers × 4 threads, DJANGO_DEBUG=0,
  persistent database connections), session login, measured twice: with a new HTTP connection per
  request (the harder case: every tile pays a TCP accept and gunicorn's connection set-up) and
  with one kept-alive connection per client, as the map page's browser fetches its tiles (HTTP/1.1
  keeps them; a kept connection stays with the worker that accepted it, e.g. 5 and 3);
* bare: the query string the endpoint sends (config/tile_gate.py → tile_fast_path.one_trip_tile:
  SESSION_TILE_STATEMENT, the local settings and session row + user + office scope + tile in one
  implicit transaction) with the same parameters, bound client-side as Django binds them, over
  --clients concurrent psycopg connections. It is the endpoint's only statement once a worker has
  verified the session (the first tile per session and worker takes two: session, then
  SCOPED_TILE_STATEMENT).

The real tables are untouched: the server and the bare connections get
search_path=<bench schema>,public (libpq's PGOPTIONS), so the three coverage tables resolve to the
bench copies and everything else (users, sessions, the office) to public. The coverage copy carries
the migration's roll-up triggers, so the month roll-up the tile reads is filled by the coverage
INSERT (its time is printed). --keep leaves the schema and its office/user in place (printed) to
explore the tile's plans; drop it with `DROP SCHEMA … CASCADE`. Targets: p95 <= 50 ms and endpoint p95 <= 1.2x bare p95. Also
printed: p50/p95 per zoom, one client alone on each side (a request's own work, no queueing), and
the CPU a request costs on each side (gunicorn, PostgreSQL, the bench client: bench/coverage_tiles_cpu.py).
~3 min with --tiles 20 (the build ~30 s of it); smaller districts with --side.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import runpy
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import coverage_tiles_cpu as cpu  # noqa: E402
from bench.coverage_tiles_data import build_district  # noqa: E402
from geo.models import Membership, StreetOffice  # noqa: E402
from patrols.coverage_queries import SESSION_TILE_STATEMENT, scoped_tile_params  # noqa: E402

X0, Y0 = 116.40, 39.90
START, END = date(2019, 4, 1), date(2019, 4, 30)
SERVER_SECRET = "bench-coverage-tiles-only"  # noqa: S105 - a throwaway key for this run's server


def tiles_for(bbox: tuple[float, float, float, float], per_zoom: int) -> list[tuple[int, int, int]]:
    rng = random.Random(5)
    out = []
    for z in range(14, 18):
        n = 2**z

        def tx(lon: float, n: int = n) -> int:
            return int((lon + 180) / 360 * n)

        def ty(lat: float, n: int = n) -> int:
            r = math.radians(lat)
            return int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * n)

        xs = range(tx(bbox[0]), tx(bbox[2]) + 1)
        ys = range(ty(bbox[3]), ty(bbox[1]) + 1)
        every = [(z, x, y) for x in xs for y in ys]
        out += rng.sample(every, min(per_zoom, len(every)))
    return out


def session_cookie(user: User) -> str:
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.save()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_conf() -> str:
    conf = runpy.run_path(os.path.join(settings.BASE_DIR, "config", "gunicorn.conf.py"))
    return f"{conf['workers']} {conf['worker_class']} workers × {conf['threads']} threads"


def start_server(schema: str, port: int, app: str | None = None) -> subprocess.Popen:
    """gunicorn as scripts/run.sh starts it (config/gunicorn.conf.py: by default 2 gthread workers
    × 4 threads = 8 requests in flight; ALLEY_WEB_WORKERS / ALLEY_WEB_THREADS as for `make run`),
    on a port of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLEY_CONN")}
    env |= {
        "ALLEY_BIND": f"127.0.0.1:{port}",
        "ALLEY_GUNICORN_CTL": os.path.join(settings.BASE_DIR, "var", f"bench-{port}.ctl"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SERVER_SECRET,
        "PGOPTIONS": f"-c search_path={schema},public",
    }
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-c", "config/gunicorn.conf.py", "--log-level", "warning", *([app] if app else [])],
        env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def run_clients(clients: int, tiles: list, one) -> list[tuple[int, float]]:
    """Every client requests every tile once, in its own order; returns (zoom, latency s)."""
    times: list[tuple[int, float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        order = tiles[:]
        random.Random(k).shuffle(order)
        mine = []
        try:
            ctx = one(k)
            for tile in order:
                t = time.perf_counter()
                ctx(tile)
                mine.append((tile[0], time.perf_counter() - t))
        except BaseException as exc:  # reported below, after every client has stopped
            errors.append(exc)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise SystemExit(f"{len(errors)} client(s) failed, first: {errors[0]!r}")
    return times


def http_fetch(
    port: int, path: str, cookie: str, kept: http.client.HTTPConnection | None = None
) -> None:
    """GET `path` as the map page does (session cookie); on `kept` or a new connection."""
    conn = kept or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    resp = conn.getresponse()
    resp.read()
    if kept is None:
        conn.close()
    if resp.status != 200:
        raise SystemExit(f"{path}: HTTP {resp.status}")


def http_client(
    port: int, cookie: str, office: str, keep_alive: bool = False, period: tuple = (START, END)
):
    start, end = period

    def make(_k: int):
        # --keep-alive: one connection per client for the round, as a browser's map keeps its
        # (opened here, outside the timing; it stays with the worker that accepted it).
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=60) if keep_alive else None

        def get(tile: tuple[int, int, int]) -> None:
            z, x, y = tile
            # By default a connection per request: each is accepted by whichever worker is free
            # (kept-alive connections stay with the worker that took them, e.g. 5 and 3).
            path = (
                f"/api/grids/coverage/tiles/{z}/{x}/{y}.pbf?office={office}&from={start}&to={end}"
            )
            http_fetch(port, path, cookie, kept)

        return get

    return make


def bare_client(
    schema: str, user_id: int, office: str, session_key: str, period: tuple = (START, END)
):
    db = settings.DATABASES["default"]

    # One connection per client, kept across rounds as the server keeps its connections.
    kept: dict[int, psycopg.Connection] = {}

    def make(k: int):
        conn = kept.get(k) or psycopg.connect(
            host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"],
            password=db.get("PASSWORD") or None, options=f"-c search_path={schema},public",
            autocommit=True, cursor_factory=psycopg.ClientCursor,
        )  # fmt: skip

        kept[k] = conn

        def run(tile: tuple[int, int, int]) -> None:
            z, x, y = tile
            params = scoped_tile_params(user_id, office, z, x, y, *period)
            params |= {"session_key": session_key, "now": timezone.now()}
            # What the endpoint sends: the same query string, bound client-side like Django's
            # cursor (so no prepared statement on either side), in one round trip.
            cur = conn.execute(SESSION_TILE_STATEMENT, params)
            cur.nextset()
            if cur.fetchone()[2] is None:
                raise SystemExit("bare: no office in scope")

        return run

    return make


def pct(times: list[tuple[int, float]], q: float, zoom: int | None = None) -> float:
    picked = [t for z, t in times if zoom is None or z == zoom]
    return float(np.percentile(picked, q)) * 1000


def report(label: str, times: list[tuple[int, float]]) -> None:
    zooms = "  ".join(
        f"z{z} {pct(times, 50, z):5.1f}/{pct(times, 95, z):5.1f}" for z in range(14, 18)
    )
    print(
        f"  {label:34s} p50 {pct(times, 50):6.1f} ms  p95 {pct(times, 95):6.1f} ms  "
        f"max {max(t for _, t in times) * 1000:5.0f} ms   p50/p95 by zoom: {zooms}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=177, help="blocks per side (177 → 62,304 segments)")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--tiles", type=int, default=40, help="random tiles per zoom level")
    ap.add_argument("--rounds", type=int, default=2, help="alternating endpoint/bare rounds")
    ap.add_argument("--keep", action="store_true", help="leave the district for exploring")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    schema = f"bench_tiles_{os.getpid()}"
    code = f"BENCH-TILES-{os.getpid()}"
    spacing = 60 / 111_320 / math.cos(math.radians(Y0))
    bbox = (X0, Y0, X0 + args.side * spacing, Y0 + args.side * 60 / 110_574)
    office = StreetOffice.objects.create(
        name="基准切片街道", code=code, geom=MultiPolygon(Polygon.from_bbox(bbox), srid=4326)
    )
    user = User.objects.create_user(f"bench-tiles-{os.getpid()}")
    Membership.objects.create(user=user, street_office=office, role="supervisor")
    server = None
    try:
        t = time.perf_counter()
        with connection.cursor() as cur:
            stats = build_district(cur, schema, office.id, args.side, START, args.days, X0, Y0)
        print(
            f"district in schema {schema}: {stats['segments']:,} segments, {stats['claims']:,} "
            f"claims, {stats['coverage']:,} coverage rows over {args.days} days, "
            f"{stats['months']:,} month roll-up rows (built in {time.perf_counter() - t:.0f} s; "
            f"the coverage INSERT with its roll-up triggers {stats['insert_s']:.1f} s)"
        )
        tiles = tiles_for(bbox, args.tiles)
        port = free_port()
        # `make run`'s server: 2 workers × 4 threads, 8 requests in flight like 8 bare connections.
        server = start_server(schema, port)
        settings.SECRET_KEY = SERVER_SECRET  # the session must be signed with the server's key
        cookie = session_cookie(user)
        http_make = http_client(port, cookie, code)
        kept_make = http_client(port, cookie, code, keep_alive=True)
        bare_make = bare_client(schema, user.id, code, cookie.split("=", 1)[1])
        # One pass each to warm them (every worker thread opens its database connection; the cache).
        for make in (http_make, kept_make, bare_make):
            run_clients(args.clients, tiles, make)
        # One client each, in turn: the work of a request without queueing behind the others.
        alone = [run_clients(1, tiles, http_make), run_clients(1, tiles, bare_make)]
        # Alternating rounds, so a change in machine load hits every side alike.
        endpoint, kept, bare = [], [], []
        sides = (
            ("endpoint", http_make, endpoint),
            ("kept", kept_make, kept),
            ("bare", bare_make, bare),
        )
        used = {side: dict.fromkeys(("server", "db", "client"), 0.0) for side, _, _ in sides}
        with connection.cursor() as cur:
            for _ in range(args.rounds):
                for side, make, times in sides:
                    before = cpu.snapshot(server.pid, cur)
                    times += run_clients(args.clients, tiles, make)
                    for part, s in cpu.grown(before, cpu.snapshot(server.pid, cur)).items():
                        used[side][part] += s
        n = len(tiles)
        print(
            f"{n} tiles (z14–z17) × {args.clients} concurrent clients × {args.rounds} alternating "
            f"rounds, uncached, period {START}–{END}"
        )
        print(f"  server: gunicorn -c config/gunicorn.conf.py ({server_conf()}), as `make run`")
        report("endpoint, a connection per request", endpoint)
        report("endpoint, kept-alive (a browser's)", kept)
        report("bare SQL", bare)
        print(cpu.line("endpoint", used["endpoint"], len(endpoint)))
        print(cpu.line("kept-alive", used["kept"], len(kept)))
        print(cpu.line("bare SQL", used["bare"], len(bare)))
        print("  one client alone (no queueing; a connection per request):")
        report("  endpoint", alone[0])
        report("  bare SQL", alone[1])
        for label, times in (("a connection per request", endpoint), ("kept-alive", kept)):
            p95, ratio = pct(times, 95), pct(times, 95) / pct(bare, 95)
            print(
                f"  target endpoint p95 <= 50 ms, {label}: {p95:.1f} ms -> "
                f"{'met' if p95 <= 50 else 'NOT met'}; <= 1.2x bare p95: {ratio:.3f}x -> "
                f"{'met' if ratio <= 1.2 else 'NOT met'}"
            )
        # The map opens on the last 7 days: no whole month, so every segment's pair-day rows
        # are read instead of its month roll-up row. Not the figure; printed so the
        # page's own first view is measured too (one round each, after the rounds above).
        week = (END - timedelta(days=6), END)
        session_key = cookie.split("=", 1)[1]
        http_week = http_client(port, cookie, code, keep_alive=True, period=week)
        bare_week = bare_client(schema, user.id, code, session_key, week)
        run_clients(args.clients, tiles, http_week)  # warm the period's rows
        week_times = [run_clients(args.clients, tiles, m) for m in (http_week, bare_week)]
        print(
            f"  the map's default period ({week[0]}–{week[1]}, 7 days), same tiles and clients, "
            "kept-alive as the page fetches them:"
        )
        report("  endpoint", week_times[0])
        report("  bare SQL", week_times[1])
        w95 = pct(week_times[0], 95)
        print(
            f"    endpoint p95 {w95:.1f} ms ({'within' if w95 <= 50 else 'over'} 50 ms), "
            f"{w95 / pct(week_times[1], 95):.3f}x bare"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(
                f"kept: schema {schema}, office {code} (id {office.id}), user {user.username}; "
                f"PGOPTIONS='-c search_path={schema},public' to read it"
            )
        else:
            with connection.cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            user.delete()
            office.delete()


if __name__ == "__main__":
    main()
