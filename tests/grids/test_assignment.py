"""Assigning segments to pairs, the double-claim constraint, history and undo."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from grids import assignment
from grids.models import AssignmentChange, Claim
from tests.grids import factories as f

pytestmark = pytest.mark.django_db
D1, D2, D3 = dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)


@pytest.fixture
def setup():
    so = f.office()
    comm = f.community(so)
    segs = f.lattice(comm, 3, 2)
    return so, comm, segs, f.pair(comm), f.pair(comm)


def current(segs, day):
    return dict(Claim.objects.on(day).filter(segment__in=segs).values_list("segment_id", "pair_id"))


def test_the_database_rejects_two_pairs_on_one_segment_at_once(setup):
    so, _, segs, p1, p2 = setup
    Claim.objects.create(street_office=so, pair=p1, segment=segs[0], valid_from=D1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(street_office=so, pair=p2, segment=segs[0], valid_from=D2, valid_to=D3)
    # Back-to-back periods are fine (valid_to is exclusive).
    Claim.objects.filter(pair=p1).update(valid_to=D2)
    Claim.objects.create(street_office=so, pair=p2, segment=segs[0], valid_from=D2)


def test_assign_refuses_segments_of_another_pair_unless_replacing(setup):
    _, _, segs, p1, p2 = setup
    assignment.assign(p1, [s.pk for s in segs[:3]], valid_from=D1)
    with pytest.raises(assignment.DoubleClaim) as exc:
        assignment.assign(p2, [segs[2].pk, segs[3].pk], valid_from=D2)
    assert exc.value.segment_ids == [segs[2].pk]
    assert current(segs, D2) == {s.pk: p1.pk for s in segs[:3]}

    assignment.assign(p2, [segs[2].pk, segs[3].pk], valid_from=D2, replace=True)
    assert current(segs, D1) == {s.pk: p1.pk for s in segs[:3]}  # history kept
    assert current(segs, D2) == {
        segs[0].pk: p1.pk,
        segs[1].pk: p1.pk,
        segs[2].pk: p2.pk,
        segs[3].pk: p2.pk,
    }
    ended = Claim.objects.get(pair=p1, segment=segs[2])
    assert ended.valid_to == D2


def test_reassigning_a_pairs_own_segment_changes_nothing(setup):
    _, _, segs, p1, _ = setup
    assignment.assign(p1, [segs[0].pk], valid_from=D1)
    change = assignment.assign(p1, [segs[0].pk, segs[1].pk], valid_from=D2)
    assert change.claims.count() == 1
    assert Claim.objects.filter(segment=segs[0]).count() == 1


def test_undo_restores_the_previous_holder_and_voids_the_new_claims(setup):
    _, _, segs, p1, p2 = setup
    assignment.assign(p1, [segs[0].pk, segs[1].pk], valid_from=D1)
    change = assignment.assign(p2, [segs[1].pk, segs[2].pk], valid_from=D2, replace=True)
    undo = assignment.undo(change)
    assert undo.kind == AssignmentChange.Kind.UNDO and undo.reverts == change
    assert current(segs, D2) == {segs[0].pk: p1.pk, segs[1].pk: p1.pk}
    assert current(segs, D3) == {segs[0].pk: p1.pk, segs[1].pk: p1.pk}
    # Nothing was deleted: the voided claims remain as history with an empty period.
    voided = Claim.objects.filter(pair=p2)
    assert voided.count() == 2 and all(c.valid_to == c.valid_from for c in voided)
    with pytest.raises(assignment.AssignmentError):
        assignment.undo(change)


def test_undo_is_refused_when_a_later_change_touched_the_same_claims(setup):
    _, _, segs, p1, p2 = setup
    first = assignment.assign(p1, [segs[0].pk], valid_from=D1)
    assignment.assign(p2, [segs[0].pk], valid_from=D2, replace=True)
    with pytest.raises(assignment.AssignmentError):
        assignment.undo(first)


def test_unassign_ends_claims_from_the_given_day(setup):
    so, _, segs, p1, _ = setup
    assignment.assign(p1, [s.pk for s in segs], valid_from=D1)
    assignment.unassign([segs[0].pk], street_office_id=so.pk, on=D2)
    assert segs[0].pk in current(segs, D1)
    assert segs[0].pk not in current(segs, D2)


def test_segments_of_another_street_office_cannot_be_assigned(setup):
    _, _, _, p1, _ = setup
    other = f.lattice(f.community(f.office()), 2, 1)
    with pytest.raises(assignment.AssignmentError):
        assignment.assign(p1, [other[0].pk], valid_from=D1)


def test_a_dissolved_pair_cannot_claim(setup):
    _, _, segs, p1, _ = setup
    p1.dissolved_on = D1
    p1.save()
    with pytest.raises(assignment.AssignmentError):
        assignment.assign(p1, [segs[0].pk], valid_from=D2)


def test_undoing_an_unassign_after_another_pair_took_the_segment_is_a_double_claim(setup):
    so, _, segs, p1, p2 = setup
    assignment.assign(p1, [segs[0].pk], valid_from=D1)
    freed = assignment.unassign([segs[0].pk], street_office_id=so.pk, on=D2)
    assignment.assign(p2, [segs[0].pk], valid_from=D2)
    with pytest.raises(assignment.DoubleClaim):
        assignment.undo(freed)
    assert current(segs, D3) == {segs[0].pk: p2.pk}


def test_undo_of_a_replacement_batch_with_many_segments_restores_all(setup):
    _, _, segs, p1, p2 = setup
    ids = [s.pk for s in segs]
    assignment.assign(p1, ids, valid_from=D1)
    change = assignment.assign(p2, ids, valid_from=D1, replace=True)  # same day: p1's claims voided
    assert current(segs, D1) == dict.fromkeys(ids, p2.pk)
    assignment.undo(change)
    assert current(segs, D1) == dict.fromkeys(ids, p1.pk)


def test_dissolving_a_pair_ends_its_memberships_and_claims_together(setup):
    _, _, segs, p1, _ = setup
    assignment.assign(p1, [s.pk for s in segs[:2]], valid_from=D1)
    change = assignment.dissolve_pair(p1, on=D2)
    p1.refresh_from_db()
    assert p1.dissolved_on == D2
    assert not p1.members.filter(left_on__isnull=True).exists()
    assert current(segs, D1) == {segs[0].pk: p1.pk, segs[1].pk: p1.pk}  # history kept
    assert current(segs, D2) == {}
    assert change.events.count() == 2  # one batch, so the claims can be undone


def test_a_failed_dissolve_leaves_the_pair_and_its_claims_as_they_were(setup, monkeypatch):
    _, _, segs, p1, _ = setup
    assignment.assign(p1, [s.pk for s in segs[:2]], valid_from=D1)

    def fail(*args, **kwargs):
        raise assignment.AssignmentError("simulated failure while ending claims")

    monkeypatch.setattr(assignment, "end_pair_claims", fail)
    with pytest.raises(assignment.AssignmentError):
        assignment.dissolve_pair(p1, on=D2)
    p1.refresh_from_db()
    assert p1.dissolved_on is None
    assert p1.members.filter(left_on__isnull=True).count() == p1.members.count() > 0
    assert current(segs, D2) == {segs[0].pk: p1.pk, segs[1].pk: p1.pk}
