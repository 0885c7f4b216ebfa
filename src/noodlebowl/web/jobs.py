"""Batch jobs run in the background of the serving process, one at a time (the kernel already
uses every core), with the same runner as ``noodlebowl batch``.

A job's files live in ``<jobs folder>/<job id>/``: the two uploaded catalog files, the results
and the rejects. Its row in the database is the truth about its state, read by any worker; the
process running it is named in ``runner`` so that a job whose process died is reported as
failed rather than running forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from noodlebowl.web.store.repository import Store

log = logging.getLogger("noodlebowl.web.jobs")

UNFINISHED = ("queued", "running")
PRODUCTS, BOM, RESULTS = "products", "bom", "results"


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
        from noodlebowl.batch.run import run
        from noodlebowl.errors import NoodlebowlError

        folder = self.folder_of(job_id)
        products, bom = self.file_of(folder, PRODUCTS), self.file_of(folder, BOM)
        if not self.store.update_job(job_id, status="running"):
            return

        def progress(done: int, total: int) -> None:
            self.store.update_job(job_id, done=done, total=total)

        try:
            summary = run(products, bom, folder / f"{RESULTS}.{out_format}", agreements=agreements,
                          progress=progress).as_dict()
        except NoodlebowlError as exc:
            self._fail(job_id, exc.as_dict())
        except Exception as exc:  # noqa: BLE001 - a job must end, and its error must not leak internals
            import polars as pl

            if isinstance(exc, (pl.exceptions.PolarsError, OSError, UnicodeDecodeError)):
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                self._fail(job_id, {"error": "MalformedFile", "what": f"a catalog file could not be read: {first}",
                                    "where": "products or BOM file", "accepted": "see docs/batch.md",
                                    "suggestions": []})
            else:
                log.exception("batch job %s failed", job_id)
                self._fail(job_id, {"error": "InternalError", "what": "the job stopped on an internal error; "
                                    "the server log has the details", "where": None, "accepted": None,
                                    "suggestions": []})
        else:
            # server paths stay on the server: the API links to the files instead
            summary = {k: v for k, v in summary.items() if k not in ("out", "rejects_file")}
            self.store.update_job(job_id, status="done", done=summary["products"], total=summary["products"],
                                  summary=summary, finished_at=_now())

    def _fail(self, job_id: str, error: dict) -> None:
        self.store.update_job(job_id, status="failed", error=error, finished_at=_now())

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
