"""Across agreements: what the importer charges under MFN and under each agreement, which
preference the product actually qualifies for, the best choice, and why every other one loses.

* ``best`` is chosen only among qualifying options whose rate is known for the date; a qualifying
  option with an unknown rate, a cheaper option still undetermined, and every agreement noodlebowl
  does not evaluate are named in the same answer with what to check (``also_check``,
  ``unmodelled_cheaper``). Unknown rates never count as zero; a saving is only given for an option
  that qualifies.
* RCEP Art. 2.6: for an importer whose schedule differs by origin, the rate is read in the column of
  the RCEP country of origin (``tariffs/origin_country.py``), not blindly the exporter's.
* Which agreement a tariff regime implements comes from one table (``tariffs/regimes.yaml``).
* Rates and duties are exact in the JSON; ``words`` and ``duty_text`` round for display only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from noodlebowl.origin.answer import Determination, Outcome, Question
from noodlebowl.origin.request import Request
from noodlebowl.tariffs.origin_country import CountryOfOrigin

# Importers said to levy no import duty at all. The shared data holds no legal basis for it (no tariff
# file, no statute), so the sentence says so instead of treating the rate as zero.
NO_IMPORT_DUTY = {"HK": "Hong Kong, China: no import duty (not in the data: check)"}
# Simpler proof first: self-declaration schemes beat a certificate from an authority (ties only).
PROOF_EFFORT = {"ATIGA": 0, "RCEP": 1, "ACFTA": 2}
UNKNOWN_KINDS = ("unknown", "not_computable")
NOT_GRANTED_KINDS = ("not_eligible", "excluded")


class Rate(BaseModel):
    model_config = ConfigDict(frozen=True)

    regime: str
    agreement: str | None = None    # the agreement the regime implements (tariffs/regimes.yaml)
    national_lines: list[str]
    raw: str | None                 # the tariff's own cell(s), for the record; never shown as a rate
    rate: str | None                # readable form; None when unknown
    ad_valorem: Decimal | None      # percent when free or ad valorem
    duty: Decimal | None            # exact, in the request's currency; None when not computable
    duty_note: str | None = None
    eligible: bool = True           # False: not eligible (`*`), excluded from concessions, or origin excluded
    note: str | None = None
    source: str | None = None       # file:row of the tariff data
    words: str = ""                 # "free", "7 %", "not eligible — MFN applies", "rate unknown for 2025-06-01"
    duty_text: str | None = None    # "7 % of 1,200.00 USD = 84.00 USD" (rounded to the currency's minor unit)
    column: str | None = None       # the origin column read, e.g. "RCEP CN"
    undated: str | None = None      # the source states no validity dates: what it is current as of


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    agreement: str
    in_force: bool | None
    outcome: Outcome
    criterion: str | None
    form_code: str | None
    rate: Rate | None
    saving: Decimal | None          # against MFN (qualifying options only), in money with a customs value, else in percentage points
    saving_unit: str | None
    proof: list[str]                # proof-of-origin types available on the route
    why_not_best: str | None = None
    rcep_country_of_origin: CountryOfOrigin | None = None   # RCEP Art. 2.6: whose column applies, and why
    rate_claims: list[str] = []     # RCEP Art. 2.6.6 claims with their rates
    saving_text: str | None = None  # the saving rounded for display


class Unmodelled(BaseModel):
    model_config = ConfigDict(frozen=True)

    regime: str
    agreement: str | None = None
    rate: str
    ad_valorem: Decimal | None
    note: str
    source: str | None = None


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
    best: str                       # an agreement, "MFN", "no preference needed", or "unknown"
    best_reason: str
    unmodelled_cheaper: list[Unmodelled]
    unmodelled: list[Unmodelled] = []  # every rate on the route under an agreement noodlebowl does not evaluate
    also_check: list[str] = []      # qualifying options whose rate is unknown, cheaper undetermined ones, agreements without rates
    needed: list[Question]
    caveats: list[str]
    determinations: list[Determination]
    data_version: str


# ---------------------------------------------------------------- rates


class _Money(BaseModel):
    """How a duty is computed for this request."""

    customs_value: Decimal | None
    quantity: Decimal | None
    unit: str | None
    currency: str

    @property
    def by_value(self) -> bool:
        return self.customs_value is not None


def _rate_for(measures, regime: str, money: _Money) -> Rate | None:
    """The one rate of a regime across the national lines found; None if absent."""
    from noodlebowl.tariffs.rates import ad_valorem_equivalent, describe, duty_text, duty_with_reason, rate_words
    from noodlebowl.tariffs.regimes import agreement_of

    found = [m for m in measures if m.regime == regime]
    if not found:
        return None
    lines = sorted({m.national_line for m in found})
    agreement = agreement_of(regime) or (regime if regime not in ("MFN", "GENERAL") else None)
    distinct = {m.raw for m in found}
    if len(distinct) > 1:
        words = sorted({rate_words(m.rate) for m in found})
        return Rate(regime=regime, agreement=agreement, national_lines=lines, raw=" | ".join(sorted(distinct)),
                    rate=None, ad_valorem=None, duty=None, eligible=any(not m.excluded for m in found),
                    words="differs between the national lines: " + "; ".join(words),
                    note="the rate differs between the national lines under this code; give the national line",
                    source=found[0].source_file, column=found[0].scope.group)
    m = found[0]
    not_granted = m.excluded or m.rate.kind in NOT_GRANTED_KINDS
    known = not not_granted and m.rate.kind not in UNKNOWN_KINDS
    amount, why = duty_with_reason(m.rate, money.customs_value, money.quantity, money.unit) if known else (None, None)
    if m.excluded:
        words = "not granted to goods of this origin — MFN applies"
    else:
        words = rate_words(m.rate)
    undated = m.validity_note if (m.valid_from is None and m.valid_to is None and m.validity_note) else None
    note = m.note or (None if known or not_granted else f"the tariff cell is not a rate noodlebowl can compute "
                                                           f"({getattr(m.rate, 'reason', 'no rate')})")
    return Rate(regime=regime, agreement=agreement, national_lines=lines, raw=m.raw,
                rate=describe(m.rate) if known else None, ad_valorem=ad_valorem_equivalent(m.rate) if known else None,
                duty=amount, duty_note=why, eligible=not not_granted, note=note,
                source=f"{m.source_file}:{m.source_row}" if m.source_row else m.source_file, words=words,
                duty_text=duty_text(m.rate, money.customs_value, money.currency, amount) if known else None,
                column=m.scope.group, undated=undated)


def _metric(rate: Rate | None, by_value: bool) -> Decimal | None:
    """What options are ranked by: the duty with a customs value, else the ad valorem rate."""
    if rate is None or not rate.eligible:
        return None
    return rate.duty if by_value else rate.ad_valorem


class _NoTariff:
    """Stands in for a lookup result when no rate can be read (no tariff, or none for the date)."""

    lines: tuple = ()
    measures: tuple = ()
    notes: tuple = ()

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _lookup(importer: str, hs: str, origin: str, on: dt.date):
    """The tariff lookup, or a :class:`_NoTariff` saying why no rate can be read. Missing data and
    dates outside every edition are answers (rate unknown), not failures: the origin answers stand."""
    from noodlebowl.errors import DateOutOfRange
    from noodlebowl.tariffs.lookup import NoTariffData, lookup

    try:
        return lookup(importer, hs, origin, on)
    except NoTariffData as exc:
        return _NoTariff(exc.sentence())
    except DateOutOfRange as exc:
        return _NoTariff(f"rate unknown for {on.isoformat()}: {exc.sentence()}")


# ---------------------------------------------------------------- proof types


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


# ---------------------------------------------------------------- RCEP Art. 2.6


class _RcepRate(BaseModel):
    rate: Rate | None
    country: CountryOfOrigin | None
    claims: list[str]
    needed: list[Question]


def _rcep_rate(request: Request, d: Determination, exporter_rate: Rate | None, money: _Money) -> _RcepRate:
    """RCEP's rate in the column of the RCEP country of origin (Art. 2.6); when that cannot be
    settled and the columns differ, the Art. 2.6.6(a) claim (highest rate among the candidates)."""
    from noodlebowl.tariffs.origin_country import country_of_origin_for, originating_materials_by_party

    if d.outcome is Outcome.does_not_qualify:
        return _RcepRate(rate=exporter_rate, country=None, claims=[], needed=[])
    country = country_of_origin_for(request, d)
    if country.outcome == "not_needed":
        return _RcepRate(rate=exporter_rate, country=country, claims=[], needed=[])
    # the importing Party's own materials have no column in its schedule (no "rate for goods of" itself)
    contributors = sorted(p for p in originating_materials_by_party(request) if p != request.importer)
    candidates = list(dict.fromkeys([request.exporter, *contributors]))
    by_party = {p: (exporter_rate if p == request.exporter else _party_rate(request, p, money)) for p in candidates}
    claims = _claims(request, contributors, by_party, money)
    if country.outcome == "resolved":
        party = country.rcep_country_of_origin
        rate = by_party.get(party) or _party_rate(request, party, money)
        return _RcepRate(rate=rate, country=country, claims=claims, needed=[])
    metrics = {p: _metric(r, money.by_value) for p, r in by_party.items()}
    if None not in metrics.values() and len(set(metrics.values())) == 1:
        note = (f"the RCEP country of origin is not settled ({country.reason}), but every candidate Party "
                f"({', '.join(candidates)}) has the same rate in {request.importer}'s schedule")
        rate = exporter_rate.model_copy(update={"note": note}) if exporter_rate else None
        return _RcepRate(rate=rate, country=country, claims=claims, needed=[])
    known = {p: m for p, m in metrics.items() if m is not None}
    if known and len(known) == len(metrics):
        top = max(known, key=lambda p: known[p])
        rate = by_party[top].model_copy(update={"note": (
            f"the RCEP country of origin is not settled: it is one of {', '.join(candidates)}, whose rates differ; "
            f"the highest of them ({top}'s) is shown — never below the rate that applies, and claimable under "
            f"Art. 2.6.6(a) where {top} contributed originating materials and the importer can prove it; answer "
            "the questions in `needed` for the exact column")})
    else:
        rate = None
    # which subparagraph of Art. 3.2 applies follows from the origin answer itself: not asked before it is known
    needed = [q for q in country.needed if not (q.key == "rcep_originating_under" and d.outcome is Outcome.undetermined)]
    return _RcepRate(rate=rate, country=country, claims=claims, needed=needed)


def _party_rate(request: Request, party: str, money: _Money) -> Rate | None:
    found = _lookup(request.importer, request.product.hs, party, request.date)
    return _rate_for(found.measures, "RCEP", money)


def _claims(request: Request, contributors: list[str], by_party: dict, money: _Money) -> list[str]:
    """Art. 2.6.6(a) and (b) with the rates the data gives."""
    from noodlebowl.tariffs.origin_country import RCEP_PARTIES

    def highest(parties) -> str:
        rates = {p: by_party.get(p) or _party_rate(request, p, money) for p in parties}
        # a Party whose goods get no preference on the line (excluded, not eligible) has no rate to claim
        preferential = {p: r for p, r in rates.items() if r is None or r.eligible}
        missing = sorted(p for p, r in preferential.items() if _metric(r, money.by_value) is None)
        if missing:
            return f"not computable: no rate in the data for goods of {', '.join(missing)}"
        if not preferential:
            return "none: the line has no preference for goods of these Parties"
        top = max(preferential, key=lambda p: _metric(preferential[p], money.by_value))
        return f"{preferential[top].words} (the rate for goods of {top})"

    out = []
    if contributors:
        out.append("Art. 2.6.6(a), highest rate among the Parties contributing originating materials "
                   f"({', '.join(contributors)}): {highest(contributors)}; the importer must be able to prove it")
    others = [p for p in RCEP_PARTIES if p != request.importer]
    out.append(f"Art. 2.6.6(b), highest rate among all Parties: {highest(others)}")
    return out


# ---------------------------------------------------------------- the comparison


def compare(request: Request) -> Comparison:
    """MFN and every modelled agreement for the route; the best qualifying option."""
    from noodlebowl import refdata
    from noodlebowl.origin import determine

    determinations = determine(request)
    caveats: list[str] = []
    needed: list[Question] = [q for d in determinations for q in d.needed]
    result = _lookup(request.importer, request.product.hs, request.exporter, request.date)
    if isinstance(result, _NoTariff):
        caveats.append(result.reason)
        if request.importer in NO_IMPORT_DUTY:
            caveats.append(NO_IMPORT_DUTY[request.importer])
    caveats.extend(result.notes)
    money = _Money(customs_value=request.customs_value, quantity=request.quantity, unit=request.unit,
                   currency=request.product.currency)
    if not money.by_value:
        caveats.append("No customs value given: options are compared by their ad valorem rates.")
    mfn = _rate_for(result.measures, "MFN", money)
    mfn_metric = _metric(mfn, money.by_value)
    if len(result.lines) > 1 and (mfn is None or mfn.rate is None):
        needed.append(Question(key="product.hs", question="Which national tariff line is the product? "
                                                          "Rates differ between them.",
                               agreements=[d.agreement for d in determinations], options=list(result.lines)))
    options = [_option(request, d, result, money, mfn_metric, needed) for d in determinations]
    best, best_reason = _best(options, mfn, mfn_metric, money.by_value, result)
    options = [o.model_copy(update={"why_not_best": _why_not(o, best, mfn_metric, money.by_value)}) for o in options]
    best_metric = mfn_metric if best in ("MFN", "no preference needed", "unknown") else \
        next(_metric(o.rate, money.by_value) for o in options if o.agreement == best)
    every_unmodelled = _unmodelled_rates(result, request, money)
    unmodelled = [u for u, metric in every_unmodelled
                  if metric is not None and (best_metric is None or metric < best_metric)]
    also = _also_check(options, best, best_metric, money.by_value, request, result)
    if unmodelled:
        best_reason += (f"; lower rates exist under {', '.join(u.agreement for u in unmodelled)}, which noodlebowl "
                        "does not evaluate — check their rules of origin (unmodelled_cheaper)")
    caveats.extend(_undated(mfn, options))
    return Comparison(exporter=request.exporter, importer=request.importer, date=request.date.isoformat(),
                      product_hs=request.product.hs, customs_value=money.customs_value, currency=money.currency,
                      mfn=mfn, options=options, best=best, best_reason=best_reason, unmodelled_cheaper=unmodelled,
                      unmodelled=[u for u, _ in every_unmodelled],
                      also_check=also, needed=needed, caveats=list(dict.fromkeys(caveats)),
                      determinations=determinations, data_version=refdata.data_version())


def _option(request: Request, d: Determination, result, money: _Money, mfn_metric, needed: list[Question]) -> Option:
    from noodlebowl.tariffs.rates import money_text

    rate = _rate_for(result.measures, d.agreement, money)
    country, claims = None, []
    if d.agreement == "RCEP" and not isinstance(result, _NoTariff):
        rcep = _rcep_rate(request, d, rate, money)
        rate, country, claims = rcep.rate, rcep.country, rcep.claims
        needed.extend(q for q in rcep.needed if q not in needed)
    if isinstance(result, _NoTariff):
        rate = None
    metric = _metric(rate, money.by_value)
    qualifies = d.outcome is Outcome.qualifies
    saving = (mfn_metric - metric) if (qualifies and metric is not None and mfn_metric is not None) else None
    unit = (money.currency if money.by_value else "percentage points") if saving is not None else None
    saving_text = None if saving is None else (
        money_text(saving, money.currency) if money.by_value else f"{saving.normalize():f} percentage points")
    return Option(agreement=d.agreement, in_force=d.in_force, outcome=d.outcome, criterion=d.criterion,
                  form_code=d.form_code, rate=rate, saving=saving, saving_unit=unit, saving_text=saving_text,
                  proof=_proof_types(d.agreement, request), rcep_country_of_origin=country, rate_claims=claims)


def _by(o: Option) -> str:
    """" (CTSH)" — nothing when the criterion is not one (e.g. it differs between a split's candidate codes)."""
    return f" ({o.criterion})" if o.criterion else ""


def _best(options: list[Option], mfn: Rate | None, mfn_metric, by_value: bool, result) -> tuple[str, str]:
    """The cheapest qualifying option among those whose rate is known for the date."""
    known = [(o, _metric(o.rate, by_value)) for o in options if o.outcome is Outcome.qualifies]
    known = [(o, m) for o, m in known if m is not None]
    if mfn_metric == 0:
        return "no preference needed", "the MFN rate is already free"
    if mfn_metric is not None:
        cheaper = [(o, m) for o, m in known if m < mfn_metric]
        if not cheaper:
            return "MFN", "no agreement whose rate is known gives this product a lower rate that it qualifies for"
        o, m = min(cheaper, key=lambda pair: (pair[1], PROOF_EFFORT.get(pair[0].agreement, 9)))
        return o.agreement, (f"qualifies{_by(o)} — {o.rate.words}, the lowest known duty "
                             f"({_shown(m, by_value, o)}) against MFN {mfn.words}")
    if not known:
        if isinstance(result, _NoTariff):
            return "unknown", f"no rate can be compared: {result.reason}"
        return "unknown", "the rates are unknown: load the importer's tariff (`noodlebowl tariffs import`)"
    o, m = min(known, key=lambda pair: (pair[1], PROOF_EFFORT.get(pair[0].agreement, 9)))
    mfn_words = "not in the data" if mfn is None else mfn.words
    return o.agreement, (f"qualifies{_by(o)} — {o.rate.words}, the lowest rate among the agreements the "
                         f"product qualifies for whose rate is known; the MFN rate is {mfn_words}, so no saving "
                         "against MFN can be given")


def _shown(metric: Decimal, by_value: bool, o: Option) -> str:
    if by_value and o.rate and o.rate.duty_text:
        return o.rate.duty_text
    return f"{metric.normalize():f}{'' if by_value else ' %'}"


def _why_not(o: Option, best: str, mfn_metric, by_value: bool) -> str | None:
    if o.agreement == best:
        return None
    if o.outcome is Outcome.does_not_qualify:
        return "the product does not qualify under its rules of origin"
    if o.outcome is Outcome.undetermined:
        return "qualification is undetermined: answer the questions in `needed`"
    if o.rate is None:
        return "rate unknown: the importer's tariff has no rate for this agreement for the date"
    if not o.rate.eligible:
        return f"not available: {o.rate.words}"
    metric = _metric(o.rate, by_value)
    if metric is None:
        return f"rate unknown: {o.rate.words}"
    if mfn_metric is not None and metric >= mfn_metric:
        return f"no saving: {o.rate.words} is not below MFN"
    return f"higher or equal rate ({o.rate.words}) than the best choice"


def _agreement_parties() -> dict[str, list[str]]:
    from noodlebowl.agreements.registry import unmodelled_agreements

    return {u.id: u.parties for u in unmodelled_agreements()}


def _unmodelled_rates(result, request: Request, money: _Money) -> list[tuple[Unmodelled, Decimal | None]]:
    """Every rate on the route under an agreement noodlebowl does not evaluate, with its ranking
    metric: shown, never evaluated, never hidden by a name (tariffs/regimes.yaml)."""
    from noodlebowl.agreements.registry import MODELLED
    from noodlebowl.tariffs.regimes import agreement_of, is_agreement

    members = _agreement_parties()
    out = []
    for regime in sorted({m.regime for m in result.measures}):
        agreement = agreement_of(regime) or regime
        if not is_agreement(regime) or agreement in MODELLED:
            continue
        parties = members.get(agreement)
        if parties is not None and not (request.exporter in parties and request.importer in parties):
            continue
        rate = _rate_for(result.measures, regime, money)
        if rate is None:
            continue
        out.append((Unmodelled(regime=regime, agreement=agreement, rate=rate.words, ad_valorem=rate.ad_valorem,
                               source=rate.source,
                               note=f"{rate.words} under {agreement} — its rules of origin are not evaluated by "
                                    "noodlebowl: check them before claiming it"),
                    _metric(rate, money.by_value)))
    return out


def _also_check(options: list[Option], best: str, best_metric, by_value: bool, request: Request,
                result) -> list[str]:
    """What the user should check besides the best choice, in words."""
    from noodlebowl.agreements.registry import not_modelled_for_route
    from noodlebowl.tariffs.regimes import agreement_of, not_imported_for

    out = []
    why_unknown = result.reason if isinstance(result, _NoTariff) else None
    for o in options:
        metric = _metric(o.rate, by_value)
        if o.outcome is Outcome.qualifies and metric is None and (o.rate is None or o.rate.eligible):
            what = why_unknown or (f"its rate in {request.importer}'s tariff is not in the data" if o.rate is None
                                   else f"its rate is {o.rate.words}")
            than = "" if best == "unknown" else ": it may be cheaper than the best choice"
            out.append(f"{o.agreement} qualifies; {what} — check {request.importer}'s {o.agreement} schedule{than}")
        if o.outcome is Outcome.undetermined and metric is not None and (best_metric is None or metric < best_metric):
            out.append(f"{o.agreement} would give {o.rate.words} if the product qualifies: answer the questions in "
                       "`needed`")
    with_rates = {agreement_of(m.regime) or m.regime for m in result.measures}
    for u in not_modelled_for_route(request.exporter, request.importer):
        if u.id in with_rates:
            continue
        schedules = not_imported_for(u.id, request.importer)
        where = (f"; its rates are in the source ({', '.join(r.source_text() for r in schedules)}) but not "
                 "imported yet") if schedules else \
            ("; its rate for the date is not in the data" if why_unknown else "; its rate is not in the data")
        out.append(f"{u.id} ({u.name}) also covers {request.exporter} → {request.importer}{where} — noodlebowl does "
                   "not evaluate it: check its rate and rules of origin")
    return out


def _undated(mfn: Rate | None, options: list[Option]) -> list[str]:
    """An undated source is named as undated in every answer that uses it."""
    notes = {r.undated for r in [mfn, *(o.rate for o in options)] if r is not None and r.undated}
    return [f"Undated source: {n} — the rates shown are as of that source, whatever the date asked"
            for n in sorted(notes)]
