"""The database goes away under the production server and comes back: meanwhile every request is a
503 with Retry-After (JSON on the API), never a 500; afterwards the server serves again by itself.
Uses a throwaway PostgreSQL cluster of its own (tests/ops/throwaway_pg.py)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.ops.throwaway_pg import create_cluster, destroy_cluster, start_server


@pytest.fixture(scope="module")
def cluster():
    c = create_cluster()
    yield c
    destroy_cluster(c)


@pytest.fixture
def server(cluster):
    proc, base = start_server(cluster)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def get(url: str, accept: str = "application/json") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_a_database_restart_gives_503_with_retry_after_then_recovers(cluster, server):
    api = f"{server}/api/geo/street-offices/"
    assert get(api)[0] == 200

    cluster.stop()
    try:
        for _ in range(3):
            status, headers, body = get(api)
            assert status == 503, body[:300]
            assert int(headers["Retry-After"]) > 0
            assert json.loads(body)["code"] == "database_unavailable"
        # A page (session and user lookups) is a 503 too, not a 500.
        status, headers, _ = get(f"{server}/map/", accept="text/html")
        assert status == 503 and headers["Retry-After"]
        # Monitoring sees it.
        status, _, body = get(f"{server}/healthz")
        assert status == 503 and json.loads(body)["database"]["ok"] is False
    finally:
        cluster.start()

    # No restart of the server: the next requests reconnect by themselves.
    statuses = []
    for _ in range(20):
        statuses.append(get(api)[0])
        if statuses[-1] == 200:
            break
        time.sleep(0.5)
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
    assert get(f"{server}/healthz")[0] == 200
