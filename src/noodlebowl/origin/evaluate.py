"""Evaluate a parsed product-specific rule against a bill of materials.

Three outcomes, never a guess: a rule option qualifies, does not qualify, or is
undetermined — and then the questions that would settle it are returned. Every check
names the provision it applies. Values are ``Decimal`` and thresholds are compared
exactly; rounding happens only when a figure is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from noodlebowl.origin.answer import Check, Outcome, Question, trusted_check
from noodlebowl.rules import (
    AllOf, AnyOf, ChemicalReaction, Incomplete, Noted, OriginatingWeightShare, Process, Split,
    TariffShift, ValueContent, WhollyObtained, format_rule,
)

HUNDRED = Decimal(100)
LEVEL_DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}
SHIFT_NAME = {"chapter": "CC", "heading": "CTH", "subheading": "CTSH"}


@dataclass(frozen=True)
class Provisions:
    """The general provisions an evaluation needs, each with the article it comes from."""

    agreement: str
    de_minimis_value_percent: Decimal | None
    de_minimis_weight_percent: Decimal | None
    de_minimis_weight_chapters: tuple[int, int] | None
    de_minimis_article: str
    rvc_methods: tuple[str, ...]              # "build_down", "build_up"
    rvc_article: str
    rvc_method_articles: dict[str, str]
    ctc_article: str
    # partial cumulation (ATIGA Art. 30(2)): a non-originating material of a party whose regional
    # content is in [low, high) counts in proportion to it; None where the agreement has none
    partial_cumulation: tuple[Decimal, Decimal] | None = None
    partial_cumulation_article: str = ""
    # De minimis by value only for goods of these chapters (None: all), with limits set for single
    # subheadings (AJCEP Art. 9.1: by chapter, with values set in the PSR annex)
    de_minimis_value_chapters: frozenset[int] | None = None
    de_minimis_value_by_subheading: tuple[tuple[str, Decimal], ...] = ()

    def for_product(self, code6: str) -> "Provisions":
        """These provisions with the value de minimis limit that applies to a good of ``code6``."""
        from dataclasses import replace

        override = dict(self.de_minimis_value_by_subheading).get(code6[:6])
        if override is not None:
            return replace(self, de_minimis_value_percent=override)
        if self.de_minimis_value_chapters is not None and int(code6[:2]) not in self.de_minimis_value_chapters:
            return replace(self, de_minimis_value_percent=None)
        return self


@dataclass(frozen=True)
class MaterialView:
    """A bill-of-materials line as this agreement sees it."""

    name: str
    originating: bool
    codes: tuple[str, ...] | None     # candidate codes in the rule table's edition; None = unknown
    value: Decimal                    # value counted in RVC as non-originating (0 if originating)
    full_value: Decimal
    weight_kg: Decimal | None
    counts_for_ctc: bool              # packing, indirect materials, retail packaging, accessories may not
    counts_for_rvc: bool
    origin: str


@dataclass(frozen=True)
class Context:
    agreement: str
    product_codes: tuple[str, ...]    # candidate 6-digit codes of the good in the rule table's edition
    fob: Decimal
    weight_kg: Decimal | None
    materials: tuple[MaterialView, ...]
    vnm: Decimal                      # value of non-originating materials (RVC)
    vom: Decimal                      # value of originating materials (RVC)
    costs_total: Decimal | None       # labour + overhead + profit + other; None when incomplete
    facts: dict
    provisions: Provisions
    costs_problem: Check | None = None  # why the build-up figures cannot be used (they exceed FOB)


@dataclass
class Result:
    outcome: Outcome
    criterion: list[tuple[str, str]] = field(default_factory=list)   # (kind, label): ("CTC","CTH"), ("RVC","45")
    checks: list[Check] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    de_minimis_share: Decimal | None = None
    de_minimis_weight_share: Decimal | None = None
    de_minimis_used: bool = False
    also_met: list[list[tuple[str, str]]] = field(default_factory=list)   # criteria of other alternatives met
    # every leaf evaluated, in the rule's order, with its outcome (for the shared reason: origin.reasons)
    leaves: list[tuple[object, Outcome]] = field(default_factory=list)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return part * HUNDRED / whole


def display(value: Decimal, places: int = 2, rounding: str = ROUND_HALF_EVEN) -> str:
    """Figures in sentences: two decimals, trailing zeros kept short."""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=rounding):f}"


def display_against(value: Decimal, limit: Decimal | None, at_least: bool) -> str:
    """A percentage beside the threshold it is judged against, never rounded across it: a figure that
    must reach ``limit`` is cut down (39.996 shows 39.99, not 40.00), one that must stay within it is
    rounded up (10.004 shows 10.01); more digits are shown while the two decimals still look equal."""
    rounding = ROUND_FLOOR if at_least else ROUND_CEILING
    if limit is None:
        return display(value)
    for places in range(2, 12):
        text = display(value, places, rounding)
        if (Decimal(text) >= limit) == (value >= limit) if at_least else (Decimal(text) <= limit) == (value <= limit):
            return text
    return f"{value:f}"


# --- leaves ---------------------------------------------------------------------------------

def _question(ctx: Context, key: str, text: str, options: list[str] | None = None) -> Question:
    return Question(key=key, question=text, agreements=[ctx.agreement], options=options or [])


def wholly_obtained(node: WhollyObtained, ctx: Context) -> Result:
    art = f"{ctx.agreement} wholly obtained"
    fact = ctx.facts.get("wholly_obtained")
    if fact is True:
        return Result(Outcome.qualifies, [("WO", "WO")],
                      [trusted_check(check="wholly_obtained", article=art, result=Outcome.qualifies,
                             detail="the producer states the good is wholly obtained or produced")])
    foreign = [m.name for m in ctx.materials if m.counts_for_ctc and not m.originating]
    if fact is False or foreign:
        why = (f"non-originating materials are used ({', '.join(foreign)})" if foreign
               else "the producer states the good is not wholly obtained")
        return Result(Outcome.does_not_qualify, [],
                      [trusted_check(check="wholly_obtained", article=art, result=Outcome.does_not_qualify,
                             detail=f"the rule requires a wholly obtained good, but {why}")])
    return Result(Outcome.undetermined, [],
                  [trusted_check(check="wholly_obtained", article=art, result=Outcome.undetermined,
                         detail="the rule requires a wholly obtained good; not stated")],
                  [_question(ctx, "wholly_obtained",
                             "Is the good wholly obtained or produced in the exporting country (grown, born and "
                             "raised, fished, mined… there, with no imported input)?", ["true", "false"])])


def _shift_passes(material_code: str, product_code: str, node: TariffShift) -> bool | None:
    """True/False if the material's code makes the required change; None if too few digits to tell."""
    n = LEVEL_DIGITS[node.level]
    k = len(material_code)
    excluded = [r for r in node.exceptions if _range_may_contain(r, material_code)]
    if k >= n or material_code[:k] != product_code[:k]:
        changed = material_code[:n] != product_code[:n] if k >= n else True
        if not changed:
            return False
        if not excluded:
            return True
        if all(r.contains(material_code) for r in excluded):
            return False
    return None


def _range_may_contain(rng, code: str) -> bool:
    """Could a material with this (possibly short) code fall inside the exception range?"""
    width = min(len(code), len(rng.start))
    return rng.start[:width] <= code[:width] <= rng.end[:width]


def _material_shift(m: MaterialView, ctx: Context, node: TariffShift) -> bool | None:
    if m.codes is None:
        return None
    return _shift_verdict(tuple(m.codes), tuple(ctx.product_codes), node)


@lru_cache(maxsize=1 << 16)
def _shift_verdict(codes: tuple[str, ...], product_codes: tuple[str, ...], node: TariffShift) -> bool | None:
    """One verdict for every pair of candidate codes, else None (cached: BOMs and split candidates repeat)."""
    verdicts = {_shift_passes(mc, pc, node) for mc in codes for pc in product_codes}
    return verdicts.pop() if len(verdicts) == 1 else None


def tariff_shift(node: TariffShift, ctx: Context) -> Result:
    """CC / CTH / CTSH on non-originating materials only, with de minimis (RCEP Art. 3.7,
    ATIGA Art. 33, ACFTA Art. 12 of VN Circular 12/2019)."""
    name = SHIFT_NAME[node.level]
    p = ctx.provisions
    checks: list[Check] = []
    failing: list[MaterialView] = []
    unknown: list[MaterialView] = []
    rule_text = format_rule(node)
    for m in ctx.materials:
        if not m.counts_for_ctc or m.originating:
            continue
        verdict = _material_shift(m, ctx, node)
        if verdict is True:
            checks.append(trusted_check(check="tariff_shift", article=p.ctc_article, part=rule_text, result=Outcome.qualifies, subject=m.name,
                                detail=f"non-originating {m.name} ({'/'.join(m.codes)}) → good "
                                       f"({'/'.join(ctx.product_codes)}): the change required by {rule_text} is made"))
        elif verdict is False:
            failing.append(m)
            checks.append(trusted_check(check="tariff_shift", article=p.ctc_article, part=rule_text, result=Outcome.does_not_qualify,
                                subject=m.name,
                                detail=f"non-originating {m.name} ({'/'.join(m.codes)}) does not make the change "
                                       f"required by {rule_text} into the good ({'/'.join(ctx.product_codes)})"))
        else:
            unknown.append(m)
            why = "its HS code is not given" if m.codes is None else \
                f"its code ({'/'.join(m.codes)}) does not settle the change required by {rule_text}"
            checks.append(trusted_check(check="tariff_shift", article=p.ctc_article, part=rule_text, result=Outcome.undetermined,
                                subject=m.name, detail=f"non-originating {m.name}: {why}"))
    result = Result(Outcome.qualifies, [("CTC", name)], checks)
    if not failing and not unknown:
        return result
    return _de_minimis(node, ctx, failing, unknown, result)


def _de_minimis_passes(materials: list[MaterialView], ctx: Context) -> tuple[bool | None, Decimal, Decimal | None]:
    """Does de minimis cover these materials? (verdict, share of FOB, share of weight).

    The verdict is None when only the weight test could save the good and weights are missing.
    """
    p = ctx.provisions
    share = percent(sum((m.full_value for m in materials), Decimal(0)), ctx.fob)
    if p.de_minimis_value_percent is not None and share <= p.de_minimis_value_percent:
        return True, share, None
    chapter = int(ctx.product_codes[0][:2])
    weight_rule = (p.de_minimis_weight_percent is not None and p.de_minimis_weight_chapters is not None
                   and p.de_minimis_weight_chapters[0] <= chapter <= p.de_minimis_weight_chapters[1])
    if not weight_rule:
        return False, share, None
    if not ctx.weight_kg or any(m.weight_kg is None for m in materials):
        return None, share, None
    wshare = percent(sum((m.weight_kg for m in materials), Decimal(0)), ctx.weight_kg)
    return wshare <= p.de_minimis_weight_percent, share, wshare


def _de_minimis(node: TariffShift, ctx: Context, failing: list[MaterialView], unknown: list[MaterialView],
                result: Result) -> Result:
    """De minimis: materials that do not make the change are tolerated up to a share of FOB
    (or, for textiles where the agreement says so, of the good's weight)."""
    p = ctx.provisions
    verdict, share, wshare = _de_minimis_passes(failing + unknown, ctx)
    result.de_minimis_share, result.de_minimis_weight_share = share, wshare
    names = ", ".join(m.name for m in failing + unknown)
    limit = (f"{p.de_minimis_value_percent} % of FOB" if p.de_minimis_value_percent is not None
             else "no de minimis allowance")
    if verdict:
        basis = (f"{display_against(share, p.de_minimis_value_percent, False)} % of FOB, within {limit}"
                 if wshare is None else
                 f"{display_against(wshare, p.de_minimis_weight_percent, False)} % of the good's weight, "
                 f"within {p.de_minimis_weight_percent} %")
        result.checks.append(trusted_check(check="de_minimis", article=p.de_minimis_article, result=Outcome.qualifies,
                                   detail=f"materials not making the change ({names}) are {basis}: "
                                          f"the good still meets {format_rule(node)}"))
        result.de_minimis_used = True
        return result
    result.criterion = []
    failing_verdict = _de_minimis_passes(failing, ctx)[0] if failing else None
    if failing and failing_verdict is False:
        result.outcome = Outcome.does_not_qualify
        result.checks.append(trusted_check(
            check="de_minimis", article=p.de_minimis_article, result=Outcome.does_not_qualify,
            detail=f"materials not making the change ({', '.join(m.name for m in failing)}) are "
                   f"{display_against(_de_minimis_passes(failing, ctx)[1], p.de_minimis_value_percent, False)} % "
                   f"of FOB, more than {limit}"))
        return result
    result.outcome = Outcome.undetermined
    result.checks.append(trusted_check(check="de_minimis", article=p.de_minimis_article, result=Outcome.undetermined,
                               detail=f"materials that may not make the change ({names}) are "
                                      f"{display_against(share, p.de_minimis_value_percent, False)} % "
                                      f"of FOB, more than {limit}; what is still unknown about them decides"))
    for m in unknown:
        result.questions.append(_question(
            ctx, f"materials.{m.name}.hs",
            f"What is the HS code (6 digits) of the non-originating material '{m.name}'?" if m.codes is None else
            f"Which of {', '.join(m.codes)} is the code of the material '{m.name}' in the rule's HS edition?",
            list(m.codes or ())))
    if verdict is None:
        result.questions.append(_question(ctx, "materials.weight_kg",
                                          "What do the good and its non-originating materials weigh (kg)? "
                                          "For textiles, de minimis may be met by weight."))
    return result


def value_content(node: ValueContent, ctx: Context) -> Result:
    """RVC by each method the agreement allows; the exporter may use any that passes."""
    p = ctx.provisions
    figures = rvc_figures(ctx)
    checks, met = [], []
    for method in p.rvc_methods:
        value = figures.get(method)
        article = p.rvc_method_articles.get(method, p.rvc_article)
        if method == "build_up" and ctx.costs_problem is not None:
            checks.append(ctx.costs_problem)
            continue
        if value is None:
            checks.append(trusted_check(check=f"rvc_{method}", article=article, result=Outcome.undetermined,
                                detail=f"{method.replace('_', '-')} RVC not computed: direct labour, overhead, "
                                       "profit and other costs are needed"))
            continue
        ok = value >= node.threshold
        if ok:
            met.append(value)
        checks.append(trusted_check(check=f"rvc_{method}", article=article,
                            result=Outcome.qualifies if ok else Outcome.does_not_qualify,
                            detail=_rvc_sentence(method, value, node.threshold, ctx)))
    if met:
        return Result(Outcome.qualifies, [("RVC", str(max(met)))], checks)
    return Result(Outcome.does_not_qualify, [], checks)


def _rvc_sentence(method: str, value: Decimal, threshold: Decimal, ctx: Context) -> str:
    if method == "build_down":
        formula = f"(FOB {display(ctx.fob)} − non-originating {display(ctx.vnm)}) / FOB"
    else:
        formula = f"(originating {display(ctx.vom)} + costs {display(ctx.costs_total)}) / FOB {display(ctx.fob)}"
    verdict = "meets" if value >= threshold else "falls short of"
    return (f"{method.replace('_', '-')} RVC = {formula} = {display_against(value, threshold, True)} %, which "
            f"{verdict} the {threshold} % required")


def rvc_figures(ctx: Context) -> dict[str, Decimal | None]:
    build_down = percent(ctx.fob - ctx.vnm, ctx.fob)
    build_up = (None if ctx.costs_total is None or ctx.costs_problem is not None
                else percent(ctx.vom + ctx.costs_total, ctx.fob))
    return {"build_down": build_down, "build_up": build_up}


def fact_value(facts: dict, key: str) -> bool | None:
    """A yes/no fact as stated (True/False), None when unanswered."""
    value = facts.get(key)
    if isinstance(value, str):
        value = {"true": True, "yes": True, "false": False, "no": False}.get(value.lower())
    return value if isinstance(value, bool) else None


def _fact(node_key: str, ctx: Context) -> bool | None:
    return fact_value(ctx.facts, node_key)


def process(node: Process, ctx: Context) -> Result:
    value = _fact(node.key, ctx)
    art = f"{ctx.agreement} PSR process requirement"
    if value is None:
        return Result(Outcome.undetermined, [],
                      [trusted_check(check="process", article=art, result=Outcome.undetermined, subject=node.key,
                             detail=f"requirement not yet answered: {node.text}")],
                      [_question(ctx, node.key, f"Does production meet this requirement: {node.text}?",
                                 ["true", "false"])])
    outcome = Outcome.qualifies if value else Outcome.does_not_qualify
    return Result(outcome, [("SP", "SP")] if value else [],
                  [trusted_check(check="process", article=art, result=outcome, subject=node.key,
                         detail=f"{'met' if value else 'not met'} (stated by the producer): {node.text}")])


def chemical_reaction(node: ChemicalReaction, ctx: Context) -> Result:
    value = _fact("chemical_reaction", ctx)
    art = f"{ctx.agreement} PSR chemical reaction (CR)"
    if value is None:
        return Result(Outcome.undetermined, [],
                      [trusted_check(check="chemical_reaction", article=art, result=Outcome.undetermined,
                             detail="whether the good results from a chemical reaction is not stated")],
                      [_question(ctx, "chemical_reaction",
                                 "Is the good the result of a chemical reaction in the exporting country "
                                 "(a process creating a molecule with a new structure)?", ["true", "false"])])
    outcome = Outcome.qualifies if value else Outcome.does_not_qualify
    return Result(outcome, [("CR", "CR")] if value else [],
                  [trusted_check(check="chemical_reaction", article=art, result=outcome,
                         detail=f"chemical reaction {'takes place' if value else 'does not take place'} (stated)")])


def originating_weight_share(node: OriginatingWeightShare, ctx: Context) -> Result:
    art = f"{ctx.agreement} PSR weight proviso"
    used = [m for m in ctx.materials if m.counts_for_ctc]
    if not used or any(m.weight_kg is None for m in used):
        return Result(Outcome.undetermined, [],
                      [trusted_check(check="originating_weight_share", article=art, result=Outcome.undetermined,
                             detail=f"at least {node.min_percent} % by weight of the materials must be originating; "
                                    "material weights are missing")],
                      [_question(ctx, "materials.weight_kg", "What does each material weigh (kg)?")])
    total = sum((m.weight_kg for m in used), Decimal(0))
    share = percent(sum((m.weight_kg for m in used if m.originating), Decimal(0)), total) if total else Decimal(0)
    ok = share >= node.min_percent
    outcome = Outcome.qualifies if ok else Outcome.does_not_qualify
    return Result(outcome, [], [trusted_check(check="originating_weight_share", article=art, result=outcome,
                                      detail=f"originating materials are {display(share)} % of the materials' weight "
                                             f"({'at least' if ok else 'below'} {node.min_percent} %)")])


def incomplete(node: Incomplete, ctx: Context) -> Result:
    return Result(Outcome.undetermined, [],
                  [trusted_check(check="rule_incomplete", article=f"{ctx.agreement} PSR (source data)",
                         result=Outcome.undetermined,
                         detail=f"this part of the rule is incomplete in the source: {node.text}")],
                  caveats=[f"Part of the {ctx.agreement} rule is missing or ambiguous in the source "
                           f"({node.text}); noodlebowl never decides through it."])


# --- combinators ----------------------------------------------------------------------------

def any_of(node: AnyOf, ctx: Context) -> Result:
    """Alternatives: the exporter chooses (RCEP Annex 3A headnote 4; ATIGA Art. 28(1)(b))."""
    results = [evaluate(option, ctx) for option in node.options]
    winner = next((r for r in results if r.outcome is Outcome.qualifies), None)
    if winner:
        _mark_unused(results, winner)
    merged = _merge(results)
    if winner:
        merged.outcome, merged.criterion = Outcome.qualifies, winner.criterion
        merged.also_met = [r.criterion for r in results if r is not winner and r.outcome is Outcome.qualifies]
        merged.de_minimis_used = winner.de_minimis_used
        if winner.de_minimis_share is not None:  # report the figures of the option actually used
            merged.de_minimis_share = winner.de_minimis_share
            merged.de_minimis_weight_share = winner.de_minimis_weight_share
        merged.questions = []
    elif any(r.outcome is Outcome.undetermined for r in results):
        merged.outcome = Outcome.undetermined
    else:
        merged.outcome = Outcome.does_not_qualify
    return merged


UNUSED = "alternative not used: "


def _mark_unused(results: list[Result], winner: Result) -> None:
    """The trace says which alternative was met: a failed test of another alternative is labelled as
    such, so it does not read as a reason against the good (the exporter chooses, Art. 28(2)(b) ATIGA,
    RCEP Annex 3A headnote 8)."""
    used = {(c.check, c.subject, c.detail) for c in winner.checks}
    for r in results:
        if r is winner:
            continue
        r.checks = [c if c.result is Outcome.qualifies or (c.check, c.subject, c.detail) in used
                    or c.detail.startswith(UNUSED) else c.model_copy(update={"detail": UNUSED + c.detail})
                    for c in r.checks]


def all_of(node: AllOf, ctx: Context) -> Result:
    results = [evaluate(part, ctx) for part in node.parts]
    merged = _merge(results)
    outcomes = {r.outcome for r in results}
    if Outcome.does_not_qualify in outcomes:
        merged.outcome, merged.questions = Outcome.does_not_qualify, []
    elif Outcome.undetermined in outcomes:
        merged.outcome = Outcome.undetermined
    else:
        merged.outcome = Outcome.qualifies
        merged.criterion = [c for r in results for c in r.criterion]
        merged.de_minimis_used = any(r.de_minimis_used for r in results)
    return merged


def split(node: Split, ctx: Context) -> Result:
    """A rule that differs by product description: the description is a fact, never a guess."""
    chosen = next((b for b in node.branches if _fact(b.key, ctx) is True), None)
    if chosen is None and node.branches and all(_fact(b.key, ctx) is False for b in node.branches):
        chosen_rule = node.otherwise
    else:
        chosen_rule = chosen.rule if chosen else None
    if chosen_rule is not None:
        return evaluate(chosen_rule, ctx)
    if chosen is None and node.otherwise is None and all(_fact(b.key, ctx) is False for b in node.branches):
        return Result(Outcome.undetermined, [], [trusted_check(
            check="split_rule", article=f"{ctx.agreement} PSR", result=Outcome.undetermined,
            detail="the product matches none of the descriptions this rule covers")])
    candidates = [b.rule for b in node.branches] + ([node.otherwise] if node.otherwise else [])
    results = [evaluate(rule, ctx) for rule in candidates]
    outcomes = {r.outcome for r in results}
    if len(outcomes) == 1 and Outcome.undetermined not in outcomes:
        merged = _merge(results)
        merged.outcome = outcomes.pop()
        merged.criterion = results[0].criterion if merged.outcome is Outcome.qualifies else []
        merged.caveats.append("The rule differs by product description, but every branch gives the same answer.")
        return merged
    descriptions = [b.description for b in node.branches]
    return Result(Outcome.undetermined, [], leaves=[leaf for r in results for leaf in r.leaves], checks=[trusted_check(
        check="split_rule", article=f"{ctx.agreement} PSR", result=Outcome.undetermined,
        detail="the rule differs by product description (" + "; ".join(descriptions)
               + ") and the branches give different answers")],
        questions=[_question(ctx, b.key, f"Is the product {b.description}?", ["true", "false"])
                   for b in node.branches])


def noted(node: Noted, ctx: Context) -> Result:
    result = evaluate(node.rule, ctx)
    result.caveats.append(f"The {ctx.agreement} rule adds: {node.note}")
    return result


def _merge(results: list[Result]) -> Result:
    merged = Result(Outcome.undetermined)
    for r in results:
        merged.leaves.extend(r.leaves)
        merged.checks.extend(r.checks)
        merged.questions.extend(q for q in r.questions if q not in merged.questions)
        merged.caveats.extend(c for c in r.caveats if c not in merged.caveats)
        if r.de_minimis_share is not None:
            merged.de_minimis_share = r.de_minimis_share
            merged.de_minimis_weight_share = r.de_minimis_weight_share
    # alternatives and branches often test the same thing the same way (the build-up RVC of both
    # "RVC40" and "RVC35+CTSH", the tariff shifts of a split's branches): the trace says each once
    merged.checks = list({(c.check, c.article, c.result, c.subject, c.detail, c.data): c
                          for c in merged.checks}.values())
    return merged


DISPATCH = {
    WhollyObtained: wholly_obtained, TariffShift: tariff_shift, ValueContent: value_content,
    ChemicalReaction: chemical_reaction, Process: process, OriginatingWeightShare: originating_weight_share,
    Incomplete: incomplete, AnyOf: any_of, AllOf: all_of, Split: split, Noted: noted,
}


LEAVES = (WhollyObtained, TariffShift, ValueContent, ChemicalReaction, Process, OriginatingWeightShare, Incomplete)


def evaluate(rule, ctx: Context) -> Result:
    result = DISPATCH[type(rule)](rule, ctx)
    if isinstance(rule, LEAVES):
        result.leaves = [(rule, result.outcome)]
    return result
