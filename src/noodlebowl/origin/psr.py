"""Which rule applies to a product: the product-specific rule (most specific level wins),
else the agreement's general rule — in the edition of the agreement's rule table.

A product code that splits when transposed to the table's edition, and whose candidates
carry different rules, is a question for the user, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from noodlebowl import refdata
from noodlebowl.origin.answer import Question, RuleRef

# Edition of each modelled agreement's PSR table (data README; agreement provisions).
TABLE_EDITION = {"RCEP": "HS2022", "ATIGA": "HS2022", "ACFTA": "HS2017"}

# Where no product-specific rule is listed. RCEP lists every good in Annex 3A, so a gap there
# is a data gap, not a general rule.
GENERAL_RULE = {
    "ATIGA": ("RVC40 or CTH", "general rule, ATIGA Art. 28(1)(a)"),
}


@dataclass(frozen=True)
class RuleChoice:
    """The rule for one candidate product code in the table's edition."""

    code: str                 # 6-digit code in the table's edition
    rule: RuleRef | None      # None: no rule in the data (see `gap`)
    gap: str | None = None


@dataclass
class RuleSelection:
    agreement: str
    edition: str
    product_codes: tuple[str, ...]          # candidates in the table's edition
    rule: RuleRef | None
    caveats: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    gap: str | None = None                  # why no rule could be chosen


@cache
def _psr_index(agreement: str) -> dict[str, dict]:
    return {r["hs_code"]: r for r in refdata.rows("psr") if r["agreement"] == agreement}


@cache
def _gaps(agreement: str) -> dict[str, dict]:
    return {r["hs6"]: r for r in refdata.rows("psr_gaps") if r["agreement"] == agreement}


@cache
def _acfta_general() -> dict[str, dict]:
    return {r["hs_code"]: r for r in refdata.rows("acfta_general_rules")}


def _ref_from_row(row: dict, basis: str) -> RuleRef:
    return RuleRef(text=row["rule_text"], hs=row["hs_code"], edition=row["edition"].split()[0],
                   level=row["level"], source=row["source"], row=row["row_ref"],
                   verified=row.get("verification") or "general_rule", basis=basis)


def rule_for_code(agreement: str, code6: str) -> RuleChoice:
    """The rule for a 6-digit code already in the table's edition."""
    index = _psr_index(agreement)
    basis = {"RCEP": "RCEP Annex 3A (Product-Specific Rules)", "ATIGA": "ATIGA Annex 3 (Product Specific Rules)",
             "ACFTA": "ACFTA Attachment B (Product Specific Rules), as in VN Circular 12/2019 Annex I"}[agreement]
    gap = _gaps(agreement).get(code6)
    if gap:
        return RuleChoice(code6, None, f"the {agreement} rule for {code6} is missing in the source "
                                       f"({gap['reason']}; {gap['row_ref']})")
    for digits in (6, 4, 2):
        row = index.get(code6[:digits])
        if row:
            return RuleChoice(code6, _ref_from_row(row, basis))
    if agreement == "ACFTA":
        general = _acfta_general()
        for digits in (4, 2):
            row = general.get(code6[:digits])
            if row:
                ref = RuleRef(text=row["rule_text"], hs=row["hs_code"], edition="HS2017", level="general",
                              source=row["source"], row=row["row_ref"], verified="general_rule",
                              basis="general rule, ACFTA Annex 1 Art. 4(1) (VN Circular 12/2019 Art. 7.1)")
                return RuleChoice(code6, ref)
    if agreement in GENERAL_RULE:
        text, basis = GENERAL_RULE[agreement]
        return RuleChoice(code6, RuleRef(text=text, hs=code6, edition=TABLE_EDITION[agreement], level="general",
                                         source="ATIGA Art. 28(1)(a) (agreement text)", row=None,
                                         verified="general_rule", basis=basis))
    return RuleChoice(code6, None, f"no {agreement} rule for {code6} in the data")


ANSWER_KEY_PREFIX = "product.hs_"


def answer_key(agreement: str) -> str:
    """The `facts` key that settles a split transposition for this agreement's table."""
    return f"{ANSWER_KEY_PREFIX}{TABLE_EDITION[agreement].lower()}"


@cache
def _transposition(code6: str, edition: str, table_edition: str):
    from noodlebowl.hs import transpose
    return transpose(code6, edition, table_edition)


def select_rule(agreement: str, product_code6: str, edition: str, chosen: str | None = None) -> RuleSelection:
    """The rule for the product, transposing its code to the table's edition where needed.

    ``chosen`` is the user's answer to a split: the table-edition subheading that describes the product.
    """
    table_edition = TABLE_EDITION[agreement]
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
    choices = [rule_for_code(agreement, c) for c in candidates]
    texts = {c.rule.text if c.rule else None for c in choices}
    if len(choices) > 1 and len(texts) > 1:
        question = Question(
            key=answer_key(agreement),
            question=f"{edition} {product_code6} corresponds to several {table_edition} subheadings with "
                     f"different {agreement} rules; which one describes the product?",
            agreements=[agreement], options=list(candidates))
        return RuleSelection(agreement, table_edition, candidates, None, caveats, [question],
                             gap="the product's code splits across subheadings with different rules")
    choice = choices[0]
    if choice.rule is None:
        return RuleSelection(agreement, table_edition, candidates, None, caveats, gap=choice.gap)
    return RuleSelection(agreement, table_edition, candidates, choice.rule, caveats)
