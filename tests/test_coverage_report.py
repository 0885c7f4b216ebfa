"""`noodlebowl data coverage`: figures computed with the engine's own rule lookup, and answers
that carry the same status as the coverage category of their code."""

from __future__ import annotations

import json
import random

import pytest

from noodlebowl.coverage.report import AGREEMENTS, PSR_CATEGORIES, TARIFF_CATEGORIES, categorise, coverage
from noodlebowl.origin import Product, Request, determine
from noodlebowl.origin.engine import VERIFICATION_CAVEAT


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    import os
    before = os.environ.get("NOODLEBOWL_HOME")
    os.environ["NOODLEBOWL_HOME"] = str(tmp_path_factory.mktemp("home"))
    coverage.cache_clear()
    yield coverage()
    coverage.cache_clear()
    if before is None:
        os.environ.pop("NOODLEBOWL_HOME", None)
    else:
        os.environ["NOODLEBOWL_HOME"] = before


def test_every_subheading_is_in_exactly_one_category(report):
    for a in report["psr"]:
        assert a["subheadings"] == 5612
        assert sum(c["count"] for c in a["categories"].values()) == 5612
        assert list(a["categories"]) == list(PSR_CATEGORIES)
    by = {a["agreement"]: a["categories"] for a in report["psr"]}
    assert [a["agreement"] for a in report["psr"]] == list(AGREEMENTS)
    assert by["RCEP"]["general_rule"]["count"] == 0          # RCEP lists every good
    assert by["ATIGA"]["missing"]["count"] == 5              # 0101.21, 0101.29, 0101.30, 0101.90, 0102.21
    assert by["ATIGA"]["unverified"]["count"] == 42
    assert by["ACFTA"]["ambiguous"]["count"] > 0


def test_tariff_shares_add_up(report):
    assert report["tariffs"]
    for t in report["tariffs"]:
        assert sum(c["count"] for c in t["categories"].values()) == t["national_lines"]
        assert list(t["categories"]) == list(TARIFF_CATEGORIES)
    vn_atiga = next(t for t in report["tariffs"] if (t["importer"], t["regime"]) == ("VN", "ATIGA"))
    assert vn_atiga["categories"]["not_eligible"]["count"] > 0


def test_report_names_data_version_and_sources(report):
    from noodlebowl.refdata import data_version, manifest
    assert report["data_version"] == data_version()
    assert [s["path"] for s in report["sources"]] == [s["path"] for s in manifest()["sources"]]


def test_cli_json_and_text(cli, report):
    result = cli("data", "coverage", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["psr"] == report["psr"]
    text = cli("data", "coverage")
    assert text.exit_code == 0 and "verified_en" in text.stdout and "ATIGA" in text.stdout


def test_disk_cache_is_fast(report):
    import time
    coverage.cache_clear()
    start = time.perf_counter()
    again = coverage()
    assert time.perf_counter() - start < 1.0
    assert again["psr"] == report["psr"]


def _answer(agreement: str, code: str):
    exporter, importer, day = {"RCEP": ("VN", "JP", "2026-03-01"), "ATIGA": ("VN", "TH", "2026-03-01"),
                               "ACFTA": ("VN", "CN", "2026-03-01"), "AJCEP": ("VN", "JP", "2026-03-01"),
                               "AKFTA": ("VN", "KR", "2026-06-01"), "AHKFTA": ("VN", "HK", "2026-03-01"),
                               "AANZFTA": ("VN", "AU", "2026-03-01")}[agreement]
    request = Request(exporter=exporter, importer=importer, date=day, agreements=[agreement],
                      product=Product(hs=code, fob="100"), materials=[])
    (det,) = determine(request)
    return det


def _says(det, category: str) -> bool:
    """Whether a determination says what the coverage category says."""
    caveats = " ".join(det.caveats)
    if category in ("verified_vi", "unverified", "transcribed"):
        return VERIFICATION_CAVEAT[category] in det.caveats and det.rule.verified in ("unverified", "transcribed",
                                                                                       "verified_vi")
    if category == "verified_en":
        return det.rule is not None and det.rule.verified == "verified_en" and not any(
            v in det.caveats for v in VERIFICATION_CAVEAT.values())
    if category == "general_rule":
        return det.rule is not None and det.rule.level == "general" and "No product-specific rule is listed" in caveats
    if category == "missing":
        return det.rule is None and det.outcome.value == "undetermined" and "missing in the source" in det.summary
    if category == "ambiguous":   # asked, or every candidate's rule gives the same answer (said in a caveat)
        return (det.rule is None and any(q.key.startswith("product.hs_") for q in det.needed)) or (
            det.rule is not None and "splits across" in caveats)
    raise AssertionError(category)


@pytest.mark.parametrize("agreement, code, category", [
    ("RCEP", "380891", "verified_en"),     # RCEP 38.08: corrected to the official English wording (data 2026-12-08)
    ("ATIGA", "010121", "missing"),        # row missing in the VN source
    ("ATIGA", "380891", "general_rule"),   # not listed in ATIGA Annex 3
    ("ATIGA", "730210", "unverified"),     # "except from heading 72.07 through [...]"
    ("RCEP", "850940", "verified_en"),
    ("RCEP", "010121", "verified_en"),     # transcribed from VN; agrees with the official HS2012 Annex 3A
    ("RCEP", "220421", "verified_vi"),     # differs from the HS2012 rule (a transposition change)
    ("AJCEP", "870899", "transcribed"),     # VN Circular 37/2022 Phu luc I 87.08
    ("AJCEP", "560790", "unverified"),      # 56.07: rule inferred from a merged cell
    ("AHKFTA", "850440", "general_rule"),   # not listed: RVC40 (Art. 7.1)
    ("AANZFTA", "850440", "verified_en"),   # official PDF and machine parse agree
    ("AANZFTA", "021099", "unverified"),    # the machine parse reads it differently
])
def test_answers_carry_the_status_coverage_reports(agreement, code, category):
    assert categorise(agreement, code) == category
    assert _says(_answer(agreement, code), category)


def test_engine_and_coverage_agree_on_a_sample(report):
    """Every category of every agreement, plus a random sample: the answer says what coverage counts."""
    from noodlebowl.hs.nomenclature import codes
    rng = random.Random(20260301)
    sample = rng.sample(codes("HS2022"), 25)
    checked = 0
    for a in report["psr"]:
        picks = set(sample)
        for examples in a["examples"].values():
            picks.update(examples[:2])
        for code in sorted(picks):
            category = categorise(a["agreement"], code)
            det = _answer(a["agreement"], code)
            assert _says(det, category), (a["agreement"], code, category, det.caveats, det.summary)
            checked += 1
    assert checked >= 75
