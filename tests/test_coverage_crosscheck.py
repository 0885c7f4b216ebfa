"""Cross-checks against the official texts: the committed report is current and hides nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from noodlebowl.coverage import crosscheck

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "docs" / "crosscheck_report.md"


@pytest.fixture(scope="module")
def checks(shared_data):
    return crosscheck.run(shared_data)


def test_committed_report_is_up_to_date(checks):
    expected = crosscheck.render_markdown(checks)
    assert REPORT.read_text(encoding="utf-8") == expected, (
        "docs/crosscheck_report.md is stale: run `python -m noodlebowl.coverage.crosscheck "
        "--write docs/crosscheck_report.md`")


def test_report_states_every_disagreement(checks):
    text = REPORT.read_text(encoding="utf-8")
    stated = int(re.search(r"Disagreements: (\d+)\.", text).group(1))
    assert stated == crosscheck.disagreements(checks)
    per_section = sum(int(n) for n in re.findall(r"^Disagreements: (\d+)$", text, flags=re.M))
    assert per_section == stated
    table_rows = [line for line in text.splitlines() if line.startswith("| ") and line.rstrip().endswith(
        "|") and "| disagree |" in line and not line.startswith("| check")]
    assert len(table_rows) == stated  # each one listed in the full comparison tables too


def test_official_rcep_fragments_agree(checks):
    by = {c.key: c for c in checks}
    for key in ("rcep_hs2022", "rcep_hs2012", "rcep_en_crosscheck", "atiga_guidelines"):
        assert by[key].count("disagree") == 0, [x for x in by[key].comparisons if x.result == "disagree"]
        assert by[key].count("agree") > 0
    # HS2012 codes not unchanged in HS2022 are listed, not silently dropped
    assert by["rcep_hs2012"].count("not compared") > 0


def test_flags_are_carried_or_reported(checks):
    flags = next(c for c in checks if c.key == "flags")
    atiga_cut_off = [x for x in flags.comparisons if x.code.startswith(("73", "76")) and "ATIGA" not in x.code]
    assert atiga_cut_off and all(x.result == "agree" for x in atiga_cut_off)
    missing = [x for x in flags.comparisons if x.code.startswith("0101")]
    assert missing and all("missing" in x.ours and x.result == "agree" for x in missing)
    # the "(SEN)" marker rows are verified_vi/en with no incomplete part: reported, not hidden
    sen = [x for x in flags.comparisons if "(SEN)" in x.official]
    assert sen and all(x.result == "disagree" for x in sen)


def test_rule_comparison_ignores_formatting():
    assert crosscheck.same_rule("CTH or RVC40", "RVC40 or CTH", "RCEP")[0]
    assert crosscheck.same_rule("CC except from Chapter 01", "CC except from Chapter 1", "RCEP")[0]
    assert not crosscheck.same_rule("CTH or RVC40", "CTSH or RVC40", "RCEP")[0]


def test_rcep_rows_against_the_official_hs2012_annex(checks):
    chk = next(c for c in checks if c.key == "rcep_hs2012_annex")
    assert len(chk.comparisons) == 2189 and chk.count("agree") > 2100
    bad = {x.code: x for x in chk.comparisons if x.result == "disagree"}
    # a transposition change (HS2022 split 2204.21/22/29): listed, with the official rule and page
    assert bad["2204.21"].official == "CTSH except from subheading 2204.29" and "p.80-81" in bad["2204.21"].note
    # the built data's statuses are those of this comparison
    assert not any("built data says" in x.note for x in chk.comparisons)


def test_row_comparison_on_plain_data():
    rows_2022 = [{"hs_code": "0101", "rule_text": "WO"}, {"hs_code": "0102", "rule_text": "CC"},
                 {"hs_code": "010310", "rule_text": "CTH"}]
    rows_2012 = [{"hs_code": "01", "rule_text": "WO", "source": "annex.pdf p.4"},
                 {"hs_code": "010290", "rule_text": "CC", "source": "annex.pdf p.5"}]
    mapping = {"010121": ["010121"], "010221": ["010221", "010290"], "010310": []}
    results = {r.row["hs_code"]: r for r in crosscheck.compare_rcep_hs2022_with_hs2012(
        rows_2022, rows_2012, ["010121", "010221", "010310"], mapping)}
    assert results["0101"].result == "agree" and results["0101"].pages == "p.4"
    # one source code (0102.21 → chapter 01 "WO") differs: a disagreement, never a partial agreement
    assert results["0102"].result == "disagree" and results["0102"].disagreeing[0][1] == "010221"
    assert results["010310"].result == "not compared" and results["010310"].unmapped == ["010310"]


def test_official_per_cent_wording_is_the_same_rule():
    assert crosscheck.same_rule("CTSH provided that at least 50 per cent by weight of the active ingredient "
                                "or ingredients is originating", "CTSH provided that at least 50 % by weight of "
                                "the active ingredient or ingredients is originating", "RCEP")[0]
