"""The web app's own endpoints (web/app_api.py): /advice equals the library's advise(), country names
for the pickers in English and Vietnamese, and the message catalogues the page reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_web_fixtures import example, make_client

STATIC = Path(__file__).resolve().parents[1] / "src" / "noodlebowl" / "web" / "static"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    # Without `with`: no lifespan, so no warming thread competes with the tests.
    return make_client(f"sqlite:///{tmp_path_factory.mktemp('db') / 'nb.db'}")


def _panels_request() -> dict:
    """A shirt whose Korean panels fail RCEP's chapter change: the advice has a move to offer."""
    return {"exporter": "VN", "importer": "CN", "date": "2026-03-01",
            "product": {"hs": "6205.20", "fob": "12.00"},
            "materials": [{"name": "Shirt panels", "hs": "6217.90", "origin": "KR", "value": "7.00"}]}


def test_advice_equals_the_library(api):
    from noodlebowl.advice import advise
    from noodlebowl.origin import parse_request

    body = _panels_request()
    r = api.post("/advice", json={"request": body})
    assert r.status_code == 200, r.text
    expected = json.loads(advise(parse_request(body)).model_dump_json())
    assert r.json() == expected
    rcep = next(a for a in r.json()["agreements"] if a["agreement"] == "RCEP")
    assert rcep["status"] == "moves_found" and rcep["suggestions"][0]["outcome"] == "qualifies"


def test_advice_options_are_used_and_checked(api):
    body = {"request": example("blender"), "options": {"max_moves": 1, "alternatives": 0}}
    r = api.post("/advice", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["options"]["max_moves"] == 1
    bad = api.post("/advice", json={"request": _panels_request(), "options": {"prices": {"Motor": {"TH": "3"}}}})
    assert bad.status_code == 422
    assert bad.json()["where"] == "advice.prices.Motor" and "Shirt panels" in bad.json()["accepted"]


def test_advice_validation_names_the_field(api):
    body = _panels_request()
    body["product"]["fob"] = "twelve"
    r = api.post("/advice", json={"request": body})
    assert r.status_code == 422
    assert r.json()["where"] == "body.request.product.fob"


def test_countries_in_english_and_vietnamese(api):
    en = {c["code"]: c["name"] for c in api.get("/app/countries", params={"lang": "en"}).json()}
    vi = {c["code"]: c["name"] for c in api.get("/app/countries", params={"lang": "vi"}).json()}
    assert en["CN"] == "China" and vi["CN"] == "Trung Quốc"
    assert en["VN"] == "Viet Nam" and vi["VN"] == "Việt Nam"
    assert set(en) == set(vi) and len(en) > 240
    assert api.get("/app/countries", params={"lang": "fr"}).status_code == 422


def test_warm_loads_every_importers_tariff_index():
    from noodlebowl.tariffs import lookup
    from noodlebowl.web.app_api import warm

    warm.cache_clear()
    lookup._indexed.cache_clear()
    warm()
    assert lookup._indexed.cache_info().currsize >= len(lookup.importers()) > 0


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_catalogues_have_the_same_messages_and_placeholders():
    en = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
    vi = json.loads((STATIC / "i18n" / "vi.json").read_text(encoding="utf-8"))
    assert set(en) == set(vi)
    for key in en:
        assert _placeholders(en[key]) == _placeholders(vi[key]), key
    page = (STATIC.parent / "templates" / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-aria)?="([^"]+)"', page)) | set(re.findall(r'\bt\("([^"]+)"', script))
    assert used - set(en) == set()
    for term in ("wo", "pe", "cc", "cth", "ctsh", "rvc", "fob", "de-minimis", "cumulation", "mfn"):
        assert all(f"glossary.{term}.{part}" in en for part in ("term", "def", "example"))


DURIANS = {"exporter": "VN", "importer": "CN", "date": "2026-03-01", "product": {"hs": "0810.60", "fob": "1000"},
           "facts": {"wholly_obtained": True}}
SHIPMENT = {"exporter": "Mekong Fruit Co., Tien Giang", "consignee": "Guangzhou Fresh Ltd, Guangzhou",
            "producer": "Cai Be Durian Cooperative", "transport": "2026-02-21, MV Lotus, Nansha",
            "invoice_number": "INV-7", "invoice_date": "2026-02-20", "quantity": "12,000 kg", "marks": "MF/1-400"}


def _box(draft: dict, form: str, box: str) -> dict:
    return next(f for x in draft["forms"] if x["form"] == form for f in x["fields"] if f["box"] == box)


def test_proof_draft_carries_the_shipment_in_its_boxes(api):
    r = api.post("/app/proof", json={"request": DURIANS, "agreement": "RCEP", "shipment": SHIPMENT})
    assert r.status_code == 200, r.text
    draft = r.json()["draft"]
    exporter = _box(draft, "rcep_certificate", "1")
    assert exporter["value"] == "Mekong Fruit Co., Tien Giang; Viet Nam" and exporter["status"] == "filled"
    assert _box(draft, "rcep_certificate", "2")["value"].startswith("Guangzhou Fresh Ltd, Guangzhou; China")
    assert _box(draft, "rcep_certificate", "13")["value"] == "INV-7, 2026-02-20"
    assert _box(draft, "rcep_certificate", "7")["value"] == "MF/1-400"
    assert _box(draft, "rcep_declaration", "3B(k)")["value"] == "12,000 kg"
    assert _box(draft, "rcep_certificate", "10")["value"] == "WO"        # what the engine decided is untouched
    # Without particulars the draft is exactly POST /proof's.
    plain = api.post("/app/proof", json={"request": DURIANS, "agreement": "RCEP"}).json()
    assert plain == api.post("/proof", json={"request": DURIANS, "agreement": "RCEP"}).json()
    pdf = api.post("/app/proof?format=pdf", json={"request": DURIANS, "agreement": "RCEP", "shipment": SHIPMENT})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_proof_shipment_errors_name_the_field(api):
    r = api.post("/app/proof", json={"request": DURIANS, "agreement": "RCEP",
                                     "shipment": {**SHIPMENT, "invoice_date": "20/02/2026"}})
    assert r.status_code == 422 and r.json()["where"] == "body.shipment.invoice_date"
    r = api.post("/app/proof", json={"request": DURIANS, "agreement": "RCEP", "shipment": {"vessel": "x"}})
    assert r.status_code == 422 and r.json()["where"] == "body.shipment.vessel"


def test_every_mapped_box_exists_on_its_form():
    """BOXES names only boxes the drafts have, each of them still to be completed before filling."""
    from noodlebowl.origin import determine, parse_request
    from noodlebowl.proof import build_draft
    from noodlebowl.proof.shipment import BOXES

    seen = set()
    for importer, agreement in (("CN", "RCEP"), ("CN", "ACFTA"), ("TH", "ATIGA")):
        request = parse_request({**DURIANS, "importer": importer})
        d = next(x for x in determine(request) if x.agreement == agreement)
        for form in build_draft(request, d, agreement).forms:
            boxes = {f.box: f for f in form.fields}
            for box in BOXES.get(form.form, {}):
                assert "TO BE COMPLETED" in boxes[box].value, (form.form, box)
            seen.add(form.form)
    assert set(BOXES) <= seen


def test_glossary_page_carries_the_catalogue_entries():
    """The page's English text (read without script) is the catalogue's, entry by entry."""
    import html

    en = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
    page = html.unescape((STATIC.parent / "templates" / "glossary.html").read_text(encoding="utf-8"))
    entries = re.findall(r'<dt id="([\w-]+)">(.*?)</dt>\s*<dd><p>(.*?)</p>\s*<p class="example">(.*?)</p></dd>', page, re.S)
    assert len(entries) == 10
    for term, name, definition, example in entries:
        assert (name, definition, example) == (en[f"glossary.{term}.term"], en[f"glossary.{term}.def"],
                                               en[f"glossary.{term}.example"])
