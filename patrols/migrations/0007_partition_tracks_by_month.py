# Hand-written: Django cannot declare a partitioned table, so the database side is SQL and the
# model state changes only where the model changed (see docs/design/tracks.md, "Partitions").

import datetime

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models

# A UTC calendar month per partition, created on demand by patrols.ingest before each write.
# The advisory lock serialises creators; a loser of the race gets duplicate_table and moves on.
ENSURE_FUNCTION = """
CREATE FUNCTION patrols_ensure_track_partitions(starts timestamptz[]) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    m date;
    name text;
    created integer := 0;
BEGIN
    FOR m IN
        SELECT DISTINCT date_trunc('month', s AT TIME ZONE 'UTC')::date FROM unnest(starts) AS s
    LOOP
        name := format('patrols_track_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtext('patrols_track_partitions'));
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF patrols_track FOR VALUES FROM (%L) TO (%L)',
                    name,
                    m::timestamp AT TIME ZONE 'UTC',
                    (m + interval '1 month')::timestamp AT TIME ZONE 'UTC'
                );
                created := created + 1;
            EXCEPTION WHEN duplicate_table OR unique_violation THEN
                -- Another upload created it while we waited for the lock (this statement's
                -- catalog snapshot predates its commit, so to_regclass could not see it).
                NULL;
            END;
        END IF;
    END LOOP;
    RETURN created;
END
$fn$;
"""

INDEXES_AND_FOREIGN_KEYS = """
CREATE INDEX patrols_track_geom_db36cce6_id ON patrols_track USING gist (geom);
CREATE INDEX track_steward_time ON patrols_track (steward_id, started_at);
CREATE INDEX track_office_time ON patrols_track (street_office_id, started_at);
CREATE INDEX patrols_track_upload_id_b2634099 ON patrols_track (upload_id);
ALTER TABLE patrols_track
    ADD CONSTRAINT patrols_track_steward_id_bd2a9dea_fk_patrols_steward_id
        FOREIGN KEY (steward_id) REFERENCES patrols_steward (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT patrols_track_street_office_id_74e504db_fk_geo_streetoffice_id
        FOREIGN KEY (street_office_id) REFERENCES geo_streetoffice (id)
        DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT patrols_track_upload_id_b2634099_fk_patrols_trackupload_id
        FOREIGN KEY (upload_id) REFERENCES patrols_trackupload (id) DEFERRABLE INITIALLY DEFERRED;
"""

FORWARD = (
    """
ALTER TABLE patrols_track RENAME TO patrols_track_unpartitioned;
ALTER SEQUENCE patrols_track_id_seq RENAME TO patrols_track_unpartitioned_id_seq;
ALTER TABLE patrols_track_unpartitioned
    RENAME CONSTRAINT patrols_track_pkey TO patrols_track_unpartitioned_pkey;

CREATE TABLE patrols_track (
    id bigint NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    geom geometry(LineString, 4326) COMPRESSION lz4 NOT NULL,
    times double precision[] COMPRESSION lz4 NOT NULL,
    point_count integer NOT NULL,
    length_m double precision NOT NULL,
    source_crs varchar(10) NOT NULL,
    flags varchar(30)[] NOT NULL,
    created_at timestamptz NOT NULL,
    steward_id bigint NOT NULL,
    street_office_id bigint NOT NULL,
    upload_id bigint NOT NULL,
    -- The partition key must be part of the key; id alone stays unique through its sequence.
    CONSTRAINT patrols_track_pkey PRIMARY KEY (id, started_at),
    CONSTRAINT patrols_track_point_count_check CHECK (point_count >= 0),
    CONSTRAINT track_time_order CHECK (ended_at >= started_at),
    CONSTRAINT track_at_least_two_points CHECK (point_count >= 2),
    CONSTRAINT track_at_most_one_day CHECK (ended_at <= started_at + interval '1 day')
) PARTITION BY RANGE (started_at);

CREATE SEQUENCE patrols_track_id_seq OWNED BY patrols_track.id;
ALTER TABLE patrols_track ALTER COLUMN id SET DEFAULT nextval('patrols_track_id_seq');
"""
    + ENSURE_FUNCTION
    + """
SELECT patrols_ensure_track_partitions(array_agg(started_at)) FROM patrols_track_unpartitioned;
INSERT INTO patrols_track (id, started_at, ended_at, geom, times, point_count, length_m,
                           source_crs, flags, created_at, steward_id, street_office_id, upload_id)
SELECT id, started_at, ended_at, geom, times, point_count, length_m,
       source_crs, flags, created_at, steward_id, street_office_id, upload_id
FROM patrols_track_unpartitioned;
-- Never hand out an id again, even one whose row is gone.
SELECT setval('patrols_track_id_seq', GREATEST(
    (SELECT max(id) FROM patrols_track),
    (SELECT last_value FROM patrols_track_unpartitioned_id_seq),
    1
));
DROP TABLE patrols_track_unpartitioned;

"""
    # Same names as Django gave them; the separate steward/office indexes were prefixes of these.
    + INDEXES_AND_FOREIGN_KEYS
)

REVERSE = (
    """
CREATE TABLE patrols_track_plain (
    LIKE patrols_track INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION
);
ALTER TABLE patrols_track_plain DROP CONSTRAINT track_at_most_one_day;
INSERT INTO patrols_track_plain SELECT * FROM patrols_track;
ALTER SEQUENCE patrols_track_id_seq OWNED BY NONE;
DROP TABLE patrols_track;
DROP FUNCTION patrols_ensure_track_partitions(timestamptz[]);
ALTER TABLE patrols_track_plain RENAME TO patrols_track;
ALTER SEQUENCE patrols_track_id_seq OWNED BY patrols_track.id;
ALTER TABLE patrols_track ADD CONSTRAINT patrols_track_pkey PRIMARY KEY (id);
CREATE INDEX patrols_track_steward_id_bd2a9dea ON patrols_track (steward_id);
CREATE INDEX patrols_track_street_office_id_74e504db ON patrols_track (street_office_id);
"""
    + INDEXES_AND_FOREIGN_KEYS
)


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0002_membership"),
        ("patrols", "0006_hazard_reports"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, REVERSE)],
            state_operations=[
                migrations.AlterField(
                    model_name="track",
                    name="steward",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tracks",
                        to="patrols.steward",
                    ),
                ),
                migrations.AlterField(
                    model_name="track",
                    name="street_office",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tracks",
                        to="geo.streetoffice",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="track",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "ended_at__lte",
                                django.db.models.expressions.CombinedExpression(
                                    models.F("started_at"),
                                    "+",
                                    models.Value(datetime.timedelta(days=1)),
                                ),
                            )
                        ),
                        name="track_at_most_one_day",
                    ),
                ),
            ],
        ),
    ]
