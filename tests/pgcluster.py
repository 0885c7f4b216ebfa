"""A throwaway PostgreSQL cluster for the test run, so the PostgreSQL tests run on any machine
with Debian's postgresql binaries — not only where CI set ``NOODLEBOWL_TEST_POSTGRES_URL``.

``url()`` gives ``$NOODLEBOWL_TEST_POSTGRES_URL`` when set; otherwise it starts a cluster in a
temporary folder on a free loopback port (once per process; stopped and removed at exit), or
returns None when no ``initdb`` is installed — an error instead under
``NOODLEBOWL_REQUIRE_SERVICES=1`` (tests/run sets it: nothing skipped). As root, the server runs as the ``postgres`` user
(initdb refuses root), as in ``.ci/run``.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from functools import cache

ENV = "NOODLEBOWL_TEST_POSTGRES_URL"


def _bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: [int(x) for x in
                                                                               p.split("/")[4].split(".") if x.isdigit()])
    return os.path.dirname(found[-1]) if found else shutil.which("initdb") and os.path.dirname(shutil.which("initdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@cache
def url() -> str | None:
    if os.environ.get(ENV):
        return os.environ[ENV]
    pgbin = _bin()
    if not pgbin:
        if os.environ.get("NOODLEBOWL_REQUIRE_SERVICES") == "1":
            raise RuntimeError("no PostgreSQL binaries (initdb) found: apt-get install postgresql")
        return None
    root = os.geteuid() == 0
    folder = tempfile.mkdtemp(prefix="noodlebowl-test-pg-")
    as_pg = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(folder, "postgres")
    port = _free_port()
    data = os.path.join(folder, "data")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run([*as_pg, f"{pgbin}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], **quiet)
    subprocess.run([*as_pg, f"{pgbin}/pg_ctl", "-D", data, "-l", os.path.join(folder, "server.log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200",
                    "start"], **quiet)

    def stop() -> None:
        subprocess.run([*as_pg, f"{pgbin}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    subprocess.run([f"{pgbin}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q", "-c",
                    "CREATE DATABASE noodlebowl_test"], **quiet)
    found = f"postgresql+psycopg://postgres@127.0.0.1:{port}/noodlebowl_test"
    os.environ[ENV] = found       # subprocesses (servers started by tests) see the same database
    return found
