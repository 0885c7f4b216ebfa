"""The stateless JSON API: same answers as the library, structured errors with sensible statuses."""

from __future__ import annotations

import pytest

from tests.test_web_fixtures import example, make_client


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with make_client(f"sqlite:///{tmp_path_factory.mktemp('web') / 'api.db'}") as c:
        yield c


def _error_shape(body: dict) -> None:
    assert {"error", "what", "where", "accepted", "suggestions"} <= set(body)


def test_version_matches_library(api):
    from noodlebowl.refdata import data_version

    assert api.get("/version").json()["data_version"] == data_version()


def test_hs_lookup_search_transpose(api):
    entry = api.get("/hs/8517.13").json()
    assert entry["code"] == "851713" and entry["level"] == "subheading"
    hits = api.get("/hs/search", params={"q": "pork sausages"}).json()["hits"]
    assert hits[0]["dotted"] == "1601.00"
    t = api.get("/hs/transpose", params={"code": "8517.12", "from": "HS2017", "to": "HS2022"})
    assert t.status_code == 200 and t.json()["targets"]


def test_unknown_code_is_404_with_suggestions(api):
    r = api.get("/hs/9999.99")
    assert r.status_code == 404
    _error_shape(r.json())
    assert r.json()["error"] == "InvalidCode" and r.json()["suggestions"]


def test_bad_query_parameters_are_400_or_422(api):
    r = api.get("/agreements", params={"exporter": "VN", "importer": "XX"})
    assert r.status_code == 400 and r.json()["error"] == "UnknownCountry"
    r = api.get("/hs/transpose", params={"code": "8517.12", "from": "HS1996", "to": "HS2022"})
    assert r.status_code == 422 and r.json()["where"] == "query.from"
    r = api.get("/hs/search")
    assert r.status_code == 422 and r.json()["where"] == "query.q"


def test_agreements_for_route(api):
    body = api.get("/agreements", params={"exporter": "VN", "importer": "JP", "date": "2026-03-01"}).json()
    states = {a["agreement"]: a["in_force"] for a in body["agreements"]}
    assert states["RCEP"] is True and states["ATIGA"] is False


def test_compare_and_qualify_equal_the_library(api):
    from noodlebowl.compare import compare
    from noodlebowl.origin import determine, parse_request

    req = example()
    expected = compare(parse_request(req)).model_dump(mode="json")
    r = api.post("/compare", json=req)
    assert r.status_code == 200
    assert r.json() == expected
    assert r.json()["options"][0]["rate"]["duty"] == "322.4"  # exact decimals survive as strings
    q = api.post("/qualify", json=req)
    assert q.json() == [d.model_dump(mode="json") for d in determine(parse_request(req))]


def test_validation_errors_name_the_field(api):
    req = example()
    req["materials"][1]["value"] = "abc"
    r = api.post("/compare", json=req)
    assert r.status_code == 422
    body = r.json()
    _error_shape(body)
    assert body["where"] == "body.materials[1].value"
    req = example()
    req["surprise"] = 1
    assert api.post("/compare", json=req).json()["where"] == "body.surprise"


def test_library_errors_are_422(api):
    req = example()
    req["importer"] = "ZZ"
    r = api.post("/compare", json=req)
    assert r.status_code == 422 and "ZZ" in r.json()["what"]


def test_proof_json_and_pdf(api):
    req = example()
    r = api.post("/proof", json={"request": req, "agreement": "RCEP"})
    assert r.status_code == 200
    assert r.json()["draft"]["agreement"] == "RCEP" and r.json()["requirements"]["options"]
    pdf = api.post("/proof", params={"format": "pdf"}, json={"request": req, "agreement": "rcep"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    refused = api.post("/proof", json={"request": req, "agreement": "ATIGA"})
    assert refused.status_code == 422


def test_malformed_json_is_422_not_500(api):
    r = api.post("/compare", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    _error_shape(r.json())


def test_openapi_lists_the_endpoints(api):
    paths = api.get("/openapi.json").json()["paths"]
    for p in ("/hs/{code}", "/hs/search", "/hs/transpose", "/agreements", "/qualify", "/compare", "/proof",
              "/version", "/products", "/products/{product_id}/bom", "/determinations/{determination_id}/rerun",
              "/determinations/{determination_id}/export", "/determinations/{determination_id}/statement",
              "/statements/import"):
        assert p in paths, p
    assert api.get("/docs").status_code == 200


def test_web_pages_are_served(api):
    page = api.get("/")
    assert page.status_code == 200 and "<main" in page.text and 'lang="en-GB"' in page.text
    assert "Content-Security-Policy" in page.headers
    assert "id=\"cth\"" in api.get("/glossary").text
    assert api.get("/static/app.js").status_code == 200
