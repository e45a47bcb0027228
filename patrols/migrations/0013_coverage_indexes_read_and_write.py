"""The coverage tables' indexes carry what a tile reads; two single-column foreign-key indexes
go; fresh rows are vacuumed sooner.

* patrols_segmentcoveragemonth's unique (segment_id, month, claimed, n_bits) INCLUDE
  (covered_bits, patrol_count): a whole-month tile reads each segment's month row from the index
  alone (z14 tile of the bench district ~10.0 → ~9.0 ms of SQL). The roll-up triggers' upserts
  (ON CONFLICT on the same key columns) were not HOT before (1 % of updates), so the wider entry
  adds no index writes; the constraint keeps its name and key.

* (segment_id, day) INCLUDE (covered_bits, patrol_count, claimed, walked_m): a tile over days
  outside whole months (the map opens on the last 7 days) reads each segment's pair-day rows from
  the index alone (an index-only scan) instead of one heap page per row: a 7-day z14 tile of the
  bench district 16.2 → 12.3 ms of SQL.
* The indexes on pair_id alone and street_office_id alone are dropped: (pair_id, day) and
  (street_office_id, day) lead with the same column and serve every lookup they served, the
  foreign keys' checks included. They were only written to: two index entries less per row the
  district run copies in. Only the indexes go (as in 0012: AlterField would drop and re-create
  the foreign keys, re-validating the table under lock).
* Vacuumed sooner: an index-only scan reads the heap for rows on pages not yet marked
  all-visible. By default a 1.5 M-row coverage table waited for ~300,000 new rows (six district
  days) before an insert-triggered vacuum marked them, and a year of month rows for ~150,000
  updated ones; with scale factors of 0.01 (coverage inserts) and 0.02 (month updates) a
  district run's rows are vacuumed within autovacuum's next round (a minute).
"""

import django.db.models.deletion
from django.db import migrations, models

PAIR_INDEX = "grids_segmentcoverage_pair_id_7777d002"
OFFICE_INDEX = "grids_segmentcoverage_street_office_id_f0195b3c"


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0004_shared_cache_table"),
        ("patrols", "0012_segmentcoverage_segment_no_own_index"),
        ("stewards", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="segmentcoveragemonth", name="coverage_month_unique"
        ),
        migrations.AddConstraint(
            model_name="segmentcoveragemonth",
            constraint=models.UniqueConstraint(
                fields=["segment", "month", "claimed", "n_bits"],
                include=["covered_bits", "patrol_count"],
                name="coverage_month_unique",
            ),
        ),
        migrations.AddIndex(
            model_name="segmentcoverage",
            index=models.Index(
                fields=["segment", "day"],
                include=["covered_bits", "patrol_count", "claimed", "walked_m"],
                name="coverage_segment_day_cover",
            ),
        ),
        migrations.RemoveIndex(model_name="segmentcoverage", name="coverage_segment_day"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="segmentcoverage",
                    name="pair",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="coverage",
                        to="stewards.pair",
                    ),
                ),
                migrations.AlterField(
                    model_name="segmentcoverage",
                    name="street_office",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="geo.streetoffice",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {PAIR_INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {PAIR_INDEX} ON grids_segmentcoverage (pair_id)",
                ),
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {OFFICE_INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {OFFICE_INDEX} "
                    "ON grids_segmentcoverage (street_office_id)",
                ),
            ],
        ),
        migrations.RunSQL(
            "ALTER TABLE grids_segmentcoverage SET (autovacuum_vacuum_insert_scale_factor = 0.01)",
            "ALTER TABLE grids_segmentcoverage RESET (autovacuum_vacuum_insert_scale_factor)",
        ),
        migrations.RunSQL(
            "ALTER TABLE patrols_segmentcoveragemonth SET (autovacuum_vacuum_scale_factor = 0.02)",
            "ALTER TABLE patrols_segmentcoveragemonth RESET (autovacuum_vacuum_scale_factor)",
        ),
    ]
