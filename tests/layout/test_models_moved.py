"""Issue 12: the registry, credit and hazard models left `patrols` (and walked coverage left `grids`)
without touching the database. A database at the old head, loaded with the demo, is migrated to
the new head: every row, every table's schema and a pair-day verdict stay as they were."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.patrols_rule.tile_reference import MONTHS_DIRECT, MONTHS_KEPT

# The heads before the move; the new apps had no migrations then. geo's later migrations are
# independent of the move and today's load_demo needs them (issue 17: the versioned network).
OLD_HEAD = [
    ("geo", "0003_versioned_network"),
    ("grids", "0003_segment_coverage"),
    ("patrols", "0007_partition_tracks_by_month"),
]
NEW_APPS = ["stewards", "credits", "hazards"]

# Every table of the moved models, as raw SQL elsewhere names them.
MOVED_TABLES = {
    "stewards": ["steward", "pair", "pairmember", "stewardstatuschange", "programmesettings"],
    "credits": [
        "creditsettings", "creditsupermarket", "pointsentry", "pointsbalance", "redemption",
        "assessment", "replacementtask",
    ],
    "hazards": [
        "hazardcategory", "hazardreport", "hazardphoto", "hazardevent", "open311key",
        "hazarddepartmentmember",
    ],
}  # fmt: skip
STAYING_TABLES = ["patrols_track", "patrols_trackupload", "patrols_pairdayverdict", "grids_claim"]

SCHEMA = """
SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
WHERE table_schema = 'public' AND (table_name LIKE 'patrols%%' OR table_name LIKE 'grids%%')
UNION ALL
SELECT tablename, indexname, indexdef, '' FROM pg_indexes
WHERE schemaname = 'public' AND (tablename LIKE 'patrols%%' OR tablename LIKE 'grids%%')
UNION ALL
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), '' FROM pg_constraint
WHERE conrelid::regclass::text LIKE 'patrols%%' OR conrelid::regclass::text LIKE 'grids%%'
ORDER BY 1, 2, 3
"""


def _tables() -> list[str]:
    moved = [f"patrols_{m}" for models in MOVED_TABLES.values() for m in models]
    return [*moved, "grids_segmentcoverage", *STAYING_TABLES]


def _snapshot() -> tuple[dict[str, int], list[tuple]]:
    with connection.cursor() as cur:
        counts = {}
        for table in _tables():
            cur.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cur.fetchone()[0]
        cur.execute(SCHEMA)
        return counts, cur.fetchall()


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_a_demo_database_migrates_to_the_new_layout_unchanged(settings, tmp_path) -> None:
    from patrols.evaluation import evaluate_pair_day
    from patrols.models import PairDayVerdict
    from stewards.models import Pair, Steward

    settings.MEDIA_ROOT = tmp_path
    executor = _migrate([*OLD_HEAD, *((app, None) for app in NEW_APPS)])
    old_apps = executor.loader.project_state(OLD_HEAD).apps
    # At the old head the models are patrols' (and grids') again.
    assert old_apps.get_model("patrols", "Steward")._meta.db_table == "patrols_steward"
    assert old_apps.get_model("grids", "SegmentCoverage")._meta.db_table == "grids_segmentcoverage"

    # The demo, loaded while the database is at the old head (the tables are the same).
    call_command("load_demo", days=1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    before, schema_before = _snapshot()
    old_ct = ContentType.objects.get(app_label="patrols", model="steward").pk
    assert old_apps.get_model("patrols", "Steward").objects.count() == before["patrols_steward"]
    assert before["patrols_steward"] > 30 and before["patrols_hazardreport"] > 100
    assert before["grids_segmentcoverage"] > 1000 and before["patrols_pointsentry"] > 0
    verdict = PairDayVerdict.objects.order_by("-minutes_together", "pair_id").first()
    assert verdict is not None

    executor = _migrate(executor.loader.graph.leaf_nodes())
    after, schema_after = _snapshot()
    assert after == before
    # patrols 0011 (after the move) adds the coverage month roll-up and a (segment, day) index,
    # which 0013 makes a covering one; 0011's backfill of the demo's coverage equals the month
    # aggregates of the rows.
    added = {"patrols_segmentcoveragemonth", "coverage_segment_day_cover"}
    assert {r[1] for r in schema_after} >= {"coverage_segment_day_cover"}
    schema_after = [r for r in schema_after if r[0] not in added and r[1] not in added]
    # patrols 0012 and 0013 drop the coverage table's single-column indexes on segment_id,
    # pair_id and street_office_id (the unique (segment, pair, day), (segment, day), (pair, day)
    # and (office, day) indexes lead with them).
    dropped = {
        "grids_segmentcoverage_segment_id_1ba79d43",
        "grids_segmentcoverage_pair_id_7777d002",
        "grids_segmentcoverage_street_office_id_f0195b3c",
    }
    assert dropped <= {r[1] for r in schema_before}
    assert not dropped & {r[1] for r in schema_after}
    schema_before = [r for r in schema_before if r[1] not in dropped]
    with connection.cursor() as cur:
        cur.execute(MONTHS_KEPT)
        kept = cur.fetchall()
        cur.execute(MONTHS_DIRECT)
        assert kept == cur.fetchall() and len(kept) > 100
    assert schema_after == schema_before  # state-only: no column, index or constraint touched
    # Content types (and so permissions and admin history) followed their models.
    assert ContentType.objects.get(app_label="stewards", model="steward").pk == old_ct
    assert not ContentType.objects.filter(app_label="patrols", model="steward").exists()
    assert Steward.objects.count() == before["patrols_steward"]

    stored = PairDayVerdict.objects.get(pk=verdict.pk)
    assert (stored.compliant, stored.minutes_together, stored.minutes_qualifying) == (
        verdict.compliant,
        verdict.minutes_together,
        verdict.minutes_qualifying,
    )
    # And the rule, re-run on the migrated data, reaches the same verdict.
    again = evaluate_pair_day(Pair.objects.get(pk=verdict.pair_id), verdict.day)
    assert again.compliant == verdict.compliant
    assert again.minutes_together == pytest.approx(verdict.minutes_together, abs=1e-6)
