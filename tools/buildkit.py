"""Shared machinery of the reference-data build: source reading with checksums,
deterministic Parquet writing and content hashing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from noodlebowl.csvrows import rows_from_bytes

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "noodlebowl" / "data"


@dataclass
class BuildContext:
    """Reads source files and remembers each one's sha256 and row count for the manifest."""

    source: Path
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def path(self, rel: str) -> Path:
        return self.source / rel

    def _record(self, rel: str, data: bytes, rows: int | None) -> None:
        self.sources[rel] = {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "rows": rows}

    def read_bytes(self, rel: str, rows: int | None = None) -> bytes:
        data = self.path(rel).read_bytes()
        self._record(rel, data, rows)
        return data

    def read_text(self, rel: str) -> str:
        data = self.path(rel).read_bytes()
        text = data.decode("utf-8")
        self._record(rel, data, text.count("\n"))
        return text

    def read_csv(self, rel: str) -> list[dict[str, str]]:
        """CSV rows as dicts; each row also gets ``_line``: its 1-based line in the file (header = 1)."""
        data = self.path(rel).read_bytes()
        out = rows_from_bytes(data, rel)
        self._record(rel, data, len(out))
        return out


def content_hash(tbl: pa.Table) -> str:
    """Hash of a table's schema and values, independent of the Parquet writer's version."""
    h = hashlib.sha256()
    h.update(str(tbl.schema.remove_metadata()).encode())
    for batch in tbl.combine_chunks().to_batches(max_chunksize=65536):
        h.update(json.dumps(batch.to_pydict(), sort_keys=True, default=str,
                            ensure_ascii=False).encode())
    return h.hexdigest()


def write_table(tbl: pa.Table, path: Path) -> None:
    """Deterministic zstd Parquet: same table and pyarrow version, same bytes."""
    pq.write_table(tbl.replace_schema_metadata(None), path, compression="zstd",
                   compression_level=9, use_dictionary=True, write_statistics=False,
                   row_group_size=1 << 20)


def table_from_rows(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)
