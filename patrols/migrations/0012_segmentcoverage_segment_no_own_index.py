"""grids_segmentcoverage loses its single-column index on segment_id.

The unique (segment_id, pair_id, day) and the (segment_id, day) indexes both lead with segment_id,
so every lookup by segment (the foreign key's checks included) is served without it. It was only
written to (one more index entry per pair-day row), and the planner took it for the coverage
tile's day range, filtering every day of each segment instead of reading the range from
(segment_id, day). Only the index goes: Django's AlterField would also drop and re-create the
foreign key, re-validating the whole table under lock.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "grids_segmentcoverage_segment_id_1ba79d43"


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0004_shared_cache_table"),
        ("patrols", "0011_coverage_month_rollup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="segmentcoverage",
                    name="segment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="coverage",
                        to="geo.segment",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON grids_segmentcoverage (segment_id)",
                ),
            ],
        ),
    ]
