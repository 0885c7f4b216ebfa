"""lookup / exists / description on the packaged data, checked against the source CSVs."""

import csv

import pytest

from noodlebowl.errors import InvalidCode, UnknownEdition
from noodlebowl.hs import description, exists, lookup


def _source_row(shared_data, file, code):
    with (shared_data / "hs" / file).open(encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["code"] == code)


def test_subheading_has_path_and_ahtn_lines(shared_data):
    entry = lookup("8517.13")
    assert entry.level == "subheading" and entry.code == "851713" and entry.dotted == "8517.13"
    assert entry.description == _source_row(shared_data, "hs2022.csv", "851713")["description"]
    assert [p.level for p in entry.path] == ["section", "chapter", "heading", "subheading"]
    assert [p.code for p in entry.path] == ["XVI", "85", "8517", "851713"]
    assert [line.code for line in entry.ahtn_lines] == ["85171300"]
    assert entry.source["file"] == "hs/hs2022.csv"


def test_heading_lists_its_subheadings_and_all_ahtn_lines_below(shared_data):
    entry = lookup("03.06")
    assert entry.level == "heading"
    assert {c.code for c in entry.children} >= {"030617", "030616", "030614"}
    assert all(c.level == "subheading" for c in entry.children)
    with (shared_data / "hs" / "ahtn2022_vn.csv").open(encoding="utf-8") as f:
        expected = [r["code"] for r in csv.DictReader(f) if r["parent"].startswith("0306")]
    assert [line.code for line in entry.ahtn_lines] == expected


def test_chapter_lists_headings():
    entry = lookup("Chapter 85")
    assert entry.level == "chapter"
    assert [p.code for p in entry.path] == ["XVI", "85"]
    assert "8517" in [c.code for c in entry.children]
    assert all(c.level == "heading" for c in entry.children)


def test_ahtn_line():
    entry = lookup("0810.60.00")
    assert entry.level == "national" and entry.code == "08106000"
    assert entry.path[-1].level == "national" and entry.path[-2].code == "081060"
    assert entry.source["table"] == "ahtn_lines"


def test_ahtn_lines_only_for_hs2022():
    old = lookup("851712", "HS2017")
    assert old.ahtn_lines == []
    entry = lookup("8517.12.00", "HS2017")  # read as its subheading, with a note
    assert entry.code == "851712" and entry.notes


def test_unknown_subheading_suggests_siblings():
    with pytest.raises(InvalidCode) as info:
        lookup("8517.99")
    assert info.value.suggestions and all(s.startswith("8517.") for s in info.value.suggestions)


def test_unknown_ahtn_line_suggests_lines_of_its_subheading():
    with pytest.raises(InvalidCode) as info:
        lookup("0306.17.99")
    assert all(s.startswith("0306.17.") for s in info.value.suggestions)


def test_code_not_in_an_older_edition():
    # 8517.13 (smartphones) is new in HS2022
    with pytest.raises(InvalidCode):
        lookup("851713", "HS2017")
    assert exists("851712", "HS2017") and not exists("851712", "HS2022")


def test_unknown_edition():
    with pytest.raises(UnknownEdition):
        lookup("851713", "HS2007")


def test_description_and_exists():
    assert "durians" in description("0810.60").lower()
    assert description("08106000") == "Durians"
    assert exists("0810.60", "HS2022")
    assert not exists("not a code", "HS2022")
