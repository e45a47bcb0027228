"""Monthly partitions of the track table: created on demand before a write, dropped for retention.

`patrols_track` is range-partitioned by `started_at`, one UTC calendar month per partition named
`patrols_track_YYYY_MM` (migration 0007). Writers call `ensure_partitions` first; the SQL function
it calls serialises concurrent creators. Retention drops whole months (no row-by-row DELETE, no
table bloat) and then the uploads and original files that no longer have a track.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection, transaction

from patrols.models import TrackUpload

_NAME = re.compile(r"^patrols_track_(\d{4})_(\d{2})$")

LIST_PARTITIONS = """
SELECT c.relname, c.reltuples::bigint
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'patrols_track'::regclass
ORDER BY c.relname
"""


@dataclass(frozen=True)
class Partition:
    name: str
    month: date
    estimated_rows: int


def ensure_partitions(starts: Iterable[datetime]) -> int:
    """Create the monthly partitions these track start times need; returns how many were new."""
    starts = sorted(set(starts))
    if not starts:
        return 0
    with connection.cursor() as cur:
        cur.execute("SELECT patrols_ensure_track_partitions(%s::timestamptz[])", [starts])
        return int(cur.fetchone()[0])


def partitions() -> list[Partition]:
    with connection.cursor() as cur:
        cur.execute(LIST_PARTITIONS)
        rows = cur.fetchall()
    out = []
    for name, estimate in rows:
        m = _NAME.match(name)
        if m:  # anything else was attached by hand: never touched here
            out.append(Partition(name, date(int(m[1]), int(m[2]), 1), max(int(estimate), 0)))
    return out


def retention_months() -> int:
    return int(getattr(settings, "ALLEY_TRACK_RETENTION_MONTHS", 24))


def cutoff_month(keep_months: int, today: date | None = None) -> date:
    """First month kept: the current month and the `keep_months - 1` before it."""
    today = today or datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - (keep_months - 1)
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class PruneResult:
    cutoff: date
    partitions: list[str] = field(default_factory=list)
    tracks: int = 0
    uploads: int = 0
    files: int = 0
    dry_run: bool = False

    @property
    def cutoff_dt(self) -> datetime:
        return datetime(self.cutoff.year, self.cutoff.month, 1, tzinfo=UTC)


def prune(
    keep_months: int,
    *,
    dry_run: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> PruneResult:
    """Drop the partitions of months before the kept window, then their orphaned uploads/files.

    Verdicts, coverage and points computed from those tracks stay: only raw positions go.
    """
    if keep_months < 1:
        raise ValueError("keep_months must be at least 1")
    result = PruneResult(cutoff_month(keep_months, today), dry_run=dry_run)
    old = [p for p in partitions() if p.month < result.cutoff]
    say = progress or (lambda _msg: None)
    with transaction.atomic():
        if old and not dry_run:
            # Deferred FK checks of rows written earlier in an enclosing transaction would
            # block DROP TABLE ("pending trigger events"): run them now.
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for i, part in enumerate(old, 1):
            with connection.cursor() as cur:
                cur.execute(f'SELECT count(*) FROM "{part.name}"')
                n = int(cur.fetchone()[0])
                if not dry_run:
                    cur.execute(f'DROP TABLE "{part.name}"')
            result.partitions.append(part.name)
            result.tracks += n
            say(f"[{i}/{len(old)}] {part.name}: {n} tracks")
        orphans = TrackUpload.objects.filter(tracks__isnull=True)
        if dry_run:
            # Tracks of those months are still there: count the uploads that only have them.
            orphans = TrackUpload.objects.exclude(tracks__started_at__gte=result.cutoff_dt)
        files = [u.file.name for u in orphans.only("file") if u.file]
        result.uploads = orphans.count()
        if not dry_run:
            orphans.delete()
            # After the rows are gone; if the delete rolled back the files would still be needed.
            transaction.on_commit(lambda: _delete_files(files))
        result.files = len(files)
    return result


def _delete_files(names: list[str]) -> None:
    storage = TrackUpload._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
