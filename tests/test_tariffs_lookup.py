"""Checks from the shipped data (packaged tables built by tools/build_data.py)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from noodlebowl.errors import DateOutOfRange, InvalidCode
from noodlebowl.tariffs.lookup import NoTariffData, lookup, measures_for, mfn_for
from noodlebowl.tariffs.rates import duty

D = dt.date(2026, 3, 1)


def by_regime(ms, regime):
    return [m for m in ms if m.regime == regime]


def pct(m):
    return Decimal(0) if m.rate.kind == "free" else m.rate.percent


def test_vn_phones_from_china_all_zero():
    ms = measures_for("VN", "8517.13.00", "CN", D)
    assert {m.regime for m in ms} >= {"MFN", "ACFTA", "RCEP"}
    prefs = [m for m in ms if m.regime != "GENERAL"]
    assert prefs and all(pct(m) == 0 and not m.excluded for m in prefs)
    assert all(m.valid_from is None and "2026-01-07" in m.validity_note for m in ms)


def test_vn_rice_from_china():
    ms = measures_for("VN", "1006.30.99", "CN", D)
    acfta = by_regime(ms, "ACFTA")[0]
    assert acfta.excluded and "CN" in acfta.scope.excluded_origins and "CN" in acfta.note
    rcep = by_regime(ms, "RCEP")
    assert len(rcep) == 1 and rcep[0].rate.kind == "not_eligible" and rcep[0].raw == "*"
    assert rcep[0].scope.group.startswith("RCEP-C")


def test_vn_car_from_thailand():
    ms = measures_for("VN", "8703.23.63", "TH", D)
    assert pct(by_regime(ms, "ATIGA")[0]) == 0
    assert pct(by_regime(ms, "MFN")[0]) == 50
    assert [m.scope.group for m in by_regime(ms, "RCEP")] == ["RCEP-A (ASEAN)"]


def test_jp_sausages_from_viet_nam():
    before = measures_for("JP", "1601.00.100", "VN", D)
    after = measures_for("JP", "1601.00.100", "VN", dt.date(2026, 5, 1))
    rcep_b, rcep_a = by_regime(before, "RCEP")[0], by_regime(after, "RCEP")[0]
    assert rcep_b.scope.group == "RCEP ASEAN·AU·NZ" and pct(rcep_b) == Decimal("6.2")
    assert pct(rcep_a) == Decimal("5.6")
    assert (rcep_b.valid_from, rcep_b.valid_to) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    mfn = by_regime(before, "MFN")[0]
    assert pct(mfn) == 9 and mfn.detail["general"] == "12%" and mfn.detail["wto"] == "9%"
    assert by_regime(before, "AJCEP")[0].rate.kind == "free"
    assert by_regime(before, "VJEPA")[0].rate.kind == "free"
    assert duty(mfn.rate, Decimal("1000")) == Decimal("90")


def test_jp_validity_intervals_and_out_of_range():
    ms = measures_for("JP", "160100100", "VN", dt.date(2026, 8, 1))
    assert by_regime(ms, "RCEP")[0].valid_to is None
    with pytest.raises(DateOutOfRange):
        measures_for("JP", "160100100", "VN", dt.date(2025, 12, 31))


def test_jp_wto_in_parentheses_not_applied():
    mfn = mfn_for("JP", "160100900", D)[0]  # general 10 %, WTO (10%)
    assert pct(mfn) == 10 and "parentheses" in mfn.detail["mfn_basis"]


def test_hs6_with_several_lines_returns_all_and_says_so():
    res = lookup("JP", "1601.00", "VN", D)
    assert res.lines == ["160100100", "160100900"]
    assert any("2 national lines" in n for n in res.notes)
    assert all("one of 2 national lines" in m.note for m in res.measures)


def test_au_missing_chapter_is_unknown_not_zero():
    ms = mfn_for("AU", "2801.10.00", D)
    assert ms and ms[0].rate.kind == "unknown" and "chapter 28" in ms[0].rate.reason
    assert duty(ms[0].rate, Decimal(100)) is None


# RCEP Annex I, Australia (rcep_annexI_AU_schedule.csv), 0405.20.00 Dairy spreads: base 4, Year 1 3,
# Year 2 1, Year 3 onwards 0; Schedule 14 (au_fta_schedules_flat.csv) keeps only "From 1 January 2022: 3%".
@pytest.mark.parametrize("day, percent, basis", [
    ("2022-06-01", 3, "applied"),       # Year 1: Schedule 14 is stated for it
    ("2023-06-01", 1, "commitment"),    # Year 2 (from 2023-01-01): the commitment for the year
    ("2026-03-01", 0, "commitment"),    # Year 3 on: free
])
def test_au_rcep_schedule14_and_annex1_reconciled_by_year(day, percent, basis):
    listed = by_regime(measures_for("AU", "0405.20.00", "CN", dt.date.fromisoformat(day)), "RCEP")[0]
    assert pct(listed) == percent and listed.basis == basis
    if basis == "commitment":
        assert "earlier stage" in listed.note and "Schedule 14 (from 2022-01-01)" in listed.note


def test_au_rcep_line_absent_from_schedule14_is_free():
    absent = by_regime(measures_for("AU", "0101.21.00", "CN", D), "RCEP")[0]
    assert absent.rate.kind == "free" and "Schedule 14" in absent.detail["inferred"]


def test_au_rcep_later_applied_change_wins_over_the_year_commitment():
    # 2204.10.23: Schedule 14 "From 2 February 2026: 2%, and $107.99/L of alcohol"; Annex I Year 5 = 2
    before = by_regime(measures_for("AU", "2204.10.23", "TH", dt.date(2026, 1, 15)), "RCEP")[0]
    after = by_regime(measures_for("AU", "2204.10.23", "TH", dt.date(2026, 3, 1)), "RCEP")[0]
    assert after.basis == "applied" and after.rate.kind == "compound" and after.valid_from == dt.date(2026, 2, 2)
    # before that change only the ad valorem commitment is known: the per-unit part is not, so no rate
    assert before.basis == "commitment" and before.rate.kind == "not_computable"
    assert "per-unit part" in before.rate.reason and "Annex I Year 5" in before.rate.reason


def test_au_rcep_undated_per_unit_rate_against_commitment_is_not_guessed():
    # 2402.20.20 cigarettes: Schedule 14 "$1.52829/stick" (no date) against Annex I 0
    m = by_regime(measures_for("AU", "2402.20.20", "TH", D), "RCEP")[0]
    assert m.rate.kind == "not_computable" and "not in the data" in m.rate.reason


def test_jp_empty_rcep_cell_is_excluded_not_unknown():
    # Japan 2026-01-01 edition, 1006.20.090 (husked rice): no RCEP rate in any column
    ms = by_regime(measures_for("JP", "1006.20.090", "VN", D), "RCEP")
    assert ms and all(m.rate.kind == "excluded" and m.raw == "" for m in ms)
    assert ms[0].detail["empty_cell"].startswith("empty RCEP cell")


def test_gsp_is_never_offered_as_if_every_origin_were_a_beneficiary():
    ms = by_regime(measures_for("JP", "1601.00.100", "VN", D), "GSP")
    assert all("beneficiary list is not in the data" in m.note for m in ms)


def test_unknown_importer_and_bad_code():
    with pytest.raises(NoTariffData, match="noodlebowl tariffs import"):
        measures_for("XX", "851713", "CN", D)
    with pytest.raises(InvalidCode):
        measures_for("VN", "9999.99.99", "CN", D)


def test_cli_show_json(cli):
    r = cli("tariffs", "show", "--importer", "VN", "--code", "8517.13.00", "--origin", "CN",
            "--date", "2026-03-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["national_lines"] == ["85171300"]
    rcep = [m for m in data["measures"] if m["regime"] == "RCEP"][0]
    assert rcep["raw"] == "0" and "row" in rcep["source"] and rcep["data_source"] == "packaged"


def test_cli_show_unknown_importer_one_sentence(cli):
    r = cli("tariffs", "show", "--importer", "XX", "--code", "851713")
    assert r.exit_code == 2 and "no tariff data for importer XX" in r.stderr


def test_cli_show_names_the_agreement_of_a_regime(cli):
    r = cli("tariffs", "show", "--importer", "JP", "--code", "0207.14.220", "--origin", "TH",
            "--date", "2026-03-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    th = [m for m in json.loads(r.stdout)["measures"] if m["regime"] == "JP-TH EPA"][0]
    assert th["agreement"] == "JTEPA" and th["words"] == "8.5 %"
