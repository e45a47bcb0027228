"""Steward lifecycle and pair formation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stewards import registry
from stewards.models import PairMember, ProgrammeSettings, Steward
from tests.grids import factories as f

pytestmark = pytest.mark.django_db
S = Steward.Status


@pytest.fixture
def comm():
    return f.community(f.office())


def test_the_lifecycle_is_recorded_with_dates_and_who(comm):
    planner = f.user(comm.street_office)
    s = f.steward(comm, active=False)
    registry.change_status(s, S.REVIEWED, user=planner, on=dt.date(2025, 2, 1))
    registry.change_status(s, S.APPOINTED, user=planner, on=dt.date(2025, 2, 5), note="已签承诺书")
    registry.change_status(s, S.ACTIVE, user=planner, on=dt.date(2025, 2, 6))
    registry.change_status(
        s, S.DISMISSED, user=planner, on=dt.date(2025, 9, 30), note="季度考核不称职"
    )
    history = list(
        s.status_changes.values_list("from_status", "to_status", "effective_on", "changed_by")
    )
    assert [h[:2] for h in history] == [("", S.APPLIED), (S.APPLIED, S.REVIEWED), (S.REVIEWED, S.APPOINTED),
                                        (S.APPOINTED, S.ACTIVE), (S.ACTIVE, S.DISMISSED)]  # fmt: skip
    assert history[-1][2] == dt.date(2025, 9, 30) and history[-1][3] == planner.pk
    assert s.status == S.DISMISSED and s.status_changed_on == dt.date(2025, 9, 30)


def test_skipping_a_step_or_leaving_a_final_state_is_refused(comm):
    s = f.steward(comm, active=False)
    with pytest.raises(ValidationError):
        registry.change_status(s, S.ACTIVE)
    registry.change_status(s, S.RESIGNED)
    with pytest.raises(ValidationError):
        registry.change_status(s, S.REVIEWED)


def test_the_same_person_cannot_register_twice_in_one_office(comm):
    number = f.id_number(7)
    registry.register_steward(community=comm, id_card=number, name="甲")
    with pytest.raises(ValidationError) as exc:
        registry.register_steward(community=comm, id_card=number.lower(), name="乙")
    assert exc.value.code == "idcard_duplicate"


def test_a_pair_is_two_active_stewards_of_one_community(comm):
    a, b, c = f.steward(comm), f.steward(comm), f.steward(comm, active=False)
    other = f.steward(f.community(comm.street_office))
    with pytest.raises(ValidationError, match="2人"):
        registry.form_pair([a], name="x")
    with pytest.raises(ValidationError, match="在岗"):
        registry.form_pair([a, c], name="x")
    with pytest.raises(ValidationError, match="同一个社区"):
        registry.form_pair([a, other], name="x")
    pair = registry.form_pair([a, b], name="一组")
    assert set(pair.stewards.all()) == {a, b}
    with pytest.raises(ValidationError, match="已在其他组"):
        registry.form_pair([a, f.steward(comm)], name="二组")


def test_the_database_allows_one_current_pair_per_steward(comm):
    pair = f.pair(comm)
    member = pair.members.first()
    other = f.pair(comm)
    with pytest.raises(IntegrityError), transaction.atomic():
        PairMember.objects.create(pair=other, steward=member.steward, joined_on=dt.date(2025, 5, 1))


def test_pair_size_is_a_street_office_setting(comm):
    ProgrammeSettings.objects.create(street_office=comm.street_office, pair_size=3)
    trio = [f.steward(comm) for _ in range(3)]
    assert registry.form_pair(trio, name="三人组").stewards.count() == 3
    with pytest.raises(ValidationError, match="3人"):
        registry.form_pair([f.steward(comm), f.steward(comm)], name="x")


def test_resigning_ends_the_pair_membership_but_keeps_history(comm):
    pair = f.pair(comm)
    leaver = pair.members.first().steward
    registry.change_status(leaver, S.RESIGNED, on=dt.date(2025, 7, 1))
    m = PairMember.objects.get(steward=leaver)
    assert m.left_on == dt.date(2025, 7, 1)
    registry.dissolve_pair(pair, on=dt.date(2025, 7, 2))
    assert pair.members.filter(left_on__isnull=True).count() == 0


def test_masked_phone_keeps_first_three_and_last_four():
    assert registry.mask_phone("13812345678") == "138****5678"
