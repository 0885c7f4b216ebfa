"""Latency percentiles of an in-process call, shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def timeit(fn: Callable[[], object], runs: int, warmup: int) -> dict[str, float]:
    """p50/p95/p99 in ms of ``runs`` calls of ``fn``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[int(0.95 * len(samples))],
            "p99": samples[int(0.99 * len(samples))]}
