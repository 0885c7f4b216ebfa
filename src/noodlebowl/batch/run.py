"""The streaming runner: products in chunks, each with just its BOM lines, through the kernel,
results appended to the output file; rejects and a summary at the end.

Memory stays bounded by the chunk: the BOM is read from a Parquet file sorted by product_id
(the user's own if it already is, else a sorted copy made in one streaming pass), and each chunk
reads only the row groups whose product_id range meets the chunk's.
"""

from __future__ import annotations

import gc
import os
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from noodlebowl import refdata
from noodlebowl.batch import catalog, kernel
from noodlebowl.limits import neutralise_frame

DEFAULT_CHUNK = 20_000


@dataclass
class Summary:
    products: int = 0
    rejected_products: int = 0
    rejects: int = 0
    rows: int = 0
    outcomes: Counter = field(default_factory=Counter)          # (agreement, outcome) → n
    reasons: Counter = field(default_factory=Counter)           # reason → n (not qualifying rows)
    out: str = ""
    rejects_file: str | None = None
    warnings: list[str] = field(default_factory=list)   # e.g. a column no catalog field reads

    def as_dict(self) -> dict:
        by_agreement: dict[str, dict[str, int]] = {}
        for (agreement, outcome), n in sorted(self.outcomes.items()):
            by_agreement.setdefault(agreement, {"qualifies": 0, "does_not_qualify": 0, "undetermined": 0})[outcome] = n
        return {"products": self.products, "rejected_products": self.rejected_products, "rejects": self.rejects,
                "determinations": self.rows, "by_agreement": by_agreement,
                # commonest first; ties by name, so that the same catalog always gives the same summary
                "top_reasons": [{"reason": r, "count": n}
                                for r, n in sorted(self.reasons.items(), key=lambda rn: (-rn[1], rn[0]))[:5]],
                "out": self.out, "rejects_file": self.rejects_file, "warnings": self.warnings}


class SortedBom:
    """A BOM Parquet file sorted by product_id, read by product_id range (row groups pruned by statistics)."""

    def __init__(self, path: Path, has_row: bool):
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pq.ParquetFile(path).schema_arrow
        wanted = set(catalog.BOM_COLUMNS) - {"material"}      # the material's name is for the user only
        self.names = {n: n.strip().lower() for n in schema.names if n.strip().lower() in wanted}
        if has_row:
            self.names["row"] = "row"
        textual = [n for n, low in self.names.items() if low in catalog.DICTIONARY_COLUMNS
                   and (pa.types.is_string(schema.field(n).type) or pa.types.is_large_string(schema.field(n).type))]
        self.file = pq.ParquetFile(path, read_dictionary=textual)
        self.has_row = has_row
        self.warnings: list[str] = []       # set by sorted_bom
        self._last: tuple[int, object] | None = None      # the row group read last, decoded
        meta = self.file.metadata
        index = meta.schema.to_arrow_schema().get_field_index("product_id")
        self.groups = []
        offset = 0
        for i in range(meta.num_row_groups):
            rg = meta.row_group(i)
            stats = rg.column(index).statistics
            lo, hi = (stats.min, stats.max) if stats is not None and stats.has_min_max else (None, None)
            self.groups.append((i, lo, hi, offset))
            offset += rg.num_rows

    def _groups(self, wanted: list[int]):
        """Row groups decoded together (Arrow decodes them side by side), but the one at the boundary
        with the previous chunk — chunks are read in order — is taken as that chunk decoded it."""
        import pyarrow as pa

        parts = []
        if self._last is not None and wanted[0] == self._last[0]:
            parts.append(self._last[1])
            wanted = wanted[1:]
        if wanted:
            table = self.file.read_row_groups(wanted, columns=list(self.names))
            last_rows = self.file.metadata.row_group(wanted[-1]).num_rows
            self._last = (wanted[-1], table.slice(table.num_rows - last_rows))
            parts.append(table)
        return parts[0] if len(parts) == 1 else pa.concat_tables(parts)

    @staticmethod
    def is_sorted(path: Path) -> bool:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        schema = meta.schema.to_arrow_schema()
        if "product_id" not in schema.names:
            return False
        index = schema.get_field_index("product_id")
        previous = None
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(index).statistics
            if stats is None or not stats.has_min_max:
                return False
            if previous is not None and stats.min < previous:
                return False
            previous = stats.max
        # row groups ordered; rows inside each group are checked as they are read (see read)
        return True

    def read_arrow(self, lo: str | None, hi: str | None):
        """(Arrow table, 1-based record numbers) of the lines with lo < product_id <= hi (None: unbounded);
        text columns with few distinct values come as dictionaries."""
        import numpy as np
        import pyarrow as pa

        groups = [(i, offset) for i, gmin, gmax, offset in self.groups
                  if gmin is None or not ((lo is not None and gmax <= lo) or (hi is not None and gmin > hi))]
        if not groups:
            return pa.table({"product_id": pa.array([], pa.string())}), np.zeros(0, dtype=np.int64)
        table = self._groups([i for i, _ in groups]).rename_columns([self.names[n] for n in self.names])
        if self.has_row:
            row = table.column("row").to_numpy().astype(np.int64)
            table = table.drop_columns(["row"])
        else:
            meta = self.file.metadata
            row = np.concatenate([np.arange(offset + 1, offset + 1 + meta.row_group(i).num_rows, dtype=np.int64)
                                  for i, offset in groups])
        if lo is None and hi is None:
            return table, row
        table, pick = _lines_kept(table, _in_product_range(table, lo, hi))
        return table, row[pick]


def _in_product_range(table, lo: str | None, hi: str | None):
    """Which lines have lo < product_id <= hi (None: unbounded); compared per distinct id when the column
    is a dictionary. A null id sorts last: it belongs to the last chunk."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = table.column("product_id").combine_chunks()
    values = ids.dictionary if pa.types.is_dictionary(ids.type) else ids
    inside = pc.and_(pc.greater(values, lo) if lo is not None else pc.is_valid(values),
                     pc.less_equal(values, hi) if hi is not None else pc.is_valid(values))
    if pa.types.is_dictionary(ids.type):
        inside = pc.take(inside, ids.indices)
    return pc.fill_null(inside, hi is None).to_numpy(zero_copy_only=False)


def _lines_kept(table, keep) -> tuple:
    """(the lines of ``table`` where ``keep``, what picks them from arrays beside the table): one run of
    rows — the usual case in a sorted file — is a zero-copy slice, not a filter."""
    import pyarrow as pa

    where = np.flatnonzero(keep)
    if where.size == len(keep):
        return table, slice(None)
    if where.size and where[-1] - where[0] + 1 == where.size:
        return table.slice(where[0], where.size), slice(where[0], where[-1] + 1)
    return table.filter(pa.array(keep)), keep


def sorted_bom(path: Path, workdir: Path) -> SortedBom:
    """The BOM as a product_id-sorted Parquet file (the original when it already is one)."""
    if catalog.file_format(path) == "parquet" and SortedBom.is_sorted(path):
        lf = pl.scan_parquet(path)
        catalog.check_columns(lf, catalog.BOM_REQUIRED, catalog.BOM_COLUMNS, str(path))
        bom = SortedBom(path, has_row=False)
    else:
        lf = catalog.scan(path)
        catalog.check_columns(lf, catalog.BOM_REQUIRED, catalog.BOM_COLUMNS, str(path))
        target = workdir / "bom.sorted.parquet"
        lf.sort("product_id", maintain_order=True, nulls_last=True).sink_parquet(target, row_group_size=100_000)
        bom = SortedBom(target, has_row=True)
    bom.warnings = catalog.unknown_columns(lf, catalog.BOM_COLUMNS, path.name)
    return bom


def chunks(products: pl.DataFrame, size: int) -> Iterator[tuple[pl.DataFrame, str | None, str | None]]:
    """Sorted products in chunks, each with its product_id range (lo, hi]; the first and last are open."""
    n = products.height
    starts = list(range(0, n, size)) or [0]
    previous = None
    for k, start in enumerate(starts):
        chunk = products.slice(start, size)
        hi = None if k == len(starts) - 1 else chunk["product_id"][-1]
        yield chunk, previous, hi
        previous = hi


class Writer:
    """Appends result chunks to a Parquet, CSV or Excel file as they come.

    ``hold``: a Parquet file's chunks are kept and written in one go at the end, with Polars' parallel
    encoder — for a catalog whose chunks are all evaluated at once, whose writes would otherwise all
    come after the last one is done."""

    XLSX_MAX_ROWS = 1_048_576      # Excel's rows per sheet, the header row included

    def __init__(self, path: Path, hold: bool = False):
        self.path = path
        self.format = catalog.file_format(path)
        self._held: list[pl.DataFrame] | None = [] if hold and self.format == "parquet" else None
        self._parquet = None
        self._book = None
        self._sheet = None
        self._sheet_rows = 0
        self._first = True

    def write(self, df: pl.DataFrame) -> None:
        if self._held is not None:
            self._held.append(df)
        elif self.format == "parquet":
            import pyarrow.parquet as pq

            table = df.to_arrow()
            if self._parquet is None:
                # dictionaries for the few-valued columns, statistics for the ones readers filter on, and
                # light zstd: ≈ half the size of the defaults, and a little faster to write
                self._parquet = pq.ParquetWriter(
                    self.path, table.schema, compression="zstd", compression_level=1,
                    use_dictionary=[c for c in kernel.OUTPUT_COLUMNS if c not in kernel.MANY_VALUED],
                    write_statistics=["product_id", "importer", "agreement", "outcome"])
            self._parquet.write_table(table)
        elif self.format == "csv":
            with self.path.open("w" if self._first else "a", encoding="utf-8", newline="") as fh:
                neutralise_frame(df).write_csv(fh, include_header=self._first)
        else:
            for row in neutralise_frame(df).iter_rows():
                self._xlsx_row(row)
        self._first = False

    def _xlsx_row(self, row: tuple) -> None:
        """One result row into a write-only workbook (streamed to disk); a full sheet continues on a
        new one with the header again."""
        if self._sheet is None or self._sheet_rows == self.XLSX_MAX_ROWS:
            self._new_sheet()
        self._sheet.append(list(row))
        self._sheet_rows += 1

    def _new_sheet(self) -> None:
        if self._book is None:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
        number = len(self._book.worksheets) + 1
        self._sheet = self._book.create_sheet("results" if number == 1 else f"results ({number})")
        self._sheet.append(kernel.OUTPUT_COLUMNS)
        self._sheet_rows = 1

    def close(self) -> None:
        if self._held is not None:
            held = pl.concat(self._held) if self._held else pl.DataFrame(schema=kernel.OUTPUT_SCHEMA)
            held.write_parquet(self.path, compression="zstd", compression_level=1)
        elif self.format == "parquet":
            if self._parquet is None:
                pl.DataFrame(schema=kernel.OUTPUT_SCHEMA).write_parquet(self.path)
            else:
                self._parquet.close()
        elif self.format == "csv" and self._first:
            pl.DataFrame(schema=kernel.OUTPUT_SCHEMA).write_csv(self.path)
        elif self.format == "xlsx":
            if self._sheet is None:             # no results: a sheet with the header only
                self._new_sheet()
            self._book.save(self.path)


def _in_range(ids: pl.Series, lo: str | None, hi: str | None) -> pl.Series:
    """The sorted ``ids`` with lo < id <= hi (None: unbounded) — the ids a chunk's BOM lines can carry."""
    start = 0 if lo is None else int(ids.search_sorted(lo, side="right"))
    end = ids.len() if hi is None else int(ids.search_sorted(hi, side="right"))
    return ids.slice(start, end - start)


def _read(bom: SortedBom, lo: str | None, hi: str | None) -> tuple:
    """A chunk's BOM lines: (Arrow table, record numbers, catalog.line_values of them)."""
    table, rows = bom.read_arrow(lo, hi)
    return table, rows, catalog.line_values(table)


def _cut(lines: tuple, lo: str | None, hi: str | None) -> tuple:
    """The part of lines read for several chunks (:func:`_read`) that belongs to the chunk (lo, hi]."""
    table, rows, values = lines
    if lo is None and hi is None:
        return lines
    table, pick = _lines_kept(table, _in_product_range(table, lo, hi))
    values = {name: (v[0][pick], v[1]) if isinstance(v, tuple) else v[pick] for name, v in values.items()}
    return table, rows[pick], values


# chunks evaluated side by side: as many as cores, up to 4 (Polars also works on every core)
def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


_SPLIT_MIN = 2_000        # a smaller catalog is evaluated in one piece: a split would cost more than it saves


class _Results:
    """Takes evaluated chunks in order: written by the writing thread (one waiting at most), counted in
    the summary, their rejects kept."""

    def __init__(self, writer: Writer, writing: ThreadPoolExecutor, summary: Summary, rejects: list):
        self.writer, self.writing, self.summary, self.rejects = writer, writing, summary, rejects
        self.pending: Future | None = None

    def take(self, n_products: int, evaluated: Future) -> int:
        result, rejects = evaluated.result()
        self.rejects += rejects
        if self.pending is not None:
            self.pending.result()
        self.pending = self.writing.submit(self.writer.write, result)
        self.summary.rows += result.height
        for agreement, outcome, reason, n in result.group_by("agreement", "outcome", "reason").len().iter_rows():
            self.summary.outcomes[(agreement, outcome)] += n
            if outcome != "qualifies":
                self.summary.reasons[reason or "(none given)"] += n
        return n_products

    def close(self) -> None:
        if self.pending is not None:
            self.pending.result()          # a failed write raises here


_gc_pauses = {"active": 0, "was_enabled": False}
_gc_lock = threading.Lock()


@contextmanager
def _gc_paused():
    """No cyclic garbage collection during a run: it allocates many short-lived, acyclic objects, and
    the collector's passes over them cost ≈ 5 % of the run. Runs may overlap (web batch jobs run in
    threads): the collector resumes when the last one ends, and only if it was on before the first."""
    with _gc_lock:
        if _gc_pauses["active"] == 0:
            _gc_pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pauses["active"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses["active"] -= 1
            if _gc_pauses["active"] == 0 and _gc_pauses["was_enabled"]:
                gc.enable()


def run(products_path: str | Path, bom_path: str | Path, out: str | Path, *,
        agreements: tuple[str, ...] | None = None, chunk_size: int = DEFAULT_CHUNK,
        progress: Callable[[int, int], None] | None = None, plan_cache: bool | Path = True,
        workers: int | None = None) -> Summary:
    """Determine every product of the catalog; write results and ``<out>.rejects.csv``.

    ``workers``: chunks evaluated side by side (default: the number of cores, at most 4).

    ``plan_cache``: keep rule plans and code lookups across processes (:mod:`plancache`) in its
    default folder (True), in the folder given, or not at all (False)."""
    from noodlebowl.batch import plancache

    cache_dir = None if plan_cache is True or plan_cache is False else Path(plan_cache)
    if plan_cache is not False:
        plancache.load(cache_dir)
    products_path, bom_path, out = Path(products_path), Path(bom_path), Path(out)
    catalog.file_format(out)
    wanted = tuple(a.upper() for a in agreements) if agreements else None
    if wanted:
        unknown = [a for a in wanted if a not in kernel.MODELLED]
        if unknown:
            from noodlebowl.errors import InvalidRequest
            raise InvalidRequest(f"agreement {unknown[0]!r} is not modelled", where="--agreement",
                                 accepted=", ".join(kernel.MODELLED))
    summary = Summary(out=str(out))
    all_rejects: list[pl.DataFrame] = []
    version = refdata.data_version()
    done = 0
    workers = max(1, workers or _workers())
    # Helper threads: one reads (the BOM sorted, then each chunk's lines, ahead of need, checked as far
    # as they can be without the products), ``workers`` evaluate chunks side by side, one writes results
    # in order. Parquet I/O, Polars and the compiled loops release the GIL.
    with tempfile.TemporaryDirectory(prefix="noodlebowl-batch-") as tmp, \
            ThreadPoolExecutor(1, thread_name_prefix="noodlebowl-read") as reader, \
            ThreadPoolExecutor(workers, thread_name_prefix="noodlebowl-chunk") as evaluating, \
            ThreadPoolExecutor(1, thread_name_prefix="noodlebowl-write") as writing, _gc_paused():
        bom_ready = reader.submit(sorted_bom, bom_path, Path(tmp))
        raw_products_lf = catalog.scan(products_path)
        catalog.check_columns(raw_products_lf, catalog.PRODUCT_REQUIRED, catalog.PRODUCT_COLUMNS,
                              str(products_path))
        summary.warnings += catalog.unknown_columns(raw_products_lf, catalog.PRODUCT_COLUMNS, products_path.name)
        raw_products = raw_products_lf.collect()
        summary.products = raw_products.height
        # a catalog of one chunk: its lines are read while the products are validated
        whole = reader.submit(lambda: _read(bom_ready.result(), None, None)) \
            if raw_products.height <= chunk_size else None
        products, rejects = catalog.validate_products(raw_products, products_path.name, agreements=wanted)
        products = products.sort("product_id")
        # every product id of the catalog, sorted once: each chunk passes on only those in its own range
        known_ids = raw_products["product_id"].str.strip_chars().drop_nulls().unique().sort()
        del raw_products
        all_rejects.append(rejects)
        bom = bom_ready.result()
        summary.warnings += bom.warnings

        def evaluate(chunk: pl.DataFrame, lo: str | None, hi: str | None, lines_read: Future) -> tuple:
            table, rows, values = _cut(lines_read.result(), lo, hi) if whole is not None else lines_read.result()
            lines, line_rejects, raw_lines = catalog.validate_lines_arrow(
                table, bom_path.name, chunk, _in_range(known_ids, lo, hi), rows, values)
            bad = catalog.product_level_rejects(chunk, lines, line_rejects, raw_lines, products_path.name)
            if bad.height:
                keep = ~chunk["row"].is_in(bad["row"].implode()).to_numpy()
                chunk = chunk.filter(pl.Series(keep))
                # lines' pidx: from rows of the chunk to rows of the products kept
                new_index = np.cumsum(keep) - 1
                old = lines["pidx"].to_numpy()
                lines = lines.filter(pl.Series(keep[old])).with_columns(pidx=pl.Series(new_index[old[keep[old]]]))
            return kernel.determine_chunk(chunk, lines, wanted, data_version=version), [line_rejects, bad]

        # a catalog that makes fewer chunks than workers is cut so that each has a part
        size = chunk_size if products.height < _SPLIT_MIN else min(chunk_size, -(-products.height // workers))
        writer = Writer(out, hold=products.height <= size * workers)     # every chunk evaluated at once
        results = _Results(writer, writing, summary, all_rejects)
        in_flight: deque = deque()

        def take_oldest() -> None:
            nonlocal done
            done += results.take(*in_flight.popleft())
            if progress:
                progress(done, products.height)

        for chunk, lo, hi in chunks(products, size):
            lines_read = whole if whole is not None else reader.submit(_read, bom, lo, hi)
            in_flight.append((chunk.height, evaluating.submit(evaluate, chunk, lo, hi, lines_read)))
            # in order, as they finish; no more than ``workers`` waiting, so memory stays bounded
            while in_flight and (len(in_flight) > workers or in_flight[0][1].done()):
                take_oldest()
        while in_flight:
            take_oldest()
        results.close()
    writer.close()
    if plan_cache is not False:
        plancache.save(cache_dir)
    rejects = pl.concat(all_rejects).cast(catalog.REJECT_SCHEMA).sort("file", "row", "field")
    summary.rejects = rejects.height
    summary.rejected_products = summary.products - products.height + sum(
        r.filter(pl.col("file") == products_path.name).height for r in all_rejects[1:])
    if rejects.height:
        path = out.with_name(out.name + ".rejects.csv")
        neutralise_frame(rejects).write_csv(path)
        summary.rejects_file = str(path)
    return summary
