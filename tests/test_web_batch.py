"""Batch jobs over HTTP — upload a catalog, follow the job, download the matrix and the rejects —
on SQLite and PostgreSQL. The results must be exactly those of ``noodlebowl batch`` (the library
runner) on the same files; jobs are private to their organisation; bad uploads store nothing."""

from __future__ import annotations

import io
import os
import time

import polars as pl
import pytest

from tests.test_web_fixtures import REPO, backend_url, make_client, new_org  # noqa: F401

CATALOG = REPO / "examples" / "catalog"


@pytest.fixture
def client(backend_url, tmp_path):
    with make_client(backend_url, jobs_folder=tmp_path / "jobs") as c:
        yield c
        c.app.state.store.engine.dispose()


def _files(products: bytes | None = None, bom: bytes | None = None, names=("products.csv", "bom.csv")):
    return {"products": (names[0], products if products is not None else (CATALOG / "products.csv").read_bytes()),
            "bom": (names[1], bom if bom is not None else (CATALOG / "bom.csv").read_bytes())}


def _wait(client, headers, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/batch/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def _jobs_on_disk(client) -> list[str]:
    folder = client.app.state.jobs.folder
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_catalog_job_gives_the_library_answer(client, tmp_path):
    from noodlebowl.batch.run import run

    h = new_org(client)
    r = client.post("/batch/jobs", files=_files(), data={"format": "parquet"}, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running", "done") and job["products_file"] == "products.csv"
    job = _wait(client, h, job["id"])
    assert job["status"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"] == 7

    got = pl.read_parquet(io.BytesIO(client.get(job["results"], headers=h).content))
    expected_summary = run(CATALOG / "products.csv", CATALOG / "bom.csv", tmp_path / "lib.parquet")
    expected = pl.read_parquet(tmp_path / "lib.parquet")
    assert got.drop("data_version").equals(expected.drop("data_version"))
    assert job["summary"]["by_agreement"] == expected_summary.as_dict()["by_agreement"]
    assert "out" not in job["summary"] and "rejects_file" not in job["summary"]   # no server paths

    # the catalog's deliberate bad rows are in the rejects, with the user's file name
    rejects = pl.read_csv(io.BytesIO(client.get(job["rejects"], headers=h).content))
    lib_rejects = pl.read_csv(tmp_path / "lib.parquet.rejects.csv")
    assert rejects.equals(lib_rejects) and rejects.height == job["summary"]["rejects"] > 0
    assert "BAD-HS" in (CATALOG / "products.csv").read_text() and set(rejects["file"]) <= {"products.csv", "bom.csv"}

    listed = client.get("/batch/jobs", headers=h).json()
    assert [j["id"] for j in listed] == [job["id"]]


def test_results_in_csv_and_excel(client):
    from openpyxl import load_workbook

    h = new_org(client)
    for fmt in ("csv", "xlsx"):
        job = _wait(client, h, client.post("/batch/jobs", files=_files(), data={"format": fmt,
                                                                                  "agreement": ["RCEP"]},
                                           headers=h).json()["id"])
        assert job["status"] == "done" and job["agreements"] == ["RCEP"], job
        body = client.get(job["results"], headers=h)
        assert body.headers["content-disposition"].endswith(f'.{fmt}"')
        if fmt == "csv":
            table = pl.read_csv(io.BytesIO(body.content), infer_schema=False)
            agreements = set(table["agreement"])
        else:
            sheet = load_workbook(io.BytesIO(body.content), read_only=True).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            agreements = {r[rows[0].index("agreement")] for r in rows[1:]}
        assert agreements == {"RCEP"}
        assert sum(job["summary"]["by_agreement"]["RCEP"].values()) == len(
            table if fmt == "csv" else rows[1:])


def test_jobs_are_private_to_their_organisation(client):
    owner, other = new_org(client, "Owner"), new_org(client, "Other")
    job = _wait(client, owner, client.post("/batch/jobs", files=_files(), headers=owner).json()["id"])
    for path in ("", "/results", "/rejects"):
        r = client.get(f"/batch/jobs/{job['id']}{path}", headers=other)
        assert r.status_code == 404 and r.json()["error"] == "NotFound", path
        assert client.get(f"/batch/jobs/{job['id']}{path}").status_code == 401
    assert client.get("/batch/jobs", headers=other).json() == []


@pytest.mark.parametrize("files, status, where", [
    (_files(names=("products.txt.exe", "bom.csv")), 415, "products file products.txt.exe"),
    (_files(bom=b"product_id,material\nX,Y\n"), 422, "bom file bom.csv"),
    (_files(products=b"\xff\xfe\x00garbage", names=("products.xlsx", "bom.csv")), 422, "products file products.xlsx"),
])
def test_bad_uploads_are_refused_and_store_nothing(client, files, status, where):
    h = new_org(client)
    r = client.post("/batch/jobs", files=files, headers=h)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["where"] == where and body["accepted"]
    assert "/" not in body["what"] or "jobs" not in body["what"]     # no server path in the message
    assert client.get("/batch/jobs", headers=h).json() == [] and _jobs_on_disk(client) == []


def test_unknown_agreement_and_wrong_format_are_refused(client):
    h = new_org(client)
    r = client.post("/batch/jobs", files=_files(), data={"agreement": ["NAFTA"]}, headers=h)
    assert r.status_code == 422 and r.json()["where"] == "agreement" and "RCEP" in r.json()["accepted"]
    r = client.post("/batch/jobs", files=_files(), data={"format": "pdf"}, headers=h)
    assert r.status_code == 422
    assert client.get("/batch/jobs", headers=h).json() == [] and _jobs_on_disk(client) == []


def test_oversized_catalog_is_refused(backend_url, tmp_path):
    with make_client(backend_url, jobs_folder=tmp_path / "jobs", max_batch_bytes=2000) as c:
        h = new_org(c)
        big = (CATALOG / "bom.csv").read_bytes() * 3
        r = c.post("/batch/jobs", files=_files(bom=big), headers=h)
        assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"
        assert c.get("/batch/jobs", headers=h).json() == []
        c.app.state.store.engine.dispose()


def test_a_job_whose_process_died_is_reported_failed(client):
    """A job left 'running' by a process that no longer exists is settled as failed when read."""
    import socket

    h = new_org(client)
    store = client.app.state.store
    who = store.principal(h["X-API-Key"])
    # a pid that is not running: the highest pid the kernel allows is never in use here
    dead = int(open("/proc/sys/kernel/pid_max").read()) if os.path.exists("/proc/sys/kernel/pid_max") else 4194304
    store.add_job(who, "00000000-0000-4000-8000-000000000001", products_file="p.csv", bom_file="b.csv",
                  agreements=None, out_format="csv", runner=f"{socket.gethostname()}:{dead}:gone",
                  data_version="x")
    store.update_job("00000000-0000-4000-8000-000000000001", status="running")
    job = client.get("/batch/jobs/00000000-0000-4000-8000-000000000001", headers=h).json()
    assert job["status"] == "failed" and job["error"]["error"] == "Interrupted"
    r = client.get("/batch/jobs/00000000-0000-4000-8000-000000000001/results", headers=h)
    assert r.status_code == 409 and r.json()["error"] == "NotReady"
