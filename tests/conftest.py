"""Shared test helpers: where the source data lives, and running the CLI in-process."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NOODLEBOWL_SHARED_DATA", REPO.parent / "shared" / "data"))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """Run ``noodlebowl ARGS`` in this process and capture what it prints."""
    from noodlebowl.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"source data not found at {SHARED_DATA}; set NOODLEBOWL_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """The batch plan cache of the test run lives in a temporary folder, not the user's ~/.cache."""
    os.environ["NOODLEBOWL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    # ... and its server home (the signing-key file, default jobs folder, SQLite file) too
    os.environ.setdefault("NOODLEBOWL_HOME", str(tmp_path_factory.mktemp("home")))
    yield
