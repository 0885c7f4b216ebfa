"""Batch jobs over HTTP: upload a catalog (products + BOM lines) → a job id → its progress →
the qualification matrix and the rejects to download. The same runner and file formats as
``noodlebowl batch`` (docs/batch.md); jobs are the organisation's own, like everything stored."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request as HttpRequest, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from noodlebowl.errors import NoodlebowlError
from noodlebowl.web.errors import ERROR_SCHEMA, ApiError
from noodlebowl.web.jobs import BOM, PRODUCTS, RESULTS, JobRunner
from noodlebowl.web.storage_api import principal, store_of
from noodlebowl.web.store.models import new_id
from noodlebowl.web.store.repository import Principal, Store

router = APIRouter(prefix="/batch/jobs", tags=["batch"],
                   responses={401: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA,
                              415: ERROR_SCHEMA, 422: ERROR_SCHEMA})

MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
REJECTS_HEADER = "file,row,field,reason\n"


class Progress(BaseModel):
    done: int
    total: int | None


class Job(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    products_file: str
    bom_file: str
    agreements: list[str] | None
    format: str
    progress: Progress
    summary: dict[str, Any] | None
    error: dict[str, Any] | None
    data_version: str
    created_at: str
    finished_at: str | None
    results: str | None
    rejects: str | None


def runner_of(request: HttpRequest) -> JobRunner:
    return request.app.state.jobs


def _out(job: dict, request: HttpRequest) -> Job:
    done = job["status"] == "done"
    base = str(request.url_for("get_batch_job", job_id=job["id"]).path)
    return Job(id=job["id"], status=job["status"], products_file=job["products_file"], bom_file=job["bom_file"],
               agreements=job["agreements"], format=job["out_format"],
               progress=Progress(done=job["done"], total=job["total"]), summary=job["summary"], error=job["error"],
               data_version=job["data_version"], created_at=job["created_at"], finished_at=job["finished_at"],
               results=f"{base}/results" if done else None, rejects=f"{base}/rejects" if done else None)


def _printable(text: str) -> str:
    """A file name as stored and shown: control characters (NUL included) dropped."""
    return "".join(ch for ch in text if ch.isprintable())


def _save(upload: UploadFile, field: str, folder: Path) -> tuple[Path, str]:
    """The upload written as ``<field>.<its extension>`` in the job folder; (path, user's file name)."""
    from noodlebowl.batch import catalog

    name = _printable(Path(upload.filename or "").name)[:200] or "(unnamed)"
    try:
        catalog.file_format(name)
    except NoodlebowlError as exc:
        raise ApiError(415, exc.what, error="UnsupportedMediaType", where=f"{field} file {name}",
                       accepted=exc.accepted) from None
    path = folder / f"{field}{Path(name).suffix.lower()}"
    with path.open("wb") as fh:
        shutil.copyfileobj(upload.file, fh, 1 << 20)
    return path, name


def _check_columns(path: Path, name: str, field: str) -> None:
    """Refuse now a file the job could not start on (unreadable, a decompression bomb, required
    columns missing): cheap checks only — the full parse runs in the job, not in the request."""
    from noodlebowl.batch import catalog
    from noodlebowl.limits import LimitExceeded

    required, known = ((catalog.PRODUCT_REQUIRED, catalog.PRODUCT_COLUMNS) if field == PRODUCTS
                       else (catalog.BOM_REQUIRED, catalog.BOM_COLUMNS))
    where = f"{field} file {name}"
    try:
        catalog.preflight(path, required, known, where)
    except LimitExceeded as exc:
        raise ApiError(413, exc.what, error="PayloadTooLarge", where=where, accepted=exc.limit) from None
    except NoodlebowlError as exc:
        error = "InvalidCatalog" if exc.what.startswith("missing column") else "MalformedFile"
        raise ApiError(422, exc.what, error=error, where=where, accepted=exc.accepted) from None


def _agreements(values: list[str] | None) -> tuple[str, ...] | None:
    from noodlebowl.origin.engine import MODELLED

    wanted = tuple(dict.fromkeys(v.strip().upper() for v in values or [] if v.strip()))
    for a in wanted:
        if a not in MODELLED:
            raise ApiError(422, f"agreement {a!r} is not modelled", error="InvalidRequest", where="agreement",
                           accepted=", ".join(MODELLED))
    return wanted or None


@router.post("", status_code=202, response_model=Job)
def submit_batch_job(
    request: HttpRequest,
    products: UploadFile = File(..., description="products: .csv, .xlsx or .parquet (docs/batch.md)"),
    bom: UploadFile = File(..., description="bill-of-materials lines: .csv, .xlsx or .parquet"),
    agreement: list[str] | None = Form(None, description="only these agreements (default: every one in force)"),
    format: Literal["csv", "parquet", "xlsx"] = Form("csv", description="the results file's format"),
    who: Principal = Depends(principal), store: Store = Depends(store_of),
    jobs: JobRunner = Depends(runner_of),
) -> Any:
    """Qualify a whole catalog in the background. Answers at once with the job; poll it for progress."""
    from noodlebowl import refdata

    agreements = _agreements(agreement)
    job_id = new_id()
    folder = jobs.folder_of(job_id)
    folder.mkdir(parents=True)
    try:
        products_path, products_name = _save(products, PRODUCTS, folder)
        bom_path, bom_name = _save(bom, BOM, folder)
        _check_columns(products_path, products_name, PRODUCTS)
        _check_columns(bom_path, bom_name, BOM)
        job = store.add_job(who, job_id, products_file=products_name, bom_file=bom_name,
                            agreements=list(agreements) if agreements else None, out_format=format,
                            runner=jobs.name, data_version=refdata.data_version())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)   # nothing stored half-way
        raise
    jobs.submit(job_id, agreements, format)
    return _out(job, request)


@router.get("", response_model=list[Job])
def list_batch_jobs(request: HttpRequest, who: Principal = Depends(principal), store: Store = Depends(store_of),
                    jobs: JobRunner = Depends(runner_of)) -> Any:
    """The organisation's jobs, newest first."""
    return [_out(jobs.settle(j), request) for j in store.list_jobs(who)]


@router.get("/{job_id}", response_model=Job)
def get_batch_job(job_id: str, request: HttpRequest, who: Principal = Depends(principal),
                  store: Store = Depends(store_of), jobs: JobRunner = Depends(runner_of)) -> Any:
    """A job's state, progress (products done of total) and, when done, its summary and links."""
    return _out(jobs.settle(store.get_job(who, job_id)), request)


def _finished(job: dict) -> None:
    if job["status"] != "done":
        what = {"failed": "the job failed: see its error"}.get(
            job["status"], f"the job is {job['status']} ({job['done']} of {job['total'] or '?'} products done)")
        raise ApiError(409, what, error="NotReady", where="job", accepted="a job whose status is done")


@router.get("/{job_id}/results", response_class=FileResponse,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()},
                             "description": "one row per product and agreement (docs/batch.md)"}})
def batch_job_results(job_id: str, who: Principal = Depends(principal), store: Store = Depends(store_of),
                      jobs: JobRunner = Depends(runner_of)) -> Any:
    """The qualification matrix, in the format asked for at submission."""
    job = jobs.settle(store.get_job(who, job_id))
    _finished(job)
    path = jobs.folder_of(job_id) / f"{RESULTS}.{job['out_format']}"
    if not path.exists():
        raise ApiError(404, "the job's results file is no longer on this server", error="NotFound",
                       where="job", accepted="submit the catalog again")
    return FileResponse(path, media_type=MEDIA_TYPES[job["out_format"]],
                        filename=f"noodlebowl-batch-{job_id[:8]}.{job['out_format']}")


@router.get("/{job_id}/rejects", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "file,row,field,reason per problem"}})
def batch_job_rejects(job_id: str, who: Principal = Depends(principal), store: Store = Depends(store_of),
                      jobs: JobRunner = Depends(runner_of)) -> Any:
    """Every problem found in the input (file, row, field, reason); only the header when none."""
    job = jobs.settle(store.get_job(who, job_id))
    _finished(job)
    path = jobs.folder_of(job_id) / f"{RESULTS}.{job['out_format']}.rejects.csv"
    body = path.read_bytes() if path.exists() else REJECTS_HEADER.encode()
    return Response(body, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="noodlebowl-batch-{job_id[:8]}-rejects.csv"'})
