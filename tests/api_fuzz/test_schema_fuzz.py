"""Schemathesis over the API's OpenAPI schema as anonymous, a steward, a planner and a supervisor.

Every generated request (schemathesis' positive and negative modes, so invalid data too) is sent
once per role to a live server; the checks are: no 5xx, every status code documented, every
response body valid against the schema. Examples per operation are bounded (FUZZ_EXAMPLES,
default 3: about 900 requests) so the module runs in a few minutes on two cores; raise it for a
longer hunt (FUZZ_EXAMPLES=10: about 3,000 requests).

The schema is the one /api/schema/ serves, generated in-process at import (schemathesis' lazy
``from_fixture`` loader does not run under pytest 9.2: it writes ``Node._nodeid``).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# Gi* hotspots on 25 m cells run for seconds on a loaded machine; slow is not wrong.
REQUEST_TIMEOUT_S = 120
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Totals over the module, printed at the end (pytest -s shows them).
TALLY: Counter[str] = Counter()

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture(scope="module")
def http(fuzz_target):
    with requests.Session() as session:
        yield session
    print(f"\nfuzz figures: {dict(sorted(TALLY.items()))}")  # noqa: T201


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    # Generated cases only: schemathesis' "coverage" phase (explicit examples) sends hundreds of
    # boundary cases per operation, and shrinking a failure would multiply the requests again.
    phases=[Phase.generate],
)
def test_api_answers_within_its_schema(case, fuzz_target, http):
    for headers in fuzz_target.headers.values():
        response = case.call_and_validate(
            base_url=fuzz_target.url,
            session=http,
            headers=headers,
            checks=CHECKS,
            timeout=REQUEST_TIMEOUT_S,
        )
        TALLY["requests"] += 1
        TALLY[f"{response.status_code // 100}xx"] += 1
