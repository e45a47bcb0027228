"""Run the patrol rule over stored data and store verdicts and coverage.

Two entry points, one computation: `evaluate_pair_day` (after a track upload) and
`evaluate_street_office` (the management command, a date range). Both use the office-centred
projection and the same segment set, so they give the same numbers for the same pair-day.
Points come from `points_loader(steward_ids, start, end)` — by default
`patrols.tracks.load_points`, which returns {steward_id: (t epoch s UTC, lon, lat)} sorted by t.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context

import numpy as np
from django.db import connection, connections, transaction
from django.utils import timezone

from geo.local_days import local_day_bounds_epoch, local_days_epoch
from geo.local_projection import LocalProjection
from geo.models import Segment
from grids.models import Claim
from patrols import coverage_queries as grid_queries
from patrols.coverage_rows import coverage_rows
from patrols.evidence import Evidence, TrackSource, assess_evidence
from patrols.models import PairDayVerdict, RuleSettings, SegmentCoverage
from patrols.pair_day import SegmentSet, assess_on_segments
from patrols.rule_config import RuleParams
from patrols.tracks.series import TrackArrays
from patrols.tracks.store import track_sources
from stewards.models import Pair, PairMember, Steward, pair_exists_on

PointsLoader = Callable[[Sequence[int], datetime, datetime], dict[int, TrackArrays]]
Progress = Callable[[int, int, str], None]


def _default_loader() -> PointsLoader:
    from patrols.tracks.store import load_points  # wired at merge (issue 4 owns track storage)

    return load_points


def params_for_office(office_id: int) -> RuleParams:
    row = RuleSettings.objects.filter(street_office_id=office_id).first()
    return RuleParams.from_overrides(row.overrides if row else None)


def office_projection(office) -> LocalProjection:
    c = office.geom.centroid
    return LocalProjection.around(np.array([c.x]), np.array([c.y]))


def _load_window(day: date, params: RuleParams) -> tuple[datetime, datetime]:
    """The local day plus enough on each side to interpolate across midnight and smooth speed."""
    start, end = local_day_bounds_epoch(day, params.timezone)
    pad = params.gap_tolerance_s + params.speed_window_s + 2 * params.grid_step_s
    return datetime.fromtimestamp(start - pad, UTC), datetime.fromtimestamp(end + pad, UTC)


def members_on(
    day: date, pair_ids: Iterable[int] | None = None, office_id: int | None = None
) -> dict[int, list[int]]:
    qs = PairMember.objects.on(day).filter(pair_exists_on(day, "pair__"))
    if pair_ids is not None:
        qs = qs.filter(pair_id__in=list(pair_ids))
    if office_id is not None:
        qs = qs.filter(pair__street_office_id=office_id)
    members: dict[int, list[int]] = {}
    for pair_id, steward_id in qs.order_by("pair_id", "steward_id").values_list(
        "pair_id", "steward_id"
    ):
        members.setdefault(pair_id, []).append(steward_id)
    return members


def claimed_segments(day: date, pair_ids: Iterable[int]) -> dict[int, list[int]]:
    """{pair id: [segment ids it claims on ``day``]}, for the pairs given."""
    qs = Claim.objects.on(day).filter(pair_id__in=list(pair_ids))
    claims: dict[int, list[int]] = {}
    for pair_id, seg_id in (
        qs.order_by("pair_id", "segment_id").values_list("pair_id", "segment_id").distinct()
    ):
        claims.setdefault(pair_id, []).append(seg_id)
    return claims


@dataclass
class PairDayResult:
    pair_id: int
    day: date
    verdict: object
    measurement: object
    coverage_rows: list[grid_queries.CoverageRow]


def _assess(
    pair: Pair,
    day: date,
    member_ids: list[int],
    claimed_ids: list[int],
    tracks: dict[int, TrackArrays],
    segs: SegmentSet,
    projection: LocalProjection,
    params: RuleParams,
    sources: Mapping[int, list[TrackSource]] | None = None,
    names: Mapping[int, str] | None = None,
) -> PairDayResult:
    evidence = _evidence(member_ids, tracks, sources or {}, names, params)
    r = assess_on_segments(day, member_ids, claimed_ids, tracks, segs, projection, params, evidence)
    m, v, cov, walked, is_claimed = r.measurement, r.verdict, r.coverage, r.walked, r.is_claimed
    covered = cov.covered if cov.covered is not None else np.unique(walked.sample)
    rows = coverage_rows(pair, day, segs, cov, is_claimed, covered)
    return PairDayResult(pair.id, day, v, m, rows)


def _evidence(
    member_ids: list[int],
    tracks: Mapping[int, TrackArrays],
    sources: Mapping[int, list[TrackSource]],
    names: Mapping[int, str] | None,
    params: RuleParams,
) -> Evidence | None:
    """Proof that two people walked (patrols.evidence); None when there is nothing to say."""
    ev = assess_evidence(member_ids, tracks, sources, params.gap_tolerance_s)
    if not ev.uncredited and not ev.proxies:
        return None
    if ev.proxies:
        ev.names = dict(names) if names is not None else _names(member_ids)
    return ev


def _names(steward_ids: Iterable[int]) -> dict[int, str]:
    return dict(Steward.objects.filter(id__in=list(steward_ids)).values_list("id", "name"))


def _verdict_row(pair: Pair, day: date, v, digest: str, now: datetime) -> PairDayVerdict:
    per_member = v.minutes_inside_per_member or [0.0]
    return PairDayVerdict(
        pair_id=pair.id,
        street_office_id=pair.street_office_id,
        community_id=pair.community_id,
        day=day,
        compliant=v.compliant,
        minutes_qualifying=v.minutes_qualifying,
        minutes_together=v.minutes_together,
        minutes_together_inside=v.minutes_together_inside,
        minutes_inside_min_member=min(per_member),
        walked_share=v.walked_share,
        failed_codes=v.failed_codes,
        reasons=v.reasons,
        numbers=v.numbers,
        params_digest=digest,
        computed_at=now,
    )


VERDICT_UPDATE_FIELDS = [
    "street_office",
    "community",
    "compliant",
    "minutes_qualifying",
    "minutes_together",
    "minutes_together_inside",
    "minutes_inside_min_member",
    "walked_share",
    "failed_codes",
    "reasons",
    "numbers",
    "params_digest",
    "computed_at",
]


def _store(
    results: list[PairDayResult],
    pairs: dict[int, Pair],
    params: RuleParams,
    *,
    replace_coverage: bool = True,
) -> None:
    """Verdicts upserted and the pair-days' coverage rows written, replacing their old rows
    unless the caller already deleted them (`replace_coverage=False`: an office run deletes a
    day's rows once, since every delete statement recounts the months it touched)."""
    if not results:
        return
    now, digest = timezone.now(), params.digest()  # the digest hashes the params: once a part
    with transaction.atomic():
        PairDayVerdict.objects.bulk_create(
            [_verdict_row(pairs[r.pair_id], r.day, r.verdict, digest, now) for r in results],
            update_conflicts=True,
            unique_fields=["pair", "day"],
            update_fields=VERDICT_UPDATE_FIELDS,
            batch_size=2000,
        )
        if replace_coverage:
            by_day: dict[date, list[int]] = {}
            for r in results:
                by_day.setdefault(r.day, []).append(r.pair_id)
            for day, pair_ids in by_day.items():
                SegmentCoverage.objects.filter(day=day, pair_id__in=pair_ids).delete()
        with connection.wrap_database_errors:  # a broken foreign key: Django's IntegrityError
            grid_queries.copy_coverage_rows([row for r in results for row in r.coverage_rows])


def assess_pair(
    pair: Pair,
    day: date,
    *,
    points_loader: PointsLoader | None = None,
    params: RuleParams | None = None,
) -> PairDayResult:
    """The rule on one pair-day, computed and not stored (an upload re-check, a live status)."""
    loader = points_loader or _default_loader()
    office = pair.street_office
    params = params or params_for_office(office.id)
    projection = office_projection(office)
    member_ids = members_on(day, [pair.id]).get(pair.id, [])
    claimed_ids = claimed_segments(day, [pair.id]).get(pair.id, [])
    start, end = _load_window(day, params)
    tracks = loader(member_ids, start, end) if member_ids else {}
    sources = track_sources(member_ids, start, end) if member_ids else {}
    # Only segments the walk can reach (its bbox + the matching radius) and the claimed ones.
    lons = np.concatenate([np.asarray(tr[1]) for tr in tracks.values()] + [np.zeros(0)])
    lats = np.concatenate([np.asarray(tr[2]) for tr in tracks.values()] + [np.zeros(0)])
    pad = 0.001  # ~100 m, far more than cover_m and inside_m
    bbox = (
        (lons.min() - pad, lats.min() - pad, lons.max() + pad, lats.max() + pad)
        if len(lons)
        else (0, 0, 0, 0)
    )
    ids, lines = grid_queries.segments_for_office(office.id, bbox, include=claimed_ids, day=day)
    segs = SegmentSet.build(ids, lines, projection, params)
    return _assess(pair, day, member_ids, claimed_ids, tracks, segs, projection, params, sources)


def evaluate_pair_day(
    pair: Pair,
    day: date,
    *,
    points_loader: PointsLoader | None = None,
    params: RuleParams | None = None,
) -> PairDayVerdict:
    """Recompute and store one pair-day (after an upload); returns the stored verdict."""
    params = params or params_for_office(pair.street_office_id)
    result = assess_pair(pair, day, points_loader=points_loader, params=params)
    _store([result], {pair.id: pair}, params)
    return PairDayVerdict.objects.get(pair=pair, day=day)


def reevaluate_after_upload(
    steward_id: int, t_min: float, t_max: float, *, points_loader: PointsLoader | None = None
) -> list[PairDayVerdict]:
    """The pair-days an upload of points in [t_min, t_max] (epoch s) touches, recomputed.

    For the upload response: one verdict per local day per pair the steward was in that day.
    """
    out = []
    steward = Steward.objects.select_related("street_office").get(id=steward_id)
    tz = params_for_office(steward.street_office_id).timezone
    for day in local_days_epoch(np.array([t_min, t_max]), tz):
        pair_ids = (
            PairMember.objects.on(day)
            .filter(steward_id=steward_id)
            .values_list("pair_id", flat=True)
        )
        for pair in Pair.objects.filter(id__in=list(pair_ids)).select_related("street_office"):
            out.append(evaluate_pair_day(pair, day, points_loader=points_loader))
    return out


_FORK_STATE: dict = {}
# Below this many pairs a day, forking costs more than it saves.
PARALLEL_MIN_PAIRS = 50


def _assess_chunk(pair_ids: list[int]) -> list[PairDayResult]:
    st = _FORK_STATE
    tracks = st["tracks"]
    if tracks is None:
        # A forked worker reads its own pairs' points on its own connection: the reading and
        # decoding run on every core instead of before the fork in one process.
        stewards = sorted({s for p in pair_ids for s in st["members"][p]})
        tracks = st["loader"](stewards, *st["window"]) if stewards else {}
        connections.close_all()  # the worker's own connection, opened by the loader
    out = []
    for pair_id in pair_ids:
        r = _assess(
            st["pairs"][pair_id],
            st["day"],
            st["members"][pair_id],
            st["claims"].get(pair_id, []),
            tracks,
            st["segs"],
            st["projection"],
            st["params"],
            st["sources"],
            st["names"],
        )
        r.measurement = None  # per-second series: not needed once the rows are built
        out.append(r)
    return out


def day_chunks(keys: list[int], workers: int, largest: int = 50) -> list[list[int]]:
    """The pairs of a day cut into chunks for `workers` processes: up to `largest` pairs while
    much is left, then smaller (a quarter of what is left with 2 workers, at least 5), so the
    workers finish together instead of one computing a last full chunk while the others idle."""
    chunks, i = [], 0
    smallest = min(5, max(1, len(keys) // (2 * workers)))
    while i < len(keys):
        size = max(smallest, min(largest, -(-(len(keys) - i) // (2 * workers))))
        chunks.append(keys[i : i + size])
        i += size
    return chunks


@contextmanager
def _day_parts(keys: list[int], workers: int) -> Iterator[Iterator[list[PairDayResult]]]:
    """Every pair-day of _FORK_STATE's day, a chunk at a time (in forked workers when asked).

    A context: the workers are forked on entry, before the caller opens its transaction.
    """
    if workers > 1 and len(keys) >= PARALLEL_MIN_PAIRS:
        # Forked workers inherit the prepared segments and compute (no writes); they send back
        # verdicts and coverage rows, which the caller stores while the others still compute.
        chunks = day_chunks(keys, workers)
        if _FORK_STATE["tracks"] is None:
            connections.close_all()  # no socket shared with the children; reopened on next use
        with get_context("fork").Pool(workers) as pool:
            yield pool.imap(_assess_chunk, chunks)
        return
    yield (_assess_chunk(keys[i : i + 100]) for i in range(0, len(keys), 100))


def _load_all_of(
    loader: PointsLoader, stewards: list[int], start: datetime, end: datetime
) -> dict[int, TrackArrays]:
    return loader(stewards, start, end) if stewards else {}


# The month roll-up's triggers (migration 0011) join a statement's transition rows with the
# coverage tables. On tables the planner has no statistics for (a new office, a first run, a
# bulk import autovacuum has not caught up with) it picks nested loops, which grow with rows
# squared: deleting 3,206 rows took 2.9 s, and 15 ms once both tables were analysed.
_STALE_COVERAGE_STATS = """
SELECT relname FROM pg_stat_user_tables
WHERE relname IN ('grids_segmentcoverage', 'patrols_segmentcoveragemonth')
  AND n_mod_since_analyze > 1000 + 0.2 * n_live_tup
"""


def _analyse_stale_coverage_tables() -> None:
    """ANALYZE the coverage tables when they changed much since their last statistics (what
    autovacuum would do, now rather than within the next minute)."""
    with connection.cursor() as cur:
        cur.execute(_STALE_COVERAGE_STATS)
        for (table,) in cur.fetchall():
            cur.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _check_keys_as_stored() -> None:
    """Check the foreign keys of the day's rows (~3 per coverage row) as each part is stored,
    while the workers still compute, instead of all at the commit after the last part, with the
    workers done and a core idle. Ends with the transaction; a violation still undoes the day."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


@dataclass
class OfficeRunStats:
    days: int = 0
    pair_days: int = 0
    compliant: int = 0
    coverage_rows: int = 0


def evaluate_street_office(
    office,
    start_date: date,
    end_date: date,
    *,
    progress: Progress | None = None,
    points_loader: PointsLoader | None = None,
    params: RuleParams | None = None,
    workers: int = 1,
) -> OfficeRunStats:
    """Recompute every pair-day of the office in [start_date, end_date] (inclusive).

    One day at a time, in one transaction: delete the day's coverage rows once, assess each
    pair (in `workers` forked processes when > 1, each reading its own pairs' points; otherwise
    every member's points are loaded once) and store each chunk's verdicts and coverage rows as
    it arrives, so the reading, decoding and storing overlap the compute instead of running
    before and after it in one process.
    """
    loader = points_loader or _default_loader()
    params = params or params_for_office(office.id)
    projection = office_projection(office)
    # The network of each day: built once, and again on the days a street import changed it.
    changes = Segment.objects.change_days(start_date, end_date)
    segs = None
    stats = OfficeRunStats()
    n_days = (end_date - start_date).days + 1
    for d in range(n_days):
        day = start_date + timedelta(days=d)
        if segs is None or day in changes:
            ids, lines = grid_queries.segments_for_office(office.id, day=day)
            segs = SegmentSet.build(ids, lines, projection, params)
        members = members_on(day, office_id=office.id)
        pairs = {p.id: p for p in Pair.objects.filter(id__in=list(members))}
        claims = claimed_segments(day, members)
        stewards = sorted({s for ms in members.values() for s in ms})
        start, end = _load_window(day, params)
        sources = track_sources(stewards, start, end) if stewards else {}
        keys = list(members)
        forking = workers > 1 and len(keys) >= PARALLEL_MIN_PAIRS
        # Workers read their own points unless the caller's transaction holds data that other
        # connections cannot see yet (then the parent reads, and the children inherit them).
        _FORK_STATE.update(
            sources=sources,
            names=_names(stewards) if sources else {},
            pairs=pairs,
            day=day,
            members=members,
            claims=claims,
            tracks=None
            if forking and not connection.in_atomic_block
            else _load_all_of(loader, stewards, start, end),
            loader=loader,
            window=(start, end),
            segs=segs,
            projection=projection,
            params=params,
        )
        done = compliant = rows = 0
        _analyse_stale_coverage_tables()
        try:
            # One transaction for the day; each part is stored as it arrives.
            outermost = not connection.in_atomic_block
            with _day_parts(keys, workers) as parts, transaction.atomic():
                if outermost:  # (inside a caller's transaction the setting would outlive ours)
                    _check_keys_as_stored()
                SegmentCoverage.objects.filter(day=day, pair_id__in=keys).delete()
                for part in parts:
                    _store(part, pairs, params, replace_coverage=False)
                    done += len(part)
                    compliant += sum(1 for r in part if r.verdict.compliant)
                    rows += sum(len(r.coverage_rows) for r in part)
                    if progress:
                        progress(done, len(keys), f"{day} {done}/{len(keys)}")
        finally:
            _FORK_STATE.clear()
        stats.days += 1
        stats.pair_days += done
        stats.compliant += compliant
        stats.coverage_rows += rows
        if progress:
            progress(
                d + 1,
                n_days,
                f"{day}: {done} 组, {compliant} 组达标",
            )
    return stats


def reevaluate_upload(upload) -> list[PairDayVerdict]:
    """Recompute the pair-days a freshly stored upload touches (the verdict for the upload response)."""
    from django.db.models import Max, Min

    span = upload.tracks.aggregate(start=Min("started_at"), end=Max("ended_at"))
    if span["start"] is None:
        return []
    return reevaluate_after_upload(
        upload.steward_id, span["start"].timestamp(), span["end"].timestamp()
    )
