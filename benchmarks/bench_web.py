"""HTTP latency of the web service on loopback, at a fixed arrival rate (open loop).

    python benchmarks/bench_web.py [--rate 100] [--duration 60] [--workers 2]
                                   [--postgres-url postgresql+psycopg://…] [--only compare|store]

Starts the server as a deployment does (``python -m noodlebowl.web.server``: uvicorn with
``--workers`` processes and TCP_NODELAY on every connection, see ``noodlebowl serve``) on
127.0.0.1 (a free port) once per storage mode — SQLite in a temporary NOODLEBOWL_HOME, and
PostgreSQL when --postgres-url (or $NOODLEBOWL_TEST_POSTGRES_URL) is given — and sends, at
``--rate`` requests per second for ``--duration`` seconds each:

- ``POST /compare`` with a 20-material request (a food blender, TH → VN, where ATIGA, ACFTA and
  RCEP are all in force; every request has different material values, so no answer can be reused);
- ``POST /products/{id}/determinations`` for a stored 20-material product (compare + one
  transaction writing the determination and its audit event).

The load generator is lean so that its own CPU does not distort the figures on a small machine:
raw HTTP/1.1 over asyncio streams, keep-alive connections, request bytes encoded before the run.
Before each load run, ``--sequential`` requests are sent one at a time (latency without queueing).
Then requests are sent on schedule whatever the server's speed (at most ``--max-in-flight`` at once;
requests over that bound count as errors). Prints p50/p95/p99/max in ms of the successful requests,
the errors, the achieved rate, the server's and the client's CPU per request, and the load average.
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
    proc = subprocess.Popen([sys.executable, "-m", "noodlebowl.web.server", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                             "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/version", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def tree_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its descendants (Linux /proc; None elsewhere)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total, todo = 0.0, [pid]
        while todo:
            p = todo.pop()
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        return total
    except (OSError, ValueError):
        return None


class Client:
    """Minimal HTTP/1.1 client: keep-alive connections over asyncio streams, a request is one write.
    A connection idle for longer than the server's keep-alive timeout (uvicorn: 5 s) is not reused."""

    IDLE_S = 4.0

    def __init__(self, base: str, headers: dict) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: list[tuple[float, asyncio.StreamReader, asyncio.StreamWriter]] = []

    def encode(self, path: str, body: dict) -> bytes:
        data = json.dumps(body).encode()
        return (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n{self.headers}\r\n").encode() + data

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        now = time.monotonic()
        while self.idle:
            used, reader, writer = self.idle.pop()
            if now - used < self.IDLE_S:
                break
            writer.close()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)  # asyncio sets TCP_NODELAY
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length)
        self.idle.append((time.monotonic(), reader, writer))
        return status, body

    def close(self) -> None:
        for _, _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def load(base: str, make, rate: float, duration: float, max_in_flight: int, headers: dict,
               args_sequential: int = 100, server_pid: int | None = None) -> dict:
    client = Client(base, headers)
    total = int(rate * duration)
    # every body encoded before the run: the client's CPU during it is the sockets and the clock
    raws = [client.encode(*make(i)) for i in range(total)]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    in_flight = 0
    # warm-up (caches, connections, lazy tables) outside the measurement
    for i in range(20):
        await client.send(client.encode(*make(10_000 + i)))
    # one request at a time: the latency of a request on its own (no queueing)
    alone = []
    for raw in [client.encode(*make(20_000 + i)) for i in range(args_sequential)]:
        t0 = time.perf_counter()
        await client.send(raw)
        alone.append((time.perf_counter() - t0) * 1000)
    alone.sort()

    async def one(i: int) -> None:
        nonlocal in_flight
        t0 = time.perf_counter()
        try:
            status, _ = await client.send(raws[i])
            if status >= 400:
                errors[str(status)] = errors.get(str(status), 0) + 1
            else:
                latencies.append((time.perf_counter() - t0) * 1000)
        except Exception as exc:  # noqa: BLE001 - counted, reported
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        finally:
            in_flight -= 1

    tasks = []
    load_before = os.getloadavg()[0]
    server_cpu0 = tree_cpu_seconds(server_pid) if server_pid else None
    client_cpu0 = time.process_time()
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
    client_cpu = time.process_time() - client_cpu0
    server_cpu1 = tree_cpu_seconds(server_pid) if server_pid else None
    client.close()
    latencies.sort()
    q = (lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]) if latencies else (lambda p: float("nan"))
    return {"alone_p50_ms": round(statistics.median(alone), 1) if alone else None,
            "alone_p99_ms": round(alone[min(len(alone) - 1, int(0.99 * len(alone)))], 1) if alone else None,
            "requests": total, "ok": len(latencies), "errors": errors, "achieved_rps": round(total / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(q(0.95), 1), "p99_ms": round(q(0.99), 1),
            "max_ms": round(latencies[-1], 1) if latencies else None,
            "server_cpu_ms_per_request": round((server_cpu1 - server_cpu0) * 1000 / total, 2)
            if server_cpu0 is not None and server_cpu1 is not None else None,
            "client_cpu_ms_per_request": round(client_cpu * 1000 / total, 2),
            "loadavg_1min_before": round(load_before, 2), "loadavg_1min_after": round(os.getloadavg()[0], 2)}


def run_mode(mode: str, url: str | None, args) -> list[dict]:
    from noodlebowl.web.store import Store, make_engine, migrate

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
            out = asyncio.run(load(base, make, args.rate, args.duration, args.max_in_flight, headers, args.sequential,
                                   proc.pid))
            out |= {"storage": mode, "endpoint": label, "workers": args.workers}
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
          f"{'ok':>5}/{'sent':<5} {'req/s':>6} {'srv ms':>6} {'cli ms':>6} {'load':>5} errors")
    for r in results:
        print(f"{r['storage']:<11} {r['endpoint']:<36} {r['alone_p50_ms']:>6}/{r['alone_p99_ms']:<7} | {r['p50_ms']:>7} "
              f"{r['p95_ms']:>7} {r['p99_ms']:>7} {r['max_ms']:>7} {r['ok']:>5}/{r['requests']:<5} "
              f"{r['achieved_rps']:>6} {r['server_cpu_ms_per_request'] or '':>6} {r['client_cpu_ms_per_request']:>6} "
              f"{r['loadavg_1min_after']:>5} {r['errors'] or ''}")
    print(f"workers: {args.workers}; srv ms / cli ms: CPU per request of the server processes / of this "
          "client; load: 1-minute load average after the run")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
