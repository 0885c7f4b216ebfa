"""Determinations: is the product originating under each agreement, by which criterion, and why.

The order of the tests follows the law (default logic, most specific last):
minimal operations never confer origin → wholly obtained → produced exclusively from
originating materials → the product-specific rule (or the general rule where none is listed).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from noodlebowl import refdata
from noodlebowl.errors import InvalidRequest
from noodlebowl.origin import evaluate as ev
from noodlebowl.origin.answer import (
    Check, DeMinimis, Determination, Outcome, Question, RuleRef, RvcFigures, trusted_check,
)
from noodlebowl.origin.provisions_view import origin_provisions
from noodlebowl.origin.psr import TABLE_EDITION, answer_key, select_rule
from noodlebowl.origin.reasons import VERIFICATION_CAVEAT
from noodlebowl.origin import criteria, reasons
from noodlebowl.origin.request import Material, MaterialKind, Request

MODELLED = ("ATIGA", "ACFTA", "RCEP")

# Which agreements have the "produced exclusively from originating materials" criterion, and
# its article: RCEP Art. 3.2(b); ACFTA Annex 1 Art. 2(b) (Form E overleaf note 3(b)). ATIGA's
# Art. 26 has no such criterion and Form D no "PE" code: such goods meet Art. 28 directly.
PRODUCED_EXCLUSIVELY = {"RCEP": "RCEP Art. 3.2(b)", "ACFTA": "ACFTA Annex 1 Art. 2(b)"}
MINIMAL_OPERATIONS = {"RCEP": "RCEP Art. 3.6", "ATIGA": "ATIGA Art. 31", "ACFTA": "ACFTA Annex 1 Art. 7"}
WHOLLY_OBTAINED = {"RCEP": "RCEP Art. 3.2(a), 3.3", "ATIGA": "ATIGA Art. 26(a), 27",
                   "ACFTA": "ACFTA Annex 1 Art. 2(a), 3"}
CUMULATION = {"RCEP": "RCEP Art. 3.4(1)", "ATIGA": "ATIGA Art. 30(1)", "ACFTA": "ACFTA Annex 1 Art. 5"}
@dataclass(frozen=True)
class Route:
    agreement: str
    in_force: bool | None
    reason: str
    parties: frozenset[str]


@cache
def _parse(text: str):
    """Rule texts repeat across thousands of lines: parse each once."""
    from noodlebowl.rules import parse_rule
    return parse_rule(text)


@cache
def _code6(text: str, where: str, edition: str) -> str:
    """The HS digits of a request's code, refused unless the code exists in the edition."""
    from noodlebowl.errors import InvalidCode
    from noodlebowl.hs import exists, lookup, parse_code

    try:
        digits = parse_code(text).digits
        if not exists(digits, edition):
            lookup(digits, edition)  # raises InvalidCode with the nearest valid codes
    except InvalidCode as exc:
        raise InvalidRequest(exc.what, where=where, accepted=exc.accepted, suggestions=exc.suggestions) from None
    return digits


def validate_codes(request: Request) -> None:
    """Refuse a request whose product or material codes do not exist, before any agreement is tried."""
    edition = request.product.edition
    _code6(request.product.hs, "product.hs", edition)
    for i, m in enumerate(request.materials):
        if m.hs:
            _code6(m.hs, f"materials[{i}].hs", edition)


@cache
def _transposed(digits: str, edition: str, table_edition: str) -> tuple[str, ...]:
    """Candidate codes of a material in the rule table's edition (cached: BOMs repeat materials)."""
    from noodlebowl.hs import transpose
    return tuple(sorted({t.code for t in transpose(digits, edition, table_edition).targets}))


def _material_codes(m: Material, index: int, edition: str, table_edition: str,
                    caveats: list[str]) -> tuple[str, ...] | None:
    if not m.hs:
        return None
    digits = _code6(m.hs, f"materials[{index}].hs", edition)
    if edition == table_edition or len(digits) < 6:
        return (digits,)
    codes = _transposed(digits, edition, table_edition)
    if len(codes) != 1 or codes[0] != digits:
        caveats.append(f"Material {m.name}: {edition} {digits} → {table_edition} {', '.join(codes) or '(none)'}.")
    return codes or None


def _views(request: Request, agreement: str, parties: frozenset[str], table_edition: str,
           caveats: list[str], checks: list[Check], provisions: ev.Provisions) -> tuple[ev.MaterialView, ...]:
    views = []
    edition = request.product.edition
    for i, m in enumerate(request.materials):
        if m.kind is MaterialKind.accessory and m.invoiced_separately:
            caveats.append(f"{m.name} is invoiced separately: it is a good of its own and left out "
                           "(RCEP Art. 3.9; ATIGA Art. 35).")
            continue
        declared = m.originating_under(agreement)
        originating = declared and (m.origin in parties or m.origin == request.exporter)
        if declared and not originating:
            caveats.append(f"{m.name} is declared originating, but {m.origin} is not a party to {agreement}: "
                           "it counts as non-originating.")
        if originating and m.origin != request.exporter:
            checks.append(trusted_check(check="cumulation", article=CUMULATION[agreement], result=Outcome.qualifies,
                                subject=m.name, detail=f"{m.name} originates in {m.origin}, a party to {agreement}, "
                                                       f"and counts as originating in {request.exporter}"))
        if m.kind is MaterialKind.indirect:
            originating = True  # RCEP Art. 3.10; ATIGA Art. 36: indirect materials are treated as originating
        counts_for_ctc = m.kind is MaterialKind.material or (m.kind is MaterialKind.accessory and not m.customary)
        # Transport packing is disregarded (RCEP Art. 3.8(1)); indirect materials are treated as
        # originating, so they add nothing to VNM — nor to VOM, as their cost is already in overhead.
        counts_for_rvc = m.kind not in (MaterialKind.packing, MaterialKind.indirect)
        value = Decimal(0) if originating else m.value
        band = provisions.partial_cumulation
        if (not originating and band is not None and m.regional_content_percent is not None
                and band[0] <= m.regional_content_percent < band[1] and m.origin in parties):
            # partial cumulation (ATIGA Art. 30(2), Annex 6) in proportion to the material's regional content
            value = m.value * (100 - m.regional_content_percent) / 100
            checks.append(trusted_check(check="partial_cumulation", article=provisions.partial_cumulation_article,
                                result=Outcome.qualifies, subject=m.name,
                                detail=f"{m.name} has {m.regional_content_percent} % ASEAN content: "
                                       f"{ev.display(m.value - value)} of its value counts as originating"))
        codes = _material_codes(m, i, edition, table_edition, caveats) if counts_for_ctc and not originating else (
            None if not m.hs else (_code6(m.hs, f"materials[{i}].hs", edition),))
        views.append(ev.MaterialView(
            name=m.name, originating=originating, codes=codes, value=value if counts_for_rvc else Decimal(0),
            full_value=m.value, weight_kg=m.weight_kg, counts_for_ctc=counts_for_ctc,
            counts_for_rvc=counts_for_rvc, origin=m.origin))
    return tuple(views)


def _rvc_values(request: Request, views: tuple[ev.MaterialView, ...]) -> tuple[Decimal, Decimal]:
    vnm = sum((v.value for v in views if v.counts_for_rvc), Decimal(0))
    vom = sum((v.full_value - v.value for v in views if v.counts_for_rvc), Decimal(0))
    return vnm, vom


def _thresholds(rule) -> Decimal | None:
    from noodlebowl.rules import ValueContent, walk
    # The first value-content test in the rule's own order: for "RVC40 or CTH or RVC35+CTSH" that is
    # the stand-alone 40 %, not the 35 % that only counts together with a change of subheading.
    return next((n.threshold for n in walk(rule) if isinstance(n, ValueContent)), None)


def determine_one(request: Request, route: Route) -> Determination:
    agreement = route.agreement
    provisions = origin_provisions(agreement, request.date)
    table_edition = TABLE_EDITION[agreement]
    checks: list[Check] = [trusted_check(check="in_force", article=f"{agreement} entry into force",
                                 result=Outcome.qualifies if route.in_force else Outcome.undetermined,
                                 detail=route.reason)]
    caveats: list[str] = []
    needed: list[Question] = []
    views = _views(request, agreement, route.parties, table_edition, caveats, checks, provisions)
    vnm, vom = _rvc_values(request, views)
    fob = request.product.fob
    costs_total = request.costs.total() if request.costs.complete else None
    figures = RvcFigures(build_down=ev.percent(fob - vnm, fob),
                         build_up=None if costs_total is None else ev.percent(vom + costs_total, fob),
                         threshold=None, non_originating_value=vnm, originating_value=vom, fob=fob)
    cumulated = any(c.check == "cumulation" for c in checks)
    box = criteria.criterion_box(agreement, request.date)

    def answer(outcome: Outcome, parts: list[tuple[str, str]], summary: str, rule: RuleRef | None = None,
               dm: DeMinimis | None = None, used_dm: bool = False, path: str = "facts",
               reason: str | None = None) -> Determination:
        codes = reasons.caveat_codes(path, rule.verified if rule else None, rule.level if rule else None,
                                     outcome is Outcome.qualifies, "minimal_operations_only" in facts,
                                     route.in_force is None)
        if route.in_force is None and outcome is Outcome.qualifies:
            outcome = Outcome.undetermined
            reason = reasons.UNCERTAIN_ENTRY
            caveats.append(f"Whether {agreement} is in force for this route is uncertain: {route.reason}")
        return Determination(reason=reason, caveat_codes=list(codes),
            agreement=agreement, in_force=route.in_force, outcome=outcome,
            criterion=criteria.criterion(box, parts) if outcome is Outcome.qualifies else None,
            form_code=criteria.form_code(box, parts, rule.level if rule else None, cumulated, used_dm)
            if outcome is Outcome.qualifies else None,
            rule=rule, rvc=figures, de_minimis=dm, checks=checks, needed=needed, caveats=caveats,
            data_version=refdata.data_version(), summary=summary)

    facts = request.facts
    if facts.get("minimal_operations_only") is True:
        checks.append(trusted_check(check="minimal_operations", article=MINIMAL_OPERATIONS[agreement],
                            result=Outcome.does_not_qualify,
                            detail="only minimal operations take place in the exporting country; they confer "
                                   "no origin, whatever the rule"))
        return answer(Outcome.does_not_qualify, [], f"Not originating under {agreement}: minimal operations "
                                                    f"only ({MINIMAL_OPERATIONS[agreement]}).",
                      reason=reasons.MINIMAL_OPERATIONS_ONLY)
    if facts.get("wholly_obtained") is True:
        checks.append(trusted_check(check="wholly_obtained", article=WHOLLY_OBTAINED[agreement], result=Outcome.qualifies,
                            detail="the producer states the good is wholly obtained or produced in "
                                   f"{request.exporter}"))
        return answer(Outcome.qualifies, [("WO", "WO")], f"Originating under {agreement}: wholly obtained (WO).")
    product6 = _code6(request.product.hs, "product.hs", request.product.edition)
    selection = select_rule(agreement, product6, request.product.edition, facts.get(answer_key(agreement)))
    caveats.extend(selection.caveats)
    counted = [v for v in views if v.counts_for_ctc]
    if agreement in PRODUCED_EXCLUSIVELY and counted and all(v.originating for v in counted):
        checks.append(trusted_check(check="produced_exclusively", article=PRODUCED_EXCLUSIVELY[agreement],
                            result=Outcome.qualifies,
                            detail="every material is originating, so the good is produced exclusively from "
                                   "originating materials"))
        if "minimal_operations_only" not in facts:
            caveats.append(_minimal_ops_caveat(agreement))
        return answer(Outcome.qualifies, [("PE", "PE")], f"Originating under {agreement}: produced exclusively "
                                                         "from originating materials (PE).", selection.rule,
                      path="pe")
    if selection.rule is None:
        needed.extend(selection.questions)
        checks.append(trusted_check(check="rule_lookup", article=f"{agreement} product-specific rules",
                            result=Outcome.undetermined, detail=selection.gap or "no rule found"))
        return answer(Outcome.undetermined, [], f"Undetermined under {agreement}: {selection.gap}.", path="gap",
                      reason=reasons.gap_reason(selection.gap))
    rule = selection.rule
    tree = _parse(rule.text)
    figures = figures.model_copy(update={"threshold": _thresholds(tree)})
    if rule.verified in VERIFICATION_CAVEAT:
        caveats.append(VERIFICATION_CAVEAT[rule.verified])
    if rule.level == "general":
        caveats.append(f"No product-specific rule is listed for this product; the {rule.basis} applies.")
    ctx = ev.Context(agreement=agreement, product_codes=selection.product_codes, fob=fob,
                     weight_kg=request.product.weight_kg, materials=views, vnm=vnm, vom=vom,
                     costs_total=costs_total, facts=facts, provisions=provisions)
    result = ev.evaluate(tree, ctx)
    checks.append(trusted_check(check="rule", article=rule.basis, result=result.outcome, data=rule.row,
                        detail=f"the rule for {rule.edition} {rule.hs} is \u201c{rule.text}\u201d"))
    checks.extend(result.checks)
    needed.extend(result.questions)
    caveats.extend(result.caveats)
    if costs_total is None and "build_up" in provisions.rvc_methods and _thresholds(tree) is not None:
        caveats.append("Build-up RVC not computed (costs missing). FOB comprises materials, costs and profit, "
                       "so the build-down figure stands unless the costs do not add up to FOB.")
    one_method = provisions.one_method_per_party_article
    if one_method and any(c.check.startswith("rvc_") and c.result is Outcome.qualifies for c in result.checks):
        caveats.append(f"{one_method}: each party applies one RVC method; the importing party verifies with "
                       f"{request.exporter}'s. Both are shown — use the one {request.exporter} applies.")
    if result.outcome is Outcome.qualifies and "minimal_operations_only" not in facts:
        caveats.append(_minimal_ops_caveat(agreement))
    dm = None
    if result.de_minimis_share is not None:
        dm = DeMinimis(share=result.de_minimis_share, limit=provisions.de_minimis_value_percent,
                       weight_share=result.de_minimis_weight_share, weight_limit=provisions.de_minimis_weight_percent,
                       used=result.de_minimis_used)
    summary = _summary(agreement, result, rule, box)
    return answer(result.outcome, result.criterion, summary, rule, dm, result.de_minimis_used, path="rule",
                  reason=_rule_reason(result, tree))


def _rule_reason(result: ev.Result, tree) -> str | None:
    """The shared reason vocabulary (origin.reasons) from the states of the rule's leaves."""
    from noodlebowl.rules import Split, walk

    leaves = [reasons.leaf_fields(node) for node, _ in result.leaves]
    return reasons.rule_reason(reasons.OUTCOME_STATE[result.outcome.value],
                               [(f["kind"], f["label"], f["threshold"]) for f in leaves],
                               "".join(reasons.OUTCOME_STATE[o.value] for _, o in result.leaves),
                               any(isinstance(n, Split) for n in walk(tree)))


def _minimal_ops_caveat(agreement: str) -> str:
    return (f"Assumes the work in the exporting country goes beyond the minimal operations of "
            f"{MINIMAL_OPERATIONS[agreement]} (answer facts.minimal_operations_only to confirm).")


def _summary(agreement: str, result: ev.Result, rule: RuleRef, box: criteria.CriterionBox) -> str:
    where = f"rule \u201c{rule.text}\u201d ({rule.edition} {rule.hs})"
    if result.outcome is Outcome.qualifies:
        return f"Originating under {agreement} by {criteria.criterion(box, result.criterion)} — {where}."
    if result.outcome is Outcome.does_not_qualify:
        failed = [c.detail for c in result.checks if c.result is Outcome.does_not_qualify]
        return f"Not originating under {agreement} — {where}: {failed[-1] if failed else 'no option is met'}."
    return f"Undetermined under {agreement} — {where}: {len(result.questions)} question(s) would settle it."


def rank_questions(determinations: list[Determination]) -> list[Determination]:
    """Merge questions asked by several agreements and put the most decisive first."""
    by_key: dict[str, set[str]] = {}
    for d in determinations:
        for q in d.needed:
            by_key.setdefault(q.key, set()).update(q.agreements)
    out = []
    for d in determinations:
        merged = {q.key: q.model_copy(update={"agreements": sorted(by_key[q.key])}) for q in d.needed}
        ranked = sorted(merged.values(), key=lambda q: -len(q.agreements))
        out.append(d.model_copy(update={"needed": ranked}))
    return out
