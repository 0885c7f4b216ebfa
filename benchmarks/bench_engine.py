"""Determination and comparison latency, in process, after warm-up.

    python benchmarks/bench_engine.py [--runs 2000]

- determination: one agreement (RCEP, VN→JP), a 20-material request, `determine()` end to end
  (route, rule lookup, evaluation, answer models);
- compare: the same request across every agreement in force for the route (TH→VN: ATIGA and
  RCEP) with tariff lookup, best choice and proof options.
Prints p50/p95/p99 in milliseconds.
"""

from __future__ import annotations

import argparse

from timing import timeit  # benchmarks/timing.py, beside this script

from noodlebowl.compare import compare
from noodlebowl.origin import determine, parse_request

ORIGINS = ["CN", "JP", "VN", "TH", "unknown", "KR", "US", "MY"]
CODES = ["8501.10", "8536.50", "3926.90", "7318.15", "8544.42", "8509.90", "4819.10", "8532.24",
         "8541.10", "7013.99", "8483.40", "4016.93", "8504.40", "3920.10", "8538.90", "7616.99",
         "8507.60", "8542.31", "9032.89", "8471.50"]


def request(exporter: str, importer: str, agreements=None):
    materials = [{"name": f"part {i}", "hs": CODES[i], "origin": ORIGINS[i % len(ORIGINS)],
                  "originating": i % 3 == 0, "value": f"{1 + i % 4}.25", "weight_kg": "0.1"} for i in range(20)]
    return parse_request({"exporter": exporter, "importer": importer, "date": "2026-03-01",
                          "agreements": agreements,
                          "product": {"hs": "8509.40", "fob": "100", "weight_kg": "3"},
                          "costs": {"direct_labour": "8", "direct_overhead": "4", "profit": "6", "other": "2"},
                          "materials": materials})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    one = request("VN", "JP", ["RCEP"])
    both = request("TH", "VN")
    for name, fn, runs in [("determine, 1 agreement, 20 materials", lambda: determine(one), args.runs),
                           ("compare, all agreements, 20 materials", lambda: compare(both), args.runs // 4)]:
        r = timeit(fn, runs, warmup=min(200, runs))
        print(f"{name}: p50 {r['p50']:.3f} ms  p95 {r['p95']:.3f} ms  p99 {r['p99']:.3f} ms  ({runs} runs)")


if __name__ == "__main__":
    main()
