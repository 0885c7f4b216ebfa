"""Hostile files: decompression bombs, oversized and malformed uploads, on the API (SQLite and
PostgreSQL) and in the CLI — refused with the limit named, nothing stored, never a 5xx."""

from __future__ import annotations

import io
import json

import pytest

from tests.hostile.hostile_inputs import csv_bytes, xlsx_bomb
from tests.test_web_fixtures import REPO, backend_url, client, make_client, new_org  # noqa: F401

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATALOG = REPO / "examples" / "catalog"


def _parse(client, data: bytes, name: str, ctype: str = "text/csv"):
    return client.post("/bom/parse", files={"file": (name, io.BytesIO(data), ctype)})


def test_xlsx_bomb_on_bom_parse_is_refused_by_its_unpacked_size(client):
    bomb = xlsx_bomb(64)
    assert len(bomb) < 512 * 1024            # small on the wire …
    r = _parse(client, bomb, "bom.xlsx", XLSX)
    assert r.status_code == 413, r.text       # … refused from the zip directory, nothing unpacked
    assert r.json()["error"] == "PayloadTooLarge" and "unpacks" in r.json()["what"]


def test_xlsx_bomb_under_the_size_cap_is_refused_by_its_ratio(client):
    r = _parse(client, xlsx_bomb(8), "bom.xlsx", XLSX)   # 8 MiB unpacked: under 20 MiB, but packed ~1000×
    assert r.status_code == 413 and "bomb" in r.json()["what"]


@pytest.mark.parametrize("data, limit", [
    (csv_bytes(rows=5001), "rows"),
    (csv_bytes(columns=60), "columns"),
    (csv_bytes(cell="x" * 1001), "characters"),
])
def test_bom_file_limits_are_named(client, data, limit):
    r = _parse(client, data, "bom.csv")
    assert r.status_code == 413, r.text
    assert limit in r.json()["what"] and r.json()["accepted"]


@pytest.mark.parametrize("data, rows", [(csv_bytes(rows=5000, columns=40), 5000),
                                        (csv_bytes(rows=3, cell="x" * 1000), 3)])
def test_bom_file_at_the_limits_is_read(client, data, rows):
    r = _parse(client, data, "bom.csv")
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == rows


@pytest.mark.parametrize("data, name", [
    ("name,value\nMotor,1\n".encode("utf-16"), "bom.csv"),
    (b"name,value\n\"Motor,1\n", "bom.csv"),
    (b"PK\x03\x04 not really a workbook", "bom.xlsx"),
    (b"", "bom.csv"),
])
def test_malformed_bom_files_are_422(client, data, name):
    r = _parse(client, data, name, XLSX if name.endswith("xlsx") else "text/csv")
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "MalformedFile"


def _catalog(products: bytes | None = None, bom: bytes | None = None, names=("products.csv", "bom.csv")):
    return {"products": (names[0], products or (CATALOG / "products.csv").read_bytes()),
            "bom": (names[1], bom or (CATALOG / "bom.csv").read_bytes())}


def test_xlsx_bomb_on_batch_jobs_is_refused_before_anything_is_stored(client):
    h = new_org(client)
    r = client.post("/batch/jobs", files=_catalog(bom=xlsx_bomb(64), names=("products.csv", "bom.xlsx")), headers=h)
    assert r.status_code == 413, r.text
    assert "bomb" in r.json()["what"] or "unpacks" in r.json()["what"]
    assert client.get("/batch/jobs", headers=h).json() == []
    assert not any(client.app.state.jobs.folder.glob("*/*"))


@pytest.mark.parametrize("bom, what", [
    ("product_id,value\nP1,12\n".encode("utf-16"), "UTF-8"),
    ((CATALOG / "bom.csv").read_bytes() + "Café,1\n".encode("latin-1"), "UTF-8"),
    (b'product_id,value\nP1,"12\n', "quoted"),
])
def test_broken_catalog_uploads_are_refused_at_once(client, bom, what):
    h = new_org(client)
    r = client.post("/batch/jobs", files=_catalog(bom=bom), headers=h)
    assert r.status_code == 422, r.text
    assert what in r.json()["what"]
    assert client.get("/batch/jobs", headers=h).json() == []


def test_fake_parquet_upload_is_refused(client):
    h = new_org(client)
    r = client.post("/batch/jobs", files=_catalog(bom=b"PAR1 nothing PAR1", names=("products.csv", "bom.parquet")),
                    headers=h)
    assert r.status_code == 422 and r.json()["error"] == "MalformedFile"


# --- the CLI: exit 2 and one sentence for every unreadable input ------------------------------------

def _request_text() -> str:
    return (REPO / "examples" / "sausages_vn_to_jp.yaml").read_text()


CLI_FILES = {
    "utf16.yaml": lambda: _request_text().encode("utf-16"),
    "latin1.yaml": lambda: (_request_text() + "# café\n").encode("latin-1", errors="replace"),
    "deep.json": lambda: b"[" * 100_000 + b"]" * 100_000,
    "deep.yaml": lambda: b"a: " + b"[" * 100_000,
    "deepblock.yaml": lambda: "".join(" " * i + f"k{i}:\n" for i in range(200)).encode(),
    "empty.yaml": lambda: b"",
    "binary.json": lambda: bytes(range(256)),
}


@pytest.mark.parametrize("name", sorted(CLI_FILES))
def test_cli_unreadable_request_files_exit_2_with_one_sentence(cli, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CLI_FILES[name]())
    for command in ("qualify", "compare"):
        result = cli(command, str(path))
        assert result.exit_code == 2, (command, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr


CATALOG_FILES = {
    "empty.csv": b"",
    "fake.parquet": b"this is not parquet",
    "latin1.csv": "product_id,material,value\nP1,Café,1\n".encode("latin-1"),
    "utf16.csv": "product_id,value\nP1,1\n".encode("utf-16"),
    "quotes.csv": b'product_id,value\nP1,"1\n',
    "fake.xlsx": b"PK\x03\x04 garbage",
}


@pytest.mark.parametrize("name", sorted(CATALOG_FILES))
def test_cli_batch_unreadable_catalogs_exit_2_with_one_sentence(cli, tmp_path, name):
    bad = tmp_path / name
    bad.write_bytes(CATALOG_FILES[name])
    for products, bom in ((str(CATALOG / "products.csv"), str(bad)), (str(bad), str(CATALOG / "bom.csv"))):
        result = cli("batch", products, bom, "--out", str(tmp_path / "out.csv"))
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr


def test_cli_batch_xlsx_bomb_exits_2(cli, tmp_path):
    bomb = tmp_path / "bom.xlsx"
    bomb.write_bytes(xlsx_bomb(64))
    result = cli("batch", str(CATALOG / "products.csv"), str(bomb), "--out", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "bomb" in result.stderr


@pytest.mark.parametrize("depth", [40, 5_000, 200_000])
def test_request_body_nested_deeply_is_refused(client, depth):
    nested = "[" * depth + "]" * depth
    body = '{"exporter": "VN", "importer": "JP", "product": ' + nested + "}"
    for path in ("/qualify", "/compare"):
        r = client.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
