"""Two planners claim the same segment at the same moment: exactly one wins, the other gets 409.

Runs outside the test transaction (transactional_db) so the two requests really are two
PostgreSQL transactions. Request A inserts its claim and keeps its transaction open; request B is
started and we wait (watching pg_locks, not the clock) until B is blocked on A's row; then A commits
and B must fail on the exclusion constraint.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from grids.models import Claim
from tests.grids import factories as f


def _blocked_backends() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_segment_one_wins_the_other_gets_409():
    so = f.office()
    comm = f.community(so)
    seg = f.lattice(comm, 2, 1)[0]
    p1, p2 = f.pair(comm), f.pair(comm)
    planner_a, planner_b = f.user(so), f.user(so)
    results: dict[str, object] = {}
    a_inserted, a_may_commit = threading.Event(), threading.Event()

    def request_a():
        try:
            client = APIClient()
            client.force_authenticate(planner_a)
            with transaction.atomic():
                results["a"] = client.post(
                    "/api/grids/assign/", {"pair": p1.pk, "segments": [seg.pk]}, format="json"
                )
                a_inserted.set()
                a_may_commit.wait(30)
        finally:
            a_inserted.set()
            connections.close_all()

    def request_b():
        try:
            client = APIClient()
            client.force_authenticate(planner_b)
            results["b"] = client.post(
                "/api/grids/assign/",
                {"pair": p2.pk, "segments": [seg.pk], "replace": True},
                format="json",
            )
        finally:
            connections.close_all()

    ta = threading.Thread(target=request_a)
    ta.start()
    assert a_inserted.wait(30)
    tb = threading.Thread(target=request_b)
    tb.start()
    for _ in range(600):  # B is waiting on A's uncommitted claim row
        if _blocked_backends():
            break
        tb.join(0.05)
    blocked = _blocked_backends()
    a_may_commit.set()
    ta.join(30)
    tb.join(30)

    assert blocked, "request B never waited for A: the test did not exercise the race"
    assert results["a"].status_code == 201, results["a"].content
    assert results["b"].status_code == 409, results["b"].content
    assert seg.pk in results["b"].json()["segments"]
    assert "认领" in results["b"].json()["detail"]
    assert list(Claim.objects.values_list("pair_id", flat=True)) == [p1.pk]


@pytest.mark.django_db(transaction=True)
def test_two_racing_requests_without_a_held_transaction_still_leave_one_claim():
    so = f.office()
    comm = f.community(so)
    seg = f.lattice(comm, 2, 1)[0]
    pairs = [f.pair(comm), f.pair(comm)]
    planner = f.user(so)
    start = threading.Barrier(2)
    codes: list[int] = []

    def go(pair):
        try:
            client = APIClient()
            client.force_authenticate(planner)
            start.wait(10)
            codes.append(
                client.post(
                    "/api/grids/assign/", {"pair": pair.pk, "segments": [seg.pk]}, format="json"
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(p,)) for p in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [201, 409]
    assert Claim.objects.filter(segment=seg).count() == 1
