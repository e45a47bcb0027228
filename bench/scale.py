"""Benchmark: the nightly evaluation fanned out as jobs, run by 1 and by 2 worker processes.

    python -m bench.scale [--offices 4] [--full]

Uses the demo district (`make run` / `manage.py load_demo` first). "N offices" are scaled from the
demo office: its days with tracks are evaluated N times over (each job one office-day, exactly the
job the nightly fan-out defers), on a queue of its own so that a running `make run` worker does not
take them. The workers are started first and waited for (their start-up is not measured); then the
jobs are deferred and timed until the last one is done, for 1 worker process, then for 2, and prints the speed-up and
the per-office-day cost. Default: 4 × the demo office's tracked days (< 3 min); --full: 10 × 7 days.
On a shared machine the figures are provisional.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from geo.models import StreetOffice  # noqa: E402
from patrols.models import PairDayVerdict  # noqa: E402
from patrols.tasks import evaluate_office_day  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "bench_scale"


def tracked_days(office: StreetOffice, limit: int) -> list[str]:
    days = (
        PairDayVerdict.objects.filter(street_office=office)
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()[:limit]
    )
    return [d.isoformat() for d in days]


def defer_jobs(office: StreetOffice, days: list[str], copies: int) -> list[int]:
    task = evaluate_office_day.configure(queue=QUEUE)
    return [task.defer(office_id=office.id, day=d) for _ in range(copies) for d in days]


def live_workers() -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM procrastinate_workers"
            " WHERE last_heartbeat > now() - interval '30 seconds'"
        )
        return cur.fetchone()[0]


def start_workers(n: int) -> list[subprocess.Popen]:
    """n worker processes on the bench queue, returned once all of them are up (the start-up of a
    process is not what is measured)."""
    before = live_workers()
    cmd = [sys.executable, "manage.py", "procrastinate", "worker", "--queues", QUEUE]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(n)]
    deadline = time.monotonic() + 180
    while live_workers() < before + n:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop_workers(procs)
            raise SystemExit("the workers did not start")
        time.sleep(0.5)
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=60)


def wait_for(job_ids: list[int]) -> None:
    with connection.cursor() as cur:
        while True:
            cur.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(%s)"
                " AND status IN ('todo', 'doing')",
                [job_ids],
            )
            if cur.fetchone()[0] == 0:
                return
            time.sleep(0.2)


def span(job_ids: list[int]) -> tuple[float, int]:
    """Seconds from the first job's start to the last job's end; jobs that did not succeed."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT extract(epoch FROM max(at) FILTER (WHERE type IN ('succeeded', 'failed'))
                                   - min(at) FILTER (WHERE type = 'started')),
                      count(*) FILTER (WHERE type = 'failed')
               FROM procrastinate_events WHERE job_id = ANY(%s)""",
            [job_ids],
        )
        seconds, failed = cur.fetchone()
    return float(seconds), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=4, help="scaled offices (copies)")
    parser.add_argument("--days", type=int, default=2, help="tracked days per office")
    parser.add_argument("--full", action="store_true", help="10 offices × 7 days")
    args = parser.parse_args()
    if args.full:
        args.offices, args.days = 10, 7
    office = StreetOffice.objects.filter(code="DEMO-WDK").first() or StreetOffice.objects.first()
    if office is None:
        raise SystemExit("no street office: run `make run` (or manage.py load_demo) first")
    days = tracked_days(office, args.days)
    if not days:
        raise SystemExit(f"{office.code} has no evaluated days: run manage.py load_demo first")
    pairs = PairDayVerdict.objects.filter(street_office=office, day__in=days).count()
    print(
        f"{office.code}: {len(days)} tracked days, {pairs} pair-days; "
        f"{args.offices} scaled offices → {args.offices * len(days)} jobs per run"
    )
    results = {}
    for workers in (1, 2):
        procs = start_workers(workers)
        try:
            began = time.perf_counter()
            ids = defer_jobs(office, days, args.offices)
            wait_for(ids)
            wall = time.perf_counter() - began
        finally:
            stop_workers(procs)
        seconds, failed = span(ids)
        results[workers] = wall
        print(
            f"{workers} worker process(es): {len(ids)} jobs done {wall:.1f} s after deferring "
            f"({seconds:.1f} s first start → last end), {wall / len(ids):.2f} s per office-day, "
            f"failed {failed}"
        )
    print(
        f"speed-up 2 vs 1 workers: {results[1] / results[2]:.2f}× (ideal 2.00×); "
        f"per office-day ({pairs // len(days)} pairs): {results[1] / (args.offices * len(days)):.2f} s"
        " — provisional: measured on a shared machine"
    )


if __name__ == "__main__":
    main()
