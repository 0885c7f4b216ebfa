"""transpose: every relationship, both directions, chains, and the known UNSD defects."""

import csv

import pytest

from noodlebowl.errors import InvalidCode, UnknownEdition
from noodlebowl.hs import transpose


def _correlation(shared_data, file, old, new):
    with (shared_data / "hs" / file).open(encoding="utf-8") as f:
        return [(r[old], r[new]) for r in csv.DictReader(f)]


def test_one_to_one():
    t = transpose("0101.21", "HS2017", "HS2022")
    assert t.relationship == "1:1" and not t.ambiguous
    assert t.target_codes == ["010121"]


def test_one_to_many_returns_every_candidate():
    # HS2017 8517.12 (telephones for cellular networks) split into smartphones / other
    t = transpose("8517.12", "HS2017", "HS2022")
    assert t.ambiguous and t.relationship == "1:n"
    assert t.target_codes == ["851713", "851714"]
    assert all(tg.relationship == "1:n" for tg in t.targets)


def test_many_to_one(shared_data):
    # HS2017 3002.11 (malaria test kits) is one of several codes merged into HS2022 3822.11
    pairs = _correlation(shared_data, "hs2017_hs2022_correlation.csv", "hs2017", "hs2022")
    assert len({a for a, b in pairs if b == "382211"}) > 1
    t = transpose("300211", "HS2017", "HS2022")
    assert t.target_codes == ["382211"] and t.relationship == "n:1" and not t.ambiguous


def test_3002_19_has_no_target_and_says_so(shared_data):
    pairs = _correlation(shared_data, "hs2017_hs2022_correlation.csv", "hs2017", "hs2022")
    assert not [p for p in pairs if p[0] == "300219"]
    t = transpose("3002.19", "HS2017", "HS2022")
    assert t.targets == [] and t.relationship == "none" and not t.ambiguous
    assert any("3002.19" in n and "no HS2022 counterpart" in n for n in t.notes)


def test_sweep_rows_are_left_out_when_a_genuine_target_exists(shared_data):
    pairs = _correlation(shared_data, "hs2017_hs2022_correlation.csv", "hs2017", "hs2022")
    raw = {b for a, b in pairs if a == "851711"}
    assert len(raw) > 10 and {"852411", "854921"} <= raw  # the sweep headings 8524 / 8549
    t = transpose("8517.11", "HS2017", "HS2022")
    assert t.target_codes == ["851711"] and t.relationship == "1:1"
    assert set(t.swept_out) == raw - {"851711"}
    assert any("sweep" in n for n in t.notes)


def test_sweep_rows_as_the_only_link_are_flagged():
    # HS2017 8541.50 is tied to HS2022 only through the 8549 sweep rows
    t = transpose("8541.50", "HS2017", "HS2022")
    assert t.targets and all(tg.sweep for tg in t.targets)
    assert all(tg.code.startswith("8549") for tg in t.targets)
    assert t.ambiguous and any("only link" in n for n in t.notes)


def test_reverse_inverts_the_correlation_with_conversion_hint():
    t = transpose("8517.13", "HS2022", "HS2017")
    assert t.target_codes == ["851712"] and t.relationship == "n:1"
    assert t.targets[0].unsd_conversion and t.conversion_hint["codes"] == ["851712"]

    many = transpose("3822.11", "HS2022", "HS2017")
    assert many.ambiguous and len(many.targets) > 1
    assert sum(tg.unsd_conversion for tg in many.targets) == 1  # a hint, the others stay


def test_reverse_of_a_sweep_code_keeps_only_genuine_sources():
    t = transpose("8529.90", "HS2022", "HS2017")
    assert t.target_codes == ["852990"] and len(t.swept_out) > 100


def test_chain_hs2012_to_hs2022_and_back():
    fwd = transpose("8517.12", "HS2012", "HS2022")
    assert [(s.from_edition, s.to_edition) for s in fwd.steps] == [("HS2012", "HS2017"), ("HS2017", "HS2022")]
    assert {"851713", "851714"} <= set(fwd.target_codes) and fwd.ambiguous
    back = transpose("8517.13", "HS2022", "HS2012")
    assert [(s.from_edition, s.to_edition) for s in back.steps] == [("HS2022", "HS2017"), ("HS2017", "HS2012")]
    assert back.target_codes == ["851712"]


@pytest.mark.parametrize("src, dst", [("HS2012", "HS2017"), ("HS2017", "HS2012"), ("HS2017", "HS2022"),
                                      ("HS2022", "HS2017"), ("HS2012", "HS2022"), ("HS2022", "HS2012")])
def test_every_edition_pair(src, dst):
    t = transpose("0101.21", src, dst)
    assert t.target_codes == ["010121"] and t.relationship == "1:1"


def test_heading_input_transposes_each_subheading(shared_data):
    with (shared_data / "hs" / "hs2017.csv").open(encoding="utf-8") as f:
        subs = [r["code"] for r in csv.DictReader(f) if r["parent"] == "8517"]
    t = transpose("85.17", "HS2017", "HS2022")
    assert t.source_level == "heading" and [p.source_code for p in t.parts] == sorted(subs)
    assert {"851713", "851714"} <= set(t.target_codes) and t.ambiguous
    smart = next(tg for tg in t.targets if tg.code == "851713")
    assert smart.from_codes == ["851712"]


def test_bad_input():
    with pytest.raises(InvalidCode):
        transpose("8517.13", "HS2017", "HS2022")  # not an HS2017 code
    with pytest.raises(UnknownEdition):
        transpose("8517.12", "HS2017", "HS2023")
