"""`compare`: the checks the comparison issue requires, on the shipped tariffs and rules."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from noodlebowl.compare import compare
from noodlebowl.origin import Outcome, parse_request

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _request(**over):
    base = {"exporter": "CN", "importer": "VN", "date": "2026-03-01",
            "product": {"hs": "8517.13.00", "fob": "300"},
            "materials": [{"name": "Chipset", "hs": "8542.31", "origin": "CN", "originating": True, "value": "90"}]}
    base.update(over)
    return parse_request(base)


def test_smartphone_from_china_into_viet_nam_needs_no_preference():
    c = compare(_request())
    assert c.mfn.ad_valorem == 0
    assert {o.agreement for o in c.options} == {"ACFTA", "RCEP"}
    assert all(o.rate.ad_valorem == 0 for o in c.options)
    assert c.best == "no preference needed"


def test_rice_from_china_into_viet_nam_is_best_under_mfn():
    c = compare(_request(product={"hs": "1006.30.99", "fob": "1000"},
                         materials=[], facts={"wholly_obtained": True}))
    options = {o.agreement: o for o in c.options}
    assert options["ACFTA"].outcome is Outcome.qualifies  # wholly obtained, yet …
    assert not options["ACFTA"].rate.eligible and "CN" in options["ACFTA"].rate.raw  # … China is excluded
    assert not options["RCEP"].rate.eligible and options["RCEP"].rate.raw == "*"      # not eligible
    assert c.best == "MFN"
    assert options["ACFTA"].why_not_best.startswith("not available")


def test_car_from_thailand_into_viet_nam_is_best_under_atiga():
    c = compare(_request(exporter="TH", product={"hs": "8703.23.63", "fob": "20000"}, customs_value="20000",
                         materials=[{"name": "Engine", "hs": "8407.34", "origin": "TH", "originating": True,
                                     "value": "6000"},
                                    {"name": "Electronics", "hs": "8537.10", "origin": "JP", "value": "3000"}]))
    options = {o.agreement: o for o in c.options}
    assert options["ATIGA"].outcome is Outcome.qualifies
    assert options["ATIGA"].rate.ad_valorem == 0 and c.mfn.ad_valorem == 50
    assert c.best == "ATIGA"
    assert options["ATIGA"].saving == Decimal("10000")


@pytest.mark.parametrize("day, rcep_rate", [("2026-03-01", Decimal("6.2")), ("2026-05-01", Decimal("5.6"))])
def test_sausages_into_japan_stage_down_and_cheaper_unmodelled_options_are_shown(day, rcep_rate):
    import yaml
    data = yaml.safe_load((EXAMPLES / "sausages_vn_to_jp.yaml").read_text())
    data["date"] = day
    c = compare(parse_request(data))
    options = {o.agreement: o for o in c.options}
    assert options["RCEP"].rate.ad_valorem == rcep_rate and c.mfn.ad_valorem == 9
    # AJCEP is evaluated (rule "CC except from chapter 1 or chapter 2", VN Circular 37/2022 Phu luc I) and free
    ajcep = options["AJCEP"]
    assert ajcep.outcome is Outcome.qualifies and ajcep.criterion == "CC" and ajcep.rate.ad_valorem == 0
    assert c.best == "AJCEP" and "Form AJ" in " ".join(ajcep.proof)
    unmodelled = {u.regime: u for u in c.unmodelled_cheaper}
    assert "AJCEP" not in unmodelled and "VJEPA" not in unmodelled   # free, but not cheaper than the best
    assert {o.agreement for o in c.options} == {"RCEP", "AJCEP"}


def test_sausages_ajcep_asks_which_hs2017_code_when_the_answer_is_missing():
    import yaml
    data = yaml.safe_load((EXAMPLES / "sausages_vn_to_jp.yaml").read_text())
    del data["facts"]
    c = compare(parse_request(data))
    ajcep = next(o for o in c.options if o.agreement == "AJCEP")
    # every HS2017 candidate (0410.00, 1601.00, 2106.90) qualifies (issue 14 point 9): AJCEP is the best
    # whichever code it is; what to declare on Form AJ (CC or RVC) still needs the code
    assert ajcep.outcome is Outcome.qualifies and ajcep.form_code is None and c.best == "AJCEP"
    assert "product.hs_hs2017" in [q.key for q in c.needed]


def test_without_customs_value_rates_are_still_compared():
    c = compare(_request(exporter="TH", product={"hs": "8703.23.63", "fob": "20000"},
                         materials=[{"name": "Engine", "hs": "8407.34", "origin": "TH", "originating": True,
                                     "value": "6000"}]))
    assert c.best == "ATIGA" and c.customs_value is None
    assert next(o for o in c.options if o.agreement == "ATIGA").saving_unit == "percentage points"


def test_compare_cli_json(cli):
    result = cli("compare", str(EXAMPLES / "sausages_vn_to_jp.yaml"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["best"] == "AJCEP" and data["mfn"]["rate"] == "9 %"
    assert {o["agreement"] for o in data["options"]} == {"RCEP", "AJCEP"}


def test_importer_without_tariff_data_gives_unknown_rates_not_zero():
    c = compare(_request(exporter="VN", importer="TH", product={"hs": "8509.40", "fob": "100"},
                         materials=[{"name": "Motor", "hs": "8501.10", "origin": "CN", "value": "30"}]))
    assert c.mfn is None and all(o.rate is None for o in c.options)
    assert c.best == "unknown" and any("no tariff data for importer TH" in n for n in c.caveats)
    assert all(o.saving is None for o in c.options)


def test_compare_cli_text_reads_like_a_trader_not_like_the_source_cells(cli):
    # Japan 1601.00.100: general 12 %, WTO 9 % (the applied MFN), RCEP ASEAN column 6.2 % (2026-01-01 edition)
    result = cli("compare", str(EXAMPLES / "sausages_vn_to_jp.yaml"))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "customs value 5,200 JPY" in text
    assert "12% |" not in text and "|  |" not in text  # Japan's raw general | temporary | WTO cells
    assert "146 JPY" in text                           # saving 145.6 rounded to the yen for display
    # VJEPA is free too: not cheaper than the best (AJCEP, free), still named
    assert "not evaluated by noodlebowl: CPTPP free, VJEPA free" in text


def test_date_before_every_japanese_edition_keeps_the_origin_answers():
    import yaml
    data = yaml.safe_load((EXAMPLES / "sausages_vn_to_jp.yaml").read_text())
    data["date"] = "2025-06-01"
    c = compare(parse_request(data))
    rcep = next(o for o in c.options if o.agreement == "RCEP")
    assert rcep.outcome is Outcome.qualifies and rcep.rate is None and rcep.saving is None
    assert c.best == "unknown" and "rate unknown for 2025-06-01" in c.best_reason
    assert any("VJEPA" in line and "for the date is not in the data" in line for line in c.also_check)


def test_advise_no_longer_fails_for_a_date_outside_the_editions():
    import yaml

    from noodlebowl.advice import advise
    data = yaml.safe_load((EXAMPLES / "sausages_vn_to_jp.yaml").read_text())
    data["date"] = "2025-06-01"
    advice = advise(parse_request(data))
    assert any(a.agreement == "RCEP" and a.outcome is Outcome.qualifies for a in advice.agreements)
    assert any("rate unknown for 2025-06-01" in n for n in advice.caveats)


def test_every_unmodelled_rate_on_the_route_is_shown_not_only_the_cheaper_ones():
    # Japan 0207.14.220 from Thailand: JTEPA 8.5 % (cheaper than MFN 11.9 %); AJCEP 11.9 %, now evaluated
    c = compare(parse_request({"exporter": "TH", "importer": "JP", "date": "2026-03-01",
                               "product": {"hs": "0207.14.220", "fob": "1000"}, "facts": {"wholly_obtained": True}}))
    every = {u.agreement: u.rate for u in c.unmodelled}
    assert every == {"JTEPA": "8.5 %"}  # VJEPA is Viet Nam's, CPTPP not Thailand's; AJCEP is evaluated
    assert {u.agreement for u in c.unmodelled_cheaper} == {"JTEPA"}
    assert next(o for o in c.options if o.agreement == "AJCEP").rate.words == "11.9 %"
def test_hong_kong_has_no_tariff_in_the_data_and_says_no_import_duty_unconfirmed():
    c = compare(_request(exporter="VN", importer="HK", product={"hs": "8504.40", "fob": "100"},
                         materials=[{"name": "Core", "hs": "7226.11", "origin": "JP", "value": "40"}]))
    ahkfta = next(o for o in c.options if o.agreement == "AHKFTA")
    assert ahkfta.outcome is Outcome.qualifies and ahkfta.rate is None      # RVC 60 % under Art. 7.1; rate unknown
    assert any("no import duty (not in the data: check)" in x for x in c.caveats)
    assert c.best == "unknown"                                               # never counted as zero
