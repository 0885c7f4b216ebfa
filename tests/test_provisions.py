"""Agreement provisions as dated parameters: keys, dates, errors, and values checked against the law."""

import datetime as dt
import re

import pytest
import yaml

from noodlebowl.agreements.provisions import (AGREEMENT_FILES, PROVISIONS_DIR, REQUIRED_KEYS, keys,
                                              load_file, provision, provisions)
from noodlebowl.errors import DateOutOfRange, InvalidRequest, ReferenceDataMissing

AGREEMENTS = tuple(AGREEMENT_FILES)
TODAY = dt.date(2026, 3, 1)


def article(text: str, start: str, end: str) -> str:
    """The text of one article: from heading ``start`` to heading ``end``."""
    i = text.index(start)
    return text[i:text.index(end, i)]


@pytest.fixture(scope="module")
def rcep_text(shared_data):
    return (shared_data / "agreements/rcep/legal_text/rcep_ch3_sectionA_rules_of_origin.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def atiga_text(shared_data):
    raw = (shared_data / "agreements/atiga/legal_text/atiga_chapter3_rules_of_origin_articles25-39.txt").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", raw)


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_every_required_key_present_with_article(agreement):
    assert set(REQUIRED_KEYS) <= set(keys(agreement))
    got = provisions(agreement, max(TODAY, provision(agreement, "origin_criteria", "2100-01-01").valid_from))
    for key in REQUIRED_KEYS:
        p = got[key]
        assert p.article and p.reference and p.description, (agreement, key)
        if p.value is None or p.is_unknown:
            assert p.note, (agreement, key)


def test_same_keys_in_all_three_files():
    assert keys("RCEP") == keys("ATIGA") == keys("ACFTA")


def test_dates_select_the_right_value():
    assert provision("RCEP", "psr.table_edition", "2022-12-31").value == "HS2012"
    jan = provision("RCEP", "psr.table_edition", dt.date(2023, 1, 1))
    assert (jan.value, jan.valid_from) == ("HS2022", dt.date(2023, 1, 1))
    assert provision("rcep", "psr.table_edition", TODAY).value == "HS2022"
    assert provision("ACFTA", "psr.table_edition", TODAY).value == "HS2017"


@pytest.mark.parametrize("agreement, first", [("RCEP", "2022-01-01"), ("ATIGA", "2010-05-17"),
                                               ("ACFTA", "2019-08-20")])
def test_date_before_first_value_is_an_error(agreement, first):
    day_before = dt.date.fromisoformat(first) - dt.timedelta(days=1)
    with pytest.raises(DateOutOfRange) as err:
        provision(agreement, "de_minimis.value_percent", day_before)
    assert first in str(err.value)
    assert provision(agreement, "de_minimis.value_percent", first).valid_from.isoformat() == first
    assert provisions(agreement, day_before) == {}


def test_unknown_key_agreement_or_date():
    with pytest.raises(InvalidRequest) as err:
        provision("RCEP", "de_minimis.value_pct", TODAY)
    assert "de_minimis.value_percent" in err.value.suggestions
    with pytest.raises(InvalidRequest):
        provision("AIFTA", "de_minimis.value_percent", TODAY)
    with pytest.raises(InvalidRequest):
        provision("RCEP", "de_minimis.value_percent", "not-a-date")


def test_unknowns_are_marked_not_guessed():
    assert provision("RCEP", "rvc.rounding", TODAY).is_unknown
    assert provision("ACFTA", "de_minimis.counted_in_rvc", TODAY).is_unknown
    assert provision("RCEP", "general_rule", TODAY).value is None  # every good has a PSR


# --- values checked against the legal text itself -----------------------------------------

def test_rcep_de_minimis_matches_article_3_7(rcep_text):
    art = article(rcep_text, "## Article 3.7", "## Article 3.8")
    value_pct = re.search(r"does not exceed (\d+) per cent of the FOB value", art).group(1)
    weight_pct = re.search(r"does not exceed (\d+) per cent of the total weight", art).group(1)
    first, last = map(int, re.search(r"Chapters (\d+) through (\d+) of the HS Code, the weight", art).groups())
    assert provision("RCEP", "de_minimis.value_percent", TODAY).value == int(value_pct) == 10
    assert provision("RCEP", "de_minimis.weight_percent", TODAY).value == int(weight_pct)
    assert provision("RCEP", "de_minimis.weight_chapters", TODAY).value == list(range(first, last + 1))
    assert "included in the value of non-originating materials" in art
    assert provision("RCEP", "de_minimis.counted_in_rvc", TODAY).value is True


def test_rcep_rvc_formulas_and_cumulation_match_text(rcep_text):
    art = article(rcep_text, "## Article 3.5", "## Article 3.6")
    methods = provision("RCEP", "rvc.methods", TODAY).value
    assert {m["method"] for m in methods} == {"build_down", "build_up"}
    assert "Indirect/Build-Down Formula: `RVC = (FOB – VNM) / FOB x 100`" in art
    assert "Direct/Build-Up Formula" in art
    assert "## Article 3.4: Cumulation" in rcep_text
    assert provision("RCEP", "cumulation.kind", TODAY).article.startswith("RCEP Art. 3.4")


def test_rcep_minimal_operations_match_article_3_6(rcep_text):
    art = article(rcep_text, "## Article 3.6", "## Article 3.7")
    listed = re.findall(r"^- \(([a-k])\)", art, flags=re.M)
    assert len(provision("RCEP", "minimal_operations", TODAY).value) == len(listed) == 11


def test_atiga_values_match_the_text(atiga_text):
    art33 = article(atiga_text, "Article 33 De Minimis", "Article 34 Treatment")
    assert int(re.search(r"ten percent \((\d+)%\) of the FOB value", art33).group(1)) == \
        provision("ATIGA", "de_minimis.value_percent", TODAY).value == 10
    assert "weight" not in art33
    assert provision("ATIGA", "de_minimis.weight_percent", TODAY).value is None

    art28 = article(atiga_text, "Article 28 Not Wholly", "Calculation of Regional Value Content")
    assert "forty percent (40%)" in art28 and "change in tariff heading" in art28
    assert provision("ATIGA", "general_rule", TODAY).value == "RVC40 or CTH"

    art30 = article(atiga_text, "Article 30 Accumulation", "Minimal Operations and Processes")
    partial = provision("ATIGA", "cumulation.partial", TODAY).value
    assert f"twenty percent ({partial['min_rvc_percent']}%)" in art30
    assert f"forty percent ({partial['max_rvc_percent_exclusive']}%)" in art30

    art29 = article(atiga_text, "Calculation of Regional Value Content", "Article 30 Accumulation")
    assert "adhere to only one (1) method" in art29
    assert provision("ATIGA", "rvc.party_method", TODAY).article == "ATIGA Art. 29(3)"


def test_acfta_values_match_shared_meta(shared_data):
    meta = yaml.safe_load((shared_data / "agreements/acfta/acfta_psr_meta.yaml").read_text(encoding="utf-8"))
    m = re.search(r"(\d+)% of FOB.*ch\.(\d+)-(\d+): (\d+)% of total weight", meta["de_minimis"])
    assert provision("ACFTA", "de_minimis.value_percent", TODAY).value == int(m.group(1))
    assert provision("ACFTA", "de_minimis.weight_chapters", TODAY).value == \
        list(range(int(m.group(2)), int(m.group(3)) + 1))
    assert provision("ACFTA", "de_minimis.weight_percent", TODAY).value == int(m.group(4))
    assert provision("ACFTA", "psr.table_edition", TODAY).value == meta["hs_edition"]
    assert provision("ACFTA", "general_rule", TODAY).value == "RVC40"
    assert meta["rvc_formula"].startswith("RVC = (FOB - VNM) / FOB x 100%")
    assert [m["method"] for m in provision("ACFTA", "rvc.methods", TODAY).value] == ["build_down"]


def test_acfta_cth_table_is_packaged():
    from noodlebowl.refdata import manifest

    table = provision("ACFTA", "general_rule.cth_alternative_table", TODAY).value
    assert table in manifest()["tables"]


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_shared_files_named_in_references_exist(agreement, shared_data):
    text = (PROVISIONS_DIR / AGREEMENT_FILES[agreement]).read_text(encoding="utf-8")
    paths = set(re.findall(r"(?:next_agreements|agreements|examples)/[\w./-]+\.(?:md|txt|yaml|csv|json)", text))
    assert paths, agreement
    for path in paths:
        assert (shared_data / path).is_file(), path


# --- malformed files are loud ----------------------------------------------------------------

def test_malformed_file_names_file_and_key(tmp_path):
    good = yaml.safe_load((PROVISIONS_DIR / "rcep.yaml").read_text(encoding="utf-8"))
    bad = dict(good, parameters=dict(good["parameters"]))
    bad["parameters"]["packing"] = {"description": "x", "reference": "y",
                                    "values": {"2022-01-01": {"value": "disregarded"}}}  # no article
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(ReferenceDataMissing) as err:
        load_file(path)
    assert "bad.yaml" in str(err.value) and "packing" in str(err.value)


def test_unknown_without_note_is_rejected(tmp_path):
    good = yaml.safe_load((PROVISIONS_DIR / "rcep.yaml").read_text(encoding="utf-8"))
    good["parameters"]["rvc.rounding"]["values"] = {"2022-01-01": {"value": "unknown", "article": "x"}}
    path = tmp_path / "nonote.yaml"
    path.write_text(yaml.safe_dump(good), encoding="utf-8")
    with pytest.raises(ReferenceDataMissing) as err:
        load_file(path)
    assert "rvc.rounding" in str(err.value)


def test_missing_required_key_is_rejected(tmp_path):
    good = yaml.safe_load((PROVISIONS_DIR / "atiga.yaml").read_text(encoding="utf-8"))
    del good["parameters"]["direct_consignment"]
    path = tmp_path / "missing.yaml"
    path.write_text(yaml.safe_dump(good), encoding="utf-8")
    with pytest.raises(ReferenceDataMissing) as err:
        load_file(path)
    assert "direct_consignment" in str(err.value)
