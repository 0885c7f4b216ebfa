"""parse_code: every form a trader writes, and the errors for malformed input."""

import pytest

from noodlebowl.errors import InvalidCode, UnknownEdition
from noodlebowl.hs import ParsedCode, check_edition, dotted, parse_code


@pytest.mark.parametrize("text, digits, national, level", [
    ("851713", "851713", None, "subheading"),
    ("8517.13", "851713", None, "subheading"),
    ("8517.13.00", "851713", "85171300", "national"),
    ("85171300", "851713", "85171300", "national"),
    ("8517 13 00", "851713", "85171300", "national"),
    (" 8517.13 ", "851713", None, "subheading"),
    ("85.17", "8517", None, "heading"),
    ("8517", "8517", None, "heading"),
    ("85", "85", None, "chapter"),
    ("Chapter 85", "85", None, "chapter"),
    ("chapter 8", "08", None, "chapter"),
    ("0306.17", "030617", None, "subheading"),
    ("HS 8517.13", "851713", None, "subheading"),
])
def test_every_code_form_is_accepted(text, digits, national, level):
    assert parse_code(text) == ParsedCode(digits=digits, national=national, level=level)


@pytest.mark.parametrize("text", ["", "   ", "abc", "8517.1", "85171", "8517x13", "1234567890123", "Chapter 851"])
def test_malformed_codes_say_what_is_accepted(text):
    with pytest.raises(InvalidCode) as info:
        parse_code(text)
    assert "accepted" in info.value.sentence()


def test_dotted_forms():
    assert dotted("851713") == "8517.13"
    assert dotted("85171300") == "8517.13.00"
    assert dotted("8517") == "85.17"
    assert dotted("85") == "85"


@pytest.mark.parametrize("text, edition", [("HS2022", "HS2022"), ("hs2017", "HS2017"), ("2012", "HS2012"),
                                           ("HS 2022", "HS2022")])
def test_editions_are_normalised(text, edition):
    assert check_edition(text) == edition


def test_unknown_edition_lists_the_accepted_ones():
    with pytest.raises(UnknownEdition) as info:
        check_edition("HS2019")
    assert "HS2012, HS2017, HS2022" in info.value.sentence()
