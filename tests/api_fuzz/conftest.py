"""A live server on the test database, filled with the demo district once for the module.

The fuzzer may change anything (it posts, patches and undoes with real tokens). The data is
committed to the test database (the tests carry the django_db mark, so pytest-django sets that
database up) and flushed afterwards, as a transactional test would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from pytest_django.live_server_helper import LiveServer
from rest_framework.authtoken.models import Token

from stewards.models import Steward

# Demo accounts (demo/): one per role the API distinguishes, plus anonymous callers.
# A steward's account is named after the steward's id, which depends on what ran before: found below.
ROLES = {"steward": None, "planner": "planner", "supervisor": "supervisor"}


@dataclass(frozen=True)
class FuzzTarget:
    url: str
    headers: dict[str, dict[str, str]]  # role -> headers ({} for anonymous)


@pytest.fixture(scope="module")
def fuzz_target(django_db_setup, django_db_blocker) -> Iterator[FuzzTarget]:
    with django_db_blocker.unblock():
        # Never load into (and then flush) a database that is not a test database.
        assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict
        server = None
        try:  # whatever fails, the committed demo is flushed: later tests expect an empty database
            call_command("load_demo", days=1, verbosity=0)
            users = get_user_model().objects
            headers: dict[str, dict[str, str]] = {"anonymous": {}}
            steward = Steward.objects.filter(user__isnull=False).order_by("id").first()
            for role, username in ROLES.items():
                user = steward.user if username is None else users.get(username=username)
                token, _ = Token.objects.get_or_create(user=user)
                headers[role] = {"Authorization": f"Token {token.key}"}
            server = LiveServer("localhost")
            yield FuzzTarget(url=server.url, headers=headers)
        finally:
            if server is not None:
                server.stop()
            call_command("flush", interactive=False, verbosity=0)
