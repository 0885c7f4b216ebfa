"""Across agreements: what the importer charges under MFN and under each agreement, which
preference the product actually qualifies for, the best choice, and why every other one loses.

Unknown rates never count as zero, and a cheaper rate under an agreement noodlebowl does not
model is shown beside the best choice, never hidden.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from noodlebowl.origin.answer import Determination, Outcome, Question
from noodlebowl.origin.request import Request

# Regimes of a tariff that are unilateral schemes, not agreements with rules of origin to compare.
NON_AGREEMENT_REGIMES = {"MFN", "GENERAL", "LDC", "GSP", "TEMPORARY", "WTO"}
# Importers said to levy no import duty at all. The shared data holds no legal basis for it (no tariff
# file, no statute), so the sentence says so instead of treating the rate as zero.
NO_IMPORT_DUTY = {"HK": "Hong Kong, China: no import duty (not in the data: check)"}
# Simpler proof first: self-declaration schemes beat a certificate from an authority (ties only).
PROOF_EFFORT = {"ATIGA": 0, "RCEP": 1, "ACFTA": 2}


class Rate(BaseModel):
    model_config = ConfigDict(frozen=True)

    regime: str
    national_lines: list[str]
    raw: str | None                 # the tariff's own text
    rate: str | None                # readable form; None when unknown
    ad_valorem: Decimal | None      # percent when free or ad valorem
    duty: Decimal | None            # in the request's currency; None when not computable
    duty_note: str | None = None
    eligible: bool = True           # False: not eligible (`*`) or origin excluded
    note: str | None = None
    source: str | None = None


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    agreement: str
    in_force: bool | None
    outcome: Outcome
    criterion: str | None
    form_code: str | None
    rate: Rate | None
    saving: Decimal | None          # against MFN, in money when a customs value is given, else in percentage points
    saving_unit: str | None
    proof: list[str]                # proof-of-origin types available on the route
    why_not_best: str | None = None


class Unmodelled(BaseModel):
    model_config = ConfigDict(frozen=True)

    regime: str
    rate: str
    ad_valorem: Decimal | None
    note: str


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    exporter: str
    importer: str
    date: str
    product_hs: str
    customs_value: Decimal | None
    currency: str
    mfn: Rate | None
    options: list[Option]
    best: str                       # an agreement, "MFN", or "no preference needed"
    best_reason: str
    unmodelled_cheaper: list[Unmodelled]
    needed: list[Question]
    caveats: list[str]
    determinations: list[Determination]
    data_version: str


def _rate_for(result, regime: str, customs_value, quantity, unit) -> Rate | None:
    """The one rate of a regime across the national lines found; None if absent or lines disagree."""
    from noodlebowl.tariffs.rates import ad_valorem_equivalent, describe, duty_with_reason

    measures = [m for m in result.measures if m.regime == regime]
    if not measures:
        return None
    distinct = {m.raw for m in measures}
    lines = sorted({m.national_line for m in measures})
    if len(distinct) > 1:
        return Rate(regime=regime, national_lines=lines, raw=" | ".join(sorted(distinct)), rate=None,
                    ad_valorem=None, duty=None, eligible=any(not m.excluded for m in measures),
                    note="the rate differs between the national lines under this code; give the national line",
                    source=measures[0].source_file)
    m = measures[0]
    eligible = not m.excluded and m.rate.kind not in ("not_eligible", "excluded")
    known = m.rate.kind not in ("unknown", "not_computable", "not_eligible", "excluded")
    duty, why = duty_with_reason(m.rate, customs_value, quantity, unit) if (known and eligible) else (None, None)
    return Rate(regime=regime, national_lines=lines, raw=m.raw, rate=describe(m.rate) if known else None,
                ad_valorem=ad_valorem_equivalent(m.rate) if known else None, duty=duty, duty_note=why,
                eligible=eligible, note=m.note or (None if known else f"rate not computable: {m.raw}"),
                source=f"{m.source_file}:{m.source_row}" if getattr(m, "source_row", None) else m.source_file)


def _metric(rate: Rate | None, by_value: bool) -> Decimal | None:
    if rate is None or not rate.eligible:
        return None
    return rate.duty if by_value else rate.ad_valorem


def _proof_types(agreement: str, request: Request) -> list[str]:
    return list(_proof_types_on_route(agreement, request.exporter, request.importer, request.date))


@lru_cache(maxsize=4096)
def _proof_types_on_route(agreement: str, exporter: str, importer: str, on) -> tuple[str, ...]:
    """The proof types usable on a route and date. They do not depend on the consignment (its FOB
    and currency only judge the low-value waiver, which is not listed here): cached per route."""
    from noodlebowl.proof.requirements import proof_options

    found = proof_options(agreement, exporter, importer, on)
    return tuple(o.name + ("" if o.status == "available" else f" ({o.status})")
                 for o in found.options if o.status in ("available", "conditional", "limited"))


def compare(request: Request) -> Comparison:
    """MFN and every modelled agreement for the route; the best qualifying option."""
    from noodlebowl import refdata
    from noodlebowl.agreements.registry import not_modelled_for_route
    from noodlebowl.origin import determine
    from noodlebowl.tariffs.lookup import NoTariffData, lookup

    determinations = determine(request)
    caveats: list[str] = []
    needed: list[Question] = [q for d in determinations for q in d.needed]
    try:
        result = lookup(request.importer, request.product.hs, request.exporter, request.date)
    except NoTariffData as exc:
        # Rate unknown is an answer: the determinations still stand; nothing counts as zero.
        caveats.append(exc.sentence())
        if request.importer in NO_IMPORT_DUTY:
            caveats.append(NO_IMPORT_DUTY[request.importer])
        result = _NoTariff()
    caveats.extend(result.notes)
    cv, qty, unit = request.customs_value, request.quantity, request.unit
    by_value = cv is not None
    if not by_value:
        caveats.append("No customs value given: options are compared by their ad valorem rates.")
    mfn = _rate_for(result, "MFN", cv, qty, unit)
    mfn_metric = _metric(mfn, by_value)
    if len(result.lines) > 1 and (mfn is None or mfn.rate is None):
        needed.append(Question(key="product.hs", question="Which national tariff line is the product? "
                                                          "Rates differ between them.",
                               agreements=[d.agreement for d in determinations], options=list(result.lines)))
    options = []
    for d in determinations:
        rate = _rate_for(result, d.agreement, cv, qty, unit)
        metric = _metric(rate, by_value)
        saving = (mfn_metric - metric) if (metric is not None and mfn_metric is not None) else None
        options.append(Option(agreement=d.agreement, in_force=d.in_force, outcome=d.outcome, criterion=d.criterion,
                              form_code=d.form_code, rate=rate, saving=saving,
                              saving_unit=(request.product.currency if by_value else "percentage points")
                              if saving is not None else None,
                              proof=_proof_types(d.agreement, request)))
    best, best_reason = _best(options, mfn, mfn_metric, by_value)
    options = [o.model_copy(update={"why_not_best": _why_not(o, best, mfn_metric, by_value)}) for o in options]
    best_metric = mfn_metric if best in ("MFN", "no preference needed", "unknown") else \
        next(_metric(o.rate, by_value) for o in options if o.agreement == best)
    unmodelled = _unmodelled_cheaper(result, request, best_metric, by_value, not_modelled_for_route)
    return Comparison(exporter=request.exporter, importer=request.importer, date=request.date.isoformat(),
                      product_hs=request.product.hs, customs_value=cv, currency=request.product.currency,
                      mfn=mfn, options=options, best=best, best_reason=best_reason, unmodelled_cheaper=unmodelled,
                      needed=needed, caveats=caveats, determinations=determinations,
                      data_version=refdata.data_version())


class _NoTariff:
    """Stands in for a lookup result when the importer has no tariff data at all."""

    lines: tuple = ()
    measures: tuple = ()
    notes: tuple = ()


def _best(options: list[Option], mfn: Rate | None, mfn_metric, by_value: bool) -> tuple[str, str]:
    if mfn_metric == 0:
        return "no preference needed", "the MFN rate is already free"
    usable = [(o, _metric(o.rate, by_value)) for o in options if o.outcome is Outcome.qualifies]
    usable = [(o, m) for o, m in usable if m is not None and (mfn_metric is None or m < mfn_metric)]
    if not usable:
        if mfn is None or mfn.rate is None:
            return "unknown", "the rates are unknown: load the importer's tariff (`noodlebowl tariffs import`)"
        return "MFN", "no agreement gives this product a lower rate that it qualifies for"
    o, m = min(usable, key=lambda pair: (pair[1], PROOF_EFFORT.get(pair[0].agreement, 9)))
    unit = "" if by_value else " %"
    return o.agreement, f"qualifies ({o.criterion}) at {o.rate.rate}, the lowest duty ({m}{unit})"


def _why_not(o: Option, best: str, mfn_metric, by_value: bool) -> str | None:
    if o.agreement == best:
        return None
    if o.outcome is Outcome.does_not_qualify:
        return "the product does not qualify under its rules of origin"
    if o.outcome is Outcome.undetermined:
        return "qualification is undetermined: answer the questions in `needed`"
    if o.rate is None:
        return "rate unknown: the importer's tariff has no rate for this agreement"
    if not o.rate.eligible:
        return f"not available: {o.rate.note or 'the line is not eligible (' + str(o.rate.raw) + ')'}"
    metric = _metric(o.rate, by_value)
    if metric is None:
        return f"rate not computable: {o.rate.raw}"
    if mfn_metric is not None and metric >= mfn_metric:
        return f"no saving: {o.rate.rate} is not below MFN"
    return f"higher or equal rate ({o.rate.rate}) than the best choice"


def _unmodelled_cheaper(result, request: Request, best_metric, by_value: bool, not_modelled_for_route) -> list[Unmodelled]:
    route = {u.id: u for u in not_modelled_for_route(request.exporter, request.importer)}
    out = []
    for regime in sorted({m.regime for m in result.measures} - NON_AGREEMENT_REGIMES):
        if regime not in route:
            continue
        rate = _rate_for(result, regime, request.customs_value, request.quantity, request.unit)
        metric = _metric(rate, by_value)
        if rate is None or metric is None or (best_metric is not None and metric >= best_metric):
            continue
        out.append(Unmodelled(regime=regime, rate=rate.rate or str(rate.raw), ad_valorem=rate.ad_valorem,
                              note=f"{rate.rate} under {regime} — its rules of origin are not evaluated by noodlebowl"))
    return out
