"""Process-wide lookup tables that grow as catalogs name new keys."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import polars as pl


_FOUND = "_memo_found"


class Memo:
    """A growing table of ``rows(*key)`` (one row per key) for distinct keys, kept for the process, joined
    column-wise onto the caller's frame: each join computes (in Python) only the keys no earlier one had."""

    def __init__(self, keys: list[str], schema: dict, rows: Callable[..., Iterable[tuple]]):
        self.keys, self.schema, self.rows = keys, schema, rows
        self.table = pl.DataFrame(schema=schema)
        self._lock = threading.Lock()       # chunks are evaluated in parallel threads

    def join(self, frame: pl.DataFrame, how: str = "inner") -> pl.DataFrame:
        """``frame`` with the table's columns for its keys (``how``: inner or left), computing first the
        keys no earlier call had. One join of the key columns when nothing is missing, the usual case
        once warm; the rest of ``frame`` is not copied through it."""
        found = self._found(frame)
        missing = found.get_column(_FOUND).is_null()
        if missing.any():
            self._add(frame.select(self.keys).filter(missing).unique())
            found = self._found(frame)
        joined = frame.hstack(found.drop(self.keys))
        return (joined.filter(pl.col(_FOUND).is_not_null()) if how == "inner" else joined).drop(_FOUND)

    def _found(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The table's rows for the keys of ``frame``, row for row (nulls where a key is missing)."""
        return frame.select(self.keys).join(self.table.with_columns(pl.lit(True).alias(_FOUND)), on=self.keys,
                                            how="left", nulls_equal=True, maintain_order="left")

    def _add(self, missing: pl.DataFrame) -> None:
        with self._lock:
            # another thread may have added some meanwhile: only the keys still missing are computed
            missing = missing.join(self.table, on=self.keys, how="anti", nulls_equal=True)
            rows = [r for key in missing.iter_rows() for r in self.rows(*key)]
            columns = list(zip(*rows)) if rows else [()] * len(self.schema)
            new = pl.DataFrame([column(name, list(values), dtype) for (name, dtype), values
                                in zip(self.schema.items(), columns)])
            self.table = pl.concat([self.table, new]).rechunk()

    def adopt(self, rows: pl.DataFrame) -> None:
        """Take rows computed elsewhere (a cache file) for the keys the table does not have yet."""
        with self._lock:
            new = rows.select(list(self.schema)).cast(self.schema).join(self.table, on=self.keys, how="anti",
                                                                         nulls_equal=True)
            if new.height:
                self.table = pl.concat([self.table, new]).rechunk()


def column(name: str, values: list, dtype) -> pl.Series:
    """A Series from Python values; a list-of-integers column is built from flat values and offsets
    (Polars converts nested Python lists one Series per row, which dominated the lookup tables' cost)."""
    if dtype != pl.List(pl.Int64):
        return pl.Series(name, values, dtype=dtype)
    import numpy as np
    import pyarrow as pa

    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    lengths = np.fromiter((len(v) if v is not None else 0 for v in values), dtype=np.int64, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = pa.array([x for v in values if v is not None for x in v], type=pa.int64())
    array = pa.LargeListArray.from_arrays(pa.array(offsets, mask=np.append(~valid, False)), flat)
    return pl.from_arrow(array).rename(name).cast(dtype)
