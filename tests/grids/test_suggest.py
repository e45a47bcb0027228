"""The suggest action on the database: only unassigned segments, balanced, one undoable batch."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from grids import assignment, suggest
from grids.models import AssignmentChange, Claim
from grids.network import JUMP_SLACK, adjacency, components
from tests.grids import factories as f

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 6, 1)


@pytest.fixture
def comm_with_pairs():
    comm = f.community(f.office())
    segs = f.lattice(comm, 6, 5)
    return comm, segs, [f.pair(comm), f.pair(comm), f.pair(comm)]


def test_the_proposal_splits_only_unassigned_segments_in_balanced_connected_parts(comm_with_pairs):
    comm, segs, pairs = comm_with_pairs
    assignment.assign(pairs[0], [segs[0].pk], valid_from=DAY)
    proposal = suggest.suggest(comm, DAY)
    proposed = sorted(i for v in proposal.values() for i in v)
    assert proposed == sorted(s.pk for s in segs[1:])
    length = {s.pk: s.length_m for s in segs}
    totals = [
        sum(length[i] for i in v) + (length[segs[0].pk] if k == pairs[0].pk else 0)
        for k, v in proposal.items()
    ]
    mean = sum(totals) / len(totals)
    assert min(totals) >= (1 - JUMP_SLACK) * mean and max(totals) <= 1.2 * mean, totals
    graph = adjacency(suggest.load_segs(comm.segments.all()))
    assert all(len(components(v, graph)) == 1 for v in proposal.values())
    assert Claim.objects.count() == 1  # nothing saved


def test_applying_is_one_batch_that_can_be_undone(comm_with_pairs):
    comm, segs, _ = comm_with_pairs
    change = suggest.apply_suggestion(comm, suggest.suggest(comm, DAY), day=DAY)
    assert change.kind == AssignmentChange.Kind.SUGGEST
    assert Claim.objects.on(DAY).count() == len(segs)
    assert suggest.suggest(comm, DAY) == {p: [] for p in suggest.suggest(comm, DAY)}
    assignment.undo(change)
    assert Claim.objects.on(DAY).count() == 0


def test_the_suggest_endpoint_proposes_and_applies(comm_with_pairs):
    comm, segs, _ = comm_with_pairs
    c = APIClient()
    c.force_authenticate(f.user(comm.street_office))
    r = c.post(f"/api/grids/communities/{comm.pk}/suggest/", {}, format="json")
    assert r.status_code == 200 and r.json()["change"] is None
    assert sum(len(p["segments"]) for p in r.json()["proposal"]) == len(segs)
    r = c.post(f"/api/grids/communities/{comm.pk}/suggest/", {"apply": True}, format="json")
    assert r.status_code == 200 and r.json()["change"]
    assert Claim.objects.count() == len(segs)
