"""A bounded property-based run of the stateless endpoints against the OpenAPI spec (schemathesis):
no server errors, documented status codes and content types, responses matching their schemas."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


import schemathesis

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402

from noodlebowl.web import create_app  # noqa: E402

_DB = Path(tempfile.mkdtemp(prefix="nb-schemathesis-")) / "noodlebowl.db"
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(f"sqlite:///{_DB}"))
STATELESS = r"^/(hs/|agreements|qualify|compare|proof|version|bom/parse)"


@schema.include(path_regex=STATELESS).parametrize()
@settings(max_examples=int(os.environ.get("NOODLEBOWL_SCHEMATHESIS_EXAMPLES", "12")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_stateless_endpoints_follow_the_spec(case):
    # positive_data_acceptance is left out on purpose: a schema-valid request can still name an HS
    # code, country or agreement that does not exist (or does not qualify), which is a 400/422 by design.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
