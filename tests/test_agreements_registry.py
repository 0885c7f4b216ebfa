"""Agreements in force per route and date (registry) and the `agreements` command."""

import datetime as dt
import json

import pytest

from noodlebowl.agreements.registry import (MODELLED, agreements_for_route, in_force, parties,
                                            unmodelled_agreements)
from noodlebowl.errors import InvalidRequest
from noodlebowl.refdata import rows


def by_name(answer):
    return {a.agreement: a for a in answer.agreements}


def test_vn_jp_rcep_and_ajcep_modelled_and_the_others_named():
    answer = agreements_for_route("VN", "JP", dt.date(2026, 3, 1))
    got = by_name(answer)
    assert list(got) == list(MODELLED)
    assert got["RCEP"].in_force is True
    assert got["ATIGA"].in_force is False and got["ATIGA"].status == "not_a_party"
    assert got["ACFTA"].in_force is False
    # AJCEP: in force from the date its rules in the data apply (VN Circular 37/2022, 2023-03-01), said so
    assert got["AJCEP"].in_force is True
    assert any("2023-03-01" in c and "not the agreement's entry into force" in c for c in got["AJCEP"].caveats)
    assert got["AKFTA"].status == "not_a_party" and got["AHKFTA"].status == "not_a_party"
    ids = {u.id for u in answer.not_modelled}
    assert {"VJEPA", "CPTPP"} <= ids
    assert not ids & set(MODELLED), "an agreement is either modelled or listed as not modelled"
    assert "VJEPA" in answer.not_modelled_note


def test_modelled_agreements_come_from_the_yaml_files():
    from noodlebowl.agreements.provisions import PROVISIONS_DIR

    assert set(MODELLED) == {p.stem.upper() for p in PROVISIONS_DIR.glob("*.yaml")}
    assert MODELLED[:3] == ("ATIGA", "ACFTA", "RCEP")        # the files' `order`
    assert {"AJCEP", "AKFTA", "AHKFTA"} <= set(MODELLED)


def test_akfta_rules_in_the_data_apply_from_2026_05_01_only():
    before = by_name(agreements_for_route("VN", "KR", dt.date(2026, 4, 30)))["AKFTA"]
    assert before.in_force is None and before.status == "not_covered" and "2026-05-01" in before.reason
    after = by_name(agreements_for_route("VN", "KR", dt.date(2026, 5, 1)))["AKFTA"]
    assert after.in_force is True


def test_aanzfta_parties_have_no_date_in_the_data():
    for p in (r for r in rows("parties") if r["agreement"] == "AANZFTA"):
        assert p["entry_into_force"] is None and p["eif_status"] == "unknown" and "Art. 5" in p["eif_note"]
    assert {r["iso2"] for r in rows("parties") if r["agreement"] == "AANZFTA"} >= {"AU", "NZ", "VN", "SG"}


def test_rcep_uses_each_partys_own_date():
    # Philippines entered RCEP into force on 2023-06-02 (packaged parties data).
    ph = next(r for r in rows("parties") if r["agreement"] == "RCEP" and r["iso2"] == "PH")
    day_before = ph["entry_into_force"] - dt.timedelta(days=1)
    value, reason = in_force("RCEP", "VN", "PH", day_before)
    assert value is False and "Philippines" in reason
    value, _ = in_force("RCEP", "VN", "PH", ph["entry_into_force"])
    assert value is True


def test_contested_party_is_unknown_never_true():
    answer = by_name(agreements_for_route("MM", "SG", "2025-01-01"))
    assert answer["RCEP"].in_force is None
    assert answer["RCEP"].status == "unknown"
    assert "contested" in answer["RCEP"].reason
    assert answer["ATIGA"].in_force is True


def test_unverified_date_stays_visible():
    answer = by_name(agreements_for_route("ID", "JP", "2024-01-01"))
    assert answer["RCEP"].in_force is True
    assert any("not verified" in c for c in answer["RCEP"].caveats)
    assert answer["RCEP"].exporter.eif_status == "unverified_here"


def test_atiga_before_its_entry_into_force():
    value, reason = in_force("ATIGA", "VN", "TH", "2010-05-16")
    assert value is False and "2010-05-17" in reason
    assert in_force("ATIGA", "VN", "TH", "2010-05-17").value is True


def test_acfta_before_rules_effective_date_is_not_covered():
    answer = by_name(agreements_for_route("VN", "CN", "2015-01-01"))
    assert answer["ACFTA"].in_force is None
    assert answer["ACFTA"].status == "not_covered"
    after = by_name(agreements_for_route("VN", "CN", "2020-01-01"))["ACFTA"]
    assert after.in_force is True
    assert any("not the agreement's entry into force" in c for c in after.caveats)


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", 20260301])
def test_not_a_date(bad):
    with pytest.raises(InvalidRequest):
        agreements_for_route("VN", "JP", bad)


def test_same_country_is_an_error():
    with pytest.raises(InvalidRequest):
        agreements_for_route("VN", "vnm", "2026-01-01")


def test_unknown_agreement_and_known_unmodelled():
    with pytest.raises(InvalidRequest) as err:
        parties("AIFTA")
    assert "not modelled" in str(err.value)
    with pytest.raises(InvalidRequest):
        parties("RCPE")


def test_parties_match_packaged_data():
    for agreement in MODELLED:
        expected = {r["iso2"] for r in rows("parties") if r["agreement"] == agreement}
        assert {p.iso2 for p in parties(agreement.lower())} == expected


def test_unmodelled_file_evidence_exists(shared_data):
    """Every not-modelled agreement is evidenced by a shared-data file (and column, where named)."""
    for u in unmodelled_agreements():
        assert u.evidence, u.id
        assert u.entry_into_force == "not in the data"
        for ev in u.evidence:
            path = shared_data / ev.file
            assert path.is_file(), (u.id, ev.file)
            if ev.column and path.suffix == ".csv" and "schedule =" not in ev.column:
                header = path.open(encoding="utf-8").readline()
                assert ev.column in header, (u.id, ev.column)
            if ev.column and "fta =" in ev.column:
                fta = ev.column.split("fta =")[1].strip()
                assert f",{fta}," in path.read_text(encoding="utf-8"), (u.id, fta)


def test_cli_table_and_not_modelled_line(cli):
    result = cli("agreements", "--exporter", "VN", "--importer", "JP", "--date", "2026-03-01")
    assert result.exit_code == 0, result.stderr
    assert "RCEP" in result.stdout and "NOT evaluated" in result.stdout and "VJEPA" in result.stdout


def test_cli_json(cli):
    result = cli("agreements", "--exporter", "VN", "--importer", "CN", "--date", "2026-03-01",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["on"] == "2026-03-01"
    assert {a["agreement"]: a["in_force"] for a in data["agreements"]} == {
        "ATIGA": False, "ACFTA": True, "RCEP": True, "AJCEP": False, "AKFTA": False, "AHKFTA": False, "AANZFTA": False}


def test_cli_default_date_is_today(cli):
    result = cli("agreements", "--exporter", "VN", "--importer", "TH", "--format", "json")
    assert json.loads(result.stdout)["on"] == dt.date.today().isoformat()


@pytest.mark.parametrize("args, words", [
    (("--exporter", "VN", "--importer", "Japn"), "JP (Japan)"),
    (("--exporter", "VN", "--importer", "VN"), "same country"),
    (("--exporter", "VN", "--importer", "JP", "--date", "2026-02-30"), "not a date"),
])
def test_cli_errors_exit_2_with_one_sentence(cli, args, words):
    result = cli("agreements", *args)
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_aanzfta_second_protocol_routes_are_not_covered():
    # shared/data README: the Second Protocol's HS2022 PSR applies from 2025-04-21 between AU, NZ, SG, MY, LA, BN
    sg_au = by_name(agreements_for_route("SG", "AU", dt.date(2026, 3, 1)))["AANZFTA"]
    assert sg_au.status == "not_covered" and "Second Protocol" in sg_au.reason and sg_au.in_force is None
    before = by_name(agreements_for_route("SG", "AU", dt.date(2025, 4, 20)))["AANZFTA"]
    assert before.status == "unknown"                       # First Protocol rules; dates not in the data
    vn_au = by_name(agreements_for_route("VN", "AU", dt.date(2026, 3, 1)))["AANZFTA"]
    assert vn_au.status == "unknown" and "not in the data" in vn_au.reason


def test_aifta_is_named_as_not_modelled_with_the_reason():
    answer = agreements_for_route("VN", "IN", dt.date(2026, 3, 1))
    assert "AIFTA" not in MODELLED and "AIFTA" in {u.id for u in answer.not_modelled}
    assert "AIFTA (no text of its rules of origin is in the shared data" in answer.not_modelled_note
