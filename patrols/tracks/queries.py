"""Parameterised SQL for tracks; each statement says why the ORM was not enough."""

from __future__ import annotations

# COPY is the bulk path (the ORM would issue one INSERT per track with a Python-built array
# literal). Binary format: patrols.tracks.ingest hands over EWKB and ready-made binary arrays.
COPY_TRACKS = """
COPY patrols_track (steward_id, street_office_id, upload_id, started_at, ended_at, geom, times,
                    point_count, length_m, source_crs, flags, created_at)
FROM STDIN (FORMAT BINARY)
"""

# One query for all stewards of a day. array_send/ST_AsBinary hand back the per-vertex arrays as
# binary blobs (fetched in binary format, see patrols.tracks) that numpy views in place; the ORM
# would build a Python float per vertex (30 million a district-day). Overlap, not containment: a
# track crossing midnight or the window edge belongs to both days and is trimmed in numpy. No
# ORDER BY: PostgreSQL would sort the detoasted blobs (hundreds of MB spilled to disk for a
# district-day); load_points orders each steward's tracks by started_at itself.
LOAD_POINTS = """
SELECT steward_id, started_at, array_send(times) AS times_bin, ST_AsBinary(geom, 'NDR') AS wkb
FROM patrols_track
WHERE steward_id = ANY(%(ids)s) AND started_at < %(end)s AND ended_at >= %(start)s
  AND started_at >= %(start)s - interval '1 day'  -- CHECK track_at_most_one_day: prunes months
"""
