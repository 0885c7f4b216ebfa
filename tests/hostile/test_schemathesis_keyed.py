"""schemathesis over the endpoints that need an API key (products, BOM versions, determinations,
share links, keys, audit) with a valid key: every check but the two that judge whether valid data is
accepted and undeclared data refused — above all, no server error. The stateless endpoints have theirs in tests/test_web_schemathesis.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from noodlebowl.web import create_app

_HOME = Path(tempfile.mkdtemp(prefix="nb-schemathesis-keyed-"))
_APP = create_app(f"sqlite:///{_HOME / 'noodlebowl.db'}", jobs_folder=_HOME / "jobs", secret_folder=_HOME)
_, KEY = _APP.state.store.create_org("Fuzz")
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)
KEYED = r"^/(products|determinations|share-links|keys|audit|statements)"


@schema.include(path_regex=KEYED).parametrize()
@settings(max_examples=int(os.environ.get("NOODLEBOWL_SCHEMATHESIS_EXAMPLES", "12")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_keyed_endpoints_follow_the_spec(case):
    # A schema-valid body may still name a product, country or code that does not exist (404/422 by
    # design); and query parameters an endpoint does not declare are ignored, as FastAPI does everywhere.
    case.call_and_validate(headers={"X-API-Key": KEY},
                           excluded_checks=[positive_data_acceptance, negative_data_rejection])
