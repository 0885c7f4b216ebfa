"""HTTP latency of the web service on loopback, at a fixed arrival rate (open loop).

    python benchmarks/bench_web.py [--rate 100] [--duration 60] [--workers 2]
                                   [--postgres-url postgresql+psycopg://…] [--only compare|store]

Starts ``uvicorn noodlebowl.web.app:create_app`` on 127.0.0.1 (a free port) once per storage mode —
SQLite in a temporary NOODLEBOWL_HOME, and PostgreSQL when --postgres-url (or
$NOODLEBOWL_TEST_POSTGRES_URL) is given — and sends, at ``--rate`` requests per second for
``--duration`` seconds each:

- ``POST /compare`` with a 20-material request (a food blender, TH → VN, where ATIGA, ACFTA and
  RCEP are all in force; every request has different material values, so nothing can be cached);
- ``POST /products/{id}/determinations`` for a stored 20-material product (compare + one
  transaction writing the determination and its audit event).

Before each load run, ``--sequential`` requests are sent one at a time (latency without queueing).
Then requests are sent on schedule whatever the server's speed (at most ``--max-in-flight`` at once;
requests over that bound count as errors). Prints p50/p95/p99/max in ms of the successful requests,
and the errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORIGINS = ["CN", "JP", "VN", "TH", "unknown", "KR", "US", "MY"]
CODES = ["8501.10", "8536.50", "3926.90", "7318.15", "8544.42", "8509.90", "4819.10", "8532.24",
         "8541.10", "7013.99", "8483.40", "4016.93", "8504.40", "3920.10", "8538.90", "7616.99",
         "8507.60", "8542.31", "9032.89", "8471.50"]


def bom(seed: int) -> dict:
    materials = [{"name": f"part {i}", "hs": CODES[i], "origin": ORIGINS[i % len(ORIGINS)],
                  "originating": i % 3 == 0, "value": f"{1 + (i + seed) % 4}.{seed % 100:02d}", "weight_kg": "0.1"}
                 for i in range(20)]
    return {"product": {"hs": "8509.40", "fob": "100", "weight_kg": "3", "description": "Food blender"},
            "costs": {"direct_labour": "8", "direct_overhead": "4", "profit": "6", "other": "2"},
            "materials": materials}


ROUTE = {"exporter": "TH", "importer": "VN", "date": "2026-03-01"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "noodlebowl.web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/version", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


async def load(base: str, make, rate: float, duration: float, max_in_flight: int, headers: dict,
               args_sequential: int = 100) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    in_flight = 0
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    # TCP_NODELAY: without it a request's headers and body wait on Nagle + delayed ACK (≈ 40 ms)
    transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=30, headers=headers) as client:
        # warm-up (caches, connection pool, lazy tables) outside the measurement
        for i in range(20):
            path, body = make(10_000 + i)
            await client.post(path, json=body)
        # one request at a time: the latency of a request on its own (no queueing)
        alone = []
        for i in range(args_sequential):
            path, body = make(20_000 + i)
            t0 = time.perf_counter()
            await client.post(path, json=body)
            alone.append((time.perf_counter() - t0) * 1000)
        alone.sort()

        async def one(i: int) -> None:
            nonlocal in_flight
            path, body = make(i)
            t0 = time.perf_counter()
            try:
                r = await client.post(path, json=body)
                if r.status_code >= 400:
                    errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
                else:
                    latencies.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:  # noqa: BLE001 - counted, reported
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            finally:
                in_flight -= 1

        total = int(rate * duration)
        tasks = []
        start = time.perf_counter()
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= max_in_flight:
                errors["dropped (too many in flight)"] = errors.get("dropped (too many in flight)", 0) + 1
                continue
            in_flight += 1
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies.sort()
    q = (lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]) if latencies else (lambda p: float("nan"))
    return {"alone_p50_ms": round(statistics.median(alone), 1) if alone else None,
            "alone_p99_ms": round(alone[min(len(alone) - 1, int(0.99 * len(alone)))], 1) if alone else None,
            "requests": total, "ok": len(latencies), "errors": errors, "achieved_rps": round(total / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(q(0.95), 1), "p99_ms": round(q(0.99), 1),
            "max_ms": round(latencies[-1], 1) if latencies else None}


def run_mode(mode: str, url: str | None, args) -> list[dict]:
    from noodlebowl.web.store import Store, make_engine, migrate
    from noodlebowl.web.store.db import database_url

    env = {**os.environ}
    home = tempfile.mkdtemp(prefix="nb-bench-")
    env["NOODLEBOWL_HOME"] = home
    if url:
        env["NOODLEBOWL_DATABASE_URL"] = url
    else:
        env.pop("NOODLEBOWL_DATABASE_URL", None)
    db = url or f"sqlite:///{Path(home) / 'noodlebowl.db'}"
    engine = make_engine(db)
    migrate(engine)
    _, key = Store(engine).create_org(f"bench {mode}")
    engine.dispose()
    headers = {"X-API-Key": key}
    proc, base = start_server(env, args.workers)
    results = []
    try:
        import httpx

        product = httpx.post(base + "/products", json={"name": "Blender", "bom": bom(0)}, headers=headers,
                             timeout=30).json()
        scenarios = {
            "compare": lambda i: ("/compare", {**ROUTE, **bom(i)}),
            "store": lambda i: (f"/products/{product['id']}/determinations", ROUTE),
        }
        for name, make in scenarios.items():
            if args.only and name != args.only:
                continue
            label = "POST /compare" if name == "compare" else "POST /products/{id}/determinations"
            out = asyncio.run(load(base, make, args.rate, args.duration, args.max_in_flight, headers, args.sequential))
            out |= {"storage": mode, "endpoint": label}
            results.append(out)
            print(json.dumps(out), flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-in-flight", type=int, default=200)
    parser.add_argument("--postgres-url", default=os.environ.get("NOODLEBOWL_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=["compare", "store"])
    parser.add_argument("--sequential", type=int, default=100,
                        help="requests sent one at a time before the load run (latency without queueing)")
    parser.add_argument("--json", action="store_true", help="print all results as one JSON list at the end")
    args = parser.parse_args()
    results = run_mode("sqlite", None, args)
    if args.postgres_url:
        results += run_mode("postgresql", args.postgres_url, args)
    else:
        print("PostgreSQL skipped: give --postgres-url or set NOODLEBOWL_TEST_POSTGRES_URL", file=sys.stderr)
    print()
    print(f"{'storage':<11} {'endpoint':<36} {'alone p50/p99':>14} | {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
          f"{'ok':>5}/{'sent':<5} errors")
    for r in results:
        print(f"{r['storage']:<11} {r['endpoint']:<36} {r['alone_p50_ms']:>6}/{r['alone_p99_ms']:<7} | {r['p50_ms']:>7} "
              f"{r['p95_ms']:>7} {r['p99_ms']:>7} {r['max_ms']:>7} {r['ok']:>5}/{r['requests']:<5} {r['errors'] or ''}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
