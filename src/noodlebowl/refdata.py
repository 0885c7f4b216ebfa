"""The packaged reference data: zstd Parquet tables built by ``tools/build_data.py``.

Tables are read lazily and cached for the life of the process; the data version is a
hash of the manifest, so every answer can say which data it was computed from.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from noodlebowl.errors import ReferenceDataMissing

DATA_DIR = Path(__file__).parent / "data"
MANIFEST = "manifest.json"


def load_yaml(text: str) -> Any:
    """YAML as ``yaml.safe_load`` reads it, with libyaml's C parser when PyYAML has it (≈ 10× faster:
    the agreements' parameter files are read by every fresh process)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def manifest() -> dict[str, Any]:
    path = DATA_DIR / MANIFEST
    if not path.exists():
        raise ReferenceDataMissing(
            f"reference data manifest not found at {path}",
            accepted="rebuild it with `python -m tools.build_data`")
    return json.loads(path.read_text(encoding="utf-8"))


def data_version() -> str:
    """Short id of the reference data: identical data gives an identical id."""
    return manifest()["data_version"]


@cache
def table(name: str):
    """A packaged table as a ``pyarrow.Table``."""
    import pyarrow.parquet as pq  # imported here: start-up of light commands stays fast

    if name not in manifest()["tables"]:
        raise ReferenceDataMissing(
            f"table {name!r} is not in the reference data",
            accepted=", ".join(sorted(manifest()["tables"])))
    return pq.read_table(DATA_DIR / f"{name}.parquet")


@cache
def rows(name: str) -> tuple[dict[str, Any], ...]:
    """A packaged table as immutable-by-convention row dicts (cached)."""
    return tuple(table(name).to_pylist())
