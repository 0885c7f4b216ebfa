"""Build the packaged reference data from ``../shared/data``.

    python -m tools.build_data [--source ../shared/data] [--out src/noodlebowl/data]

Writes one zstd Parquet file per table and ``manifest.json`` holding every source
file's sha256 and row count, every table's row count and content hash, and the data
version (a hash of all that). Rebuilding from unchanged sources changes no byte.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
from pathlib import Path

import pyarrow as pa

from tools.buildkit import DEFAULT_OUT, DEFAULT_SOURCE, BuildContext, content_hash, write_table

# Order matters only for readability of the manifest; importers are independent.
IMPORTERS = ["hs", "hs_labelled", "agreements", "next_agreements", "tariffs"]


def build(source: Path, out: Path) -> dict:
    ctx = BuildContext(source=source)
    tables = {}
    for name in IMPORTERS:
        module = importlib.import_module(f"tools.importers.{name}")
        for table_name, tbl in module.build(ctx).items():
            if table_name in tables:  # rows of one table from several importers: same schema, appended
                if tables[table_name].schema != tbl.schema:
                    raise SystemExit(f"two importers produce table {table_name!r} with different columns")
                tbl = pa.concat_tables([tables[table_name], tbl]).combine_chunks()
            tables[table_name] = tbl
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.parquet"):
        if stale.stem not in tables:
            stale.unlink()
    body = {
        "sources": [ctx.sources[k] for k in sorted(ctx.sources)],
        "tables": {
            name: {"rows": tbl.num_rows, "columns": tbl.column_names, "content_sha256": content_hash(tbl)}
            for name, tbl in sorted(tables.items())
        },
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    manifest = {"data_version": hashlib.sha256(canonical).hexdigest()[:16], **body}
    for name, tbl in tables.items():
        write_table(tbl, out / f"{name}.parquet")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"source data folder not found: {args.source}", file=sys.stderr)
        return 2
    manifest = build(args.source, args.out)
    print(f"data version {manifest['data_version']}: "
          + ", ".join(f"{n} {t['rows']}" for n, t in manifest["tables"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
