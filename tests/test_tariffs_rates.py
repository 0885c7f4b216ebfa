"""Rate-expression parsing over every distinct cell of the shipped files, and duty()."""

from __future__ import annotations

import collections
import csv
from decimal import Decimal

from noodlebowl.tariffs import jp, vn
from noodlebowl.tariffs.rates import (AdValorem, COMPUTABLE_KINDS, Specific, duty,
                                      duty_with_reason, parse_english_rate)


def cells(path, skip):
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            for k, v in row.items():
                if k not in skip and k and v and v.strip():
                    yield v


def count(parse, texts):
    c = collections.Counter()
    for t in set(texts):
        p = parse(t)
        c["computable" if p[0].kind in COMPUTABLE_KINDS else p[0].kind] += 1
    return c


def test_vn_every_distinct_cell(shared_data):
    texts = list(cells(shared_data / vn.SOURCE_FILE, {"Level", "HSCode", "Description_VN", "Description_EN"}))
    c = count(vn.parse_vn_cell, texts)
    print("VN distinct", dict(c))
    assert c["computable"] > 500 and c["not_computable"] < 300
    assert vn.parse_vn_cell("12,5")[0] == AdValorem(percent=Decimal("12.5"))
    assert vn.parse_vn_cell("0(-MY )")[1] == ("MY",)
    assert vn.parse_vn_cell("0 (-ID, TH, CN)")[1] == ("ID", "TH", "CN")


def test_jp_every_distinct_cell(shared_data):
    skip = {"chapter", "code9", "stat_code", "suffix", "desc_ja", "unit1", "unit2"}
    for rel in jp.EDITIONS.values():
        c = count(jp.parse_jp_cell, cells(shared_data / rel, skip))
        print(rel, dict(c))
        assert c["computable"] > 300 and c["not_computable"] > 0
    r = jp.parse_jp_cell("2.8%又は20円/kgのうちいずれか高い税率")[0]
    assert r.kind == "max" and r.options[1] == Specific(amount=Decimal(20), currency="JPY", unit="kg")
    assert jp.parse_jp_cell("(無税)") == (jp.Free(), True)
    assert jp.parse_jp_cell("4,000,000円/頭")[0].amount == Decimal(4000000)
    assert jp.parse_jp_cell("関税割当数量以内のもの　無税")[0].kind == "not_computable"


def test_au_every_distinct_cell(shared_data):
    from noodlebowl.tariffs import au
    texts = set()
    for rel, col in ((au.SCHEDULE3, "general_rate_raw"), (au.FTA, "duty_rate_raw")):
        with open(shared_data / rel, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                if row[col].strip():
                    texts.update(t for _, t in au.general_segments(row[col]))
    c = collections.Counter(parse_english_rate(t).kind for t in texts)
    print("AU distinct", dict(c))
    assert c["ad_valorem"] > 0 and c["specific"] > 0


def test_duty_forms():
    assert duty(AdValorem(percent=Decimal("12.5")), Decimal(200)) == Decimal("25")
    r = jp.parse_jp_cell("35%＋120円/kg")[0]
    assert duty(r, Decimal(1000), Decimal(2), "kg") == Decimal(590)
    amount, why = duty_with_reason(r, Decimal(1000))
    assert amount is None and "quantity" in why
    m = jp.parse_jp_cell("2.8%又は20円/kgのうちいずれか高い税率")[0]
    assert duty(m, Decimal(1000), Decimal(10), "kg") == Decimal(200)
    assert duty(parse_english_rate("$0.526/L"), None, Decimal(1000), "kl") == Decimal(526000) / 1000 * 1000
    nc = vn.parse_vn_cell("28; M: 35")[0]
    assert duty(nc, Decimal(100)) is None and "M:" in duty_with_reason(nc, Decimal(100))[1]


def test_rates_and_duties_in_words_rounded_for_display_only():
    from noodlebowl.tariffs.rates import (AdValorem, Excluded, Free, NotEligible, duty_text, money_text,
                                          rate_words)
    assert rate_words(Free()) == rate_words(AdValorem(percent=Decimal(0))) == "free"
    assert rate_words(AdValorem(percent=Decimal("6.20"))) == "6.2 %"
    assert rate_words(NotEligible()) == "not eligible — MFN applies"
    assert rate_words(Excluded()).startswith("excluded from tariff concessions")
    seven = AdValorem(percent=Decimal(7))
    assert duty_text(seven, Decimal("1200"), "USD", Decimal("84")) == "7 % of 1,200.00 USD = 84.00 USD"
    # the minor unit of the currency (ISO 4217): yen have none, dollars two; half up
    assert money_text(Decimal("322.4"), "JPY") == "322 JPY" and money_text(Decimal("0.0306"), "USD") == "0.03 USD"
    assert money_text(Decimal("0.125"), "usd") == "0.13 USD"
    assert duty_text(seven, None, "USD", None) is None


def test_every_packaged_regime_is_mapped_to_its_agreement():
    """tariffs/regimes.yaml is the one table from a tariff regime to its agreement: every regime in the
    packaged data is in it, and every agreement it names is modelled or listed as not modelled."""
    from noodlebowl.agreements.registry import MODELLED, unmodelled_agreements
    from noodlebowl.refdata import table
    from noodlebowl.tariffs.regimes import agreement_of, regimes

    packaged = set(table("tariff_measures")["regime"].unique().to_pylist())
    assert packaged <= set(regimes()), packaged - set(regimes())
    known = set(MODELLED) | {u.id for u in unmodelled_agreements()}
    named = {r.agreement for r in regimes().values() if r.kind == "agreement"}
    assert named <= known, named - known
    assert agreement_of("JP-TH EPA") == "JTEPA" and agreement_of("JP-AU EPA") == "JAEPA"
    assert agreement_of("MFN") is None and regimes()["GSP"].kind == "unilateral"


def test_regime_sources_exist(shared_data):
    from noodlebowl.tariffs.regimes import regimes

    for r in regimes().values():
        for s in r.sources:
            assert (shared_data / s.file).is_file(), (r.regime, s.file)


def test_a_malformed_regime_table_is_refused_with_its_file(tmp_path, monkeypatch):
    import pytest

    from noodlebowl.errors import DataImportError
    from noodlebowl.tariffs import regimes as module

    bad = tmp_path / "regimes.yaml"
    bad.write_text("regimes:\n  - {regime: X, kind: treaty, sources: []}\n", encoding="utf-8")
    monkeypatch.setattr(module, "REGIMES_FILE", bad)
    module.regimes.cache_clear()
    try:
        with pytest.raises(DataImportError) as info:
            module.regimes()
        assert str(bad) in str(info.value) and "kind" in str(info.value)
    finally:
        module.regimes.cache_clear()
