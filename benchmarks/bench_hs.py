"""HS nomenclature benchmark: search accuracy on the dev set, search latency, cold start.

(For the held-out accuracy per source, the honest measure of ``hs search``, run
``benchmarks/hs_eval.py``.)

Run from the repository root::

    /work/venv/bin/python benchmarks/bench_hs.py [--json] [--misses]

Reports top-1 / top-5 accuracy over ``benchmarks/hs_search_devset.csv``, the index load
time, search latency p50/p95 over the dev-set queries (each run 5 times after the index is
built), and the cold start of ``noodlebowl hs show 851713`` (median of 5 subprocess runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEVSET = HERE / "hs_search_devset.csv"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def cold_start(runs: int = 5) -> float:
    exe = shutil.which("noodlebowl", path=str(Path(sys.executable).parent)) or "noodlebowl"
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([exe, "hs", "show", "851713"], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list queries whose answer is not top-1")
    args = parser.parse_args()

    rows = list(csv.DictReader(DEVSET.open(encoding="utf-8")))
    from noodlebowl.hs.search import _index, search

    t = time.perf_counter()
    _index()
    build = time.perf_counter() - t

    top1 = top5 = 0
    misses = []
    for r in rows:
        want = r["expected_hs2022"]
        got = [h.dotted for h in search(r["query"], 5)]
        top1 += bool(got) and got[0] == want
        top5 += want in got
        if not got or got[0] != want:
            misses.append((r["query"], want, got))

    latencies = []
    for _ in range(5):
        for r in rows:
            t = time.perf_counter()
            search(r["query"], 10)
            latencies.append((time.perf_counter() - t) * 1000)

    figures = {
        "queries": len(rows),
        "top1": round(top1 / len(rows), 3),
        "top5": round(top5 / len(rows), 3),
        "index_load_s": round(build, 3),
        "search_p50_ms": round(percentile(latencies, 50), 2),
        "search_p95_ms": round(percentile(latencies, 95), 2),
        "cold_start_hs_show_s": round(cold_start(), 3),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:>22}: {v}")
    if args.misses:
        for q, want, got in misses:
            print(f"miss: {q!r} want {want} got {', '.join(got)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
