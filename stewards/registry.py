"""The steward registry: sign-up, lifecycle, and pairs (一组两人).

Workflows take explicit arguments (who, when) and are called by the API, the importer and the demo
seeder alike; models stay thin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from geo.local_days import local_today
from geo.models import Community
from stewards import idcard
from stewards.models import Pair, PairMember, ProgrammeSettings, Steward, StewardStatusChange

S = Steward.Status
# applied → reviewed → appointed (承诺书 signed) → active → resigned / dismissed; anyone not yet
# retired from the programme may resign or be dismissed.
TRANSITIONS: dict[str, set[str]] = {
    S.APPLIED: {S.REVIEWED, S.RESIGNED, S.DISMISSED},
    S.REVIEWED: {S.APPOINTED, S.RESIGNED, S.DISMISSED},
    S.APPOINTED: {S.ACTIVE, S.RESIGNED, S.DISMISSED},
    S.ACTIVE: {S.RESIGNED, S.DISMISSED},
    S.RESIGNED: set(),
    S.DISMISSED: set(),
}

FORM_FIELDS = (
    "name", "phone", "gender", "birth_date", "ethnicity", "political_status", "education", "health",
    "employment", "employer", "address", "claimed_alleys", "work_history", "volunteer_history",
)  # fmt: skip


def register_steward(
    *,
    community: Community,
    id_card: str,
    user: Any = None,
    today: dt.date | None = None,
    **form: Any,
) -> Steward:
    """Create a steward in status 'applied' from the sign-up form; the ID number is only digested."""
    unknown = set(form) - set(FORM_FIELDS)
    if unknown:
        raise TypeError(f"unknown form fields: {sorted(unknown)}")
    today = today or local_today()
    number = idcard.validate(id_card, birth_date=form.get("birth_date"), today=today)
    form.setdefault("birth_date", idcard.birth_date_of(number))
    digest = idcard.digest(number)
    if Steward.objects.filter(
        street_office_id=community.street_office_id, id_card_digest=digest
    ).exists():
        raise ValidationError("该身份证号码已在本街道登记过小巷管家。", code="idcard_duplicate")
    with transaction.atomic():
        steward = Steward.objects.create(
            street_office_id=community.street_office_id,
            community=community,
            id_card_digest=digest,
            status=S.APPLIED,
            status_changed_on=today,
            **form,
        )
        StewardStatusChange.objects.create(
            steward=steward,
            from_status="",
            to_status=S.APPLIED,
            effective_on=today,
            changed_by=user,
        )
    return steward


def change_status(
    steward: Steward, to_status: str, *, user: Any = None, on: dt.date | None = None, note: str = ""
) -> Steward:
    """Move a steward along the lifecycle; leaving 'active' also ends their current pair membership."""
    on = on or local_today()
    if to_status not in TRANSITIONS.get(steward.status, set()):
        raise ValidationError(
            f"不能从“{S(steward.status).label}”直接变为“{S(to_status).label if to_status in S.values else to_status}”。",
            code="invalid_transition",
        )
    with transaction.atomic():
        StewardStatusChange.objects.create(
            steward=steward, from_status=steward.status, to_status=to_status, effective_on=on,
            changed_by=user, note=note,
        )  # fmt: skip
        steward.status = to_status
        steward.status_changed_on = on
        steward.save(update_fields=["status", "status_changed_on"])
        if to_status in (S.RESIGNED, S.DISMISSED):
            PairMember.objects.filter(steward=steward, left_on__isnull=True).update(left_on=on)
    return steward


def advance_to_active(steward: Steward, *, user: Any = None, on: dt.date | None = None) -> Steward:
    """applied → reviewed → appointed → active in one go (used by imports of already-serving stewards)."""
    for status in (S.REVIEWED, S.APPOINTED, S.ACTIVE):
        if steward.status != S.ACTIVE and status in TRANSITIONS[steward.status]:
            change_status(steward, status, user=user, on=on)
    return steward


def form_pair(stewards: Sequence[Steward], *, name: str, formed_on: dt.date | None = None) -> Pair:
    """A pair of active stewards of one community, none already in a current pair."""
    formed_on = formed_on or local_today()
    if not stewards:
        raise ValidationError("请选择组员。", code="pair_empty")
    office_id = stewards[0].street_office_id
    size = ProgrammeSettings.for_office(office_id).pair_size
    if len(stewards) != size:
        raise ValidationError(
            f"本街道每组应为{size}人，当前选择了{len(stewards)}人。", code="pair_size"
        )
    if len({s.pk for s in stewards}) != len(stewards):
        raise ValidationError("同一名管家不能在一组中出现两次。", code="pair_duplicate")
    if (
        len({s.community_id for s in stewards}) != 1
        or len({s.street_office_id for s in stewards}) != 1
    ):
        raise ValidationError("组员必须属于同一个社区。", code="pair_community")
    inactive = [s.name for s in stewards if s.status != S.ACTIVE]
    if inactive:
        raise ValidationError(
            f"只有在岗管家可以结组：{'、'.join(inactive)}。", code="pair_inactive"
        )
    with transaction.atomic():
        # Lock the stewards so two planners cannot put the same person into two pairs at once;
        # the partial unique index one_current_pair_per_steward is the final guard.
        ids = [s.pk for s in stewards]
        list(Steward.objects.select_for_update().filter(pk__in=ids))
        busy = list(
            PairMember.objects.filter(steward_id__in=ids, left_on__isnull=True).values_list(
                "steward__name", flat=True
            )
        )
        if busy:
            raise ValidationError(
                f"已在其他组中：{'、'.join(busy)}。请先让其离开原组。", code="pair_busy"
            )
        pair = Pair.objects.create(
            street_office_id=office_id,
            community_id=stewards[0].community_id,
            name=name,
            formed_on=formed_on,
        )
        PairMember.objects.bulk_create(
            PairMember(pair=pair, steward=s, joined_on=formed_on) for s in stewards
        )
    return pair


def dissolve_pair(pair: Pair, *, on: dt.date | None = None) -> Pair:
    """End a pair and its memberships (history stays). Its claims are ended by grids.assignment."""
    on = on or local_today()
    with transaction.atomic():
        pair.dissolved_on = on
        pair.save(update_fields=["dissolved_on"])
        pair.members.filter(left_on__isnull=True).update(left_on=on)
    return pair


def mask_phone(phone: str) -> str:
    """138****5678: the board's masked display."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
