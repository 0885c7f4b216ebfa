"""Measures as Arrow tables (packaged ``tariff_measures`` and a user's imported files), and
the user tariff directory: ``$NOODLEBOWL_HOME/tariffs/<IMPORTER>.parquet`` (default home
``~/.local/share/noodlebowl``), written atomically (temp file, then rename)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from noodlebowl.tariffs.model import OriginScope, TariffMeasure
from noodlebowl.tariffs.rates import rate_from_json, rate_to_json

SCHEMA = pa.schema([
    ("importer", pa.string()), ("national_line", pa.string()), ("hs6", pa.string()),
    ("line_condition", pa.string()), ("regime", pa.string()), ("scope_kind", pa.string()),
    ("scope_group", pa.string()), ("origins", pa.string()), ("excluded_origins", pa.string()),
    ("valid_from", pa.date32()), ("valid_to", pa.date32()), ("validity_note", pa.string()),
    ("rate_kind", pa.string()), ("rate_json", pa.string()), ("raw", pa.string()),
    ("detail_json", pa.string()), ("basis", pa.string()), ("source_file", pa.string()),
    ("source_row", pa.int32()),
])
GAPS_SCHEMA = pa.schema([
    ("importer", pa.string()), ("prefix", pa.string()), ("regime", pa.string()),
    ("reason", pa.string()), ("source_file", pa.string()),
])


def _sort_key(m: TariffMeasure):
    return (m.importer, m.national_line, m.line_condition or "", m.regime, m.scope.group or "",
            m.basis, m.valid_from.isoformat() if m.valid_from else "", m.source_file,
            m.source_row or 0)


def to_table(measures: Iterable[TariffMeasure]) -> pa.Table:
    """Deterministic table: sorted, rate serialised once per distinct rate."""
    cache: dict = {}
    rows = []
    for m in sorted(measures, key=_sort_key):
        try:
            rj = cache.get(m.rate)
            if rj is None:
                rj = cache[m.rate] = rate_to_json(m.rate)
        except TypeError:  # max/min forms hold lists: not hashable
            rj = rate_to_json(m.rate)
        rows.append({
            "importer": m.importer, "national_line": m.national_line, "hs6": m.hs6,
            "line_condition": m.line_condition, "regime": m.regime, "scope_kind": m.scope.kind,
            "scope_group": m.scope.group, "origins": ",".join(m.scope.origins) or None,
            "excluded_origins": ",".join(m.scope.excluded_origins) or None,
            "valid_from": m.valid_from, "valid_to": m.valid_to, "validity_note": m.validity_note,
            "rate_kind": m.rate.kind, "rate_json": rj, "raw": m.raw,
            "detail_json": json.dumps(m.detail, ensure_ascii=False, sort_keys=True) if m.detail else None,
            "basis": m.basis, "source_file": m.source_file, "source_row": m.source_row})
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def from_rows(rows: Iterable[dict], data_source: str = "packaged") -> list[TariffMeasure]:
    out = []
    for r in rows:
        scope = OriginScope(kind=r["scope_kind"], group=r["scope_group"],
                            origins=tuple(r["origins"].split(",")) if r["origins"] else (),
                            excluded_origins=tuple(r["excluded_origins"].split(","))
                            if r["excluded_origins"] else ())
        out.append(TariffMeasure(
            importer=r["importer"], national_line=r["national_line"], hs6=r["hs6"],
            line_condition=r["line_condition"], regime=r["regime"], scope=scope,
            valid_from=r["valid_from"], valid_to=r["valid_to"], validity_note=r["validity_note"],
            rate=rate_from_json(r["rate_json"]), raw=r["raw"],
            detail=json.loads(r["detail_json"]) if r["detail_json"] else {}, basis=r["basis"],
            source_file=r["source_file"], source_row=r["source_row"], data_source=data_source))
    return out


def user_home() -> Path:
    env = os.environ.get("NOODLEBOWL_HOME")
    return Path(env) if env else Path.home() / ".local" / "share" / "noodlebowl"


def user_tariff_path(importer: str) -> Path:
    return user_home() / "tariffs" / f"{importer.upper()}.parquet"


def write_user_tariff(importer: str, measures: list[TariffMeasure]) -> Path:
    """Replace the user's tariff for ``importer`` atomically; returns its path."""
    path = user_tariff_path(importer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tbl = to_table(measures)
    fd, tmp = tempfile.mkstemp(prefix=f".{importer}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(tbl, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_user_tariff(importer: str) -> pa.Table | None:
    path = user_tariff_path(importer)
    return pq.read_table(path) if path.exists() else None
