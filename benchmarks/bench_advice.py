"""Qualification advice latency, in process, after warm-up.

    python benchmarks/bench_advice.py [--runs 200]

`advise()` end to end for a 20-material request (a food blender, HS 8509.40, made in TH and
shipped to VN, where ATIGA, ACFTA and RCEP are all in force) that fails every agreement's
value-content limb: the comparison (tariff lookup, proof options), the margins, and per
agreement the search for the smallest set of moves, each candidate set proven by re-running
the origin engine. Prices may be cut by up to 10 %, and two materials carry quoted prices.
Prints p50/p95/p99 in milliseconds and the engine runs per call. Target: p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse

from timing import timeit  # benchmarks/timing.py, beside this script

from noodlebowl.advice import advise, parse_advice_request

ORIGINS = ["CN", "JP", "US", "TH", "unknown", "KR", "IN", "MY"]
CODES = ["8501.10", "8536.50", "3926.90", "7318.15", "8544.42", "8509.40", "4819.10", "8532.24",
         "8541.10", "7013.99", "8483.40", "4016.93", "8504.40", "3920.10", "8538.90", "7616.99",
         "8507.60", "8542.31", "9032.89", "8471.50"]


def request(hard: bool = False):
    materials = [{"name": f"part {i}", "hs": CODES[i], "origin": ORIGINS[i % len(ORIGINS)],
                  "originating": i % 7 == 3, "value": f"{1 + i % 4}.25", "weight_kg": "0.1"} for i in range(20)]
    materials[5] |= {"name": "base unit", "value": "12.25"}   # same subheading as the blender: fails CTH/CTSH
    if hard:  # a US base unit and parts of 1–4: no set of ≤ 3 changes closes the gap (full search + fallback)
        materials[5] |= {"value": "20.25", "origin": "US"}
    return parse_advice_request({
        "exporter": "TH", "importer": "VN", "date": "2026-03-01",
        "product": {"hs": "8509.40", "fob": "100", "weight_kg": "3"},
        "customs_value": "1000",
        "materials": materials,
        "advice": {"max_price_change_percent": 0 if hard else 10, "same_price_sources": not hard,
                   "prices": {"part 0": {"TH": "1.40", "VN": "1.20"}, "part 1": {"MY": "2.60"}}}})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    for label, hard in (("typical: 1-change fixes", False), ("hard: > 3 changes needed", True)):
        req, options = request(hard)
        advice = advise(req, options)
        print(f"{label}")
        for a in advice.agreements:
            best = a.suggestions[0] if a.suggestions else None
            print(f"  {a.agreement}: {a.outcome.value} → {a.status}"
                  + (f", {best.materials_changed} change(s) → {best.criterion}" if best else "")
                  + f" ({a.evaluations} engine runs)")
        r = timeit(lambda: advise(req, options), args.runs, warmup=min(10, args.runs))
        print(f"  advise, 3 agreements, 20 materials: p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  "
              f"p99 {r['p99']:.1f} ms  ({args.runs} runs)")


if __name__ == "__main__":
    main()
