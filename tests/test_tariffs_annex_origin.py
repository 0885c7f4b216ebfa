"""RCEP Annex I staging dates and the Art. 2.6 country of origin."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

from noodlebowl.tariffs import rcep_annex1
from noodlebowl.tariffs.lookup import measures_for
from noodlebowl.tariffs.origin_country import rcep_country_of_origin


def test_year_starts_january_and_april_calendar():
    eif = dt.date(2022, 1, 1)
    assert rcep_annex1.year_starts(eif, 3) == [eif, dt.date(2023, 1, 1), dt.date(2024, 1, 1)]
    jp = rcep_annex1.year_starts(eif, 3, rcep_annex1.YEAR_START["JP"])
    assert jp == [eif, dt.date(2022, 4, 1), dt.date(2023, 4, 1)]
    kr = rcep_annex1.year_starts(dt.date(2022, 2, 1), 2)
    assert kr == [dt.date(2022, 2, 1), dt.date(2023, 1, 1)]


def test_cn_for_asean_staging_dates():
    # 8509.80.20: base 20, Year 1 19, Year 2 18 ... Year 20 0
    ms = measures_for("CN", "8509.80.20", "VN", dt.date(2023, 6, 1))
    assert ms[0].rate.percent == 18 and ms[0].valid_from == dt.date(2023, 1, 1)
    assert ms[0].basis == "commitment" and ms[0].detail["base_rate"] == "20"
    assert measures_for("CN", "8509.80.20", "VN", dt.date(2041, 1, 1))[0].rate.percent == 0
    assert measures_for("CN", "8509.80.20", "AU", dt.date(2023, 6, 1)) == []  # section A: ASEAN only


def test_annex_against_hs850980_crosscheck(shared_data):
    rows = {r["importing_party"]: r for r in
            csv.DictReader(open(shared_data / "tariffs/rcep_annex1/rcep_hs850980_tariff_commitments.csv"))}
    cn = measures_for("CN", "8509.80.90", "TH", dt.date(2022, 6, 1))[0]
    assert rows["China (for ASEAN)"]["base_rate"] == f"{cn.detail['base_rate']}%"
    assert cn.rate.percent == 8  # "8% from Year 1 through Year 21"
    au = [m for m in measures_for("AU", "8509.80.90", "TH", dt.date(2022, 6, 1)) if m.regime == "RCEP"][0]
    assert rows["Australia"]["base_rate"] == "0%" and au.rate.percent == 0


def test_annex_excluded_u():
    from noodlebowl.refdata import table
    import pyarrow.compute as pc
    t = table("tariff_measures")
    u = t.filter(pc.equal(t["raw"], "U"))
    assert u.num_rows > 0 and set(u["rate_kind"].to_pylist()) == {"excluded"}


def test_origin_country_rules():
    """RCEP Art. 2.6, paragraph by paragraph (Art. 3.2: (a) wholly obtained, (b) exclusively from
    originating materials, (c) product-specific rule)."""
    # 2.6.1: a single common schedule (Australia): no differential, the column does not matter
    assert rcep_country_of_origin("AU", "CN").outcome == "not_needed"
    # 2.6.3: Appendix line, 25 % ≥ 20 % added in Thailand → Thailand (Viet Nam's column A)
    r = rcep_country_of_origin("VN", "TH", line_in_appendix=True, value_added_in_exporter_pct=Decimal(25))
    assert r.outcome == "resolved" and r.article == "Art. 2.6.3" and r.column == "RCEP-A (ASEAN)"
    # 2.6.3 not met → 2.6.4: the Party with the highest value of originating materials
    r = rcep_country_of_origin("VN", "TH", line_in_appendix=True, value_added_in_exporter_pct=Decimal(10),
                               originating_materials_by_party={"CN": Decimal(40), "JP": Decimal(30)})
    assert r.rcep_country_of_origin == "CN" and r.article == "Art. 2.6.4" and r.column == "RCEP-C (CN)"
    # 2.6.2, Art. 3.2(b): production beyond the minimal operations of 2.6.5 in the exporter
    r = rcep_country_of_origin("JP", "VN", line_in_appendix=False, originating_under="b",
                               beyond_minimal_operations_in_exporter=True)
    assert r.article == "Art. 2.6.2" and r.column == "RCEP ASEAN·AU·NZ"
    # 2.6.2, Art. 3.2(c): the good became originating in the exporter under the PSR
    r = rcep_country_of_origin("JP", "TH", line_in_appendix=False, originating_under="c")
    assert r.rcep_country_of_origin == "TH" and r.article == "Art. 2.6.2"
    # 2.6.2 proviso fails (only minimal operations) → 2.6.4
    r = rcep_country_of_origin("JP", "TH", line_in_appendix=False, originating_under="b",
                               beyond_minimal_operations_in_exporter=False,
                               originating_materials_by_party={"CN": Decimal(90)})
    assert r.rcep_country_of_origin == "CN" and r.column == "RCEP CN"
    # the Appendix question is not asked when both branches give the same answer
    r = rcep_country_of_origin("JP", "TH", originating_under="c", value_added_in_exporter_pct=Decimal(60))
    assert r.rcep_country_of_origin == "TH" and not r.needed
    # missing facts are asked, with their `facts` keys
    r = rcep_country_of_origin("VN", "TH")
    assert r.outcome == "unresolved" and {"rcep_line_in_appendix"} <= {q.key for q in r.needed}
    # 2.6.4 names no tie-break: asked, not chosen
    r = rcep_country_of_origin("JP", "TH", line_in_appendix=False, originating_under="b",
                               beyond_minimal_operations_in_exporter=False,
                               originating_materials_by_party={"CN": Decimal(45), "KR": Decimal(45)})
    assert r.outcome == "unresolved" and r.needed[0].key == "rcep_country_of_origin"
    assert r.needed[0].options == ["CN", "KR"]


def test_jp_rcep_staging_follows_japans_april_year():
    """Japan's RCEP years begin on 1 April (RCEP Annex I, Japan's headnotes): the 2026-04-01 edition carries
    Year 5. 3904.10.090: rcep_cn 2.1 % (2026-01-01 edition) → 1.8 % (2026-04-01 edition)."""
    before = [m for m in measures_for("JP", "3904.10.090", "CN", dt.date(2026, 3, 31)) if m.regime == "RCEP"]
    after = [m for m in measures_for("JP", "3904.10.090", "CN", dt.date(2026, 4, 1)) if m.regime == "RCEP"]
    assert before[0].rate.percent == Decimal("2.1") and before[0].scope.group == "RCEP CN"
    assert after[0].rate.percent == Decimal("1.8") and after[0].valid_from == dt.date(2026, 4, 1)
    asean = [m for m in measures_for("JP", "3904.10.090", "TH", dt.date(2026, 4, 1)) if m.regime == "RCEP"]
    assert asean[0].rate.kind == "free" and asean[0].scope.group == "RCEP ASEAN·AU·NZ"


def test_vn_rcep_columns_by_origin_and_undated():
    """Viet Nam's RCEP columns A–F (Decree 129/2022 annexes) for 0207.14.10: A 13,3 · C 15 · D 20; the file
    states no validity dates, so every measure says so."""
    on = dt.date(2026, 3, 1)
    rate = {o: [m for m in measures_for("VN", "0207.14.10", o, on) if m.regime == "RCEP"][0] for o in ("TH", "CN", "JP")}
    assert (rate["TH"].rate.percent, rate["CN"].rate.percent, rate["JP"].rate.percent) == (
        Decimal("13.3"), Decimal(15), Decimal(20))
    assert all(m.valid_from is None and "no validity dates" in m.validity_note for m in rate.values())
