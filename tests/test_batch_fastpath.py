"""The batch runner's fast paths give exactly what the general code gives.

BOM lines read from Parquet are validated per distinct value of each text column (through the same
expressions) and per number with one format check (``catalog.validate_lines_arrow``); lines with any
problem go through ``catalog.validate_lines`` itself. Both must give the same valid lines (in the
kernel's schema) and the same rejects, on messy input: padded and lower-case values, unknown
countries and codes, blank kinds, bad numbers, lines of unknown or rejected products, codes of
fewer than six digits, and columns stored plain or as dictionaries.
"""

from __future__ import annotations

import random

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from noodlebowl.batch import catalog

PIDS = ["P1", "P2", "P3", " P2", "P9", "", None, "P4"]          # P4 rejected, P9 unknown
HS = ["850940", "8509.40", " 850940", "850110", "720810", "8501", "999999", "", None, "85", "3926.90",
      "850990", "010121"]
ORIGINS = ["CN", "cn", " JP ", "unknown", "UNKNOWN", "", None, "XX", "VN", "US", "Germany", "TH"]
ORIGINATING = ["true", "false", "", None, "RCEP", "rcep; atiga", "ATIGA;ACFTA", "yes", "0", "RCEP;bad code",
               "AJCEP", " TRUE "]
KINDS = ["material", "", None, "Packing", "indirect", "retail_packaging", "accessory", "bogus", " MATERIAL"]
NUMBERS = ["12.50", "0", "1", ".5", "5.", " 7", "-3", "1e3", "1.1234567", "1234567890123", "", None, "abc",
           "0.000001", "99"]


def _lines(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"product_id": rng.choice(PIDS), "material": f"m{i}", "hs": rng.choice(HS),
             "origin": rng.choice(ORIGINS), "originating": rng.choice(ORIGINATING),
             "value": rng.choice(NUMBERS[:4] * 3 + NUMBERS), "weight_kg": rng.choice(NUMBERS + [None] * 5),
             "kind": rng.choice(KINDS)} for i in range(n)]


def _products() -> tuple[pl.DataFrame, pl.Series]:
    raw = pl.DataFrame({"product_id": ["P1", "P2", "P3", "P4"], "hs": ["8509.40", "8509.40", "720890", "bad"],
                        "edition": ["HS2022", "HS2017", "HS2022", "HS2022"], "exporter": ["VN"] * 4,
                        "importer": ["JP"] * 4, "date": ["2026-03-01"] * 4, "fob": ["100"] * 4}) \
        .with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    products, _ = catalog.validate_products(raw, "products")
    return products, raw["product_id"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_arrow_line_validation_equals_the_general_one(seed, dictionary):
    products, known = _products()
    lines = _lines(seed, 40)
    raw = pl.DataFrame(lines, schema={c: pl.String for c in catalog.BOM_COLUMNS})
    rows = list(range(1, len(lines) + 1))
    table = raw.drop("material").to_arrow()
    if dictionary:
        table = pa.table({name: (table[name].dictionary_encode() if name in catalog.DICTIONARY_COLUMNS
                                 else table[name]) for name in table.column_names})
    fast, fast_rejects, _ = catalog.validate_lines_arrow(table, "bom", products, known, rows)
    slow, slow_rejects = catalog.validate_lines(raw.with_columns(row=pl.Series(rows, dtype=pl.Int64)), "bom",
                                                products, known)
    pidx = products.select("product_id").with_row_index("pidx").with_columns(pl.col("pidx").cast(pl.Int64))
    slow = slow.join(pidx, on="product_id").select(fast.columns)
    order = [c for c in fast.columns]
    assert fast.sort(order, nulls_last=True).equals(slow.sort(order, nulls_last=True))
    assert fast_rejects.sort("row", "field").equals(slow_rejects.sort("row", "field"))


def test_arrow_line_validation_on_an_empty_chunk():
    products, known = _products()
    table = pa.table({"product_id": pa.array([], pa.string()), "value": pa.array([], pa.string())})
    fast, rejects, _ = catalog.validate_lines_arrow(table, "bom", products, known, [])
    assert fast.is_empty() and rejects.is_empty()


@pytest.mark.parametrize("typed", [pa.float64(), pa.int64()])
def test_arrow_line_validation_of_typed_number_columns(typed):
    """A Parquet BOM with numeric value columns is read as the general path reads it (as text)."""
    products, known = _products()
    table = pa.table({"product_id": ["P1", "P1", "P3"], "hs": ["850110", None, "850110"],
                      "value": pa.array([12.5, 3, 0], typed) if typed == pa.float64() else pa.array([12, 3, 0], typed)})
    raw = pl.from_arrow(table).cast(pl.String).with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    fast, fast_rejects, _ = catalog.validate_lines_arrow(table, "bom", products, known, [1, 2, 3])
    slow, slow_rejects = catalog.validate_lines(raw, "bom", products, known)
    assert fast["value"].sort().to_list() == slow["value"].sort().to_list()
    assert fast_rejects.height == slow_rejects.height


def test_plan_cache_round_trip_gives_the_same_answers(tmp_path, monkeypatch):
    """Plans, transpositions, HS checks and the kernel's lookup tables read back from the cache file give
    the same results as computed ones; an unreadable cache file is ignored."""
    from pathlib import Path

    from noodlebowl.batch import kernel, plancache
    from noodlebowl.batch.run import run

    root = Path(__file__).parents[1] / "examples" / "catalog"
    first = run(root / "products.csv", root / "bom.csv", tmp_path / "a.csv", plan_cache=tmp_path / "cache")
    files = list((tmp_path / "cache").glob("batch-plans-*.pkl"))
    assert len(files) == 1
    # a fresh process's view: only what the file holds
    for table in (plancache.PLANS, plancache.TRANSPOSED, plancache.HS_CHECKS, plancache._loaded):
        monkeypatch.setattr(plancache, table_name(plancache, table), type(table)())
    monkeypatch.setattr(kernel, "_PLANS", {})
    monkeypatch.setattr(kernel, "_PLAN_LIST", [])
    monkeypatch.setattr(kernel, "_TRANSPOSED", {})
    monkeypatch.setattr(kernel, "_SHAPES", {})
    monkeypatch.setattr(kernel, "_SHAPE_PLANS", [])
    for memo in (kernel._plan_table, kernel._pattern_table, catalog._hs_table):
        monkeypatch.setattr(memo, "table", memo.table.clear())
    # a shape this process met first: the file's shape ids must be mapped, not taken as they are
    assert kernel.shape_id_of("RCEP", "WO", None) == 0
    assert plancache.load(tmp_path / "cache") and plancache.PLANS and kernel._plan_table.table.height
    # every code of the catalog is in the tables read: no plan is worked out again
    monkeypatch.setattr(kernel, "plan_for", lambda *key: pytest.fail(f"plan worked out again: {key}"))
    second = run(root / "products.csv", root / "bom.csv", tmp_path / "b.csv", plan_cache=tmp_path / "cache")
    assert first.as_dict() | {"out": "", "rejects_file": ""} == second.as_dict() | {"out": "", "rejects_file": ""}
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    files[0].write_bytes(b"not a pickle")
    monkeypatch.setattr(plancache, "_loaded", set())
    assert not plancache.load(tmp_path / "cache")


def test_plan_cache_keeps_two_other_versions_files_at_most(tmp_path, monkeypatch):
    """Every noodlebowl or data version writes its own cache file: older ones do not pile up."""
    import os

    from noodlebowl.batch import plancache

    folder = tmp_path / "cache"
    folder.mkdir()
    for i in range(5):
        old = folder / f"batch-plans-v2-data{i}-code{i}.pkl"
        old.write_bytes(b"an older version's plans")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    crashed = folder / "batch-plans-abc.tmp"
    crashed.write_bytes(b"half written")
    os.utime(crashed, (1_000_000, 1_000_000))
    (folder / "notes.txt").write_text("not ours")
    monkeypatch.setattr(plancache, "_loaded", set())
    path = plancache.save(folder)
    assert path is not None and path.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [path.name, "batch-plans-v2-data3-code3.pkl", "batch-plans-v2-data4-code4.pkl", "notes.txt"])


def table_name(module, table) -> str:
    return next(name for name, value in vars(module).items() if value is table)
