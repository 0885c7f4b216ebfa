"""search: dev-set queries land in the top 5, with an explanation of why."""

import csv
from pathlib import Path

import pytest

from noodlebowl.errors import InvalidRequest
from noodlebowl.hs import search

DEVSET = Path(__file__).resolve().parents[1] / "benchmarks" / "hs_search_devset.csv"
SAMPLE = ["frozen peeled shrimp", "smartphone", "men's cotton shirt, woven", "fresh durian",
          "rubber gloves for surgery", "instant noodles", "sweet biscuits", "laptop computer"]


def _devset():
    with DEVSET.open(encoding="utf-8") as f:
        return {r["query"]: r for r in csv.DictReader(f)}


def test_devset_is_large_and_sourced():
    rows = _devset()
    assert len(rows) >= 100
    assert all(r["source"].strip() and r["expected_hs2022"] for r in rows.values())
    banned = ("cbp", "cross ruling", "atlas", "hscodecomp")
    assert not [r for r in rows.values() if any(b in r["source"].lower() for b in banned)]


@pytest.mark.parametrize("query", SAMPLE)
def test_devset_queries_in_top5(query):
    expected = _devset()[query]["expected_hs2022"]
    assert expected in [h.dotted for h in search(query, 5)]


def test_hit_explains_which_fields_matched():
    hit = search("fresh durian", 1)[0]
    assert hit.code == "081060"
    assert "durian" in hit.why["subheading"] and hit.why["ahtn_line"] == "0810.60.00"
    assert 0 < hit.why["coverage"] <= 1


def test_synonym_is_reported():
    hit = search("rubber gloves for surgery", 1)[0]
    assert hit.why["synonyms"].get("surgery") == ["surgical"]


def test_limit_and_empty_input():
    assert len(search("rice", 3)) == 3
    with pytest.raises(InvalidRequest):
        search("   ")
