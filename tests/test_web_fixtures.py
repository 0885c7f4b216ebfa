"""Shared fixtures of the web tests (imported by the other test_web_* files): a TestClient on a
fresh SQLite file, and on PostgreSQL — ``$NOODLEBOWL_TEST_POSTGRES_URL`` (CI sets it), else a
throwaway cluster the tests start themselves (tests/pgcluster.py)."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path

import pytest

from tests import pgcluster


warnings.filterwarnings("ignore", message=".*httpx2.*")

REPO = Path(__file__).resolve().parents[1]
PG_URL = pgcluster.url()
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="no PostgreSQL: set NOODLEBOWL_TEST_POSTGRES_URL or install postgresql (apt-get install "
                       "postgresql); bash tests/run installs it"))]
_pg_reset = False


def example(name: str = "sausages_vn_to_jp") -> dict:
    """An example request as JSON-ready data (dates as ISO text, decimals as strings)."""
    from noodlebowl.origin import load_request

    return load_request(REPO / "examples" / f"{name}.yaml").model_dump(mode="json", exclude_none=True)


def bom_of(request: dict) -> dict:
    import copy

    return copy.deepcopy({k: request[k] for k in ("product", "costs", "materials", "facts") if k in request})


def route_of(request: dict) -> dict:
    return {k: request[k] for k in ("exporter", "importer", "date", "customs_value") if request.get(k) is not None}


def _reset_postgres(url: str) -> None:
    """Start the PostgreSQL test database from an empty schema once per run (migrations from scratch)."""
    global _pg_reset
    if _pg_reset:
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _pg_reset = True


def make_client(url: str, **kwargs):
    from fastapi.testclient import TestClient

    from noodlebowl.web import create_app

    return TestClient(create_app(url, **kwargs), raise_server_exceptions=False)


@pytest.fixture(params=BACKENDS)
def backend_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'noodlebowl.db'}"
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def client(backend_url):
    with make_client(backend_url) as c:
        yield c
        c.app.state.store.engine.dispose()


def new_org(client, name: str = "Org") -> dict[str, str]:
    """Headers with a fresh organisation's API key."""
    _, key = client.app.state.store.create_org(name)
    return {"X-API-Key": key}


TODAY = dt.date.today().isoformat()
