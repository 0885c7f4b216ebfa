"""Which rule applies to a product: the product-specific rule (most specific level wins),
else the agreement's general rule — in the rule table in force on the date.

Which table is in force, and in which HS edition, is the dated provision ``psr.table_edition`` of
the agreement's YAML (RCEP: the HS2012 Annex 3A until 2022-12-31, the HS2022 transposition from
2023-01-01). A date before the first table in the data has no table: the answer says so.

A product code that splits when transposed to the table's edition, and whose candidates carry
different rules, gives every candidate's rule (:attr:`RuleSelection.alternatives`): the engine
evaluates each and asks which subheading describes the product only when their answers differ.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from noodlebowl import refdata
from noodlebowl.agreements.modelled import cited, general_rule, general_rule_table
from noodlebowl.origin.answer import Question, RuleRef

@dataclass(frozen=True)
class RuleTable:
    """The product-specific-rule table of an agreement in force on a date (``psr.table_edition``)."""

    agreement: str
    edition: str | None           # None: no table of the data is in force on the date
    valid_from: dt.date | None
    article: str
    note: str | None = None       # why there is no table (completes "no rules in the data for DATE: …"),
                                  # or what the YAML says of the table


@cache
def rule_table(agreement: str, on: dt.date) -> RuleTable:
    """The table in force on ``on``, from the agreement's dated provision ``psr.table_edition``."""
    from noodlebowl.agreements.provisions import provision
    from noodlebowl.errors import DateOutOfRange

    try:
        p = provision(agreement, "psr.table_edition", on)
    except DateOutOfRange:
        first = min(table_editions(agreement).values())
        return RuleTable(agreement, None, None, provision(agreement, "psr.table_edition", first).article,
                         f"the earliest in the data apply from {first.isoformat()}")
    if p.value is None or p.is_unknown:
        return RuleTable(agreement, None, p.valid_from, p.article, f"its rule table for the date is not in the data "
                                                                   f"({p.note})")
    return RuleTable(agreement, p.value, p.valid_from, p.article, p.note)


@cache
def table_editions(agreement: str) -> dict[str, dt.date]:
    """Every edition of the agreement's rule tables in the data, with the first date it applies."""
    from noodlebowl.agreements.provisions import _file

    out: dict[str, dt.date] = {}
    for since, value in _file(agreement).parameters["psr.table_edition"].values.items():
        if isinstance(value.value, str) and value.value.startswith("HS"):
            out.setdefault(value.value, since)
    return out


def latest_table(agreement: str) -> str:
    """The edition of the most recent rule table in the data (what a report on the data describes)."""
    return max(table_editions(agreement).items(), key=lambda kv: kv[1])[0]


@dataclass(frozen=True)
class RuleChoice:
    """The rule for one candidate product code in the table's edition."""

    code: str                 # 6-digit code in the table's edition
    rule: RuleRef | None      # None: no rule in the data (see `gap`)
    gap: str | None = None


@dataclass
class RuleSelection:
    agreement: str
    edition: str | None
    product_codes: tuple[str, ...]          # candidates in the table's edition
    rule: RuleRef | None
    caveats: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    gap: str | None = None                  # why no rule could be chosen
    alternatives: tuple[RuleChoice, ...] = ()   # a split with different rules: every candidate's


@cache
def _psr_index(agreement: str, edition: str) -> dict[str, dict]:
    return {r["hs_code"]: r for r in refdata.rows("psr")
            if r["agreement"] == agreement and r["edition"].split()[0] == edition}


@cache
def _gaps(agreement: str, edition: str) -> dict[str, dict]:
    return {r["hs6"]: r for r in refdata.rows("psr_gaps") if r["agreement"] == agreement and r["edition"] == edition}


@cache
def _general_table(table: str) -> dict[str, dict]:
    return {r["hs_code"]: r for r in refdata.rows(table)}


def _ref_from_row(row: dict, basis: str) -> RuleRef:
    return RuleRef(text=row["rule_text"], hs=row["hs_code"], edition=row["edition"].split()[0],
                   level=row["level"], source=row["source"], row=row["row_ref"],
                   verified=row.get("verification") or "general_rule", basis=basis)


def rule_for_code(agreement: str, code6: str, table_edition: str) -> RuleChoice:
    """The rule for a 6-digit code already in the table's edition."""
    index = _psr_index(agreement, table_edition)
    basis = cited(agreement, "psr_annex") + ("" if table_edition == latest_table(agreement)
                                             else f", {table_edition} edition")
    gap = _gaps(agreement, table_edition).get(code6)
    if gap:
        return RuleChoice(code6, None, f"the {agreement} rule for {code6} is missing in the source "
                                       f"({gap['reason']}; {gap['row_ref']})")
    for digits in (6, 4, 2):
        row = index.get(code6[:digits])
        if row:
            return RuleChoice(code6, _ref_from_row(row, basis))
    table = general_rule_table(agreement) if table_edition == latest_table(agreement) else None
    if table:  # general rule by chapter/heading (ACFTA Art. 4(1): CTH alternative in listed chapters)
        general = _general_table(table)
        for digits in (4, 2):
            row = general.get(code6[:digits])
            if row:
                ref = RuleRef(text=row["rule_text"], hs=row["hs_code"], edition=table_edition,
                              level="general", source=row["source"], row=row["row_ref"], verified="general_rule",
                              basis=cited(agreement, "general_rule"))
                return RuleChoice(code6, ref)
    rule = general_rule(agreement)
    if rule:
        text, basis, article = rule
        return RuleChoice(code6, RuleRef(text=text, hs=code6, edition=table_edition, level="general",
                                         source=f"{article} (agreement provisions)", row=None,
                                         verified="general_rule", basis=basis))
    return RuleChoice(code6, None, f"no {agreement} {table_edition} rule for {code6} in the data")


ANSWER_KEY_PREFIX = "product.hs_"


def answer_key(table_edition: str) -> str:
    """The `facts` key that settles a split transposition to a table in this edition."""
    return f"{ANSWER_KEY_PREFIX}{table_edition.lower()}"


@cache
def _transposition(code6: str, edition: str, table_edition: str):
    from noodlebowl.hs import transpose
    return transpose(code6, edition, table_edition)


def select_rule(agreement: str, product_code6: str, edition: str, table_edition: str | None,
                chosen: str | None = None) -> RuleSelection:
    """The rule for the product in the table of ``table_edition`` (:func:`rule_table`), transposing
    its code to that edition where needed.

    ``chosen`` is the user's answer to a split: the table-edition subheading that describes the product.
    """
    if table_edition is None:
        return RuleSelection(agreement, None, (), None, gap=f"no {agreement} rule table in the data for the date")
    caveats: list[str] = []
    if edition == table_edition:
        candidates = (product_code6,)
    else:
        result = _transposition(product_code6, edition, table_edition)
        candidates = tuple(sorted({t.code for t in result.targets}))
        caveats.append(f"Product code transposed {edition} {product_code6} → {table_edition} "
                       f"{', '.join(candidates) or '(no target)'} to apply the {agreement} rule table, "
                       f"which is in {table_edition} (UNSD correlation {result.relationship}).")
        caveats.extend(result.notes)
        if chosen:
            chosen = chosen.replace(".", "")
            if chosen in candidates:
                caveats.append(f"{table_edition} {chosen} chosen by the user among {', '.join(candidates)}.")
                candidates = (chosen,)
        if not candidates:
            return RuleSelection(agreement, table_edition, (), None, caveats,
                                 gap=f"{edition} {product_code6} has no {table_edition} counterpart in the "
                                     "UNSD correlation")
    choices = [rule_for_code(agreement, c, table_edition) for c in candidates]
    texts = {c.rule.text if c.rule else None for c in choices}
    if len(choices) > 1 and len(texts) > 1:
        question = Question(
            key=answer_key(table_edition),
            question=f"{edition} {product_code6} corresponds to several {table_edition} subheadings with "
                     f"different {agreement} rules; which one describes the product?",
            agreements=[agreement], options=list(candidates))
        return RuleSelection(agreement, table_edition, candidates, None, caveats, [question],
                             gap="the product's code splits across subheadings with different rules",
                             alternatives=tuple(choices) if None not in texts else ())
    choice = choices[0]
    if choice.rule is None:
        return RuleSelection(agreement, table_edition, candidates, None, caveats, gap=choice.gap)
    return RuleSelection(agreement, table_edition, candidates, choice.rule, caveats)
