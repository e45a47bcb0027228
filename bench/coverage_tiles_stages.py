"""Where one tile request's time goes, one client, no queueing: each stage against its baseline.

    python -m bench.coverage_tiles_stages --schema bench_tiles_N --office BENCH-TILES-N --user bench-tiles-N

on a district left by `python -m bench.coverage_tiles --keep` (any --side). For a few z14 and z17
tiles (fastest of --repeat runs each, then the median over the tiles) it times:

* over HTTP, gunicorn started as `make run` starts it (config/gunicorn.conf.py), each with a new
  TCP connection per request and on one kept-alive connection: a bare WSGI callable (`hello`
  below: gunicorn + HTTP alone), Django's /healthz (database, queue and disk checks), the tile;
* in-process: the tile's one statement, the session's SELECT, the tile through Django's handler
  (the 12 middlewares, the resolver, the view) and through config.wsgi.application (the tile gate).
~1 min.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import statistics
import time


def hello(environ: dict, start_response) -> list[bytes]:
    """The floor under gunicorn: a WSGI callable that answers at once."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def fastest(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def over_tiles(fn_for, tiles, repeat: int) -> float:
    return statistics.median(fastest(fn_for(t), repeat) for t in tiles)


def http_get(port: int, path: str, cookie: str, keep: http.client.HTTPConnection | None):
    # Imported here: this module is also gunicorn's `hello` app, which must not set up Django.
    from bench.coverage_tiles import http_fetch

    def get() -> None:
        http_fetch(port, path, cookie, keep)

    return get


def tiles_around(geom) -> list[tuple[int, int, int]]:
    """Five z14 and five z17 tiles at the middle of the district."""
    c, out = geom.centroid, []
    for z in (14, 17):
        n = 2**z
        x0 = int((c.x + 180) / 360 * n)
        y0 = int((1 - math.asinh(math.tan(math.radians(c.y))) / math.pi) / 2 * n)
        out += [(z, x0 + dx, y0 + dy) for dx, dy in ((0, 0), (1, 0), (0, 1), (-1, 0), (0, -1))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True)
    ap.add_argument("--office", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    os.environ["PGOPTIONS"] = f"-c search_path={args.schema},public"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User

    from bench.coverage_tiles import SERVER_SECRET, session_cookie
    from geo.models import StreetOffice

    settings.SECRET_KEY = SERVER_SECRET  # the server's key: the session is signed with it
    office = StreetOffice.objects.get(code=args.office)
    cookie = session_cookie(User.objects.get(username=args.user))
    tiles = tiles_around(office.geom)
    rows: list[tuple[str, float, float]] = []

    def by_zoom(label: str, fn_for) -> None:
        z14 = over_tiles(fn_for, [t for t in tiles if t[0] == 14], args.repeat)
        z17 = over_tiles(fn_for, [t for t in tiles if t[0] == 17], args.repeat)
        rows.append((label, z14, z17))

    in_process(args, cookie, by_zoom)
    over_http(args, cookie, tiles, by_zoom)
    print(
        f"load average {os.getloadavg()[0]:.1f}; median over 5 tiles of each tile's fastest of "
        f"{args.repeat} runs"
    )
    print(f"  {'stage':52s} {'z14':>9s} {'z17':>9s}")
    for label, z14, z17 in rows:
        print(f"  {label:52s} {z14:6.2f} ms {z17:6.2f} ms")


def tile_path(t: tuple[int, int, int], office: str) -> str:
    from bench.coverage_tiles import END, START

    return (
        f"/api/grids/coverage/tiles/{t[0]}/{t[1]}/{t[2]}.pbf?office={office}&from={START}&to={END}"
    )


def in_process(args, cookie: str, by_zoom) -> None:
    from django.contrib.auth.models import User
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test import RequestFactory

    from bench.coverage_tiles import END, START
    from config.wsgi import application, django_application
    from patrols.coverage_queries import scoped_tile, scoped_tile_params

    uid = User.objects.get(username=args.user).id
    sid = cookie.split("=", 1)[1]

    def wsgi_for(app):
        def make(t):
            environ = (
                RequestFactory()
                .get(tile_path(t, args.office), HTTP_COOKIE=cookie, HTTP_HOST="127.0.0.1")
                .environ
            )

            def run() -> None:
                out = []
                body = app(dict(environ), lambda s, h, e=None: out.append(s))
                b"".join(body)
                body.close()
                if not out[0].startswith("200"):
                    raise SystemExit(f"in-process {t}: {out[0]}")

            return run

        return make

    def session_for(_t):
        def run() -> None:
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT session_data FROM {Session._meta.db_table} "  # noqa: S608
                    "WHERE session_key = %s AND expire_date > now()",
                    [sid],
                )
                cur.fetchone()

        return run

    def statement_for(t):
        params = scoped_tile_params(uid, args.office, *t, START, END)
        return lambda: scoped_tile(params)

    by_zoom("in-process: the tile statement (scope + tile)", statement_for)
    by_zoom("in-process: the session SELECT", session_for)
    by_zoom("in-process: tile via the 12 middlewares + resolver", wsgi_for(django_application))
    by_zoom("in-process: tile via config.wsgi (the tile gate)", wsgi_for(application))
    connection.close()


def over_http(args, cookie: str, tiles, by_zoom) -> None:
    from bench.coverage_tiles import free_port, start_server

    for app in ("bench.coverage_tiles_stages:hello", None):
        port = free_port()
        server = start_server(args.schema, port, app=app)
        try:
            for kept in (False, True):
                how = "kept-alive" if kept else "new conn"
                keep = http.client.HTTPConnection("127.0.0.1", port, timeout=30) if kept else None
                if app:
                    get = http_get(port, "/", "", keep)
                    by_zoom(f"HTTP {how}: bare WSGI callable", lambda _t, get=get: get)
                    continue
                for t in tiles:  # warm every thread's connection
                    http_get(port, tile_path(t, args.office), cookie, keep)()
                get = http_get(port, "/healthz", "", keep)
                by_zoom(f"HTTP {how}: /healthz", lambda _t, get=get: get)
                by_zoom(
                    f"HTTP {how}: tile",
                    lambda t, p=port, k=keep: http_get(p, tile_path(t, args.office), cookie, k),
                )
                if keep:
                    keep.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
