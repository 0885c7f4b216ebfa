"""AANZFTA Annex 2 (HS2012) read from the official First Protocol PDF with noodlebowl's own rule-table
importer, its cross-check against the unproofread machine parse, and bad input refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from noodlebowl.coverage import aanzfta_crosscheck as xc
from noodlebowl.coverage.pdf_psr import _unrotate

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def rows(shared_data):
    return xc.read_official(shared_data / xc.PDF)


def test_every_hs2012_subheading_has_a_rule(rows, shared_data):
    import csv

    with open(shared_data / "hs/hs2012.csv", encoding="utf-8") as fh:
        subheadings = {r["code"].replace(".", "") for r in csv.DictReader(fh) if r["level"] == "subheading"}
    codes = {r["hs_code"] for r in rows}
    assert len(rows) == len(codes) == 5203
    # 2931 is printed at heading level (its subheadings are not listed in Annex 2)
    assert codes - subheadings == {"2931"} and subheadings - codes == {"293110", "293120", "293190"}
    assert all(r["rule_text"] for r in rows)


def test_rules_as_printed(rows):
    by = {r["hs_code"]: r for r in rows}
    assert (by["010121"]["rule_text"], by["010121"]["pdf_page"]) == ("WO", 55)
    assert by["850440"]["rule_text"] == "RVC(40) or CTSH"
    assert by["940360"]["rule_text"] == "RVC(40) or CTH or RVC(35) + CTSH"
    assert by["2931"]["rule_text"] == "RVC(40) or CTH" and by["2931"]["level"] == "heading"
    assert by["720449"]["rule_text"].startswith("Origin shall be conferred to a good of this subheading")


def test_every_rule_parses(rows):
    from noodlebowl.rules import parse_rule

    for text in {r["rule_text"] for r in rows}:
        parse_rule(text, agreement="AANZFTA")


def test_cross_check_lists_every_disagreement(rows, shared_data):
    machine = xc.machine_rules((shared_data / xc.MACHINE_PARSE).read_text(encoding="utf-8"))
    verdicts = xc.compare(rows, machine)
    disagree = {c for c, why in verdicts.items() if why}
    assert 0 < len(disagree) < 100 and "021099" in disagree and "850440" not in disagree
    report = (DOCS / "aanzfta_crosscheck_report.md").read_text(encoding="utf-8")
    assert report == xc.report(shared_data), "regenerate: python -m noodlebowl.coverage.aanzfta_crosscheck --write ..."
    for code in disagree - {"2931"}:
        assert f"| {code[:4]}.{code[4:]} |" in report


def test_packaged_rows_carry_the_cross_check_status():
    from noodlebowl.refdata import rows as table

    got = {r["hs_code"]: r for r in table("psr") if r["agreement"] == "AANZFTA"}
    assert got["850440"]["verification"] == "verified_en" and got["021099"]["verification"] == "unverified"
    assert got["850440"]["row_ref"].startswith(f"{xc.PDF} p.") and "Appendix 4" in got["850440"]["source"]


def test_turned_pages_read_in_reading_order():
    # a page turned 90 degrees: a line runs along +y of the unturned page, and lines follow along +x
    turn = _unrotate(90)
    first, second = turn((100, 50, 110, 60)), turn((120, 50, 130, 60))
    assert second[3] < first[3]                       # the second line is below the first
    assert _unrotate(0)((1, 2, 3, 4)) == (1, 2, 3, 4)


def test_cli_refuses_a_pdf_without_such_a_table_and_writes_nothing(cli, shared_data, tmp_path):
    out = tmp_path / "rules.csv"
    result = cli("data", "import-psr", str(shared_data / "agreements/atiga/official/atiga_annex3_psr_hs2022.pdf"),
                 "--agreement", "ATIGA", "--edition", "HS2022", "--layout", "rule-table", "--out", str(out))
    assert result.exit_code == 2 and "Product Specific Rule" in result.stderr and not out.exists()
    bad = cli("data", "import-psr", str(shared_data / xc.PDF), "--agreement", "AANZFTA", "--edition", "HS2012",
              "--layout", "grid", "--out", str(out))
    assert bad.exit_code == 2 and "rule-table" in bad.stderr
