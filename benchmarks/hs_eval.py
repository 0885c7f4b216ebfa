"""HS classification: accuracy on the held-out labelled descriptions and on the dev set, latency, load.

Run from the repository root::

    python benchmarks/hs_eval.py                 # the packaged index: held-out part + dev set
    python benchmarks/hs_eval.py --tune 1        # tuning: index without train fold 1, scored on fold 1
    python benchmarks/hs_eval.py --tune 1 --set NEIGHBOURS=50 --set CENTROID_WEIGHT=0.5
    python benchmarks/hs_eval.py --json

The labelled data (``hs_labelled``) is split at data-build time into five folds by a hash of
each text; fold 0 is the held-out part, which the packaged index never contains. ``--tune F``
(F = 1…4) rebuilds the index in memory without fold F and scores fold F, so settings can be
compared without ever looking at fold 0. Reported per source: top-1 / top-5 / top-10 (the
expected subheading is the first hit / among the first 5 / 10), over all held-out rows
("micro") and as the mean of the sources ("macro"). Latency: each query of the held-out
part and the dev set through ``classify(query, 10)`` (explanations included) after the
index is loaded; p50 / p95 of wall time and of CPU time (the process's own work — on a
shared machine wall time also counts the waits for a core; the 1-minute load average is
printed with them). Load: ``SearchIndex.load()`` in a fresh process, with and
without the imports of pyarrow/numpy it shares with the rest of noodlebowl.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEVSET = HERE / "hs_search_devset.csv"
KS = (1, 5, 10)


def _search_module():
    # the package binds the name ``search`` to the function; the module is what holds the settings
    import importlib

    return importlib.import_module("noodlebowl.hs.search")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def accuracy(index, queries: list[tuple[str, str, str]]) -> tuple[dict[str, dict[str, float]], list[float]]:
    """Top-k rates per group for (text, expected 6 digits, group) queries, and each query's latency (ms)."""
    search_module = _search_module()
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    latencies = []
    for text, want, group in queries:
        t = time.perf_counter()
        got = [index.subs[s] for s, _ in search_module.rank(index, text, max(KS))]
        latencies.append((time.perf_counter() - t) * 1000)
        row = hits[group]
        for i, k in enumerate(KS):
            row[i] += want in got[:k]
        row[3] += 1
    table = {g: {**{f"top{k}": round(r[i] / r[3], 3) for i, k in enumerate(KS)}, "n": r[3]}
             for g, r in sorted(hits.items())}
    if len(table) > 1:
        n = sum(r[3] for r in hits.values())
        table["micro (all rows)"] = {**{f"top{k}": round(sum(r[i] for r in hits.values()) / n, 3)
                                        for i, k in enumerate(KS)}, "n": n}
        table["macro (mean of sources)"] = {
            **{f"top{k}": round(statistics.mean(r[i] / r[3] for r in hits.values()), 3) for i, k in enumerate(KS)},
            "n": len(hits)}
    return table, latencies


def labelled(fold_filter) -> list[tuple[str, str, str]]:
    from noodlebowl.refdata import rows

    return [(r["text"], r["hs6"], r["source"]) for r in rows("hs_labelled") if fold_filter(r["fold"])]


def devset() -> list[tuple[str, str, str]]:
    with DEVSET.open(encoding="utf-8") as f:
        return [(r["query"], r["expected_hs2022"].replace(".", ""), "dev set (team-written)")
                for r in csv.DictReader(f)]


def tuning_index(fold: int):
    """An index built in memory from the packaged texts without train fold ``fold``."""
    from noodlebowl.hs.index import SearchIndex, documents
    from noodlebowl.hs.nomenclature import _ahtn, _edition
    from noodlebowl.refdata import rows

    hs2022 = _edition("HS2022").by_code.values()
    kept = [r for r in rows("hs_labelled") if r["fold"] != fold]
    return SearchIndex.build(documents(hs2022, _ahtn()[0].values(), kept))


def load_seconds() -> dict[str, float]:
    code = ("import time; t0, c0 = time.perf_counter(), time.process_time(); "
            "import numpy, pyarrow.parquet, pyarrow.dataset; t1, c1 = time.perf_counter(), time.process_time(); "
            "from noodlebowl.hs.index import SearchIndex; SearchIndex.load(); "
            "t2, c2 = time.perf_counter(), time.process_time(); print(t2 - t0, t2 - t1, c2 - c1)")
    runs = [tuple(map(float, subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                            text=True).stdout.split())) for _ in range(5)]
    return {"index_load_s_with_imports": round(statistics.median(r[0] for r in runs), 3),
            "index_load_s": round(statistics.median(r[1] for r in runs), 3),
            "index_load_cpu_s": round(statistics.median(r[2] for r in runs), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", type=int, choices=(1, 2, 3, 4), help="score train fold F with an index without it")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a setting of noodlebowl.hs.search (e.g. NEIGHBOURS=50)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    search_module = _search_module()
    for item in args.set:
        name, value = item.split("=", 1)
        if not hasattr(search_module, name):
            parser.error(f"--set {name}: not a setting of noodlebowl.hs.search")
        setattr(search_module, name, type(getattr(search_module, name))(value))

    figures: dict = {}
    if args.tune:
        index = tuning_index(args.tune)
        figures["tuning fold"], _ = accuracy(index, labelled(lambda f: f == args.tune))
    else:
        t = time.perf_counter()
        index = search_module._index().index
        figures["first_load_in_this_process_s"] = round(time.perf_counter() - t, 3)
        figures["held-out"], lat_h = accuracy(index, labelled(lambda f: f == 0))
        figures["dev set"], lat_d = accuracy(index, devset())
        wall, cpu = [], []
        for text, _, _ in [*labelled(lambda f: f == 0), *devset()]:
            t, c = time.perf_counter(), time.process_time()
            search_module.classify(text, 10)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        for name, values in (("latency_ms", wall), ("cpu_ms", cpu)):
            figures[name] = {"queries": len(values), "p50": round(percentile(values, 50), 2),
                             "p95": round(percentile(values, 95), 2), "max": round(max(values), 2)}
        figures["load_average_1min"] = round(os.getloadavg()[0], 2)
        figures.update(load_seconds())
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name, value in figures.items():
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            print(f"{name}:")
            for group, r in value.items():
                print(f"  {group:<26} " + "  ".join(f"{k} {v}" for k, v in r.items()))
        else:
            print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
