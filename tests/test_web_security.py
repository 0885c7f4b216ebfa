"""Bad input and security: API keys, other organisations' ids, size limits, content types,
malformed files, injection strings stored verbatim, and nothing half-stored."""

from __future__ import annotations

import io

import pytest

from tests.test_web_fixtures import backend_url, bom_of, client, example, make_client, new_org, route_of  # noqa: F401

INJECTIONS = ["'; DROP TABLE products; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
              "Robert'); DELETE FROM determinations;--", "${jndi:ldap://x}", "{{7*7}}", "ñ 漢字 \u202e", "%00%27"]


def _product(client, h, name="P", request=None):
    request = request or example()
    return client.post("/products", json={"name": name, "bom": bom_of(request)}, headers=h)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "nb_wrong"}, {"X-API-Key": ""}, {"X-API-Key": "x" * 5000}])
def test_storage_needs_a_valid_key(client, headers):
    for method, path in [("get", "/products"), ("post", "/products"), ("get", "/determinations/abc"),
                         ("get", "/audit"), ("post", "/statements/import")]:
        r = client.request(method.upper(), path, headers=headers, json={} if method == "post" else None)
        assert r.status_code == 401, (path, r.status_code)
        assert r.json()["error"] == "Unauthorized" and r.headers["www-authenticate"] == "APIKey"


def test_other_organisations_ids_are_404(client):
    a, b = new_org(client, "A"), new_org(client, "B")
    req = example()
    product = _product(client, a, request=req).json()
    det = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=a).json()
    for method, path, body in [
            ("GET", f"/products/{product['id']}", None), ("GET", f"/products/{product['id']}/bom", None),
            ("GET", f"/products/{product['id']}/bom/versions", None),
            ("PUT", f"/products/{product['id']}/bom", {"bom": bom_of(req)}),
            ("POST", f"/products/{product['id']}/determinations", route_of(req)),
            ("GET", f"/products/{product['id']}/determinations", None),
            ("GET", f"/determinations/{det['id']}", None), ("POST", f"/determinations/{det['id']}/rerun", None),
            ("GET", f"/determinations/{det['id']}/export", None),
            ("GET", f"/determinations/{det['id']}/statement?agreement=RCEP", None)]:
        theirs = client.request(method, path, headers=b, json=body)
        missing = client.request(method, path.replace(product["id"], "00000000-0000-0000-0000-000000000000")
                                 .replace(det["id"], "00000000-0000-0000-0000-000000000001"), headers=b, json=body)
        assert theirs.status_code == 404, (path, theirs.status_code)
        assert theirs.json()["what"] == missing.json()["what"]  # no hint that the id exists
    assert client.get("/products", headers=b).json() == []
    assert all(e["object_id"] != product["id"] for e in client.get("/audit", headers=b).json())
    # B's attempts changed nothing for A
    assert client.get(f"/products/{product['id']}", headers=a).json()["latest_version"] == 1


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_stored_verbatim(client, text):
    h = new_org(client)
    req = example()
    req["product"]["description"] = text
    req["materials"][0]["name"] = text
    r = _product(client, h, name=text, request=req)
    assert r.status_code == 201, r.text
    got = client.get(f"/products/{r.json()['id']}", headers=h).json()
    assert got["name"] == text and got["bom"]["product"]["description"] == text
    assert got["bom"]["materials"][0]["name"] == text
    det = client.post(f"/products/{got['id']}/determinations", json=route_of(req), headers=h)
    assert det.status_code == 201 and det.json()["request"]["materials"][0]["name"] == text
    assert [p["name"] for p in client.get("/products", headers=h).json()] == [text]


def test_injection_in_path_and_query_is_just_data(client):
    h = new_org(client)
    assert client.get("/products/' OR '1'='1", headers=h).status_code == 404
    assert client.get("/determinations/1 OR 1=1", headers=h).status_code == 404
    r = client.get("/hs/search", params={"q": "<script>alert(1)</script>' OR 1=1"})
    assert r.status_code == 200


def test_web_app_never_inserts_server_text_as_markup():
    from pathlib import Path

    import noodlebowl.web as web

    js = (Path(web.__file__).parent / "static" / "app.js").read_text()
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js


def test_nothing_half_stored(client, monkeypatch):
    h = new_org(client)
    store = client.app.state.store
    real = store._audit

    def failing(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_audit", failing)
    assert _product(client, h).status_code == 500
    monkeypatch.setattr(store, "_audit", real)
    assert client.get("/products", headers=h).json() == []
    # An engine error during a determination leaves no determination behind either.
    product = _product(client, h).json()
    req = example()
    route = route_of(req) | {"importer": "ZZ"}
    assert client.post(f"/products/{product['id']}/determinations", json=route, headers=h).status_code == 422
    assert client.get(f"/products/{product['id']}/determinations", headers=h).json() == []


def test_invalid_bom_is_refused_before_storage(client):
    h = new_org(client)
    req = example()
    req["materials"][0]["value"] = "999999"   # more than the FOB
    r = _product(client, h, request=req)
    assert r.status_code == 422 and r.json()["what"]
    assert client.get("/products", headers=h).json() == []


# --- sizes, content types, files ----------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    with make_client(f"sqlite:///{tmp_path / 'small.db'}", max_json_bytes=2000, max_upload_bytes=3000) as c:
        yield c


def test_oversized_bodies_are_413(small):
    req = example()
    req["product"]["description"] = "x" * 5000
    r = small.post("/compare", json=req)
    assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"

    def chunks():   # no Content-Length: counted while read
        for _ in range(10):
            yield b" " * 1000

    r = small.post("/compare", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    big = b"name,value\n" + b"a,1\n" * 2000
    r = small.post("/bom/parse", files={"file": ("bom.csv", big, "text/csv")})
    assert r.status_code == 413


def test_wrong_content_types_are_415(client):
    assert client.post("/compare", content=b"exporter=VN", headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 415
    assert client.post("/compare", content=b"<xml/>", headers={"content-type": "application/xml"}).status_code == 415
    r = client.post("/bom/parse", json={"file": "x"})
    assert r.status_code == 415 and r.json()["accepted"].startswith("multipart/form-data")
    r = client.post("/bom/parse", files={"file": ("bom.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 415


def test_bom_csv_with_row_errors(client):
    csv = ("name,hs,origin,originating,value,kind\n"
           "Pork,0203.19,VN,yes,2500,\n"
           "Spices,0904.21,IN,no,abc,\n"
           "Casings,0504.00,CN,RCEP;ATIGA,-5,\n"
           "Box,4819.10,VN,no,10,crate\n"
           "<b>Salt</b>,2501.00,TH,no,1.5,\n")
    r = client.post("/bom/parse", files={"file": ("bom.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["name"] for m in body["materials"]] == ["Pork", "<b>Salt</b>"]
    assert body["materials"][0]["originating"] is True and body["materials"][1]["value"] == "1.5"
    errors = {(e["row"], e["column"]) for e in body["errors"]}
    assert {(3, "value"), (4, "value"), (5, "kind")} <= errors


def test_bom_excel_upload(client):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "HS", "Origin", "Originating", "Value"])
    sheet.append(["Motor", "8501.10", "CN", "no", 30])
    sheet.append(["Jar", "7013.99", "VN", "yes", 12.5])
    buf = io.BytesIO()
    book.save(buf)
    r = client.post("/bom/parse", files={"file": ("bom.xlsx", buf.getvalue(),
                                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert r.status_code == 200, r.text
    assert [(m["name"], m["value"]) for m in r.json()["materials"]] == [("Motor", "30"), ("Jar", "12.5")]


@pytest.mark.parametrize("name,data,ctype", [
    ("bom.xlsx", b"PK\x03\x04 not really a zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("bom.csv", b"\xff\xfe\x00b\x00a\x00d", "text/csv"),
    ("bom.csv", b"", "text/csv"),
    ("bom.csv", b"material;price\nx;1\n", "text/csv"),
    ("bom.xls", b"garbage", "application/vnd.ms-excel"),
])
def test_malformed_files_are_422(client, name, data, ctype):
    r = client.post("/bom/parse", files={"file": (name, data, ctype)})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "MalformedFile" and r.json()["accepted"]
