"""Headers on every answer, /docs without a CDN, the request-body timeout, formula cells
neutralised in every CSV/XLSX written, and job files cleaned up."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import polars as pl
import pytest

from tests.test_web_fixtures import REPO, backend_url, client, make_client, new_org  # noqa: F401

EVIL = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_keyed_answers_are_not_cached_and_pages_have_a_csp(client):
    h = new_org(client)
    for url in ("/products", "/audit", "/batch/jobs", "/share-links"):
        r = client.get(url, headers=h)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", url
    assert client.get("/products", headers={"X-API-Key": "nope"}).headers["cache-control"] == "no-store"
    for url in ("/", "/glossary", "/docs"):
        r = client.get(url)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src" not in csp.replace("default-src", ""), url
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in client.get("/version").headers


def test_docs_load_nothing_from_elsewhere(client):
    page = client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    for s in sources:
        assert client.get(s).status_code == 200, s
    assert "<script>" not in page            # no inline script: the CSP needs no 'unsafe-inline' for scripts


def test_hsts_only_over_tls(client):
    assert "strict-transport-security" not in client.get("/version").headers
    from fastapi.testclient import TestClient

    secure = TestClient(client.app, base_url="https://testserver")
    assert secure.get("/version").headers["strict-transport-security"].startswith("max-age=")


def test_a_stalled_request_body_gets_408():
    from noodlebowl.web.security import BodyTimeout

    async def app(scope, receive, send):
        await receive()
        await receive()                      # the rest never comes

    sent = []

    async def receive():
        if not sent:
            sent.append("first")
            return {"type": "http.request", "body": b"{", "more_body": True}
        await asyncio.sleep(3600)

    answers = []

    async def send(message):
        answers.append(message)

    asyncio.run(BodyTimeout(app, seconds=0.05)({"type": "http", "headers": []}, receive, send))
    assert answers[0]["status"] == 408 and b"request body" in answers[1]["body"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_neutralised_in_batch_results(tmp_path, fmt):
    from noodlebowl.batch import run

    products = pl.read_csv(REPO / "examples" / "catalog" / "products.csv", infer_schema=False)
    bom = pl.read_csv(REPO / "examples" / "catalog" / "bom.csv", infer_schema=False)
    ids = products["product_id"].to_list()[: len(EVIL)]
    rename = dict(zip(ids, EVIL))
    for frame, name in ((products, "p.csv"), (bom, "b.csv")):
        frame.with_columns(pl.col("product_id").replace(rename)).write_csv(tmp_path / name)
    out = tmp_path / f"results.{fmt}"
    run.run(tmp_path / "p.csv", tmp_path / "b.csv", out)
    if fmt == "csv":
        written = pl.read_csv(out, infer_schema=False)["product_id"].to_list()
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(out).worksheets[0]
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        assert all(c.data_type == "s" for c in cells)          # text, never a formula
        written = [c.value for c in cells]
    assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in written), written
    for evil in EVIL[:4]:                       # the catalog strips leading blanks (tab, CR) itself
        assert "'" + evil in written, evil


def test_neutralise_leaves_numbers_and_plain_text():
    from noodlebowl.limits import neutralise_cell, neutralise_frame

    frame = pl.DataFrame({"t": ["=1+1", "-5", "-5.25", "+7", "Motor", "-x", None, "@a"]})
    assert neutralise_frame(frame)["t"].to_list() == ["'=1+1", "-5", "-5.25", "+7", "Motor", "'-x", None, "'@a"]
    assert [neutralise_cell(v) for v in ["=1", "-5", 3, None]] == ["'=1", "-5", 3, None]


def test_job_files_removed_on_failure_and_after_retention(backend_url, tmp_path, monkeypatch):
    with make_client(backend_url, jobs_folder=tmp_path / "jobs") as c:
        h = new_org(c)
        store, runner = c.app.state.store, c.app.state.jobs
        who = store.principal(h["X-API-Key"])
        for job_id, status in (("00000000-0000-4000-8000-00000000000a", "failed"),
                               ("00000000-0000-4000-8000-00000000000b", "done"),
                               ("00000000-0000-4000-8000-00000000000c", "running")):
            store.add_job(who, job_id, products_file="p.csv", bom_file="b.csv", agreements=None, out_format="csv",
                          runner=runner.name, data_version="x")
            store.update_job(job_id, status=status, finished_at=None if status == "running" else
                             dt.datetime.now(dt.timezone.utc))
            (runner.folder_of(job_id)).mkdir(parents=True)
            (runner.folder_of(job_id) / "products.csv").write_text("x")
        assert runner.sweep() == ["00000000-0000-4000-8000-00000000000a"]          # failed: at once
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)
        assert runner.sweep(now=later) == ["00000000-0000-4000-8000-00000000000b"]  # done: after 7 days
        monkeypatch.setenv("NOODLEBOWL_JOB_RETENTION_DAYS", "30")
        assert sorted(p.name for p in runner.folder.iterdir()) == ["00000000-0000-4000-8000-00000000000c"]
        r = c.get("/batch/jobs/00000000-0000-4000-8000-00000000000b/results", headers=h)
        assert r.status_code == 404 and "no longer" in r.json()["what"]
        c.app.state.store.engine.dispose()
