"""Pairs, stewards and segments with history are ended or retired, never deleted with it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import models
from django.db.models import ProtectedError

from credits.models import PointsEntry
from geo.models import Segment
from grids import assignment
from grids.models import Claim
from patrols.models import PairDayVerdict, SegmentCoverage, Track, TrackUpload
from stewards.models import Pair, PairMember, Steward
from tests.grids import factories as f

pytestmark = pytest.mark.django_db

HISTORY_FKS = [
    (Claim, "pair"), (Claim, "segment"), (SegmentCoverage, "pair"), (SegmentCoverage, "segment"),
    (PairDayVerdict, "pair"), (Track, "steward"), (TrackUpload, "steward"),
    (PointsEntry, "steward"), (PairMember, "steward"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "name"), HISTORY_FKS)
def test_history_foreign_keys_protect(model, name):
    field = model._meta.get_field(name)
    assert field.remote_field.on_delete is models.PROTECT
    assert field.related_model in (Pair, Steward, Segment)


@pytest.fixture
def claimed():
    so = f.office()
    comm = f.community(so)
    segs = f.lattice(comm, 2, 2)
    pair = f.pair(comm, name="老组")
    assignment.assign(pair, [s.pk for s in segs], valid_from=dt.date(2025, 2, 1))
    SegmentCoverage.objects.create(
        segment=segs[0], pair=pair, street_office=so, day=dt.date(2025, 2, 2), claimed=True,
        walked_m=10, covered_share=0.5, covered_bits="10", patrol_count=1,
    )  # fmt: skip
    return pair, segs


def test_deleting_a_pair_or_segment_with_history_is_refused(claimed):
    pair, segs = claimed
    with pytest.raises(ProtectedError):
        pair.delete()
    with pytest.raises(ProtectedError):
        segs[0].delete()
    with pytest.raises(ProtectedError):
        pair.members.first().steward.delete()  # its pair membership is history
    assert Claim.objects.filter(pair=pair).count() == len(segs)
    assert SegmentCoverage.objects.filter(pair=pair).count() == 1


def test_admin_says_end_the_pair_instead(client, claimed):
    pair, _segs = claimed
    client.force_login(User.objects.create_superuser("root", password="pw-123456!"))
    page = client.get(f"/admin/stewards/pair/{pair.pk}/delete/")
    assert page.status_code == 200
    assert "请解散该组" in page.content.decode()
    # Posting the delete anyway changes nothing.
    client.post(f"/admin/stewards/pair/{pair.pk}/delete/", {"post": "yes"})
    assert Pair.objects.filter(pk=pair.pk).exists()
    assert client.get(f"/admin/geo/segment/{_segs[0].pk}/delete/").status_code == 403
