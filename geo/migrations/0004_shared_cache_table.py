"""The table of the database cache (settings.CACHES, LOCATION "alley_cache"): shared by every web
process, so rate limits hold across gunicorn workers and machines.

Written out rather than `createcachetable`, which follows the CACHES of the moment (tests swap in a
memory cache) and so could silently create nothing. The columns are those `createcachetable` makes.
"""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS alley_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS alley_cache_expires ON alley_cache (expires);
"""


class Migration(migrations.Migration):
    dependencies = [("geo", "0003_versioned_network")]
    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS alley_cache")]
