"""Properties of the rule language: printing round-trips, and no input crashes the parser."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA
from noodlebowl.errors import RuleParseError
from noodlebowl.rules import (AllOf, AnyOf, Branch, ChemicalReaction, CodeRange, Incomplete, Noted,
                              OriginatingWeightShare, Process, Split, TariffShift, ValueContent,
                              WhollyObtained, format_rule, parse_rule, walk)
from noodlebowl.rules.vocabulary import (EXCEPT_WHERE, LEAF_PROCESSES, NOTES,
                                         OTHERWISE_DESCRIPTIONS, branch_key, process_key)
from test_rules_all_rows import PSR_FILES

# Processes the parser produces from the data's wording forms (SP:, provisos, no-CTC, a change…).
_SAMPLE_RULES = (
    "RVC40 or CC or no change in tariff classification required, provided that the good is "
    "produced by a refining process",
    "CC except from igusa of subheading 1401.90",
    "a change to subheading 8486.10 from within that subheading or CTSH",
    "CTSH, except from triethanolamine salts of subheading 2922.19; or RVC40",
    "SP: obtained from sheep, lambs or other animals raised in a Party",
    "CTH, provided that the weight of dairy materials imported from non-Parties does not exceed "
    "50% of the weight of all dairy materials used; or RVC45",
    "RVC40 or CC except from heading 72.07 through [end of range missing in source extraction]",
    "RVC40 or CTH or RVC35+CTSH, except from subheading 8541.43 [scope of the exception ambiguous]",
)
_SAMPLE_NODES = [n for text in _SAMPLE_RULES for n in walk(parse_rule(text))]

_WORDS = ("the", "good", "is", "wholly", "spun", "dyed", "in", "a", "Party", "materials", "of",
          "heading", "50.07", "originating", "(crust)", "leather", "and", "or", "from", "fabrics",
          "60%", "cut", "sewn", "for", "sale")
_words = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6).map(" ".join)

_free_process = _words.map(lambda t: Process(process_key(t), t))
processes = st.one_of(
    st.sampled_from([Process(p.key, p.text) for p in LEAF_PROCESSES + EXCEPT_WHERE]),
    st.sampled_from([n for n in _SAMPLE_NODES if isinstance(n, Process)]),
    _free_process,
)
percent = st.integers(1, 1000).map(lambda n: Decimal(n) / Decimal(10))


@st.composite
def code_ranges(draw) -> CodeRange:
    width = draw(st.sampled_from([2, 4, 6]))
    a, b = sorted(draw(st.lists(st.integers(0, 10 ** width - 1), min_size=2, max_size=2)))
    if draw(st.booleans()):
        b = a
    return CodeRange(str(a).zfill(width), str(b).zfill(width))


leaves = st.one_of(
    st.just(WhollyObtained()),
    st.just(ChemicalReaction()),
    percent.map(ValueContent),
    percent.map(OriginatingWeightShare),
    st.builds(TariffShift, st.sampled_from(["chapter", "heading", "subheading"]),
              st.lists(code_ranges(), max_size=4).map(tuple)),
    processes,
    _words.map(Incomplete),
    st.sampled_from([n for n in _SAMPLE_NODES if isinstance(n, Incomplete)]),
)

_descriptions = st.lists(st.sampled_from(_WORDS + ("thyme;", "steel", "(mirin)")),
                         min_size=1, max_size=4).map(" ".join).filter(
    lambda d: d.lower() not in OTHERWISE_DESCRIPTIONS)


def _splits(children):
    @st.composite
    def build(draw) -> Split:
        descriptions = draw(st.lists(_descriptions, min_size=1, max_size=3, unique_by=branch_key))
        branches = tuple(Branch(branch_key(d), d, draw(children)) for d in descriptions)
        return Split(branches, draw(st.none() | children))
    return build()


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=4).map(lambda xs: AnyOf(tuple(xs))),
        st.lists(children, min_size=2, max_size=4).map(lambda xs: AllOf(tuple(xs))),
        _splits(children),
        st.builds(Noted, children, st.sampled_from(NOTES)),
    )


rules = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules)
def test_format_then_parse_gives_the_tree_back(tree):
    text = format_rule(tree)
    assert parse_rule(text) == tree, text


@settings(max_examples=600, deadline=None)
@given(st.text())
def test_any_text_parses_or_raises_rule_parse_error(text):
    try:
        parse_rule(text)
    except RuleParseError:
        pass


_TOKENS = ("WO", "WO-AK", "CC", "CTH", "CTSH", "CR", "RVC40", "RVC 35%", "or", "and", "+", ",", ";",
           ":", "(", ")", "[", "]", "[missing]", "except from", "except where", "provided that",
           "heading", "headings", "subheading", "chapter", "Chapter 1", "72.08", "8504.31", "7208",
           "01", "through", "for", "For", "of", "others", "any other", "insects", "SP:",
           "Textile Rule", "TEXTILE_PROCESS_RULE_1", "no change in tariff classification required",
           "a change to", "at least 50 per cent by weight of the materials used are originating",
           "the good", NOTES[0], EXCEPT_WHERE[0].phrase, "1.5", "9999999", "\u00a0", "\n",
           "for others:", "Of steel:", "; or", ", or", ", provided that", "the good is dyed",
           "except from igusa of subheading 1401.90", "materials of chapter 3 are WO-AK", "(crust)",
           "; for", "SP: x", "a change from x", "headings 50.04 through 50.06")


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=14), st.sampled_from([" ", "", ", ", "; "]))
def test_token_soup_parses_or_raises_rule_parse_error(tokens, glue):
    try:
        tree = parse_rule(glue.join(tokens))
    except RuleParseError:
        return
    # Whatever the parser accepts, the printer must give back.
    assert parse_rule(format_rule(tree)) == tree


def _shared_rule_texts() -> list[str]:
    texts: set[str] = set()
    for name, column, _, _ in PSR_FILES:
        with open(SHARED_DATA / name, encoding="utf-8", newline="") as f:
            texts.update(row[column] for row in csv.DictReader(f))
    return sorted(texts)


@pytest.mark.parametrize("text", _shared_rule_texts())
def test_shared_rule_texts_reach_a_fixed_point(text):
    tree = parse_rule(text)
    assert parse_rule(format_rule(tree)) == tree
    assert format_rule(parse_rule(format_rule(tree))) == format_rule(tree)
