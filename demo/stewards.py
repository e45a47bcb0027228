"""Demo stewards, pairs and assignments for a street office: ``seed(street_office)``.

Idempotent: stewards are keyed by their (fake) ID-number digest, pairs by name, and the suggestion
only ever assigns what is still unassigned, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import transaction

from geo.local_days import local_today
from geo.models import Community, StreetOffice
from grids.suggest import apply_suggestion, suggest
from stewards import idcard, registry
from stewards.models import Pair, Steward

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "淑珍", "秀英", "桂兰", "建国", "志强", "玉梅", "国华", "丽华", "德胜", "凤英", "振华", "海燕",
    "文明", "素芳", "永红", "建华", "秀兰", "卫东", "春梅", "立新", "红霞", "宝山", "金凤", "长江",
    "慧敏", "新民", "玉兰", "爱华", "庆祥", "桂芝",
]  # fmt: skip
PER_COMMUNITY = (6, 5)  # the 2019 Hebei rule: 5–6 stewards per community


@dataclass
class SeedCounts:
    stewards_created: int = 0
    pairs_created: int = 0
    claims_created: int = 0


def _h(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _person(office: StreetOffice, community: Community, i: int) -> dict:
    h = _h(office.code, community.code, i)
    birth = dt.date(1948 + h % 30, 1 + (h >> 8) % 12, 1 + (h >> 12) % 28)
    gender = "F" if (h >> 16) % 2 else "M"
    return {
        "name": SURNAMES[h % len(SURNAMES)] + GIVEN[(h >> 20) % len(GIVEN)],
        "phone": f"138{(h >> 24) % 10**8:08d}",
        "gender": gender,
        "birth_date": birth,
        "ethnicity": "汉族",
        "political_status": ("cpc", "masses", "cpc", "league")[(h >> 28) % 4],
        "education": ("高中", "大专", "本科", "初中")[(h >> 30) % 4],
        "health": "良好",
        "employment": "retired" if birth.year < 1966 else "employed",
        "address": f"{community.name}{1 + (h >> 32) % 20}号楼",
        "id_card": idcard.fake(h >> 36, birth),
    }


def seed(street_office: StreetOffice, *, today: dt.date | None = None) -> SeedCounts:
    """Stewards (5–6 per community, all active), pairs of the office's pair size, and a suggested split."""
    today = today or local_today()
    start = today - dt.timedelta(days=90)
    counts = SeedCounts()
    with transaction.atomic():
        for ci, community in enumerate(street_office.communities.order_by("code", "id")):
            stewards = []
            for i in range(PER_COMMUNITY[ci % 2]):
                person = _person(street_office, community, i)
                number = person.pop("id_card")
                existing = Steward.objects.filter(
                    street_office=street_office, id_card_digest=idcard.digest(number)
                ).first()
                if existing is None:
                    existing = registry.register_steward(
                        community=community, id_card=number, today=start, **person
                    )
                    registry.advance_to_active(existing, on=start)
                    counts.stewards_created += 1
                stewards.append(existing)
            size = registry.ProgrammeSettings.for_office(street_office.pk).pair_size
            for k in range(len(stewards) // size):
                name = f"{community.name}第{k + 1}组"
                if Pair.objects.filter(community=community, name=name).exists():
                    continue
                members = [
                    s
                    for s in stewards[k * size : (k + 1) * size]
                    if not s.memberships.filter(left_on__isnull=True).exists()
                ]
                if len(members) == size:
                    registry.form_pair(members, name=name, formed_on=start)
                    counts.pairs_created += 1
            proposal = suggest(community, start)
            if any(proposal.values()):
                change = apply_suggestion(community, proposal, day=start)
                counts.claims_created += change.claims.count()
    return counts


DEMO_PASSWORD = "alley-demo"  # noqa: S105 - local demo accounts only, listed in the README
DEMO_STAFF = (("planner", "planner"), ("supervisor", "supervisor"), ("gridworker", "grid_worker"))


def create_demo_accounts(street_office: StreetOffice) -> int:
    """Log-ins for the demo: one planner, supervisor and grid worker, and one per steward.

    Steward accounts are named after the steward's id (``steward<id>``); all share DEMO_PASSWORD.
    Idempotent; returns the number of accounts created.
    """
    from django.contrib.auth import get_user_model

    from geo.models import Membership

    user_model = get_user_model()
    created = 0

    def account(username: str) -> object:
        nonlocal created
        user, new = user_model.objects.get_or_create(username=username)
        if new:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
        return user

    first_community = street_office.communities.order_by("code").first()
    for username, role in DEMO_STAFF:
        Membership.objects.get_or_create(
            user=account(username),
            street_office=street_office,
            role=role,
            defaults={"community": first_community if role == "grid_worker" else None},
        )
    for steward in Steward.objects.filter(street_office=street_office, user__isnull=True):
        steward.user = account(f"steward{steward.pk}")
        steward.save(update_fields=["user"])
        Membership.objects.get_or_create(
            user=steward.user, street_office=street_office, role="steward"
        )
    return created
