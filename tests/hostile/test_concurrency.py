"""Concurrent writes on one product (the real database of each backend, PostgreSQL included):
80 BOM edits and 40 statement imports at once — no 5xx, version numbers 1…n without gap or
duplicate, and every acknowledged write present afterwards."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.hostile.hostile_inputs import request_with
from tests.test_web_fixtures import backend_url, bom_of, client, example, new_org, route_of  # noqa: F401

EDITS, IMPORTS, THREADS = 80, 40, 24


def _versions(client, h, product_id: str) -> list[dict]:
    return client.get(f"/products/{product_id}/bom/versions", headers=h).json()


def test_concurrent_bom_edits_all_land_with_distinct_versions(client):
    h = new_org(client)
    bom = bom_of(request_with(("importer",), "JP"))
    product = client.post("/products", json={"name": "P", "bom": bom}, headers=h).json()

    def edit(i: int):
        return client.put(f"/products/{product['id']}/bom", json={"bom": bom, "note": f"edit {i}"}, headers=h)

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(edit, range(EDITS)))
    assert [r.status_code for r in answers if r.status_code != 201] == []
    versions = _versions(client, h, product["id"])
    assert [v["version"] for v in versions] == list(range(1, EDITS + 2))
    acknowledged = {r.json()["version"]: r.json()["note"] for r in answers}
    assert {v["version"]: v["note"] for v in versions if v["version"] > 1} == acknowledged
    assert sorted(acknowledged.values()) == sorted(f"edit {i}" for i in range(EDITS))


def test_concurrent_statement_imports_all_land(client):
    supplier, customer = new_org(client, "Supplier"), new_org(client, "Customer")
    req = example()
    made = client.post("/products", json={"name": "Sausages", "bom": bom_of(req)}, headers=supplier).json()
    det = client.post(f"/products/{made['id']}/determinations", json=route_of(req), headers=supplier).json()
    tokens = []
    for _ in range(2):   # two links: the signing secret is used concurrently from the start
        link = client.get(f"/determinations/{det['id']}/statement", params={"agreement": "RCEP"}, headers=supplier)
        assert link.status_code == 200, link.text
        tokens.append(link.json()["token"])
    own = example("blender")
    own["materials"][0] = {"name": "Casing", "hs": "1601.00", "origin": "VN", "originating": False, "value": "30.00"}
    mine = client.post("/products", json={"name": "Blender", "bom": bom_of(own)}, headers=customer).json()

    def imports(i: int):
        return client.post("/statements/import", json={"token": tokens[i % 2], "product_id": mine["id"],
                                                        "material": "Casing"}, headers=customer)

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(imports, range(IMPORTS)))
    assert [r.status_code for r in answers if r.status_code != 201] == []
    assert sorted(r.json()["bom_version"] for r in answers) == list(range(2, IMPORTS + 2))
    assert [v["version"] for v in _versions(client, customer, mine["id"])] == list(range(1, IMPORTS + 2))
    audit = client.get("/audit?limit=1000", headers=customer).json()
    assert sum(e["action"] == "import_statement" for e in audit) == IMPORTS
