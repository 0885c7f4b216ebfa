"""Proof-of-origin requirements: the YAML against the shared sources, availability by date, waiver."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest

from noodlebowl.errors import InvalidRequest, ReferenceDataMissing
from noodlebowl.proof.requirements import (REQUIREMENTS_FILE, agreement_requirements, load_file,
                                           proof_options, requirements)

AGREEMENTS = ("RCEP", "ATIGA", "ACFTA", "AJCEP", "AKFTA", "AHKFTA", "AANZFTA")
TOPICS = ("validity", "waiver", "back_to_back", "third_party_invoicing", "retroactive_issue", "exhibitions",
          "record_keeping", "language", "minor_discrepancies")


def _facts(spec):
    for key in TOPICS:
        yield key, getattr(spec, key)


def test_every_agreement_loads_with_references(shared_data):
    data = requirements()
    assert set(data.agreements) == set(AGREEMENTS)
    for name in AGREEMENTS:
        spec = data.agreements[name]
        assert spec.proof_types, name
        for key, fact in _facts(spec):
            if fact.is_unknown:
                assert fact.note, f"{name}.{key}"
            else:
                assert fact.reference and fact.reference.article, f"{name}.{key}"
                assert (shared_data / fact.reference.file).is_file(), f"{name}.{key}: {fact.reference.file}"
        for p in spec.proof_types:
            for ref in [p.reference] + [c.reference for c in p.timeline]:
                if ref is not None:
                    assert (shared_data / ref.file).is_file(), f"{name}.{p.id}: {ref.file}"


def test_key_values_match_the_sources():
    rcep, atiga, acfta = (agreement_requirements(a) for a in AGREEMENTS[:3])
    assert rcep.validity.months == 12 and "3.16(6)" in rcep.validity.reference.article
    assert rcep.waiver.threshold_usd == Decimal("200") and "3.22(3)(a)" in rcep.waiver.reference.article
    assert rcep.record_keeping.years == 3 and "3.27" in rcep.record_keeping.reference.article
    assert rcep.retroactive_issue.max_after_shipment_months == 12
    assert {p.id for p in rcep.proof_types} == {"certificate_of_origin", "declaration_by_approved_exporter",
                                                "declaration_by_exporter_or_producer"}
    assert atiga.waiver.threshold_usd == Decimal("200.00") and atiga.waiver.basis == "fob"
    assert "Rule 15" in atiga.waiver.reference.article
    assert atiga.validity.months == 12 and atiga.record_keeping.years == 3
    assert {p.id for p in atiga.proof_types} == {"form_d", "e_form_d", "origin_declaration"}
    assert acfta.waiver.is_unknown and acfta.minor_discrepancies.is_unknown
    assert {p.id: p.status for p in acfta.proof_types}["electronic_form_e"] == "unknown"
    assert {p.id: p.status for p in acfta.proof_types}["self_declaration"] == "unknown"
    assert rcep.exhibitions.is_unknown


def test_rcep_deadlines_equal_the_csv(shared_data):
    spec = agreement_requirements("RCEP").declaration_by_exporter_deadlines
    with open(shared_data / "agreements/rcep/rcep_parties_entry_into_force.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["iso2"]: int(r["doo_by_exporter_or_producer_deadline_years_after_eif"]) for r in rows} \
        == spec.years_after_entry_into_force


def _csv_deadlines(shared_data):
    with open(shared_data / "agreements/rcep/rcep_parties_entry_into_force.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            eif = dt.date.fromisoformat(r["entry_into_force"][:10])
            years = int(r["doo_by_exporter_or_producer_deadline_years_after_eif"])
            yield r["iso2"], eif.replace(year=eif.year + years)


def _doo(result):
    return next(o for o in result.options if o.id == "declaration_by_exporter_or_producer")


def test_rcep_declaration_by_exporter_follows_the_csv(shared_data):
    for importer, deadline in _csv_deadlines(shared_data):
        exporter = "AU" if importer != "AU" else "NZ"
        before = _doo(proof_options("RCEP", exporter, importer, deadline - dt.timedelta(days=1)))
        assert before.status == "unknown", importer
        assert f"not yet required to be implemented by {importer} until {deadline}" in before.reason
        after = _doo(proof_options("RCEP", exporter, importer, deadline))
        assert after.status == "available", importer
        assert str(deadline) in after.reason


def test_rcep_declaration_twenty_years_for_cambodia():
    doo = _doo(proof_options("RCEP", "VN", "KH", "2026-03-01"))
    assert "until 2042-01-01" in doo.reason
    doo = _doo(proof_options("RCEP", "KH", "VN", "2026-03-01"))
    assert "until 2032-01-01" in doo.reason and "KH is itself not yet required" in doo.reason


def test_japan_importer_declaration_note():
    result = proof_options("RCEP", "VN", "JP", "2026-03-01")
    assert any("importer" in n and "footnote 5" in n for n in result.notes)


@pytest.mark.parametrize("agreement,exporter,importer", [("ATIGA", "VN", "TH"), ("RCEP", "VN", "JP")])
def test_waiver_at_exactly_200_and_above(agreement, exporter, importer):
    at = proof_options(agreement, exporter, importer, "2026-03-01", Decimal("200"))
    above = proof_options(agreement, exporter, importer, "2026-03-01", Decimal("200.01"))
    assert at.waiver.applies is True and "does not exceed" in at.waiver.reason
    assert above.waiver.applies is False and "exceeds" in above.waiver.reason
    article = "Rule 15" if agreement == "ATIGA" else "Art. 3.22(3)(a)"
    assert article in at.waiver.reason and article in above.waiver.reason


def test_waiver_other_currency_and_unknown():
    other = proof_options("ATIGA", "VN", "TH", "2026-03-01", fob=Decimal("150"), currency="VND")
    assert other.waiver.applies is None and "exchange rate" in other.waiver.reason
    none = proof_options("ATIGA", "VN", "TH", "2026-03-01")
    assert none.waiver.applies is None
    acfta = proof_options("ACFTA", "VN", "CN", "2026-03-01", Decimal("10"))
    assert acfta.waiver.applies is None and acfta.waiver.reason.startswith("unknown")


def test_atiga_types_by_date():
    early = {o.id: o.status for o in proof_options("ATIGA", "VN", "TH", "2019-06-01").options}
    assert early == {"form_d": "available", "e_form_d": "unknown", "origin_declaration": "not_available"}
    mid = {o.id: o.status for o in proof_options("ATIGA", "VN", "TH", "2021-06-01").options}
    assert mid["origin_declaration"] == "conditional"
    now = {o.id: o.status for o in proof_options("ATIGA", "VN", "TH", "2024-01-01").options}
    assert now == {"form_d": "limited", "e_form_d": "available", "origin_declaration": "conditional"}


def test_atiga_fob_on_proof_note():
    assert any("required on this route" in n for n in proof_options("ATIGA", "VN", "KH", "2026-03-01").notes)
    assert any("not required on this route" in n for n in proof_options("ATIGA", "VN", "TH", "2026-03-01").notes)


def test_not_in_force_is_refused():
    with pytest.raises(InvalidRequest, match="not in force"):
        proof_options("ATIGA", "VN", "CN", "2026-03-01")


def test_invalid_file_is_rejected(tmp_path):
    text = REQUIREMENTS_FILE.read_text(encoding="utf-8").replace(
        'note: "no source in the data (Attachment A OCP not obtained)"', "")
    bad = tmp_path / "requirements.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ReferenceDataMissing, match="unknown value needs a note"):
        load_file(bad)
