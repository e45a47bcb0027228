import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.tile_gate import TileGate  # noqa: E402 - needs the settings and apps set up above

# The coverage tile is answered ahead of the middleware stack (config/tile_gate.py); the rest is Django.
application = TileGate(django_application)
