"""Determinations: is the product originating under each agreement, by which criterion, and why.

The order of the tests follows the law (default logic, most specific last):
minimal operations never confer origin → wholly obtained → produced exclusively from
originating materials → the product-specific rule (or the general rule where none is listed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from functools import cache

from noodlebowl import refdata
from noodlebowl.agreements.modelled import cited, form_suffix, form_template, modelled
from noodlebowl.errors import DateOutOfRange, InvalidRequest
from noodlebowl.origin import evaluate as ev
from noodlebowl.origin.answer import (
    Check, DeMinimis, Determination, Outcome, Question, RuleRef, RvcFigures, trusted_check,
)
from noodlebowl.origin.provisions_view import origin_provisions
from noodlebowl.origin import reasons
from noodlebowl.origin.psr import RuleSelection, answer_key, rule_table, select_rule
from noodlebowl.origin.reasons import VERIFICATION_CAVEAT
from noodlebowl.origin.request import Material, MaterialKind, Request

MODELLED = modelled()

# Articles each check cites, read from the agreements' YAML (`citations`). An agreement without the
# "produced exclusively from originating materials" criterion (ATIGA Art. 26, Form D has no "PE";
# AKFTA) has none there: such goods meet its rules directly.
PRODUCED_EXCLUSIVELY = {a: cited(a, "produced_exclusively") for a in MODELLED if cited(a, "produced_exclusively")}
MINIMAL_OPERATIONS = {a: cited(a, "minimal_operations") for a in MODELLED}
WHOLLY_OBTAINED = {a: cited(a, "wholly_obtained") for a in MODELLED}
CUMULATION = {a: cited(a, "cumulation") for a in MODELLED}

@dataclass(frozen=True)
class Route:
    agreement: str
    in_force: bool | None
    reason: str
    parties: frozenset[str]                 # parties for which the agreement is in force on the date
    uncertain: Mapping[str, str] = field(default_factory=dict)     # party → why its status is uncertain
    pending: Mapping[str, dt.date] = field(default_factory=dict)   # party → its later entry into force
    caveats: tuple[str, ...] = ()           # about the route itself (unverified dates, agreements not yet in force)
    covered: bool = True      # False: the rules that apply on the route and date are not in the data


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


def uncertain_materials(request: Request, route: Route) -> list[Material]:
    """Materials declared originating in a party whose entry into force is uncertain (contested)."""
    return [m for m in request.materials if m.origin != request.exporter and m.origin in route.uncertain
            and m.originating_under(route.agreement)]


def _views(request: Request, route: Route, table_edition: str, caveats: list[str], checks: list[Check],
           provisions: ev.Provisions, count_uncertain: bool = False) -> tuple[ev.MaterialView, ...]:
    """Each BOM line as the agreement sees it. A material is originating only from the exporting
    country or a party for which the agreement is in force on the date (RCEP Art. 3.2, 3.4(1);
    ATIGA Art. 26, 30(1); ACFTA Annex 1 Art. 5); one from a party whose entry into force is
    uncertain counts as originating only when ``count_uncertain`` (the second of two evaluations)."""
    agreement, parties = route.agreement, route.parties
    views = []
    edition = request.product.edition
    for i, m in enumerate(request.materials):
        if m.kind is MaterialKind.accessory and m.invoiced_separately:
            caveats.append(f"{m.name} is invoiced separately: it is a good of its own and left out "
                           "(RCEP Art. 3.9; ATIGA Art. 35).")
            continue
        declared = m.originating_under(agreement)
        home = m.origin == request.exporter
        originating = declared and (home or m.origin in parties or (count_uncertain and m.origin in route.uncertain))
        if declared and not originating:
            if m.origin in route.pending:
                checks.append(trusted_check(
                    check="cumulation", article=CUMULATION[agreement], result=Outcome.does_not_qualify,
                    subject=m.name, detail=f"{m.name} is declared originating in {m.origin}, but {agreement} enters "
                                           f"into force for {m.origin} only on {route.pending[m.origin].isoformat()}: "
                                           f"on {request.date.isoformat()} it counts as non-originating"))
            elif m.origin in route.uncertain:
                checks.append(trusted_check(
                    check="cumulation", article=CUMULATION[agreement], result=Outcome.undetermined,
                    subject=m.name, detail=f"{m.name} is declared originating in {m.origin}, but "
                                           f"{route.uncertain[m.origin]}: it is counted as non-originating"))
            else:
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


def floor_percent(value: Decimal) -> Decimal:
    """RVC as declared on a certificate: a whole number rounded down (Singapore Customs TradeNet
    handbook, Jul 2023, Table A.2 note — see shared/data/examples/atiga_examples.json)."""
    return value.to_integral_value(rounding=ROUND_FLOOR)


# Combination criteria are written tariff shift first, then value content: ATIGA Form D
# overleaf note 3(b), "CTSH + 35%".
_CRITERION_ORDER = {"WO": 0, "PE": 1, "CTC": 2, "CR": 3, "SP": 4, "ITA": 4, "RVC": 5}


def _ordered(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(parts, key=lambda p: _CRITERION_ORDER[p[0]])


def _criterion(parts: list[tuple[str, str]]) -> str | None:
    parts = _ordered(parts)
    labels = [f"RVC {floor_percent(Decimal(v))}%" if k == "RVC" else v for k, v in parts]
    return " + ".join(labels) or None


def _form_code(agreement: str, parts: list[tuple[str, str]], rule: RuleRef | None, cumulated: bool,
               de_minimis: bool) -> str | None:
    """The code for the certificate's origin-criterion box, by the agreement's convention (YAML
    ``proof.criterion_box``: RCEP box 10 codes with ACU/DMI, Form D/E/AHK labels such as "CTSH + 35%",
    Form AK "RVC 45%", Form E "PSR" for a rule of Attachment B …)."""
    parts = _ordered(parts)
    template = form_template(agreement, parts, rule.level if rule else None)
    if template is None:
        return None
    rvc = next((v for k, v in parts if k == "RVC"), None)
    code = template.replace("{r}", str(floor_percent(Decimal(rvc)))) if rvc is not None else template
    return code + form_suffix(agreement, cumulated, de_minimis)


def _thresholds(rule) -> Decimal | None:
    from noodlebowl.rules import ValueContent, walk
    # The first value-content test in the rule's own order: for "RVC40 or CTH or RVC35+CTSH" that is
    # the stand-alone 40 %, not the 35 % that only counts together with a change of subheading.
    return next((n.threshold for n in walk(rule) if isinstance(n, ValueContent)), None)


def _no_rules_on_date(request: Request, route: Route, why: str, table_article: str | None = None) -> Determination:
    """Undetermined: the data holds no rules of origin of the agreement for the date (e.g. AKFTA before
    2026-05-01, ACFTA before 2019-08-20, when earlier rules not in the data apply) — never judged under
    rules not yet in force. ``table_article``: the rule-table provision that has no table for the date."""
    why = why.removeprefix("not covered by the data: ")
    detail = f"no {route.agreement} rules of origin in the data for {request.date.isoformat()}: {why}"
    checks = [trusted_check(check="in_force", article=f"{route.agreement} entry into force",
                            result=Outcome.undetermined, detail=detail)]
    if table_article:
        checks.append(trusted_check(check="rule_table", article=table_article, result=Outcome.undetermined,
                                    detail=f"no {route.agreement} rule table in the data for {request.date.isoformat()}"))
    return Determination(
        agreement=route.agreement, in_force=route.in_force, outcome=Outcome.undetermined, criterion=None,
        form_code=None, rule=None, rvc=None, de_minimis=None, needed=[], caveats=[route.reason],
        checks=checks, data_version=refdata.data_version(), summary=f"Undetermined under {route.agreement}: {detail}.",
        reason=reasons.NO_RULES_ON_DATE)


def determine_one(request: Request, route: Route) -> Determination:
    """The determination under one agreement. Materials from a party whose entry into force is
    uncertain are counted as non-originating; if the good then fails but would qualify with them
    originating, the answer is undetermined (never a guess either way)."""
    first = _determine(request, route)
    doubtful = uncertain_materials(request, route)
    if first.outcome is not Outcome.does_not_qualify or not doubtful:
        return first
    second = _determine(request, route, count_uncertain=True).outcome
    if second is Outcome.does_not_qualify:
        return first
    names = ", ".join(f"{m.name} ({m.origin})" for m in doubtful)
    verb = "qualifies" if second is Outcome.qualifies else "could qualify"
    return first.model_copy(update={
        "outcome": Outcome.undetermined, "criterion": None, "form_code": None,
        "summary": f"Undetermined under {route.agreement}: it {verb} only if {names} count as originating, "
                   f"and whether {route.agreement} is in force for {', '.join(sorted({m.origin for m in doubtful}))} "
                   f"is uncertain ({CUMULATION[route.agreement]})."})


def _determine(request: Request, route: Route, count_uncertain: bool = False) -> Determination:
    agreement = route.agreement
    table = rule_table(agreement, request.date)
    if not route.covered:
        return _no_rules_on_date(request, route, route.reason, None if table.edition else table.article)
    if table.edition is None:
        return _no_rules_on_date(request, route, table.note, table.article)
    try:
        provisions = origin_provisions(agreement, request.date)
    except DateOutOfRange as exc:
        return _no_rules_on_date(request, route, exc.what)
    table_edition = table.edition
    checks: list[Check] = [trusted_check(check="in_force", article=f"{agreement} entry into force",
                                 result=Outcome.qualifies if route.in_force else Outcome.undetermined,
                                 detail=route.reason)]
    caveats: list[str] = list(route.caveats)
    needed: list[Question] = []
    views = _views(request, route, table_edition, caveats, checks, provisions, count_uncertain)
    vnm, vom = _rvc_values(request, views)
    fob = request.product.fob
    costs_total = request.costs.total() if request.costs.complete else None
    costs_problem = _costs_problem(request, agreement, views, costs_total)
    figures = RvcFigures(build_down=ev.percent(fob - vnm, fob),
                         build_up=None if costs_total is None or costs_problem else ev.percent(vom + costs_total, fob),
                         threshold=None, non_originating_value=vnm, originating_value=vom, fob=fob)
    cumulated = any(c.check == "cumulation" and c.result is Outcome.qualifies for c in checks)
    facts = request.facts
    minimal = ev.fact_value(facts, "minimal_operations_only")

    def answer(outcome: Outcome, parts: list[tuple[str, str]], summary: str, rule: RuleRef | None = None,
               dm: DeMinimis | None = None, used_dm: bool = False, path: str = "facts",
               reason: str | None = None) -> Determination:
        codes = reasons.caveat_codes(path, rule.verified if rule else None, rule.level if rule else None,
                                     outcome is Outcome.qualifies, minimal is not None, route.in_force is None)
        if outcome is Outcome.qualifies:
            changed, check, question = _direct_consignment(request, agreement)
            checks.extend([check] if check else [])
            needed.extend([question] if question else [])
            if changed is not None:
                outcome = changed
                reason = reasons.DIRECT_CONSIGNMENT[changed.value]
                summary = (f"{'Not originating' if changed is Outcome.does_not_qualify else 'Undetermined'} "
                           f"under {agreement}: {check.detail} ({check.article}).")
        if route.in_force is None and outcome is Outcome.qualifies:
            outcome = Outcome.undetermined
            reason = reasons.UNCERTAIN_ENTRY
            caveats.append(f"Whether {agreement} is in force for this route is uncertain: {route.reason}")
            summary = (f"Undetermined under {agreement}: it would qualify by {_criterion(parts) or 'its criterion'}, but whether "
                       f"{agreement} is in force for this route is uncertain ({route.reason}).")
        return Determination(
            reason=reason, caveat_codes=list(codes),
            agreement=agreement, in_force=route.in_force, outcome=outcome,
            criterion=_criterion(parts) if outcome is Outcome.qualifies else None,
            form_code=_form_code(agreement, parts, rule, cumulated, used_dm) if outcome is Outcome.qualifies else None,
            rule=rule, rvc=figures, de_minimis=dm, checks=checks, needed=needed, caveats=caveats,
            data_version=refdata.data_version(), summary=summary)

    wo_said = [k for k in ("wholly_obtained", *_aquatic_keys(agreement, request.date)) if ev.fact_value(facts, k)]
    if wo_said:
        if minimal:
            checks.append(_minimal_ops_kept(agreement, request.date, "wholly obtained"))
        article = (WHOLLY_OBTAINED[agreement] if wo_said[0] == "wholly_obtained"
                   else _aquatic_article(agreement, request.date, wo_said[0]))
        checks.append(trusted_check(check="wholly_obtained", article=article, result=Outcome.qualifies,
                            detail="the producer states the good is wholly obtained or produced in "
                                   f"{request.exporter}" + ("" if wo_said[0] == "wholly_obtained"
                                                            else f" ({wo_said[0].replace('_', ' ')})")))
        return answer(Outcome.qualifies, [("WO", "WO")], f"Originating under {agreement}: wholly obtained (WO).")
    counted = [v for v in views if v.counts_for_ctc]
    all_originating = bool(counted) and all(v.originating for v in counted)
    if minimal and all_originating:
        return _minimal_ops_on_originating(request, agreement, counted, checks, caveats, answer)
    if minimal:
        checks.append(trusted_check(check="minimal_operations", article=MINIMAL_OPERATIONS[agreement],
                            result=Outcome.does_not_qualify,
                            detail="only minimal operations are undertaken on non-originating materials in the "
                                   "exporting country; they confer no origin, whatever the rule"))
        return answer(Outcome.does_not_qualify, [], f"Not originating under {agreement}: minimal operations "
                                                    f"only ({MINIMAL_OPERATIONS[agreement]}).",
                      reason=reasons.MINIMAL_OPERATIONS_ONLY)
    product6 = _code6(request.product.hs, "product.hs", request.product.edition)
    selection = select_rule(agreement, product6, request.product.edition, table_edition,
                            facts.get(answer_key(table_edition)))
    caveats.extend(selection.caveats)
    if table.note:
        caveats.append(f"Rule table ({table.article}): {table.note}")
    if agreement in PRODUCED_EXCLUSIVELY and all_originating:
        checks.append(trusted_check(check="produced_exclusively", article=PRODUCED_EXCLUSIVELY[agreement],
                            result=Outcome.qualifies,
                            detail="every material is originating, so the good is produced exclusively from "
                                   "originating materials"))
        if "minimal_operations_only" not in facts:
            caveats.append(_minimal_ops_caveat(agreement))
        return answer(Outcome.qualifies, [("PE", "PE")], f"Originating under {agreement}: produced exclusively "
                                                         "from originating materials (PE).", selection.rule, path="pe")
    ctx_for = lambda codes: ev.Context(  # noqa: E731 - the context of one candidate product code
        agreement=agreement, product_codes=codes, fob=fob, weight_kg=request.product.weight_kg, materials=views,
        vnm=vnm, vom=vom, costs_total=costs_total, facts=facts, provisions=provisions.for_product(codes[0]),
        costs_problem=costs_problem)
    split = _agreeing_split(selection, ctx_for, checks, caveats) if selection.alternatives else None
    if split is not None:
        selection, split_criteria_differ, split_forms_differ = split
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
    result = ev.evaluate(tree, ctx_for(selection.product_codes))
    provisions = provisions.for_product(selection.product_codes[0])
    _ask_put_up(request, agreement, selection.product_codes, rule.edition, views, result)
    _ask_aquatic(request, agreement, product6, views, result)
    before = result.outcome
    _apply_chapter_note(request, agreement, product6, result)
    noted = before is Outcome.qualifies and result.outcome is not Outcome.qualifies
    before = result.outcome
    ita = _ita_rule(request, agreement, product6, result)
    # a chapter note or the ITA rule that turns the answer into a question says so in the shared vocabulary
    turned = (reasons.CHAPTER_NOTE if noted else
              reasons.ITA_RULE if result.outcome is Outcome.undetermined and before is not Outcome.undetermined
              else None)
    checks.append(trusted_check(check="rule", article=rule.basis, result=result.outcome, data=rule.row,
                        detail=f"the rule for {rule.edition} {rule.hs} is \u201c{rule.text}\u201d"))
    checks.extend(result.checks)
    needed.extend(result.questions)
    caveats.extend(result.caveats)
    if costs_total is None and "build_up" in provisions.rvc_methods and _thresholds(tree) is not None:
        caveats.append("Build-up RVC not computed (costs missing). FOB comprises materials, costs and profit, "
                       "so the build-down figure stands unless the costs do not add up to FOB.")
    method = _declared(agreement, "rvc.party_method", request.date)
    if (method is not None and method.value == "exporting_member_state_method"
            and any(c.check.startswith("rvc_") and c.result is Outcome.qualifies for c in result.checks)):
        caveats.append(f"{method.article}: each Member State applies one RVC method and the importing Member State "
                       f"verifies with the exporting Member State's. Which method {request.exporter} applies is not "
                       f"in the data: both are shown and the answer assumes {request.exporter} applies one that "
                       f"is met.")
    if result.outcome is Outcome.qualifies and minimal is None:
        caveats.append(_minimal_ops_caveat(agreement))
    caveats.extend(_least_disclosing(agreement, request.date, result))
    dm = None
    if result.de_minimis_share is not None:
        dm = DeMinimis(share=result.de_minimis_share, limit=provisions.de_minimis_value_percent,
                       weight_share=result.de_minimis_weight_share, weight_limit=provisions.de_minimis_weight_percent,
                       used=result.de_minimis_used)
    summary = _summary(agreement, result, rule)
    determination = answer(result.outcome, result.criterion, summary, rule, dm, result.de_minimis_used, path="rule",
                           reason=turned or _rule_reason(result, tree))
    if split is not None and (split_criteria_differ or split_forms_differ) and determination.outcome is Outcome.qualifies:
        # the candidates agree on origin but not on what to declare (the caveat says which is which)
        determination = determination.model_copy(update={
            "criterion": None if split_criteria_differ else determination.criterion,
            "form_code": None if split_forms_differ else determination.form_code,
            "needed": [*determination.needed, *selection.questions],
            "summary": f"Originating under {agreement} whichever {selection.edition} subheading describes the "
                       "product; what to declare on the proof depends on it."})
    if ita is not None and determination.outcome is Outcome.qualifies and result.criterion == [("ITA", "ITA")]:
        return determination.model_copy(update={"form_code": None, "caveats": determination.caveats + [ita]})
    pc = partial_cumulation_code(agreement, request.date, determination)
    if pc is None:
        return determination
    p = _provision(agreement, "cumulation.partial", request.date)
    return determination.model_copy(update={"form_code": pc, "caveats": determination.caveats + [
        f"The good is not originating and gets no preference itself (Annex 6(c)), but its RVC of at least "
        f"{p.value['min_rvc_percent']} % lets a Form D be issued marked \u201cPartial Cumulation\u201d with "
        f"\u201c{pc}\u201d in box 8, so that its value counts in proportion when used as a material in another "
        f"Member State ({p.article}; Form D overleaf note 3(c))."]})


def _agreeing_split(selection: RuleSelection, ctx_for, checks: list[Check],
                    caveats: list[str]) -> tuple[RuleSelection, bool, bool] | None:
    """A product code that splits across subheadings with different rules: every candidate's rule is
    evaluated. When they all give the same outcome, that is the answer and the first candidate's rule
    stands for all: (selection, criteria differ, form codes differ) — where the criterion to declare
    differs, the caveat says which is which and the question stays for the proof. None: the outcomes
    differ (or one is undetermined), and the question stays."""
    answers: list[tuple] = []
    for c in selection.alternatives:   # until two candidates disagree: the question then stays either way
        answers.append((c, ev.evaluate(_parse(c.rule.text), ctx_for((c.code,)))))
        outcome = answers[-1][1].outcome
        if outcome is Outcome.undetermined or outcome is not answers[0][1].outcome:
            break
    for c, r in answers:
        checks.append(trusted_check(
            check="split_candidate", article=c.rule.basis, result=r.outcome, data=c.rule.row, subject=c.code,
            detail=f"candidate {c.rule.edition} {c.code}: rule \u201c{c.rule.text}\u201d gives {r.outcome.value}"))
    outcomes = {r.outcome for _, r in answers}
    if len(outcomes) != 1 or Outcome.undetermined in outcomes:
        if len(answers) < len(selection.alternatives):
            caveats.append(f"{len(selection.alternatives) - len(answers)} more candidate subheadings were not "
                           "evaluated: the answer already depends on which one describes the product.")
        return None
    codes = ", ".join(c.code for c in selection.alternatives)
    caveats.append(f"The product's code splits across {selection.edition} {codes} with different rules; each "
                   f"gives {outcomes.pop().value}, so the outcome does not depend on which describes the product.")
    criteria = {c.code: _criterion(r.criterion) for c, r in answers}
    forms = {c.code: _form_code(selection.agreement, r.criterion, c.rule, False, False) for c, r in answers}
    if len(set(criteria.values())) > 1 or len(set(forms.values())) > 1:
        caveats.append("What to declare on the proof of origin depends on the subheading: "
                       + "; ".join(f"{code} \u2192 {criteria[code]} (box: {forms[code]})" for code in criteria)
                       + f" (answer facts.{answer_key(selection.edition)}).")
    first = selection.alternatives[0]
    return (RuleSelection(selection.agreement, selection.edition, (first.code,), first.rule,
                          questions=selection.questions),
            len(set(criteria.values())) > 1, len(set(forms.values())) > 1)


@cache
def aquatic_materials(agreement: str, hs6: str, on: dt.date) -> tuple[str, ...]:
    """For an aquatic good whose origin may rest on aquaculture or a Party's vessels, the code prefixes of
    the materials that make the engine ask (seed stock); () otherwise. A catalog sends a product with such
    a line to the engine (batch.kernel), so the law is written once."""
    try:
        aquatic = _aquatic(agreement, on)
    except DateOutOfRange:   # no rules of the agreement for the date: the kernel sends such rows anyway
        return ()
    return tuple(aquatic["materials"]) if hs6 and hs6.startswith(tuple(aquatic["products"])) else ()


@cache
def put_up_code(agreement: str, hs6: str, edition: str, on: dt.date) -> bool:
    """Is the product code (or its candidate in the rule table's edition) a put-up subheading? A catalog
    sends such a product with a material of the same chapter to the engine (batch.kernel)."""
    if hs6 is None or len(hs6) != 6:
        return False
    table = rule_table(agreement, on).edition
    if table is None:
        return False
    codes = {hs6} | (set(_transposed(hs6, edition, table)) if edition != table else set())
    return any(put_up_product(agreement, code, ed, on) for code in codes for ed in {edition, table})


def partial_cumulation_code(agreement: str, on: dt.date, d: Determination) -> str | None:
    """"PC x%" for a good that does not qualify but whose RVC is within the partial-cumulation band
    (ATIGA Art. 30(2), Annex 6(a); Form D overleaf note 3(c): "PC x%", x the RVC of less than 40 %)."""
    band = _provision(agreement, "cumulation.partial", on).value
    if not isinstance(band, dict) or d.outcome is not Outcome.does_not_qualify or d.rvc is None:
        return None
    rvc = max(v for v in (d.rvc.build_down, d.rvc.build_up) if v is not None)
    if not Decimal(band["min_rvc_percent"]) <= rvc < Decimal(band["max_rvc_percent_exclusive"]):
        return None
    return f"PC {floor_percent(rvc)}%"


def _least_disclosing(agreement: str, on: dt.date, result: ev.Result) -> list[str]:
    """Several criteria met: propose the one that discloses least on the proof of origin — a change of
    tariff classification shows no cost or price, an RVC exposes the cost structure (the exporter
    chooses: RCEP Annex 3A headnote 8; ATIGA Art. 28(2)(b))."""
    if result.outcome is not Outcome.qualifies or not any(k == "RVC" for k, _ in result.criterion):
        return []
    quieter = [c for c in result.also_met if c and all(k != "RVC" for k, _ in c)]
    if not quieter:
        return []
    choice = _provision(agreement, "psr.exporter_choice", on).article
    return [f"{_criterion(quieter[0])} is also met: declaring {_criterion(quieter[0])} instead of "
            f"{_criterion(result.criterion)} discloses no cost or price figures on the proof of origin (an RVC "
            f"exposes the product's cost structure to verification); the exporter may choose ({choice})."]


def _undetermine(result: ev.Result, check: Check, questions: list[Question]) -> None:
    """A fact the law makes decisive is unanswered: the answer waits for it."""
    result.outcome, result.criterion, result.de_minimis_used = Outcome.undetermined, [], False
    result.checks.append(check)
    result.questions.extend(q for q in questions if q not in result.questions)


def put_up_product(agreement: str, code6: str, edition: str, on: dt.date) -> bool:
    """Is the good classified by its packing or put-up (for retail sale, in measured doses)? Read from
    the subheading's own text with the wordings of the agreement's minimal-operations provision."""
    from noodlebowl.hs import exists, lookup
    if not exists(code6, edition):
        return False
    text = lookup(code6, edition).description.lower()
    p = _declared(agreement, "minimal_operations.put_up", on)
    if p is None or p.is_unknown:
        return False
    wording = p.value
    for phrase in wording["excludes"]:
        text = text.replace(phrase, "")
    return any(phrase in text for phrase in wording["includes"])


def _ask_put_up(request: Request, agreement: str, product_codes, edition: str, views, result: ev.Result) -> None:
    """A change of classification into a put-up subheading from a material of the same chapter may
    come from packaging for sale alone (RCEP Art. 3.6(b); ATIGA Art. 31(1)(c)): ask, never assume."""
    if (result.outcome is not Outcome.qualifies or ev.fact_value(request.facts, "minimal_operations_only") is not None
            or any(kind != "CTC" for kind, _ in result.criterion)
            or any(c.check.startswith("rvc_") and c.result is Outcome.qualifies for c in result.checks)):
        return  # the good does not rest on the change of classification alone
    if not any(put_up_product(agreement, code, edition, request.date) for code in product_codes):
        return
    same_chapter = [v.name for v in views if v.counts_for_ctc and not v.originating and v.codes
                    and any(c[:2] == p[:2] for c in v.codes for p in product_codes)]
    if not same_chapter:
        return
    p = _declared(agreement, "minimal_operations.put_up", request.date)
    question = Question(key="minimal_operations_only", agreements=[agreement], options=["true", "false"],
                        question=f"Is the work in {request.exporter} only packing or putting up "
                                 f"{', '.join(same_chapter)} for sale (or other minimal operations of "
                                 f"{MINIMAL_OPERATIONS[agreement]})? The change of classification could come "
                                 f"from that alone ({p.article}).")
    _undetermine(result, trusted_check(
        check="minimal_operations", article=p.article, result=Outcome.undetermined,
        detail=f"the good is classified by its put-up, and {', '.join(same_chapter)} of the same chapter make the "
               f"change of classification: packaging or presenting for sale alone would make it, and confers no "
               f"origin — whether more is done is not stated"), [question])


def _ask_aquatic(request: Request, agreement: str, product6: str, views, result: ev.Result) -> None:
    """Fish farmed from imported fry or taken by the Party's vessels is wholly obtained (RCEP Art. 3.3(d),
    (f)-(g); ATIGA Art. 27(d), (f)-(g)): the BOM alone cannot tell, so ask."""
    if result.outcome is Outcome.qualifies:
        return
    rule = _aquatic(agreement, request.date)
    if not product6.startswith(tuple(rule["products"])):
        return
    foreign = [v for v in views if v.counts_for_ctc and not v.originating]
    if not foreign or not all(v.codes and all(c.startswith(tuple(rule["materials"])) for c in v.codes)
                              for v in foreign):
        return
    open_questions = [q for q in rule["questions"] if ev.fact_value(request.facts, q["key"]) is None]
    if not open_questions:
        return
    names = ", ".join(v.name for v in foreign)
    # the BOM alone no longer decides "wholly obtained": its verdict gives way to the questions
    result.checks = [c for c in result.checks
                     if not (c.check == "wholly_obtained" and c.result is Outcome.does_not_qualify)]
    articles = "; ".join(dict.fromkeys(q["article"] for q in open_questions))
    _undetermine(result, trusted_check(
        check="wholly_obtained", article=articles, result=Outcome.undetermined,
        detail=f"the non-originating {names} may be seed stock (eggs, fry, fingerlings, larvae) of aquaculture, or "
               f"catch of the exporting Party's vessels: the good would then be wholly obtained"),
        [Question(key=q["key"], question=f"{q['question']} ({q['article']})", agreements=[agreement],
                  options=["true", "false"]) for q in open_questions])


@cache
def chapter_note(agreement: str, code6: str, on: dt.date) -> dict | None:
    """The chapter note of the PSR annex that covers the good (ACFTA chapters 27, 84, 85, 90), if any."""
    try:
        notes = _provision(agreement, "minimal_operations.chapter_notes", on).value
    except DateOutOfRange:   # no rules of the agreement for the date (answered undetermined elsewhere)
        return None
    if not isinstance(notes, list):
        return None
    return next((n for n in notes if "key" in n and int(code6[:2]) in n["chapters"]), None)


def _apply_chapter_note(request: Request, agreement: str, product6: str, result: ev.Result) -> None:
    """A chapter note that denies origin to simple mixing or simple assembly can decide a good that
    meets its rule (ACFTA Annex I chapter notes 27, 84, 85, 90): asked as a question, never assumed."""
    note = chapter_note(agreement, product6, request.date)
    if note is None or result.outcome is not Outcome.qualifies:
        return
    article = _provision(agreement, "minimal_operations.chapter_notes", request.date).article
    said = ev.fact_value(request.facts, note["key"])
    chapter = f"chapter {int(product6[:2])} note"
    if said is None:
        _undetermine(result, trusted_check(
            check="chapter_note", article=f"{article} ({chapter})", result=Outcome.undetermined,
            detail=f"the {chapter} applies to the rule just met: {note['rule']} — not yet stated"),
            [Question(key=note["key"], question=f"{note['question']} ({article}, {chapter})",
                      agreements=[agreement], options=["true", "false"])])
    elif said:
        result.outcome, result.criterion, result.de_minimis_used = Outcome.does_not_qualify, [], False
        result.checks.append(trusted_check(check="chapter_note", article=f"{article} ({chapter})",
                                           result=Outcome.does_not_qualify,
                                           detail=f"production is only what the {chapter} excludes: {note['rule']}"))
    else:
        result.checks.append(trusted_check(check="chapter_note", article=f"{article} ({chapter})",
                                           result=Outcome.qualifies,
                                           detail=f"production goes beyond what the {chapter} excludes (stated)"))


@cache
def _ita_index(edition: str) -> dict[str, tuple[dict, ...]]:
    """ATIGA Annex 4 lines by the product code they may cover in ``edition``: the AHTN 2007 digits read
    as HS2012 (the data holds no HS2007 correlation) and carried on with the UNSD correlations."""
    from noodlebowl.hs import exists, transpose
    index: dict[str, list[dict]] = {}
    for row in refdata.rows("atiga_ita"):
        code = row["hs6_2007"]
        if not exists(code, "HS2012"):
            continue
        targets = {code} if edition == "HS2012" else {t.code for t in transpose(code, "HS2012", edition).targets}
        for target in targets:
            index.setdefault(target, []).append(row)
    return {k: tuple(v) for k, v in index.items()}


def ita_candidate(agreement: str, hs6: str, edition: str, on: dt.date) -> bool:
    """May the good be an ITA product of Art. 28(3)? (the agreement declares the rule and the code maps)."""
    p = _declared(agreement, "psr.ita_rule", on)
    return p is not None and isinstance(p.value, dict) and bool(hs6) and hs6 in _ita_index(edition)


def _ita_rule(request: Request, agreement: str, product6: str, result: ev.Result) -> str | None:
    """ATIGA Art. 28(3): an ITA good assembled from ITA materials is originating whatever its rule. Asked
    where it can decide (the good does not meet its rule), with the Annex 4 lines its code may be; the
    caveat to add when the good qualifies by it."""
    if result.outcome is Outcome.qualifies or not ita_candidate(agreement, product6, request.product.edition,
                                                                 request.date):
        return None
    p = _declared(agreement, "psr.ita_rule", request.date)
    lines = _ita_index(request.product.edition)[product6]
    listed = "; ".join(f"AHTN 2007 {r['ahtn2007']} {r['description'].lstrip('- ')}" for r in lines[:4]) + (
        f"; and {len(lines) - 4} more" if len(lines) > 4 else "")
    answers = {q["key"]: ev.fact_value(request.facts, q["key"]) for q in p.value["questions"]}
    if all(answers.values()):
        result.outcome, result.criterion, result.de_minimis_used = Outcome.qualifies, [("ITA", "ITA")], False
        result.checks.append(trusted_check(check="ita_rule", article=p.article, result=Outcome.qualifies,
                                           data=lines[0]["row_ref"],
                                           detail=f"an ITA product ({listed}) assembled from ITA materials (stated)"))
        return (f"Originating by {p.article}, whatever the product-specific rule. {p.note}")
    if any(v is False for v in answers.values()):
        result.checks.append(trusted_check(check="ita_rule", article=p.article, result=Outcome.does_not_qualify,
                                           data=lines[0]["row_ref"],
                                           detail="not an ITA product assembled from ITA materials (stated)"))
        return None
    questions = []
    for q in p.value["questions"]:
        if answers[q["key"]] is None:
            text = f"{q['question']}: {listed}?" if q["key"] == "ita_product" else q["question"]
            questions.append(Question(key=q["key"], question=f"{text} ({p.article})", agreements=[agreement],
                                      options=["true", "false"]))
    _undetermine(result, trusted_check(
        check="ita_rule", article=p.article, result=Outcome.undetermined, data=lines[0]["row_ref"],
        detail=f"the good may be an ITA product of Annex 4 ({listed}); assembled from ITA materials it would be "
               f"originating whatever its rule — the code is matched through HS2012, so this is asked"), questions)
    return None


def _direct_consignment(request: Request, agreement: str) -> tuple[Outcome | None, Check | None, Question | None]:
    """Direct consignment (RCEP Art. 3.15; ATIGA Art. 32), asked once the good passes through another
    country (facts.transported_directly: false): (new outcome, check, question) for a qualifying good."""
    if ev.fact_value(request.facts, "transported_directly") is not False:
        return None, None, None
    p = _declared(agreement, "direct_consignment.transit_question", request.date)
    if p is None:   # the agreement's own conditions are not written as a question: ask them in general
        general = _provision(agreement, "direct_consignment", request.date)
        p = general.model_copy(update={"value": "Did the good meet the direct-consignment conditions of "
                                                f"{general.article} while passing through the other country?"})
    met = ev.fact_value(request.facts, "transit_conditions_met")
    if met is None:
        return (Outcome.undetermined,
                trusted_check(check="direct_consignment", article=p.article, result=Outcome.undetermined,
                              detail="the good passes through another country: it keeps its origin only on the "
                                     "conditions of direct consignment, not yet stated"),
                Question(key="transit_conditions_met", question=(
                    f"{p.value} ({p.article})" if not p.is_unknown else
                    f"Did the good stay under customs control in the countries it passed through, with no "
                    f"operation other than unloading, reloading or keeping it in good condition? ({p.note})"),
                    agreements=[agreement], options=["true", "false"]))
    if met:
        return None, trusted_check(check="direct_consignment", article=p.article, result=Outcome.qualifies,
                                   detail="consigned through another country on the conditions of direct "
                                          "consignment (stated)"), None
    return (Outcome.does_not_qualify,
            trusted_check(check="direct_consignment", article=p.article, result=Outcome.does_not_qualify,
                          detail="the good passed through another country without meeting the conditions of "
                                 "direct consignment: it loses its originating status"), None)


def _costs_problem(request: Request, agreement: str, views, costs_total: Decimal | None) -> Check | None:
    """Materials plus costs and profit that add up to more than FOB cannot all be right (ATIGA
    Art. 29(2)(e); RCEP Art. 3.1(e), 3.5(1)(b)): the build-up figure is refused, the fields named."""
    if costs_total is None:
        return None
    materials = sum((v.full_value for v in views if v.counts_for_rvc), Decimal(0))
    fob = request.product.fob
    if materials + costs_total <= fob:
        return None
    p = _declared(agreement, "rvc.fob_composition", request.date)
    if p is None:
        methods = _provision(agreement, "rvc.methods", request.date)
        p = methods.model_copy(update={"note": "the FOB value comprises the materials, costs and profit"})
    return trusted_check(
        check="rvc_build_up", article=p.article, result=Outcome.undetermined, subject="costs",
        detail=f"build-up RVC refused: materials (materials[*].value) {ev.display(materials)} + costs and profit "
               f"(costs.*) {ev.display(costs_total)} = {ev.display(materials + costs_total)}, more than the FOB "
               f"(product.fob) {ev.display(fob)}; {p.note} — correct the costs or the FOB")


def _provision(agreement: str, key: str, on: dt.date):
    """A provision of the agreement's YAML; one the YAML does not hold (yet) is ``unknown``, never guessed."""
    from noodlebowl.agreements.provisions import UNKNOWN, Provision, provision, provisions_file_has
    if provisions_file_has(agreement, key):
        try:
            return provision(agreement, key, on)
        except DateOutOfRange:
            pass
    return Provision(agreement=agreement, key=key, value=UNKNOWN, article=f"{agreement} rules of origin",
                     reference="not in the data", valid_from=on, description=key,
                     note=f"the {agreement} provision on this ({key}) is not in the data")


def _declared(agreement: str, key: str, on: dt.date):
    """A provision the agreement's YAML may not declare (a newer agreement): None when it does not."""
    from noodlebowl.agreements.provisions import keys
    return _provision(agreement, key, on) if key in keys(agreement) else None


_NO_AQUATIC = {"products": [], "materials": [], "questions": []}


def _aquatic(agreement: str, on: dt.date) -> dict:
    p = _declared(agreement, "wholly_obtained.aquatic", on)
    return _NO_AQUATIC if p is None or p.is_unknown else p.value


def _aquatic_keys(agreement: str, on: dt.date) -> tuple[str, ...]:
    return tuple(q["key"] for q in _aquatic(agreement, on)["questions"])


def _aquatic_article(agreement: str, on: dt.date, key: str) -> str:
    return next(q["article"] for q in _aquatic(agreement, on)["questions"] if q["key"] == key)


def _minimal_ops_kept(agreement: str, on: dt.date, what: str) -> Check:
    p = _declared(agreement, "minimal_operations.originating_goods", on)
    return trusted_check(check="minimal_operations", article=p.article if p else MINIMAL_OPERATIONS[agreement],
                         result=Outcome.qualifies,
                         detail=f"only minimal operations take place, but the good is {what}: minimal operations "
                                "concern non-originating materials and do not take its origin away")


def _minimal_ops_on_originating(request: Request, agreement: str, counted, checks: list[Check],
                                caveats: list[str], answer) -> Determination:
    """Minimal operations on materials that are all originating (RCEP Art. 3.6; ATIGA Art. 31(2))."""
    p = _declared(agreement, "minimal_operations.originating_goods", request.date)
    if p is None or p.value != "keeps_origin":
        why = p.note if p is not None else f"the data does not say whether {agreement} lets such a good keep its origin"
        checks.append(trusted_check(check="minimal_operations", article=p.article if p else MINIMAL_OPERATIONS[agreement],
                                    result=Outcome.undetermined,
                                    detail=f"only minimal operations on originating materials: {why}"))
        return answer(Outcome.undetermined, [], f"Undetermined under {agreement}: only minimal operations on "
                                                f"originating materials, and {why}.")
    checks.append(_minimal_ops_kept(agreement, request.date, "made only from originating materials"))
    firsts = sorted({v.origin for v in counted if v.origin != request.exporter})
    if firsts:
        caveats.append(f"The good keeps the origin it had in {', '.join(firsts)}: exported again from "
                       f"{request.exporter}, it travels on a back-to-back proof of origin issued in {request.exporter} "
                       f"on the basis of the first proof, naming {', '.join(firsts)} as the country of origin "
                       f"({p.article}).")
    if agreement in PRODUCED_EXCLUSIVELY:
        return answer(Outcome.qualifies, [("PE", "PE")], f"Originating under {agreement}: produced exclusively from "
                                                         f"originating materials (PE); minimal operations do not "
                                                         f"take that away ({p.article}).")
    where = ", ".join(firsts) or request.exporter
    return answer(Outcome.qualifies, [], f"Originating under {agreement}: the good keeps its originating status "
                                         f"of {where} ({p.article}).")


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


def _summary(agreement: str, result: ev.Result, rule: RuleRef) -> str:
    where = f"rule \u201c{rule.text}\u201d ({rule.edition} {rule.hs})"
    if result.outcome is Outcome.qualifies:
        return f"Originating under {agreement} by {_criterion(result.criterion)} — {where}."
    if result.outcome is Outcome.does_not_qualify:
        failed = [c.detail for c in result.checks if c.result is Outcome.does_not_qualify]
        return f"Not originating under {agreement} — {where}: {failed[-1] if failed else 'no option is met'}."
    if result.questions:
        count = len(result.questions)
        return (f"Undetermined under {agreement} — {where}: {count} question{'s' if count > 1 else ''} "
                f"would settle it.")
    open_checks = [c.detail for c in result.checks if c.result is Outcome.undetermined]
    return f"Undetermined under {agreement} — {where}: {open_checks[-1] if open_checks else 'the data cannot tell'}."


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
