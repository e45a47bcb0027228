"""Monthly partitions of the track table: created by uploads, pruned by day queries, dropped by
retention (with their uploads and original files), safe when two uploads open a month at once."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from patrols.models import Track, TrackUpload
from patrols.tracks.ingest import ingest_file
from patrols.tracks.partitions import cutoff_month, ensure_partitions, partitions, prune
from patrols.tracks.queries import LOAD_POINTS
from patrols.tracks.store import load_points
from tests.patrols_tracks import factories as f

HEAD = b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
TAIL = b"</trkseg></trk></gpx>"


def gpx(start: datetime, minutes: float, step_s: float = 10.0) -> bytes:
    """A walk back and forth along a 400 m street at ~1 m/s from `start` for `minutes`."""
    t = np.arange(0, minutes * 60 + 1e-9, step_s)
    along = 400 * np.abs(((t / 800.0) % 2) - 1)  # metres, a triangle wave: no jumps or gaps
    lon = 116.31 + along / 85_000
    stamps = [(start + timedelta(seconds=float(s))).strftime("%Y-%m-%dT%H:%M:%SZ") for s in t]
    body = "".join(
        f'<trkpt lat="40.0000000" lon="{x:.7f}"><time>{s}</time></trkpt>'
        for x, s in zip(lon, stamps, strict=True)
    )
    return HEAD + body.encode() + TAIL


def upload(steward, start: datetime, minutes: float, **kw):
    return ingest_file(
        io.BytesIO(gpx(start, minutes, **kw)), filename="t.gpx", steward=steward, now=4e9
    )


def partition_of(track: Track) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM patrols_track WHERE id = %s", [track.pk])
        return cur.fetchone()[0]


def scanned_partitions(sql: str, params: dict) -> set[str]:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    names: set[str] = set()

    def walk(node: dict) -> None:
        if str(node.get("Relation Name", "")).startswith("patrols_track_"):
            names.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return names


@pytest.fixture
def steward(db):
    return f.steward(f.office())


@pytest.mark.django_db
def test_an_upload_creates_its_months_partition_and_lands_there(steward) -> None:
    res = upload(steward, datetime(2024, 5, 3, 1, tzinfo=UTC), 30)
    track = Track.objects.get(upload=res.upload)
    assert partition_of(track) == "patrols_track_2024_05"
    assert "patrols_track_2024_05" in {p.name for p in partitions()}
    # The partition inherits lz4 for the per-vertex arrays (migration 0003's choice).
    with connection.cursor() as cur:
        cur.execute(
            "SELECT attname, attcompression FROM pg_attribute "
            "WHERE attrelid = 'patrols_track_2024_05'::regclass AND attname IN ('geom', 'times')"
        )
        assert dict(cur.fetchall()) == {"geom": "l", "times": "l"}


@pytest.mark.django_db
def test_a_track_crossing_the_month_end_is_found_on_both_days(steward) -> None:
    res = upload(steward, datetime(2024, 5, 31, 23, 30, tzinfo=UTC), 60)
    track = Track.objects.get(upload=res.upload)
    assert partition_of(track) == "patrols_track_2024_05"
    june_1 = datetime(2024, 6, 1, tzinfo=UTC)
    t, _lon, _lat = load_points([steward.pk], june_1, june_1 + timedelta(days=1))[steward.pk]
    assert t.size == 181 and t.min() == june_1.timestamp()  # 00:00:00 … 00:30:00 every 10 s
    may_31 = june_1 - timedelta(days=1)
    assert load_points([steward.pk], may_31, june_1)[steward.pk][0].size == 180


@pytest.mark.django_db
def test_a_logger_left_on_for_two_days_is_stored_as_day_long_tracks(steward) -> None:
    res = upload(steward, datetime(2024, 5, 3, 1, tzinfo=UTC), 50 * 60, step_s=60)
    assert res.report["long_track_splits"] == 2 and res.report["gap_splits"] == 0
    tracks = list(Track.objects.filter(upload=res.upload).order_by("started_at"))
    assert [t.point_count for t in tracks] == [1440, 1440, 121]
    assert all(t.ended_at - t.started_at < timedelta(days=1) for t in tracks)
    assert tracks[1].started_at == datetime(2024, 5, 4, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_day_queries_scan_only_the_months_they_can_touch(steward) -> None:
    for month in (1, 3, 5, 6):
        upload(steward, datetime(2024, month, 10, 1, tzinfo=UTC), 20)
    day = datetime(2024, 5, 10, tzinfo=UTC)
    params = {"ids": [steward.pk], "start": day, "end": day + timedelta(days=1)}
    assert scanned_partitions(LOAD_POINTS, params) == {"patrols_track_2024_05"}
    first = datetime(2024, 6, 1, tzinfo=UTC)  # the day before may hold a track that runs into it
    params = {"ids": [steward.pk], "start": first, "end": first + timedelta(days=1)}
    assert scanned_partitions(LOAD_POINTS, params) == {
        "patrols_track_2024_05",
        "patrols_track_2024_06",
    }


def test_cutoff_month_counts_calendar_months() -> None:
    assert cutoff_month(1, date(2024, 6, 15)) == date(2024, 6, 1)
    assert cutoff_month(2, date(2024, 6, 15)) == date(2024, 5, 1)
    assert cutoff_month(24, date(2024, 1, 31)) == date(2022, 2, 1)


@pytest.mark.django_db
def test_prune_drops_old_months_with_their_uploads_and_files(steward) -> None:
    old = upload(steward, datetime(2024, 1, 10, 1, tzinfo=UTC), 20).upload
    kept = upload(steward, datetime(2024, 5, 10, 1, tzinfo=UTC), 20).upload
    storage = old.file.storage
    assert storage.exists(old.file.name)

    dry = prune(2, dry_run=True, today=date(2024, 6, 15))
    assert (dry.partitions, dry.tracks, dry.uploads, dry.files) == (
        ["patrols_track_2024_01"],
        1,
        1,
        1,
    )
    assert Track.objects.count() == 2 and TrackUpload.objects.count() == 2

    with transaction.atomic():  # on_commit (file deletion) runs when this block commits
        done = prune(2, today=date(2024, 6, 15))
    assert (done.partitions, done.tracks, done.uploads, done.files) == (
        ["patrols_track_2024_01"],
        1,
        1,
        1,
    )
    assert "patrols_track_2024_01" not in {p.name for p in partitions()}
    assert list(TrackUpload.objects.all()) == [kept]
    assert Track.objects.filter(upload=kept).count() == 1
    assert storage.exists(kept.file.name)


@pytest.mark.django_db
def test_prune_command_reports_and_refuses_nonsense(steward, capsys) -> None:
    upload(steward, datetime(2024, 1, 10, 1, tzinfo=UTC), 20)
    call_command("prune_tracks", "--keep-months", "1", "--dry-run")
    out = capsys.readouterr().out
    assert "patrols_track_2024_01: 1 tracks" in out and "将删除 1 个月分区" in out
    call_command("prune_tracks", "--list")
    assert "patrols_track_2024_01" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="至少为 1"):
        call_command("prune_tracks", "--keep-months", "0")


@pytest.mark.django_db(transaction=True)
def test_two_uploads_opening_the_same_month_at_once_both_succeed() -> None:
    month = datetime(2031, 7, 15, tzinfo=UTC)
    first_inside = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = ensure_partitions([month])
                first_inside.set()
                threading.Event().wait(0.5)  # hold the new partition uncommitted
        except Exception as exc:  # noqa: BLE001 — reported below
            results["first"] = exc
        finally:
            first_inside.set()
            connections.close_all()

    def second() -> None:
        first_inside.wait(5)
        try:
            with transaction.atomic():
                results["second"] = ensure_partitions([month + timedelta(days=3)])
        except Exception as exc:  # noqa: BLE001
            results["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    try:
        assert results == {"first": 1, "second": 0}
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS patrols_track_2031_07")
