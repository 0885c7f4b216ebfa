"""Batch jobs run one at a time (the kernel already uses every core), with the same runner as
``noodlebowl batch`` — each in a child process at a lower CPU priority, so that parsing and
evaluating a catalog never holds the API's interpreter (its GIL) or its event loop. A job that
runs longer than ``$NOODLEBOWL_JOB_TIMEOUT`` seconds (default 3600) is stopped and failed.

A job's files live in ``<jobs folder>/<job id>/``: the two uploaded catalog files, the results
and the rejects. They are removed when the job fails, and ``$NOODLEBOWL_JOB_RETENTION_DAYS``
(default 7) days after it ended. Its row in the database is the truth about its state, read by
any worker; the process running it is named in ``runner`` so that a job whose process died is
reported as failed rather than running forever.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from noodlebowl.web.store.repository import Store

log = logging.getLogger("noodlebowl.web.jobs")

UNFINISHED = ("queued", "running")
PRODUCTS, BOM, RESULTS = "products", "bom", "results"
CHILD_NICENESS = 10


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "")
    try:
        value = float(text)
    except ValueError:
        return default
    return value if value > 0 else default


def retention_days() -> float:
    return _env_number("NOODLEBOWL_JOB_RETENTION_DAYS", 7)


def job_timeout() -> float:
    return _env_number("NOODLEBOWL_JOB_TIMEOUT", 3600)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # exists, owned by someone else
        return True
    return True


class JobRunner:
    """Runs the jobs submitted to this app instance and settles the orphans of dead ones."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store, self.folder = store, folder
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="noodlebowl-batch")

    def folder_of(self, job_id: str) -> Path:
        return self.folder / job_id

    @staticmethod
    def file_of(folder: Path, stem: str) -> Path:
        """The job's file named ``stem`` (whatever its extension), or a path that does not exist."""
        found = sorted(folder.glob(f"{stem}.*"))
        found = [f for f in found if not f.name.endswith(".rejects.csv")]
        return found[0] if found else folder / f"{stem}.missing"

    def submit(self, job_id: str, agreements: tuple[str, ...] | None, out_format: str) -> None:
        self._pool.submit(self._run, job_id, agreements, out_format)

    def _run(self, job_id: str, agreements: tuple[str, ...] | None, out_format: str) -> None:
        """Run the job in a child process and settle it from its exit."""
        if not self.store.update_job(job_id, status="running"):
            return
        url = self.store.engine.url.render_as_string(hide_password=False)
        command = [sys.executable, "-m", "noodlebowl.web.jobs", url, str(self.folder_of(job_id)), job_id,
                   json.dumps(list(agreements) if agreements else None), out_format]
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=lambda: os.nice(CHILD_NICENESS))
            try:
                _, err = child.communicate(timeout=job_timeout())
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                self._fail(job_id, {"error": "Timeout", "what": f"the job ran longer than {job_timeout():g} s and "
                                    "was stopped", "where": None, "accepted": None,
                                    "suggestions": ["split the catalog into smaller files"]})
                return
            if child.returncode != 0:
                log.error("batch job %s: child exited %s: %s", job_id, child.returncode, err.decode(errors="replace")[-2000:])
                self._fail(job_id, {"error": "InternalError", "what": "the job stopped on an internal error; "
                                    "the server log has the details", "where": None, "accepted": None,
                                    "suggestions": []})
        finally:
            self.sweep()

    def _fail(self, job_id: str, error: dict) -> None:
        fail(self.store, job_id, error)

    def sweep(self, now: dt.datetime | None = None) -> list[str]:
        """Remove the folders of failed jobs, of jobs ended more than the retention period ago, and
        of jobs the database does not know (left by a crash) once older than that; their ids."""
        now = now or _now()
        cutoff = now - dt.timedelta(days=retention_days())
        removed = []
        if not self.folder.is_dir():
            return removed
        for folder in self.folder.iterdir():
            if not folder.is_dir():
                continue
            job = self.store.job_state(folder.name)
            if job is None:
                old = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.timezone.utc) < cutoff
            else:
                ended = job["finished_at"]
                old = job["status"] == "failed" or (job["status"] == "done" and ended is not None
                                                     and _aware(ended) < cutoff)
            if old:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed

    def settle(self, job: dict) -> dict:
        """The job as it stands: an unfinished job whose runner is gone is failed, once and for all."""
        if job["status"] not in UNFINISHED or not self._orphan(job["runner"]):
            return job
        error = {"error": "Interrupted", "what": "the server process running this job stopped before it ended",
                 "where": None, "accepted": None, "suggestions": ["submit the catalog again"]}
        if self.store.update_job(job["id"], status="failed", error=error, finished_at=_now()):
            return {**job, "status": "failed", "error": error}
        return job

    def _orphan(self, runner: str) -> bool:
        host, pid, instance = (runner.split(":") + ["", "", ""])[:3]
        if host != socket.gethostname() or not pid.isdigit():
            return False              # another machine's job: only it can tell
        if int(pid) == os.getpid():
            return runner != self.name    # this process, but an app instance that no longer runs
        return not _alive(int(pid))

    def shutdown(self) -> None:
        """Stop taking jobs; the queued ones are failed (their files stay), the running one finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _aware(moment: dt.datetime | str) -> dt.datetime:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def fail(store: Store, job_id: str, error: dict) -> None:
    store.update_job(job_id, status="failed", error=error, finished_at=_now())


def run_job(store: Store, folder: Path, job_id: str, agreements: tuple[str, ...] | None, out_format: str) -> None:
    """The job itself (in the child process): run the catalog, record progress and the end."""
    from noodlebowl.batch.run import run
    from noodlebowl.errors import NoodlebowlError

    products, bom = JobRunner.file_of(folder, PRODUCTS), JobRunner.file_of(folder, BOM)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 0.5 or done == total:     # a row update at most twice a second
            last[0] = time.monotonic()
            store.update_job(job_id, done=done, total=total)

    try:
        summary = run(products, bom, folder / f"{RESULTS}.{out_format}", agreements=agreements,
                      progress=progress).as_dict()
    except NoodlebowlError as exc:
        fail(store, job_id, exc.as_dict())
    except Exception as exc:  # noqa: BLE001 - a job must end, and its error must not leak internals
        import polars as pl

        if isinstance(exc, (pl.exceptions.PolarsError, OSError, UnicodeDecodeError)):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            fail(store, job_id, {"error": "MalformedFile", "what": f"a catalog file could not be read: {first}",
                                 "where": "products or BOM file", "accepted": "see docs/batch.md",
                                 "suggestions": []})
        else:
            log.exception("batch job %s failed", job_id)
            fail(store, job_id, {"error": "InternalError", "what": "the job stopped on an internal error; "
                                 "the server log has the details", "where": None, "accepted": None,
                                 "suggestions": []})
    else:
        # server paths stay on the server: the API links to the files instead
        summary = {k: v for k, v in summary.items() if k not in ("out", "rejects_file")}
        store.update_job(job_id, status="done", done=summary["products"], total=summary["products"],
                         summary=summary, finished_at=_now())


def main(argv: list[str]) -> int:
    """``python -m noodlebowl.web.jobs DATABASE_URL FOLDER JOB_ID AGREEMENTS_JSON FORMAT``"""
    from noodlebowl.web.store import make_engine

    url, folder, job_id, agreements, out_format = argv
    wanted = json.loads(agreements)
    engine = make_engine(url)
    try:
        run_job(Store(engine), Path(folder), job_id, tuple(wanted) if wanted else None, out_format)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
