"""Draft proofs of origin: boxes filled from the request and the determination, refusals, PDF/JSON."""

from __future__ import annotations

import json
import re
import zlib
from decimal import Decimal
from pathlib import Path

import pytest

from noodlebowl.origin.answer import Check, DeMinimis, Determination, Outcome, Question
from noodlebowl.origin.request import load_request, parse_request
from noodlebowl.proof.draft import DRAFT_MARKING, TBC, ProofRefused, build_draft
from noodlebowl.proof.pdf import draft_pdf_bytes, latin1, write_outputs

REPO = Path(__file__).resolve().parents[1]
FORM = {"RCEP": ("rcep_certificate", "10"), "ATIGA": ("form_d", "8"), "ACFTA": ("form_e", "8")}
ROUTE = {"RCEP": ("VN", "JP"), "ATIGA": ("VN", "KH"), "ACFTA": ("VN", "CN")}


def request(agreement="RCEP", **product):
    exporter, importer = ROUTE[agreement]
    p = {"hs": "8509.40", "description": "Food blender", "fob": "100.00", "currency": "USD", "weight_kg": "3.1"}
    p.update(product)
    return parse_request({"exporter": exporter, "importer": importer, "date": "2026-03-01", "product": p,
                          "quantity": "500", "unit": "pieces"})


def determination(agreement, outcome=Outcome.qualifies, form_code="CTC", criterion="CTSH", needed=(),
                  de_minimis_used=False):
    return Determination(
        agreement=agreement, in_force=True, outcome=outcome,
        criterion=criterion if outcome is Outcome.qualifies else None,
        form_code=form_code if outcome is Outcome.qualifies else None, rule=None, rvc=None,
        de_minimis=DeMinimis(share=Decimal("4"), limit=Decimal("10"), used=de_minimis_used),
        checks=[Check(check="tariff_shift", article=f"{agreement} test article",
                      result=Outcome.does_not_qualify if outcome is Outcome.does_not_qualify else Outcome.qualifies,
                      detail="the motor (8501.10) does not change subheading")],
        needed=list(needed), caveats=[], data_version="test-data", summary="summary sentence")


@pytest.mark.parametrize("agreement,code,criterion", [("RCEP", "RVC", "RVC 45%"), ("ATIGA", "45%", "RVC 45%"),
                                                      ("ACFTA", "CTH", "CTH")])
def test_criterion_box_is_the_form_code(agreement, code, criterion):
    draft = build_draft(request(agreement), determination(agreement, form_code=code, criterion=criterion), agreement)
    form, box = FORM[agreement]
    assert draft.field(form, box).value == code
    assert draft.marking == DRAFT_MARKING and draft.marking.startswith("DRAFT")
    assert any(f.status == "to_be_completed" and f.value.startswith(TBC) for f in draft.forms[0].fields)
    assert draft.field(form, "header").value  # reference / certificate number left to the authority


def test_rcep_boxes():
    draft = build_draft(request("RCEP"), determination("RCEP", form_code="RVC", criterion="RVC 45%"), "RCEP")
    assert draft.field("rcep_certificate", "9").value == "8509.40"
    assert draft.field("rcep_certificate", "11").value == "Viet Nam"
    assert "FOB 100.00 USD" in draft.field("rcep_certificate", "12").value
    assert draft.field("rcep_certificate", "1").value.startswith(TBC)
    assert draft.field("rcep_certificate", "13").status == "to_be_completed"
    assert "Japan" in draft.field("rcep_certificate", "15").value
    assert draft.field("rcep_declaration", "3B(g)").value == "RVC"
    assert [f.box for f in draft.forms[0].fields if f.box.isdigit()] == [str(i) for i in range(1, 18)]
    # no FOB when RVC is not the criterion
    ctc = build_draft(request("RCEP"), determination("RCEP", form_code="CTC"), "RCEP")
    assert "FOB" not in ctc.field("rcep_certificate", "12").value
    # box 11 can be told otherwise
    told = build_draft(request("RCEP"), determination("RCEP"), "RCEP", rcep_country_of_origin="TH")
    assert told.field("rcep_certificate", "11").value == "Thailand"


def test_atiga_form_d_ahtn_fob_and_ticks():
    draft = build_draft(request("ATIGA"), determination("ATIGA", form_code="45%", criterion="RVC 45%",
                                                        de_minimis_used=True), "ATIGA")
    assert "AHTN 8509.40.00" in draft.field("form_d", "7").value    # the only AHTN line under 8509.40
    assert "FOB 100.00 USD" in draft.field("form_d", "9").value      # VN -> KH: note 10 applies
    assert "[X] De Minimis" in draft.field("form_d", "13").value
    assert draft.field("atiga_origin_declaration", "2(iii)").value == "45%"
    to_th = parse_request({**request("ATIGA").model_dump(mode="json"), "importer": "TH"})
    draft_th = build_draft(to_th, determination("ATIGA", form_code="45%", criterion="RVC 45%"), "ATIGA")
    assert "FOB" not in draft_th.field("form_d", "9").value          # TH not listed in note 10
    # a national AHTN line given in the request is used as such
    nat = build_draft(request("ATIGA", hs="8516.79.10"), determination("ATIGA", form_code="CTH"), "ATIGA")
    assert "AHTN 8516.79.10" in nat.field("form_d", "7").value


def test_acfta_form_e_boxes():
    draft = build_draft(request("ACFTA"), determination("ACFTA", form_code="40%", criterion="RVC 40%"), "ACFTA")
    assert [f.box for f in draft.forms[0].fields if f.box.isdigit()] == [str(i) for i in range(1, 14)]
    assert "HS 8509.40" in draft.field("form_e", "7").value
    assert "FOB 100.00 USD" in draft.field("form_e", "9").value
    assert "China" in draft.field("form_e", "11").value


def test_refuses_a_non_qualifying_determination():
    with pytest.raises(ProofRefused) as exc:
        build_draft(request("RCEP"), determination("RCEP", Outcome.does_not_qualify), "RCEP")
    text = exc.value.sentence()
    assert "not originating under RCEP" in text and "noodlebowl qualify" in text and "summary sentence" in text


def test_refuses_an_undetermined_determination_listing_questions():
    q = Question(key="minimal_operations_only", question="Is the production more than minimal operations?",
                 agreements=["RCEP"])
    with pytest.raises(ProofRefused) as exc:
        build_draft(request("RCEP"), determination("RCEP", Outcome.undetermined, needed=[q]), "RCEP")
    assert "undetermined" in exc.value.sentence() and "minimal_operations_only" in exc.value.sentence()


def test_refuses_a_determination_for_another_agreement():
    with pytest.raises(ProofRefused, match="ATIGA"):
        build_draft(request("RCEP"), determination("ATIGA"), "RCEP")


def _pdf_text(data: bytes) -> bytes:
    text = b""
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text += zlib.decompress(m.group(1))
        except zlib.error:
            text += m.group(1)
    return text


@pytest.mark.parametrize("agreement", ["RCEP", "ATIGA", "ACFTA"])
def test_pdf_and_json_written(tmp_path, agreement):
    req = request(agreement, description="Máy xay sinh tố — “Đẹp” blender ≤ 3 kg")
    draft = build_draft(req, determination(agreement, form_code="CTH", criterion="CTH"), agreement)
    pdf_path, json_path = write_outputs(draft, tmp_path / "draft.pdf")
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000
    text = _pdf_text(data)
    assert b"DRAFT" in text and b"not valid as a proof of origin" in text
    assert "Máy xay sinh to - \"Dep\"".encode("latin-1") in text   # Vietnamese transliterated, no crash
    assert len(re.findall(rb"/Type /Page\b", data)) == len(draft.forms)   # one page per form
    assert b"test-data" in text                              # footer: data version
    loaded = json.loads(json_path.read_text(encoding="utf-8"))
    assert loaded["form_code"] == "CTH" and loaded["marking"] == DRAFT_MARKING


def test_latin1_is_deterministic():
    assert latin1("Việt Nam — đồ “gỗ” …") == 'Viet Nam - do "go" ...'
    assert latin1("café ✓ 中") == "café ? ?"
    assert draft_pdf_bytes  # imported


def test_refuses_an_undetermined_determination_without_questions():
    with pytest.raises(ProofRefused, match="undetermined"):
        build_draft(request("ATIGA"), determination("ATIGA", Outcome.undetermined), "ATIGA")


@pytest.mark.parametrize("agreement,importer,form", [("RCEP", "JP", ("rcep_certificate", "10")),
                                                     ("ATIGA", "TH", ("form_d", "8"))])
def test_end_to_end_with_the_engine(agreement, importer, form):
    from noodlebowl.origin import determine
    req = load_request(REPO / "examples" / "blender.yaml")
    req = req.model_copy(update={"importer": importer, "agreements": [agreement]})
    determinations = determine(req)
    d = next(x for x in determinations if x.agreement == agreement)
    if d.outcome is not Outcome.qualifies:
        with pytest.raises(ProofRefused):
            build_draft(req, d, agreement)
        return
    draft = build_draft(req, d, agreement)
    assert draft.field(*form).value == d.form_code
    assert draft.data_version == d.data_version


def test_rcep_country_of_origin_box_follows_art_2_6():
    """RCEP Art. 2.6.2/2.6.4: a good produced in Viet Nam exclusively from Chinese-originating material with
    only minimal operations there (Art. 3.2(b), 2.6.5) has China as its RCEP country of origin."""
    req = parse_request({"exporter": "VN", "importer": "JP", "date": "2026-03-01",
                         "product": {"hs": "8509.40", "description": "Food blender", "fob": "100.00"},
                         "materials": [{"name": "Blender", "hs": "8509.40", "origin": "CN", "originating": True,
                                        "value": "90"}],
                         "facts": {"rcep_beyond_minimal_operations": False}})
    draft = build_draft(req, determination("RCEP", form_code="PE", criterion="PE"), "RCEP")
    box = draft.field("rcep_certificate", "11")
    assert box.value == "China" and "Art. 2.6.4" in box.note
    # not settled (whether more than minimal operations took place is not said): left to complete, with why
    open_req = req.model_copy(update={"facts": {}})
    box = build_draft(open_req, determination("RCEP", form_code="PE", criterion="PE"), "RCEP").field(
        "rcep_certificate", "11")
    assert box.status == "to_be_completed" and "minimal operations" in box.note
def test_form_aj_draft_fills_the_fields_by_content_never_a_form_e():
    """AJCEP: no Form AJ box layout in the data — the draft names Form AJ, lists fields by content and
    puts the determination's criterion-box code (Form AJ codes, VN Circular 37/2022 Phu luc II-IV)."""
    from noodlebowl.origin import determine

    data = {"exporter": "VN", "importer": "JP", "date": "2026-03-01", "agreements": ["AJCEP"],
            "product": {"hs": "1905.10", "description": "Crispbread", "fob": "100.00"},
            "materials": [{"name": "Rye flour", "hs": "1102.90", "origin": "AU", "originating": False,
                           "value": "60.00"}]}
    request = parse_request(data)
    (d,) = determine(request)
    draft = build_draft(request, d, "AJCEP")
    (form,) = draft.forms
    assert form.form == "form_aj" and "Form AJ" in form.title and "Form E" not in form.title
    criterion = next(f for f in form.fields if f.label == "Origin criterion")
    assert criterion.value == "CTC" and criterion.status == "filled"
    assert all(f.box == "—" for f in form.fields) and any("not in the data" in n for n in form.notes)
