"""Many phones recording at once: the batch endpoint against the raw insert floor, and compaction
of a recording against the file ingest of the same points.

    python -m bench.recorder [--clients 16] [--seconds 10] [--fixes 3600]
                             [--auth key|token|session] [--only endpoint|compaction]
                             [--order alternate|compaction-first]

About 35 s with the defaults. `--auth key` (the default) is the phone's path: its session cookie
plus `Authorization: Recording <upload key>` of the recording it opened (recorder/upload_keys.py;
one statement per batch, no session read). `--auth token` uses an API token instead, `--auth
session` the session cookie + CSRF token alone (older pages: two more queries per batch).

Lanshan's 4,558 stewards all patrolling in the same two hours with a batch every 30 s is ~150
batches/s; the target is ≥ 300 batches/s of 30 fixes with p95 ≤ 100 ms, and compaction no slower
than ingesting the same points from a GPX file. Uses DATABASE_URL (migrated). The endpoint is
served by gunicorn started as `make run` starts it (config/gunicorn.conf.py: 2 workers × 4
threads by default) when installed, else by Django's threaded development server; the clients are threads in this process with keep-alive
connections, so they share the machine's cores with the server — as the floor's clients do.
The floor: the same rows INSERTed (the endpoint's own statement) over as many connections.
Everything the run creates (office, stewards, recordings, uploads) is removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.gpx_layouts import ORIGIN  # noqa: E402
from bench.ingest import setup_steward  # noqa: E402
from demo.simulate import gpx_bytes, simulate_pair_day  # noqa: E402
from patrols.evaluation import reevaluate_upload  # noqa: E402
from patrols.models import TrackUpload  # noqa: E402
from patrols.tracks.ingest import ingest_file  # noqa: E402
from recorder.compaction import compact  # noqa: E402
from recorder.models import Recording  # noqa: E402
from recorder.staging import STORE_BATCH, Fixes, open_recording, store_batch  # noqa: E402
from recorder.upload_keys import issue_key  # noqa: E402
from stewards.models import Steward  # noqa: E402

BATCH = 30
T0 = datetime(2024, 5, 14, 1, 0, tzinfo=UTC).timestamp()


def batch_body(seq: int, rng: np.random.Generator) -> dict:
    t = T0 + seq * BATCH + np.arange(BATCH, dtype=float)
    lon = 116.31 + rng.normal(0, 1e-4, BATCH).cumsum()
    lat = 40.0 + rng.normal(0, 1e-4, BATCH).cumsum()
    return {
        "seq": seq,
        "fixes": [
            {"t": a, "lon": b, "lat": c, "acc": 8.0}
            for a, b, c in zip(t.tolist(), lon.tolist(), lat.tolist(), strict=True)
        ],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """gunicorn exactly as `make run` starts it (config/gunicorn.conf.py: ALLEY_WEB_WORKERS ×
    ALLEY_WEB_THREADS, gthread, kept database connections), on a port of its own."""
    # The same key as this process: the session clients' cookies are signed with it.
    env = dict(os.environ, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=settings.SECRET_KEY)
    env.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["ALLEY_BIND"] = f"127.0.0.1:{port}"
    env["ALLEY_GUNICORN_CTL"] = os.path.join(tempfile.gettempdir(), f"alley-bench-{port}.ctl")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if gunicorn.exists():
        cmd = [str(gunicorn), "-c", "config/gunicorn.conf.py", "--log-level", "warning"]
    else:
        cmd = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start: " + proc.stderr.read().decode()[-2000:])


def run_clients(n: int, seconds: float, work) -> tuple[int, list[float], float]:
    """n threads calling work(i, seq) for `seconds`; (calls finished inside the window, every
    call's latency in s, the window). A call still running at the end (e.g. waiting for a
    recycled gunicorn worker) counts in the latencies, not in the rate's window."""
    lat: list[list[float]] = [[] for _ in range(n)]
    done = [0] * n
    start = time.perf_counter()
    stop = start + seconds

    def loop(i: int) -> None:
        seq = 0
        while time.perf_counter() < stop:
            t = time.perf_counter()
            work(i, seq)
            end = time.perf_counter()
            lat[i].append(end - t)
            done[i] += end <= stop
            seq += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    flat = [x for part in lat for x in part]
    return sum(done), flat, seconds


def endpoint(port: int, auth: list[dict], rids: list[str], n: int, seconds: float):
    """auth[i]: client i's credential headers (a token, or the phone's session cookie + CSRF)."""
    bodies = [json.dumps(batch_body(s, np.random.default_rng(s))).encode() for s in range(64)]
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(n)]
    errors = []
    # Warm-up (not timed): every worker has imported Django and opened its connection.
    for i in range(n):
        for k in range(3):
            seq = 900_000 + 10 * i + k
            body = bodies[0].replace(b'"seq": 0', b'"seq": %d' % seq, 1)
            conns[i].request(
                "POST",
                f"/api/recordings/{rids[i]}/batches/",
                body=body,
                headers=auth[i] | {"Content-Type": "application/json"},
            )
            conns[i].getresponse().read()

    reconnects = [0]

    def post(i: int, body: bytes) -> int:
        headers = auth[i] | {"Content-Type": "application/json"}
        for attempt in range(3):
            try:
                conns[i].request("POST", f"/api/recordings/{rids[i]}/batches/", body, headers)
                r = conns[i].getresponse()
                r.read()
                return r.status
            except (OSError, http.client.HTTPException):
                # gunicorn recycles a worker every max_requests (config/gunicorn.conf.py) and
                # drops its kept-alive connections: a phone sends again, so does the client (the
                # time spent counts in this call's latency; a resend is stored once).
                reconnects[0] += 1
                conns[i].close()
                if attempt == 2:
                    raise
        return 0

    def work(i: int, seq: int) -> None:
        body = bodies[seq % 64].replace(b'"seq": %d' % (seq % 64), b'"seq": %d' % seq, 1)
        if (status := post(i, body)) not in (200, 201):
            errors.append(status)

    calls, lat, elapsed = run_clients(n, seconds, work)
    for c in conns:
        c.close()
    if errors:
        print(f"  endpoint errors: {len(errors)} (first status {errors[0]})")
    if reconnects[0]:
        print(f"  reconnects after a worker recycle (max_requests): {reconnects[0]}")
    return calls, lat, elapsed


def floor(rids: list[str], n: int, seconds: float):
    """The same statement over n direct connections: what the database alone sustains."""
    dsn = connection.get_connection_params()
    conns = [
        psycopg.connect(**{k: v for k, v in dsn.items() if k != "cursor_factory"}, autocommit=True)
        for _ in range(n)
    ]
    payloads = [batch_body(s, np.random.default_rng(s)) for s in range(64)]

    def work(i: int, seq: int) -> None:
        fx = payloads[seq % 64]["fixes"]
        t = [f["t"] for f in fx]
        conns[i].execute(
            STORE_BATCH,
            {
                "rec": rids[i],
                "seq": seq,
                "t": t,
                "lon": [f["lon"] for f in fx],
                "lat": [f["lat"] for f in fx],
                "acc": [f["acc"] for f in fx],
                "lt": datetime.fromtimestamp(t[-1], UTC),
                "llon": fx[-1]["lon"],
                "llat": fx[-1]["lat"],
                "lacc": fx[-1]["acc"],
            },
        )

    out = run_clients(n, seconds, work)
    for c in conns:
        c.close()
    return out


def p95_ms(lat: list[float]) -> float:
    return float(np.percentile(lat, 95) * 1000) if lat else float("nan")


def stewards_with_tokens(office_steward: Steward, n: int) -> list[tuple[Steward, User, str]]:
    out = []
    tag = uuid.uuid4().hex[:8]
    for i in range(n):
        user = User.objects.create_user(f"bench-rec-{tag}-{i}")
        steward = Steward.objects.create(
            street_office=office_steward.street_office,
            community=office_steward.community,
            name=f"bench-{i}",
            user=user,
        )
        out.append((steward, user, Token.objects.create(user=user).key))
    return out


def recording_for(steward: Steward, user: User | None, t0: float = T0) -> Recording:
    rec, _ = open_recording(
        steward, user, recording_id=None, device_id="benchdevice" + "x" * 8, started_at=t0
    )
    return rec


def _timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def compaction_vs_file(
    base: Steward, fixes: int, repeats: int = 8, order: str = "alternate"
) -> tuple[float, float, float, int]:
    """Median seconds: compact() of a staged recording, ingest_file() of a GPX of the same
    points, and the pair-day re-check both paths run afterwards (timed apart).

    Whichever of the two runs first after staging the recording (120 INSERTs from this process)
    is ~1 ms slower on the 2-core machine, compaction or file alike (not garbage collection:
    collecting first changes nothing; 50 ms idle before it makes it slower still, so presumably
    cold caches), so by default the two take turns going first; `order="compaction-first"` is
    the order before (compaction paid that cost every time); `repeats` even keeps turns equal."""
    track = simulate_pair_day(street_grid(), date(2024, 5, 14), seed=3)["a"]
    t, lon, lat = (np.asarray(a)[:fixes] for a in track)
    t = np.round(t * 1000) / 1000
    gpx = gpx_bytes((t, lon, lat))
    comp, files, checks = [], [], []
    for k in range(repeats):
        a, b = stewards_with_tokens(base, 2)
        rec = recording_for(a[0], a[1], float(t[0]))
        for seq, i in enumerate(range(0, t.size, BATCH)):
            sl = slice(i, i + BATCH)
            store_batch(rec.pk, seq, Fixes(t[sl], lon[sl], lat[sl], np.full(t[sl].size, 8.0)))
        # The order before: compaction, its re-check, then the file; the other turn: the file
        # first, then compaction and its re-check.
        file_first = order == "alternate" and k % 2 == 1
        if file_first:
            files.append(_timed(ingest_file, io.BytesIO(gpx), filename="same.gpx", steward=b[0]))
        comp.append(_timed(compact, rec, close=True, recheck=False))
        checks.append(_timed(reevaluate_upload, Recording.objects.get(pk=rec.pk).upload))
        if not file_first:
            files.append(_timed(ingest_file, io.BytesIO(gpx), filename="same.gpx", steward=b[0]))
    return float(np.median(comp)), float(np.median(files)), float(np.median(checks)), int(t.size)


def street_grid(n: int = 6, spacing_deg: float = 0.001) -> list[list[tuple[float, float]]]:
    """A small square grid of streets near the bench office's corner (the simulator walks it)."""
    x0, y0 = ORIGIN
    return [
        line
        for i in range(n)
        for line in (
            [(x0 + i * spacing_deg, y0), (x0 + i * spacing_deg, y0 + (n - 1) * spacing_deg)],
            [(x0, y0 + i * spacing_deg), (x0 + (n - 1) * spacing_deg, y0 + i * spacing_deg)],
        )
    ]


def teardown(base: Steward) -> None:
    office = base.street_office
    stewards = Steward.objects.filter(street_office=office)
    for s in stewards:
        for up in s.track_uploads.all():
            up.file.delete(save=False)
    Recording.objects.filter(street_office=office).delete()
    # Tracks and uploads protect their steward (history is never deleted by accident): first them.
    TrackUpload.objects.filter(street_office=office).delete()
    users = list(stewards.exclude(user=None).values_list("user_id", flat=True))
    stewards.delete()
    User.objects.filter(id__in=users).delete()
    office.delete()


def session_headers(user: User) -> dict:
    """What the phone's page sends: its login session's cookie and the CSRF token."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    csrf = get_random_string(32)
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )
    return {"Cookie": cookie, "X-CSRFToken": csrf}


def bench_endpoint(base: Steward, n: int, seconds: float, auth: str = "key") -> None:
    people = stewards_with_tokens(base, n)
    web_recs = [recording_for(s, u) for s, u, _ in people]
    web = [str(rec.pk) for rec in web_recs]
    raw = [str(recording_for(s, u).pk) for s, u, _ in people]
    port = free_port()
    server = start_server(port)
    try:
        print(
            f"recorder batches: {n} concurrent clients ({auth} auth, keep-alive), {BATCH} fixes a "
            f"batch, {seconds:g} s each; gunicorn -c config/gunicorn.conf.py = "
            f"{os.environ.get('ALLEY_WEB_WORKERS', '2')} workers × "
            f"{os.environ.get('ALLEY_WEB_THREADS', '4')} threads"
        )
        if auth == "key":  # the phone's page: its cookie goes along, the key authenticates
            creds = [
                session_headers(u) | {"Authorization": f"Recording {issue_key(rec, u)}"}
                for (_, u, _), rec in zip(people, web_recs, strict=True)
            ]
        elif auth == "session":
            creds = [session_headers(u) for _, u, _ in people]
        else:
            creds = [{"Authorization": f"Token {k}"} for *_, k in people]
        calls, lat, el = endpoint(port, creds, web, n, seconds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    f_calls, f_lat, f_el = floor(raw, n, seconds)
    rate, f_rate = calls / el, f_calls / f_el
    print(
        f"  endpoint  {rate:8.1f} batches/s  p95 {p95_ms(lat):6.1f} ms  ({calls} batches; "
        f"slowest {max(lat) * 1000:.0f} ms)"
    )
    print(
        f"  floor     {f_rate:8.1f} batches/s  p95 {p95_ms(f_lat):6.1f} ms  "
        f"(INSERT … ON CONFLICT, {n} connections)"
    )
    print(
        f"  ratio endpoint/floor: {rate / f_rate:.2f} of the rate; "
        f"targets ≥ 300 batches/s ({'met' if rate >= 300 else 'NOT met'}), "
        f"p95 ≤ 100 ms ({'met' if p95_ms(lat) <= 100 else 'NOT met'})"
    )


def bench_compaction(base: Steward, fixes: int, order: str = "alternate") -> None:
    comp, files, check, pts = compaction_vs_file(base, fixes, order=order)
    print(
        f"compaction of a recording ({pts} fixes) vs file ingest of the same points (GPX); both "
        f"clean + store the tracks, neither runs the pair-day re-check ({order} order):"
    )
    print(
        f"  compaction {comp * 1000:7.1f} ms   file ingest {files * 1000:7.1f} ms   "
        f"ratio {comp / files:.2f} (target ≤ 1: {'met' if comp <= files else 'NOT met'})"
    )
    print(f"  then the pair-day re-check both paths run: {check * 1000:.1f} ms")


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fixes", type=int, default=3600, help="points of the compacted recording")
    ap.add_argument("--only", choices=["endpoint", "compaction"], help="run one half")
    ap.add_argument(
        "--order",
        choices=["alternate", "compaction-first"],
        default="alternate",
        help="compaction vs file: take turns going first after the staging (default), or "
        "compaction always first (the order before; it pays the first-after-staging cost)",
    )
    ap.add_argument(
        "--auth",
        choices=["key", "token", "session"],
        default="key",
        help="how the clients authenticate: the recording's upload key (the phone's path), an "
        "API token, or the session + CSRF token alone (older pages)",
    )
    args = ap.parse_args()
    media = tempfile.mkdtemp(prefix="alley-bench-rec-")
    settings.MEDIA_ROOT = media
    base = setup_steward()
    print(f"{os.cpu_count()} CPUs, {load()} before the run")
    try:
        if args.only != "compaction":
            bench_endpoint(base, args.clients, args.seconds, args.auth)
        if args.only != "endpoint":
            bench_compaction(base, args.fixes, args.order)
    finally:
        teardown(base)
        shutil.rmtree(media, ignore_errors=True)
    print(f"{load()} after the run")


if __name__ == "__main__":
    main()
