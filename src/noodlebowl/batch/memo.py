"""Process-wide lookup tables that grow as catalogs name new keys."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import polars as pl


class Memo:
    """A growing table of ``rows(*key)`` (one row per key) for distinct keys, kept for the process, joined
    column-wise onto the caller's frame: each join computes (in Python) only the keys no earlier one had."""

    def __init__(self, keys: list[str], schema: dict, rows: Callable[..., Iterable[tuple]]):
        self.keys, self.schema, self.rows = keys, schema, rows
        self.table = pl.DataFrame(schema=schema)
        self._lock = threading.Lock()       # chunks are evaluated in parallel threads

    def join(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with the table's columns for its keys beside it, computing first the keys no earlier
        call had. An inner join of the key columns: Polars then builds its hash table on the smaller side,
        so the cost follows the frame, not the table, however large the table has grown."""
        found = self._found(frame)
        if found.height < frame.height:
            self._add(frame.select(self.keys).unique())
            found = self._found(frame)
        return frame.hstack(found.get_columns()[len(self.keys):])

    def _found(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The table's rows for the keys of ``frame``, row for row as long as every key is in the table."""
        return frame[self.keys].join(self.table, on=self.keys, how="inner", nulls_equal=True, maintain_order="left")

    def _add(self, missing: pl.DataFrame) -> None:
        with self._lock:
            # another thread may have added some meanwhile: only the keys still missing are computed
            missing = missing.join(self.table, on=self.keys, how="anti", nulls_equal=True)
            rows = [r for key in missing.iter_rows() for r in self.rows(*key)]
            if len(rows) != missing.height:
                raise RuntimeError(f"a lookup table needs one row per key: {missing.height} keys, {len(rows)} rows")
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
