"""Stored products, BOM versions, immutable determinations, reruns, exports, statements and the
audit trail — on SQLite and PostgreSQL (tests/pgcluster.py: $NOODLEBOWL_TEST_POSTGRES_URL or a throwaway cluster)."""

from __future__ import annotations

import re

import pytest

from tests.test_web_fixtures import bom_of, client, backend_url, example, new_org, route_of  # noqa: F401


def _product(client, headers, name="Pork sausages", request=None):
    request = request or example()
    r = client.post("/products", json={"name": name, "bom": bom_of(request)}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_product_bom_versions_and_determinations(client):
    from noodlebowl.compare import compare
    from noodlebowl.origin import parse_request

    h = new_org(client)
    req = example()
    product = _product(client, h, request=req)
    assert product["latest_version"] == 1
    assert [p["id"] for p in client.get("/products", headers=h).json()] == [product["id"]]

    d1 = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=h)
    assert d1.status_code == 201, d1.text
    d1 = d1.json()
    assert d1["bom_version"] == 1 and d1["answer"] == compare(parse_request(req)).model_dump(mode="json")
    assert d1["data_version"] == d1["answer"]["data_version"] and d1["user_id"]

    # Editing the BOM makes version 2; the old determination keeps pointing at version 1.
    bom2 = bom_of(req)
    bom2["materials"][1]["value"] = "350"
    v2 = client.put(f"/products/{product['id']}/bom", json={"bom": bom2, "note": "new spice supplier"}, headers=h)
    assert v2.status_code == 201 and v2.json()["version"] == 2
    assert client.get(f"/determinations/{d1['id']}", headers=h).json()["bom_version"] == 1
    v1 = client.get(f"/products/{product['id']}/bom", params={"version": 1}, headers=h).json()
    assert [m["value"] for m in v1["bom"]["materials"]] == [m["value"] for m in req["materials"]]
    d2 = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=h).json()
    assert d2["bom_version"] == 2
    assert d2["request"]["materials"][1]["value"] == "350"
    assert len(client.get(f"/products/{product['id']}/determinations", headers=h).json()) == 2
    versions = client.get(f"/products/{product['id']}/bom/versions", headers=h).json()
    assert [v["version"] for v in versions] == [1, 2]


def test_determination_for_an_old_bom_version(client):
    h = new_org(client)
    req = example()
    product = _product(client, h, request=req)
    client.put(f"/products/{product['id']}/bom", json={"bom": bom_of(req)}, headers=h)
    d = client.post(f"/products/{product['id']}/determinations", json={**route_of(req), "bom_version": 1}, headers=h)
    assert d.json()["bom_version"] == 1
    missing = client.post(f"/products/{product['id']}/determinations", json={**route_of(req), "bom_version": 9},
                          headers=h)
    assert missing.status_code == 404


def test_rerun_with_same_data_reports_no_change(client):
    h = new_org(client)
    req = example()
    product = _product(client, h, request=req)
    d = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=h).json()
    r = client.post(f"/determinations/{d['id']}/rerun", headers=h)
    assert r.status_code == 201
    body = r.json()
    assert body["diff"]["changed"] is False and body["diff"]["data_version"]["changed"] is False
    assert body["rerun"]["rerun_of"] == d["id"]
    assert client.get(f"/determinations/{d['id']}", headers=h).json()["answer"] == d["answer"]  # immutable


def test_rerun_diff_explains_changes():
    from noodlebowl.web.records import diff

    old = {"id": "a", "data_version": "v1", "answer": {"best": "RCEP", "determinations": [
        {"agreement": "RCEP", "outcome": "qualifies", "criterion": "CC", "summary": "old",
         "rule": {"text": "CC", "source": "psr.csv", "row": "10", "verified": "verified_en"}}],
        "options": [{"agreement": "RCEP", "rate": {"rate": "6.2 %", "duty": "322.4", "source": "jp:1"}}]}}
    new = {"id": "b", "data_version": "v2", "answer": {"best": "MFN", "determinations": [
        {"agreement": "RCEP", "outcome": "does_not_qualify", "criterion": None, "summary": "new",
         "rule": {"text": "CTH", "source": "psr.csv", "row": "11", "verified": "verified_en"}}],
        "options": [{"agreement": "RCEP", "rate": {"rate": "5.5 %", "duty": "286", "source": "jp:2"}}]}}
    out = diff(old, new)
    rcep = out["agreements"][0]
    assert {c["field"] for c in rcep["changes"]} == {"outcome", "criterion", "rule", "rate", "duty"}
    assert any("psr.csv:11" in w for w in rcep["why"]) and any("jp:2" in w for w in rcep["why"])
    assert out["data_version"] == {"old": "v1", "new": "v2", "changed": True} and out["best"]["changed"]


def test_determinations_are_immutable_in_the_database(client):
    from sqlalchemy.orm import Session

    from noodlebowl.web.store import models

    h = new_org(client)
    req = example()
    product = _product(client, h, request=req)
    d = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=h).json()
    with Session(client.app.state.store.engine) as s:
        row = s.get(models.Determination, d["id"])
        row.data_version = "forged"
        with pytest.raises(models.ImmutableRow):
            s.flush()


def test_export_json_and_pdf(client):
    h = new_org(client)
    req = example()
    product = _product(client, h, request=req)
    d = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=h).json()
    j = client.get(f"/determinations/{d['id']}/export", headers=h).json()
    assert j["determination"]["id"] == d["id"] and len(j["verification"]["sha256"]) == 64
    import hashlib

    from noodlebowl.web.records import canonical

    assert hashlib.sha256(canonical(j["determination"])).hexdigest() == j["verification"]["sha256"]
    pdf = client.get(f"/determinations/{d['id']}/export", params={"format": "pdf"}, headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_statement_shared_without_costs_and_imported_by_customer(client):
    supplier, customer = new_org(client, "Supplier"), new_org(client, "Customer")
    req = example()
    product = _product(client, supplier, request=req)
    d = client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=supplier).json()
    link = client.get(f"/determinations/{d['id']}/statement", params={"agreement": "RCEP"}, headers=supplier)
    assert link.status_code == 200, link.text
    token = link.json()["token"]
    statement = client.get(f"/statements/{token}").json()   # no key needed: the signature is the access
    assert statement["outcome"] == "qualifies" and statement["criterion"] == "CC"
    text = str(statement)
    for figure in ("5000", "2500", "300.00", "500.00", "90.00"):
        # as a number of its own, not inside an id or a hash
        assert not re.search(rf"(?<![\w.-]){re.escape(figure)}(?![\w-])", text), figure
    assert "fob" not in statement["product"]
    # A tampered token is refused.
    payload, mac = token.split(".")
    assert client.get(f"/statements/{payload}.{mac[:-2]}AA").status_code == 404

    # The customer uses the supplier's sausages as a material and imports the statement.
    own = example("blender")
    own["materials"][0] = {"name": "Sausage <b>casing</b>'; DROP TABLE products;--", "hs": "1601.00",
                           "origin": "VN", "originating": False, "value": "30.00"}
    mine = _product(client, customer, "Blender", request=own)
    imported = client.post("/statements/import", json={"token": token, "product_id": mine["id"],
                                                        "material": own["materials"][0]["name"]}, headers=customer)
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["bom_version"] == 2
    assert body["bom"]["materials"][0]["originating"] == ["RCEP"]
    # …and the supplier's product stays invisible to the customer.
    assert client.get(f"/products/{product['id']}", headers=customer).status_code == 404
    wrong = client.post("/statements/import", json={"token": token, "product_id": mine["id"], "material": "nope"},
                        headers=customer)
    assert wrong.status_code == 422
    assert client.get(f"/products/{mine['id']}", headers=customer).json()["latest_version"] == 2  # nothing added


def test_audit_trail(client):
    h = new_org(client)
    req = example()
    product = _product(client, h, request=req)
    client.post(f"/products/{product['id']}/determinations", json=route_of(req), headers=h)
    actions = [e["action"] for e in client.get("/audit", headers=h).json()]
    assert actions[:3] == ["determine", "create_product", "create_org"]


def test_cli_creates_an_org_and_prints_the_key(tmp_path, monkeypatch, capsys):
    from noodlebowl.cli import main

    monkeypatch.setenv("NOODLEBOWL_HOME", str(tmp_path))
    monkeypatch.delenv("NOODLEBOWL_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["serve", "--create-org", "Acme Exports"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    key = out.split("X-API-Key header): ")[1].strip()
    assert (tmp_path / "noodlebowl.db").exists()
    from noodlebowl.web.store import Store, make_engine

    store = Store(make_engine(f"sqlite:///{tmp_path / 'noodlebowl.db'}"))
    assert store.principal(key) is not None
    store.engine.dispose()
