"""The table of the database cache (settings.CACHES): shared by every web process, so rate limits
hold across gunicorn workers. `createcachetable` skips a table that exists."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor) -> None:
    schema_editor.execute("DROP TABLE IF EXISTS alley_cache")


class Migration(migrations.Migration):
    dependencies = [("geo", "0003_versioned_network")]
    operations = [migrations.RunPython(create, drop)]
