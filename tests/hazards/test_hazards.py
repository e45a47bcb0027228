"""The closed loop: who may do what, the audit trail, deadlines, duplicates, ratings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards.closed_loop import (
    TRANSITIONS,
    TransitionDenied,
    TransitionInvalid,
    create_report,
    duplicate_candidates,
    move_pin,
    overdue,
    rate,
    transition,
)
from hazards.models import HazardEvent, HazardReport

from .factories import jpeg_with_exif, make_office, pt, user

S = HazardReport.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return make_office()


@pytest.fixture
def people(office):
    return {
        "steward": user("steward", office),
        "grid_worker": user("grid_worker", office, "A"),
        "other_grid_worker": user("grid_worker", office, "B"),
        "supervisor": user("supervisor", office),
        "planner": user("planner", office),
        "department": user("department", office),
        "outsider": user(None, office),
    }


def _report(office, reporter, x=116.305, y=40.005, code="safety"):
    return create_report(
        category=office.hazard_categories.get(code=code),
        point=pt(x, y),
        description="楼道堆放电动车电池",
        reporter_kind="steward",
        reporter=reporter,
    )


def _walk(report, people, path):
    """Drive a report along `path` using the first role allowed at each step."""
    who = {
        S.ACCEPTED: "grid_worker",
        S.DISPATCHED: "grid_worker",
        S.IN_PROGRESS: "department",
        S.RESOLVED: "department",
        S.VERIFIED: "grid_worker",
        S.CLOSED: "supervisor",
    }
    for to in path:
        report = transition(
            report,
            to,
            people[who[to]],
            note=f"to {to}",
            after_photo=jpeg_with_exif() if to == S.RESOLVED else None,
        )
    return report


def test_report_falls_into_its_community_and_grid(office, people):
    r = _report(office, people["steward"], x=116.315)
    assert r.community.code == "T1B" and r.grid.code == "T1B1"
    assert r.department == "应急管理" and r.status == S.REPORTED


def test_each_transition_is_allowed_only_to_its_roles(office, people):
    """For every edge in the table, every role outside its allowed set is refused."""
    roles = ["steward", "grid_worker", "supervisor", "planner", "department", "outsider"]
    prefix = {
        S.REPORTED: [],
        S.ACCEPTED: [S.ACCEPTED],
        S.DISPATCHED: [S.ACCEPTED, S.DISPATCHED],
        S.IN_PROGRESS: [S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS],
        S.RESOLVED: [S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED],
        S.VERIFIED: [S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.VERIFIED],
    }
    for (frm, to), allowed in TRANSITIONS.items():
        if frm not in prefix:
            continue  # returned/postponed origins are covered by their own tests
        for role in roles:
            r = _walk(_report(office, people["steward"]), people, prefix[frm])
            kwargs = {
                "note": "原因",
                "after_photo": jpeg_with_exif(),
                "new_deadline": timezone.now() + timedelta(days=30),
                "duplicate_of": _report(office, people["steward"]),
            }
            if role in allowed:
                assert transition(r, to, people[role], **kwargs).status == to, (frm, to, role)
            else:
                with pytest.raises(TransitionDenied):
                    transition(r, to, people[role], **kwargs)
                r.refresh_from_db()
                assert r.status == frm


def test_grid_worker_of_another_community_is_refused(office, people):
    r = _report(office, people["steward"])  # community A
    with pytest.raises(TransitionDenied):
        transition(r, S.ACCEPTED, people["other_grid_worker"])


def test_the_full_loop_leaves_an_audit_trail(office, people):
    r = _walk(
        _report(office, people["steward"]),
        people,
        [S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.VERIFIED, S.CLOSED],
    )
    events = list(HazardEvent.objects.filter(report=r).order_by("id"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", S.REPORTED),
        (S.REPORTED, S.ACCEPTED),
        (S.ACCEPTED, S.DISPATCHED),
        (S.DISPATCHED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.RESOLVED),
        (S.RESOLVED, S.VERIFIED),
        (S.VERIFIED, S.CLOSED),
    ]
    assert events[3].actor == people["department"] and events[3].actor_role == "department"
    assert events[6].actor == people["supervisor"] and events[6].note == "to closed"
    assert r.photos.filter(kind="after").count() == 1
    assert r.closed_at and r.accepted_at and r.resolved_at and r.verified_at


def test_impossible_jumps_and_missing_after_photo_are_refused(office, people):
    r = _report(office, people["steward"])
    with pytest.raises(TransitionInvalid):
        transition(r, S.CLOSED, people["supervisor"])
    r = _walk(r, people, [S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS])
    with pytest.raises(TransitionInvalid, match="照片"):
        transition(r, S.RESOLVED, people["department"])


def test_returned_and_postponed_side_paths(office, people):
    r = _walk(_report(office, people["steward"]), people, [S.ACCEPTED, S.DISPATCHED])
    with pytest.raises(TransitionInvalid):
        transition(r, S.RETURNED, people["department"])  # a reason is required
    r = transition(r, S.RETURNED, people["department"], note="不属于本部门")
    r = transition(r, S.DISPATCHED, people["grid_worker"], department="应急管理")
    r = transition(r, S.IN_PROGRESS, people["department"])
    old_deadline = r.deadline_at
    with pytest.raises(TransitionDenied):
        transition(
            r,
            S.POSTPONED,
            people["department"],
            note="等材料",
            new_deadline=old_deadline + timedelta(days=3),
        )
    with pytest.raises(TransitionInvalid):
        transition(r, S.POSTPONED, people["supervisor"], note="等材料", new_deadline=old_deadline)
    r = transition(
        r,
        S.POSTPONED,
        people["supervisor"],
        note="等材料",
        new_deadline=old_deadline + timedelta(days=3),
    )
    assert r.deadline_at == old_deadline + timedelta(days=3)
    assert transition(r, S.IN_PROGRESS, people["department"]).status == S.IN_PROGRESS


def test_deadline_by_category_and_overdue_list(office, people):
    t0 = timezone.now() - timedelta(days=5)
    fast = _report(office, people["steward"], code="safety")  # 即时办 24 h
    slow = _report(office, people["steward"], code="illegal-construction")  # 限时办 240 h
    fast = transition(fast, S.ACCEPTED, people["grid_worker"], now=t0)
    slow = transition(slow, S.ACCEPTED, people["grid_worker"], now=t0)
    assert fast.deadline_at == t0 + timedelta(hours=24)
    assert slow.deadline_at == t0 + timedelta(hours=240)
    qs = HazardReport.objects.filter(street_office=office)
    assert list(overdue(qs)) == [fast]
    # Resolved work is no longer overdue.
    fast = _walk(fast, people, [S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED])
    assert list(overdue(qs)) == []


def test_duplicate_suggestions_use_the_category_radius(office, people):
    a = _report(office, people["steward"], x=116.3050, y=40.0050, code="parking")  # radius 80 m
    # ~43 m east: a candidate for parking (80 m); a safety report there is not (other category).
    near = pt(116.3055, 40.0050)
    far = pt(116.3070, 40.0050)  # ~170 m
    cat = office.hazard_categories.get(code="parking")
    assert [r.pk for r in duplicate_candidates(cat, near)] == [a.pk]
    assert list(duplicate_candidates(cat, far)) == []
    assert list(duplicate_candidates(office.hazard_categories.get(code="safety"), near)) == []
    b = create_report(category=cat, point=near, reporter_kind="anonymous")
    b = transition(b, S.DUPLICATE, people["grid_worker"], duplicate_of=a)
    assert b.duplicate_of == a
    # Closed/duplicate reports are no longer suggested.
    assert [r.pk for r in duplicate_candidates(cat, near)] == [a.pk]


def test_only_the_reporter_rates_and_only_after_closing(office, people):
    r = _report(office, people["steward"])
    with pytest.raises(TransitionInvalid):
        rate(r, people["steward"], 5)
    r = _walk(
        r, people, [S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.VERIFIED, S.CLOSED]
    )
    with pytest.raises(TransitionDenied):
        rate(r, people["supervisor"], 5)
    with pytest.raises(TransitionInvalid):
        rate(r, people["steward"], 6)
    assert rate(r, people["steward"], 4).rating == 4


def test_pin_can_be_moved_and_regrids(office, people):
    r = _report(office, people["steward"])
    r = move_pin(r, pt(116.318, 40.002), people["steward"])
    assert r.grid.code == "T1B1"
    with pytest.raises(TransitionDenied):
        move_pin(r, pt(116.305, 40.002), people["planner"])


def test_bulk_allowed_transitions_equal_the_single_ones(office, people):
    from hazards.closed_loop import allowed_transitions, allowed_transitions_bulk

    reports = [
        _report(office, people["steward"]),
        _walk(_report(office, people["steward"], x=116.315), people, []),
        _walk(_report(office, people["steward"]), people, [S.ACCEPTED, S.DISPATCHED]),
    ]
    for u in people.values():
        bulk = allowed_transitions_bulk(reports, u)
        assert bulk == {r.pk: allowed_transitions(r, u) for r in reports}
