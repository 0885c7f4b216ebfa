"""Every PSR row of the shared data parses (DESIGN.md: a row that does not is a build error)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from noodlebowl.rules import (AllOf, AnyOf, Branch, ChemicalReaction, CodeRange, Incomplete, Noted,
                              OriginatingWeightShare, Process, Split, TariffShift, ValueContent,
                              WhollyObtained, fact_keys, parse_rule, walk)
from noodlebowl.rules.vocabulary import ACFTA_TEXTILE_PROCESS_RULES

# (file under shared data, rule column, agreement when the file has no agreement column, rows)
PSR_FILES = [
    ("agreements/rcep/rcep_psr_hs2022.csv", "rule_text", None, 2189),
    ("agreements/atiga/atiga_psr_hs2022.csv", "rule_text", None, 2863),
    ("agreements/acfta/acfta_psr_hs2017.csv", "rule_text", None, 2045),
    ("agreements/acfta/acfta_general_rule_by_chapter.csv", "rule_text", None, 104),
    ("agreements/atiga/atiga_psr_implementing_guidelines_hs2022.csv", "origin_criterion", "ATIGA", 6),
    ("next_agreements/ahkfta/ahkfta_psr_hs2012.csv", "rule_text", None, 237),
    ("next_agreements/ajcep/ajcep_psr_hs2017.csv", "rule_text", None, 544),
    ("next_agreements/akfta/akfta_psr_hs2022.csv", "rule_text", None, 535),
]

RVC40 = ValueContent(Decimal("40"))
CC, CTH, CTSH = TariffShift("chapter"), TariffShift("heading"), TariffShift("subheading")


def heading(*codes: str) -> tuple[CodeRange, ...]:
    return tuple(CodeRange(c, c) for c in codes)


def read_rows(shared_data: Path, name: str, column: str, agreement: str | None
              ) -> list[tuple[str, str, str]]:
    """(agreement, code, rule text) for every row of one file."""
    with open(shared_data / name, encoding="utf-8", newline="") as f:
        return [(row.get("agreement") or agreement or "", row.get("hs_code_dotted")
                 or row.get("hs2022_subheading") or "", row[column]) for row in csv.DictReader(f)]


def all_rule_texts(shared_data: Path) -> set[tuple[str, str]]:
    return {(agreement, text) for name, column, default, _ in PSR_FILES
            for agreement, _, text in read_rows(shared_data, name, column, default)}


@pytest.mark.parametrize("name,column,agreement,expected_rows", PSR_FILES,
                         ids=[f[0].rsplit("/", 1)[1] for f in PSR_FILES])
def test_every_row_parses(shared_data, name, column, agreement, expected_rows):
    rows = read_rows(shared_data, name, column, agreement)
    assert len(rows) == expected_rows, f"{name}: row count changed"
    failures = []
    for row_agreement, code, text in rows:
        try:
            parse_rule(text, agreement=row_agreement)
        except Exception as exc:   # noqa: BLE001 - collect every failure, not just the first
            failures.append(f"{row_agreement} {code}: {text!r}: {exc}")
    assert not failures, "\n".join(failures[:20])


def test_number_of_distinct_rule_texts(shared_data):
    # Catches a file silently replaced by a different transcription.
    assert len(all_rule_texts(shared_data)) == 302
    assert len({text for _, text in all_rule_texts(shared_data)}) == 273


def test_atiga_split_by_heading():
    text = ("For products of heading 72.08: RVC40 or CTH except from heading 72.08, 72.10 and 72.11; "
            "for products of heading 72.09: RVC40 or CTH except from heading 72.09, 72.10 and 72.11")
    assert parse_rule(text, agreement="ATIGA") == Split((
        Branch("product_is:products_of_heading_72_08", "products of heading 72.08",
               AnyOf((RVC40, TariffShift("heading", heading("7208", "7210", "7211"))))),
        Branch("product_is:products_of_heading_72_09", "products of heading 72.09",
               AnyOf((RVC40, TariffShift("heading", heading("7209", "7210", "7211"))))),
    ), otherwise=None)


def test_atiga_ambiguous_exception_scope_is_incomplete():
    text = ("RVC40 or CTH or RVC35+CTSH, except from subheading 8541.43 "
            "[scope of the exception ambiguous in source]")
    # CTH is unaffected: for 8541.42 it already excludes every material of heading 85.41.
    assert parse_rule(text, agreement="ATIGA") == AnyOf((
        RVC40, CTH,
        AllOf((ValueContent(Decimal("35")), Incomplete(
            "CTSH, except from subheading 8541.43 [scope of the exception ambiguous in source]"))),
    ))


@pytest.mark.parametrize("text,incomplete", [
    ("RVC40 or CTH except from heading [number missing in source extraction]",
     "CTH except from heading [number missing in source extraction]"),
    ("RVC40 or CC except from heading 72.07 through [end of range missing in source extraction]",
     "CC except from heading 72.07 through [end of range missing in source extraction]"),
    ("RVC40 or CTH except from heading 72.08 through 72.12 and [rest missing in source extraction]",
     "CTH except from heading 72.08 through 72.12 and [rest missing in source extraction]"),
])
def test_broken_exception_list_makes_only_that_option_incomplete(text, incomplete):
    assert parse_rule(text, agreement="ATIGA") == AnyOf((RVC40, Incomplete(incomplete)))


def test_rcep_postfix_split_with_otherwise():
    assert parse_rule("CC or RVC40 for insects; CC for any other", agreement="RCEP") == Split(
        (Branch("product_is:insects", "insects", AnyOf((CC, RVC40))),), otherwise=CC)


def test_rcep_postfix_split_keeps_exceptions_apart_from_description():
    text = ("CTH except from heading 24.03 for manufactured tobacco substitutes; "
            "CTH except from heading 38.24, or RVC40 for any other")
    assert parse_rule(text, agreement="RCEP") == Split(
        (Branch("product_is:manufactured_tobacco_substitutes", "manufactured tobacco substitutes",
                TariffShift("heading", heading("2403"))),),
        otherwise=AnyOf((TariffShift("heading", heading("3824")), RVC40)))


def test_rcep_weight_share_proviso():
    text = "CTSH provided that at least 50 per cent by weight of the materials used are originating, or RVC40"
    assert parse_rule(text) == AnyOf((AllOf((CTSH, OriginatingWeightShare(Decimal("50")))), RVC40))


def test_acfta_textile_tokens_use_the_meta_wording(shared_data):
    meta = yaml.safe_load((shared_data / "agreements/acfta/acfta_psr_meta.yaml").read_text("utf-8"))
    assert dict(ACFTA_TEXTILE_PROCESS_RULES) == meta["textile_process_rules"]
    tree = parse_rule("RVC40 or TEXTILE_PROCESS_RULE_2", agreement="ACFTA")
    assert tree == AnyOf((RVC40, Process("acfta_textile_process_rule_2",
                                         meta["textile_process_rules"]["TEXTILE_PROCESS_RULE_2"])))


def test_acfta_packing_proviso_binds_to_the_shift():
    text = ("RVC40 or CC, except where the change of classification results only from packing or "
            "display for retail sale")
    tree = parse_rule(text, agreement="ACFTA")
    assert isinstance(tree, AnyOf) and tree.options[0] == RVC40
    shift, proviso = tree.options[1].parts
    assert shift == CC and proviso.key == "change_not_only_packing_or_display"


def test_acfta_simple_mixing_remark_is_a_note():
    text = ("CC or RVC40; for goods obtained by simple mixing, the inputs keep the origin they had "
            "before mixing")
    tree = parse_rule(text, agreement="ACFTA")
    assert isinstance(tree, Noted) and tree.rule == AnyOf((CC, RVC40))


def test_acfta_default_then_branch():
    assert parse_rule("RVC40 or CTH; for waste and scrap: WO") == Split(
        (Branch("product_is:waste_and_scrap", "waste and scrap", WhollyObtained()),),
        otherwise=AnyOf((RVC40, CTH)))


def test_atiga_cut_and_sewn_and_textile_rule():
    text = ("RVC40 or (CC and the good must be cut and sewn in the territory of any Member State) "
            "or Textile Rule")
    tree = parse_rule(text, agreement="ATIGA")
    assert fact_keys(tree) == ["cut_and_sewn_in_a_member_state", "atiga_textile_rule"]
    assert "Attachment 1" in tree.options[2].text


def test_no_ctc_proviso_is_a_process():
    text = ("RVC40 or CC or no change in tariff classification required, provided that the good is "
            "produced by a refining process")
    assert parse_rule(text).options[2] == Process(
        "no_ctc_refining_process",
        "no change in tariff classification required, provided that the good is produced by a "
        "refining process")


def test_rcep_cr_and_code_forms():
    assert parse_rule("CTH or RVC40 or CR") == AnyOf((CTH, RVC40, ChemicalReaction()))
    assert parse_rule("CC except from Chapter 1") == TariffShift("chapter", (CodeRange("01", "01"),))
    assert parse_rule("CTSH except from subheading 8504.31, 8504.33 or 8504.34, or RVC40") == AnyOf((
        TariffShift("subheading", heading("850431", "850433", "850434")), RVC40))
    assert parse_rule("RVC40 or CTH except from headings 7208 through 72.12 or heading 72.16") == AnyOf(
        (RVC40, TariffShift("heading", (CodeRange("7208", "7212"), CodeRange("7216", "7216")))))


def test_walk_and_fact_keys_cover_the_whole_tree(shared_data):
    for agreement, text in all_rule_texts(shared_data):
        tree = parse_rule(text, agreement=agreement)
        nodes = list(walk(tree))
        assert nodes[0] is tree
        keys = fact_keys(tree)
        assert len(keys) == len(set(keys))
        assert set(keys) == {n.key for n in nodes if isinstance(n, (Process, Branch))}
