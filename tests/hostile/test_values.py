"""Extreme numbers, unknown countries and currencies, dates outside the data, NUL characters:
refused with 422 (API, SQLite and PostgreSQL) or exit 2 (CLI), naming the field — never a 500,
never stored."""

from __future__ import annotations

import json

import pytest

from tests.hostile.hostile_inputs import request_with
from tests.test_web_fixtures import backend_url, bom_of, client, new_org, route_of  # noqa: F401

HUGE = ["1e309", "1e308", "1" + "0" * 30, "1e26", "NaN", "Infinity", "-Infinity", "1e-400", "0.0000001"]
FIELDS = [("product", "fob"), ("materials", 0, "value"), ("costs", "profit"), ("product", "weight_kg"),
          ("materials", 0, "weight_kg"), ("customs_value",), ("quantity",)]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("field", FIELDS, ids=lambda f: ".".join(map(str, f)))
def test_extreme_numbers_are_422_naming_the_field(client, field, value):
    body = request_with(field, value)
    body.setdefault("costs", {})
    for path in ("/qualify", "/compare"):
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        where = r.json()["where"]
        assert where.endswith(".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in field)
                              .replace(".[", "[")), where


@pytest.mark.parametrize("raw", ["1e309", "-1e309", "1e400"])
def test_json_number_overflow_is_422(client, raw):
    body = json.dumps(request_with(("product", "fob"), "FOB")).replace('"FOB"', raw)
    r = client.post("/qualify", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["where"] == "body.product.fob"


def test_extreme_numbers_are_never_stored(client):
    h = new_org(client)
    for value in ("1e26", "1e309", "NaN"):
        bom = bom_of(request_with(("product", "fob"), value))
        r = client.post("/products", json={"name": "Huge", "bom": bom}, headers=h)
        assert r.status_code == 422, r.text
    assert client.get("/products", headers=h).json() == []


@pytest.mark.parametrize("value", ["-5", "0", "-0.01"])
def test_non_positive_customs_value_is_refused(client, value):
    body = request_with(("customs_value",), value)
    assert client.post("/compare", json=body).status_code == 422
    h = new_org(client)
    product = client.post("/products", json={"name": "P", "bom": bom_of(body)}, headers=h).json()
    route = {**route_of(body), "customs_value": value}
    r = client.post(f"/products/{product['id']}/determinations", json=route, headers=h)
    assert r.status_code == 422 and r.json()["where"] == "body.customs_value"
    assert client.get(f"/products/{product['id']}/determinations", headers=h).json() == []


@pytest.mark.parametrize("path, query", [("/bom", "version=9223372036854775808"), ("/bom", "version=0"),
                                         ("/bom", "version=-1")])
def test_integers_in_queries_are_bounded(client, path, query):
    h = new_org(client)
    product = client.post("/products", json={"name": "P", "bom": bom_of(request_with(("importer",), "JP"))},
                          headers=h).json()
    r = client.get(f"/products/{product['id']}{path}?{query}", headers=h)
    assert r.status_code == 422, r.text


def test_bom_version_of_2_pow_63_is_422(client):
    h = new_org(client)
    body = request_with(("importer",), "JP")
    product = client.post("/products", json={"name": "P", "bom": bom_of(body)}, headers=h).json()
    r = client.post(f"/products/{product['id']}/determinations", json={**route_of(body), "bom_version": 2**63},
                    headers=h)
    assert r.status_code == 422 and r.json()["where"] == "body.bom_version"
    assert client.get("/audit?limit=99999999999999999999", headers=h).status_code == 422


@pytest.mark.parametrize("field, value, word", [
    (("materials", 1, "origin"), "QQ", "country"), (("exporter",), "QQ", "country"), (("importer",), "XX", "country"),
    (("product", "currency"), "ZZZ", "currency"), (("materials", 0, "currency"), "ZZZ", "currency"),
    (("date",), "9999-12-31", "after today"), (("date",), "1900-01-01", "before"),
])
def test_unknown_countries_currencies_and_dates_are_refused(client, cli, tmp_path, field, value, word):
    body = request_with(field, value)
    for path in ("/qualify", "/compare"):
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert word in r.json()["what"]
    file = tmp_path / "request.json"
    file.write_text(json.dumps(body))
    result = cli("qualify", str(file))
    assert result.exit_code == 2 and word in result.stderr


def test_alpha3_countries_and_lower_case_currencies_still_read(client):
    body = request_with(("exporter",), "VNM")
    body["product"]["currency"] = body["product"]["currency"].lower()
    r = client.post("/qualify", json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("where", ["name", "material", "description", "facts", "note"])
def test_nul_in_any_text_is_422_and_nothing_stored(client, where):
    h = new_org(client)
    body = request_with(("importer",), "JP")
    bom = bom_of(body)
    product = client.post("/products", json={"name": "P", "bom": bom}, headers=h).json()
    name = "P"
    note = None
    if where == "name":
        name = "a\x00b"
    elif where == "material":
        bom["materials"][0]["name"] = "Pork\x00"
    elif where == "description":
        bom["product"]["description"] = "\x00"
    elif where == "facts":
        bom["facts"] = {"key\x00": True}
    else:
        note = "edited\x00"
    if where != "note":        # a new product
        r = client.post("/products", json={"name": name, "bom": bom}, headers=h)
        assert r.status_code == 422 and "NUL" in r.json()["what"], r.text
    if where != "name":        # a new BOM version
        r = client.put(f"/products/{product['id']}/bom", json={"bom": bom, "note": note}, headers=h)
        assert r.status_code == 422, r.text
    assert len(client.get("/products", headers=h).json()) == 1
    assert client.get(f"/products/{product['id']}", headers=h).json()["latest_version"] == 1


@pytest.mark.parametrize("url", ["/products/a%00b", "/determinations/%00", "/products?x=%00",
                                 "/hs/search?q=%00", "/statements/%00"])
def test_nul_in_path_or_query_is_422(client, url):
    h = new_org(client)
    assert client.get(url, headers=h).status_code == 422


@pytest.mark.parametrize("date", ["9999-12-31", "1900-01-01"])
def test_agreements_for_a_date_outside_the_data_is_400(client, date):
    r = client.get("/agreements", params={"exporter": "VN", "importer": "JP", "date": date})
    assert r.status_code == 400 and r.json()["where"] == "date" and r.json()["error"] == "DateOutOfRange"
