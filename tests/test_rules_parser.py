"""Unit tests of the PSR rule parser and printer."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from noodlebowl.errors import RuleParseError
from noodlebowl.rules import (AllOf, AnyOf, Branch, CodeRange, Incomplete, Noted, Process, Split,
                              TariffShift, ValueContent, WhollyObtained, fact_keys, format_rule,
                              parse_rule, walk)

RVC40 = ValueContent(Decimal("40"))


def test_leaves():
    assert parse_rule("WO") == WhollyObtained()
    assert parse_rule("RVC35") == ValueContent(Decimal("35"))
    assert parse_rule("  CTSH ") == TariffShift("subheading")


def test_plus_and_or_precedence():
    assert parse_rule("RVC40 or CTH or RVC35+CTSH") == AnyOf((
        RVC40, TariffShift("heading"),
        AllOf((ValueContent(Decimal("35")), TariffShift("subheading")))))


def test_parentheses_group():
    assert parse_rule("(CC or RVC40) and CTH") == AllOf(
        (AnyOf((TariffShift("chapter"), RVC40)), TariffShift("heading")))


def test_code_normalisation():
    shift = parse_rule("CTH except from heading 55.09 through 55.11, chapter 01 and subheading 2204.22")
    assert shift == TariffShift("heading", (CodeRange("5509", "5511"), CodeRange("01", "01"),
                                            CodeRange("220422", "220422")))


def test_code_range_contains_by_prefix():
    r = CodeRange("7208", "7210")
    assert r.contains("720810") and r.contains("7210.70") and not r.contains("721100")
    assert CodeRange("01", "01").contains("010121") and not CodeRange("01", "01").contains("0")


def test_code_range_rejects_malformed():
    with pytest.raises(ValueError):
        CodeRange("7210", "7208")
    with pytest.raises(ValueError):
        CodeRange("72", "7208")


def test_bracket_alone_is_incomplete():
    assert parse_rule("RVC40 or [text missing]") == AnyOf((RVC40, Incomplete("text missing")))


def test_process_keys_are_deterministic():
    a = parse_rule("SP: obtained from sheep, lambs or other animals raised in a Party")
    b = parse_rule("CC, provided that obtained from sheep, lambs or other animals raised in a Party")
    assert isinstance(a, Process) and a == b.parts[1]
    assert a.key == "from_animals_raised_in_a_party"
    long = parse_rule("SP: " + "very long wording " * 10)
    assert len(long.key) <= 60 and long.key == parse_rule("SP: " + "very long wording " * 10).key


def test_product_qualified_exception():
    tree = parse_rule("CC except from igusa of subheading 1401.90")
    assert tree == AllOf((TariffShift("chapter"), Process(
        "excludes_igusa_of_subheading_1401_90",
        "the non-originating materials used do not include igusa of subheading 1401.90")))


def test_prefix_split_with_semicolon_in_description():
    tree = parse_rule("for thyme; bay leaves: WO; for others: RVC40")
    assert tree == Split((Branch("product_is:thyme_bay_leaves", "thyme; bay leaves",
                                 WhollyObtained()),), otherwise=RVC40)
    assert fact_keys(tree) == ["product_is:thyme_bay_leaves"]


def test_walk_is_preorder():
    tree = parse_rule("for a: CC or WO; for others: RVC40")
    kinds = [type(n).__name__ for n in walk(tree)]
    assert kinds == ["Split", "Branch", "AnyOf", "TariffShift", "WhollyObtained", "ValueContent"]


@pytest.mark.parametrize("text,formatted", [
    ("CTH except from heading 72.08 through 72.10, or RVC40",
     "CTH except from heading 72.08 through 72.10 or RVC40"),
    ("RVC40 or CTH except from heading 72.08 or 72.09", "RVC40 or CTH except from heading 72.08 and 72.09"),
    ("CC or RVC40 for insects; CC for any other", "for insects: CC or RVC40; for others: CC"),
    ("Of steel: RVC40 or CC; of stainless steel: RVC40",
     "of steel: RVC40 or CC; of stainless steel: RVC40"),
    ("CTH, except from heading 24.03; or RVC40", "CTH except from heading 24.03 or RVC40"),
    ("RVC 40", "RVC40"),
])
def test_canonical_format(text, formatted):
    assert format_rule(parse_rule(text)) == formatted
    assert parse_rule(formatted) == parse_rule(text)


def test_printer_protects_free_text_from_following_alternatives():
    tree = AnyOf((AllOf((TariffShift("chapter"), Process("x", "the good is dyed"))), RVC40))
    assert format_rule(tree) == "CC, provided that the good is dyed; or RVC40"
    assert parse_rule(format_rule(tree)) == AnyOf((
        AllOf((TariffShift("chapter"), Process("the_good_is_dyed", "the good is dyed"))), RVC40))


def test_note_round_trips_inside_alternatives():
    note = "for goods obtained by simple mixing, the inputs keep the origin they had before mixing"
    tree = AnyOf((Noted(RVC40, note), WhollyObtained()))
    assert parse_rule(format_rule(tree)) == tree


@pytest.mark.parametrize("text,column,near", [
    ("", 1, "end of the text"),
    ("RVC40 or", 9, "end of the text"),
    ("RVC40 or CTHH", 10, "CTHH"),
    ("CTH except from heading 72.1", 25, "72.1"),
    ("CTH except from heading 72.10 through 72.08", 25, "72.10"),
    ("CTH except from heading 8504.31", 25, "8504.31"),
    ("RVC40 or (CC", 13, "end of the text"),
    ("RVC40)", 6, ")"),
    ("RVC40 or [missing", 10, "[missing"),
    ("RVC40 or [a [b] c]", 13, "[b]"),
    ("RVC140", 1, "RVC140"),
    ("RVC40 or CC, except where something else", 27, "something"),
    ("for insects CC", 15, "end of the text"),
    ("for others: WO", 1, "for others"),
    ("Textile Rule", 1, "Textile Rule"),
])
def test_errors_name_column_and_text(text, column, near):
    agreement = "RCEP" if text == "Textile Rule" else None
    with pytest.raises(RuleParseError) as info:
        parse_rule(text, agreement=agreement)
    assert info.value.where.endswith(f"column {column}"), info.value.sentence()
    assert near in info.value.what


def test_error_suggests_close_words():
    with pytest.raises(RuleParseError) as info:
        parse_rule("RVC40 or CTHS")
    assert "CTH" in info.value.suggestions or "CTSH" in info.value.suggestions


def test_deep_nesting_is_a_parse_error_not_a_recursion_error():
    with pytest.raises(RuleParseError):
        parse_rule("(" * 5000 + "WO" + ")" * 5000)


def test_agreement_named_in_error():
    with pytest.raises(RuleParseError) as info:
        parse_rule("WO-AK", agreement="ATIGA")
    assert info.value.where.startswith("ATIGA rule text")


@pytest.mark.parametrize("text", [
    "RVC40" + " " * 20000 + "x",
    "SP: a" + " " * 20000 + "x",
    "CC" + " " * 20000 + "provided that b",
    "CC except from heading " + "72.08, " * 5000 + "x",
])
def test_long_hostile_input_is_fast(text):
    # Regexes with adjacent white-space quantifiers once made these quadratic (tens of seconds).
    started = time.perf_counter()
    try:
        parse_rule(text)
    except RuleParseError:
        pass
    assert time.perf_counter() - started < 2


def test_trees_are_hashable():
    tree = parse_rule("for insects: CC or RVC40; for others: CC")
    assert {tree: 1}[parse_rule("CC or RVC40 for insects; CC for any other")] == 1
