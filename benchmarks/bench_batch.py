"""Batch throughput, floor ratio, speed-up over the single-request engine, peak memory.

    python benchmarks/gen_catalog.py --products 10000 --out /tmp/cat10k
    python benchmarks/bench_batch.py /tmp/cat10k [--engine] [--chunk-size 20000]

- kernel: `noodlebowl.batch.run.run` end to end (validation, sorted-BOM reading, kernel, Parquet
  output) — throughput in (product × importer × agreement) determinations per second; with
  --repeat N, the median of N runs in the process;
- floor: Polars scanning the same BOM file and summing values per product (the least any
  column-wise pass over the BOM costs), median of 3; floor ratio = kernel time ÷ floor time;
- engine (--engine): `noodlebowl.origin.determine` on every product of the catalog, one request per
  (product, importer) — speed-up = engine time ÷ kernel time; with --repeat, both at steady state (the
  engine's second pass over the catalog against the kernel's median), and the first pass of each
  (speed_up_first_pass);
- peak memory: this process's maximum resident set (resource.getrusage), printed at the end.
Run one size per process so the peak belongs to that size.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl


def floor_time(bom: Path, runs: int = 3) -> float:
    """The median of ``runs`` scans (one scan varies by ±20 % on a small shared machine)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        pl.scan_parquet(bom).group_by("product_id").agg(pl.col("value").cast(pl.Float64).sum()).collect()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def kernel_time(folder: Path, chunk: int, plan_cache: bool = True, workers: int | None = None
                ) -> tuple[float, int, dict]:
    from noodlebowl.batch.run import run

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = run(folder / "products.parquet", folder / "bom.parquet", Path(tmp) / "out.parquet",
                      chunk_size=chunk, plan_cache=plan_cache, workers=workers)
        return time.perf_counter() - t0, summary.rows, summary.as_dict()


def engine_time(folder: Path, limit: int | None = None) -> tuple[float, int]:
    from noodlebowl.batch import catalog
    from noodlebowl.errors import NoodlebowlError
    from noodlebowl.origin import determine
    from noodlebowl.origin.request import Costs, Material, Product, Request

    products = pl.read_parquet(folder / "products.parquet", n_rows=limit).to_dicts()
    lines: dict[str, list[dict]] = {}
    for m in pl.read_parquet(folder / "bom.parquet").iter_rows(named=True):
        lines.setdefault(m["product_id"], []).append(m)
    n = 0
    t0 = time.perf_counter()
    for p in products:
        materials = []
        for m in lines.get(p["product_id"], []):
            o = (m["originating"] or "").lower()
            materials.append(Material(
                name=m["material"], hs=m["hs"] or None, origin=m["origin"],
                originating=o == "true" if o in ("", "true", "false") else m["originating"].split(";"),
                value=m["value"], weight_kg=m["weight_kg"], kind=m["kind"]))
        costs = {c: p[c] for c in catalog.COSTS if p[c] is not None}
        for importer in p["importer"].split(";"):
            try:
                request = Request(exporter=p["exporter"], importer=importer, date=p["date"],
                                  product=Product(hs=p["hs"], edition=p["edition"], fob=p["fob"],
                                                  weight_kg=p["weight_kg"]),
                                  costs=Costs(**costs), materials=materials)
                n += len(determine(request))
            except (NoodlebowlError, ValueError):
                pass
    return time.perf_counter() - t0, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path, help="a catalog written by gen_catalog.py")
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--engine", action="store_true", help="also time the single-request engine")
    parser.add_argument("--warm", type=Path, help="first run the kernel (and, with --engine, the engine on its "
                        "first 1000 products) untimed on this other catalog: both paths then run warm")
    parser.add_argument("--no-plan-cache", action="store_true", help="do not read or write the plan cache file")
    parser.add_argument("--workers", type=int, help="chunks evaluated side by side (default: the runner's)")
    parser.add_argument("--repeat", type=int, default=1, help="time the kernel this many times in the process "
                        "and report the median (and the first, fastest and slowest run)")
    args = parser.parse_args()
    from noodlebowl.batch import plancache

    result: dict = {"catalog": str(args.folder),
                    "plan_cache": "off" if args.no_plan_cache else
                    ("file present" if plancache.cache_file().exists() else "no file (built by this run)")}
    result["floor_s"] = floor_time(args.folder / "bom.parquet")
    if args.warm:
        result["warmed_with"] = str(args.warm)
        kernel_time(args.warm, args.chunk_size, not args.no_plan_cache, args.workers)
        if args.engine:
            engine_time(args.warm, limit=1000)
    samples = []
    for _ in range(max(args.repeat, 1)):
        t, rows, summary = kernel_time(args.folder, args.chunk_size, not args.no_plan_cache, args.workers)
        samples.append(t)
    kt = statistics.median(samples)
    result.update(kernel_s=kt, determinations=rows, per_second=rows / kt, floor_ratio=kt / result["floor_s"],
                  products=summary["products"], rejected_products=summary["rejected_products"])
    if len(samples) > 1:
        result.update(kernel_runs=len(samples), kernel_first_s=samples[0], kernel_min_s=min(samples),
                      kernel_max_s=max(samples))
    if args.engine:
        et, n = engine_time(args.folder)
        result.update(engine_s=et, engine_determinations=n, speed_up=et / kt)
        if len(samples) > 1:
            # steady state for both: the engine's second pass over the catalog (its caches warm for these
            # codes) against the kernel's median of repeated runs; and first pass against first run
            steady, _ = engine_time(args.folder)
            result.update(engine_first_s=et, engine_s=steady, speed_up=steady / kt,
                          speed_up_first_pass=et / samples[0])
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
