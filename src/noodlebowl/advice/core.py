"""Qualification advice (design question 6): how far the product is from qualifying under each
agreement, and the smallest change in sourcing or cost that makes it qualify.

>>> from noodlebowl.advice import advise                       # doctest: +SKIP
>>> advice = advise(request, {"max_price_change_percent": 10})  # doctest: +SKIP

Every suggested move set is proven: the origin engine is re-run on the modified request and the
suggestion carries that determination's outcome and criterion. Suggestions across agreements are
ranked by the duty they save (against MFN, from :func:`noodlebowl.compare.compare`) per material
changed; an unknown rate ranks last and says so.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from noodlebowl.advice.headroom import Margins, margins
from noodlebowl.advice.moves import AdviceOptions, Move, apply_moves, candidate_moves, check_options
from noodlebowl.errors import InvalidRequest
from noodlebowl.origin.answer import Outcome, Question
from noodlebowl.origin.request import Request

__all__ = ["Advice", "AdviceOptions", "AgreementAdvice", "FactAnswer", "Margins", "Move", "RankedOption",
           "Suggestion", "advise", "apply_moves", "candidate_moves", "load_advice_request", "margins",
           "parse_advice_request"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Suggestion(_Model):
    """A set of moves, and what the engine answers once they are made."""

    agreement: str
    moves: list[Move]
    steps: list[str]                # each move in plain words
    materials_changed: int
    value_changed: Decimal          # the ranking figure: value re-classified or price moved
    price_change: Decimal           # net change of the bill of materials' cost (new − old prices)
    outcome: Outcome                # verified: determine() on the modified request
    criterion: str | None
    form_code: str | None
    summary: str
    proven_smallest: bool


class FactAnswer(_Model):
    """An answer to an open question that, verified, makes the product qualify."""

    key: str
    question: str
    answer: str | bool
    outcome: Outcome
    criterion: str | None


class AgreementAdvice(_Model):
    agreement: str
    in_force: bool | None
    outcome: Outcome
    criterion: str | None
    summary: str
    status: Literal["already_qualifies", "moves_found", "no_moves_found", "cannot_qualify_by_moves"]
    message: str
    margins: Margins
    suggestions: list[Suggestion]
    fact_answers: list[FactAnswer]
    rate: str | None
    saving: Decimal | None          # against MFN, as compare() reports it
    saving_unit: str | None
    evaluations: int                # engine runs the search needed


class RankedOption(_Model):
    rank: int
    agreement: str
    materials_changed: int
    saving: Decimal | None
    saving_unit: str | None
    saving_per_move: Decimal | None
    text: str
    note: str | None = None


class Advice(_Model):
    exporter: str
    importer: str
    date: str
    product_hs: str
    currency: str
    options: AdviceOptions
    agreements: list[AgreementAdvice]
    ranking: list[RankedOption]
    questions: list[Question]       # merged across agreements, most decisive first
    caveats: list[str]
    data_version: str


# --- reading a request with its advice options ---------------------------------------------

def parse_advice_request(data: Any, *, source: str = "request") -> tuple[Request, AdviceOptions]:
    """A request mapping with an optional ``advice:`` key, split into the request and the options."""
    from noodlebowl.origin.request import parse_request

    advice_data = {}
    if isinstance(data, dict) and "advice" in data:
        data = dict(data)
        advice_data = data.pop("advice") or {}
    request = parse_request(data, source=source)
    options = _options(advice_data, source)
    check_options(request, options)
    return request, options


def _options(data: Any, source: str = "options") -> AdviceOptions:
    if isinstance(data, AdviceOptions):
        return data
    try:
        return AdviceOptions.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidRequest(err["msg"], where=f"{source}: field advice{'.' + where if where else ''}",
                             accepted="prices: {material: {country: price}}, max_price_change_percent (0–100), "
                                      "same_price_sources, max_moves, exhaustive_up_to, alternatives") from None


def load_advice_request(path: str | Path) -> tuple[Request, AdviceOptions]:
    """Read a request file (YAML or JSON) whose optional ``advice:`` key holds the options."""
    from noodlebowl.origin.request import _yaml_loader, load_request

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = (json.loads(text, parse_float=Decimal) if path.suffix.lower() == ".json"
                else __import__("yaml").load(text, Loader=_yaml_loader()))
    except Exception:  # unreadable or bad syntax: the request reader says where, in its words
        load_request(path)
        raise
    return parse_advice_request(data, source=str(path))


# --- the advice ----------------------------------------------------------------------------

def _suggestion(found, proven: bool, request: Request) -> Suggestion:
    d = found.determination
    currency = request.product.currency
    return Suggestion(
        agreement=d.agreement, moves=list(found.moves), steps=[m.describe(currency) for m in found.moves],
        materials_changed=len({m.material for m in found.moves if m.material}),
        value_changed=sum((m.value_changed for m in found.moves), Decimal(0)),
        price_change=sum(((m.new_price or 0) - (m.price or 0) for m in found.moves), Decimal(0)),
        outcome=d.outcome, criterion=d.criterion, form_code=d.form_code, summary=d.summary,
        proven_smallest=proven)


def _message(status: str, d, result, suggestions: list[Suggestion], m: Margins) -> str:
    if status == "already_qualifies":
        failing = [c for c in d.checks if c.result is Outcome.does_not_qualify and c.check != "rule"]
        other = f" (other limbs fail, e.g. {failing[0].detail})" if failing else ""
        return f"Already qualifies by {d.criterion}: no change needed{other}."
    if status == "moves_found":
        best = suggestions[0]
        return (f"{len(best.moves)} change(s) make it qualify by {best.criterion}"
                + ("" if best.proven_smallest else f" ({result.note})") + ".")
    return result.note or "no move set found"


def advise(request: Request, options: AdviceOptions | dict | None = None) -> Advice:
    """Margins and the smallest qualifying move sets for every agreement of the comparison."""
    from noodlebowl import refdata
    from noodlebowl.advice.search import fact_answers, search
    from noodlebowl.agreements.registry import parties_on
    from noodlebowl.compare import compare

    options = _options(options)
    check_options(request, options)
    comparison = compare(request)
    rates = {o.agreement: o for o in comparison.options}
    out: list[AgreementAdvice] = []
    for d in comparison.determinations:
        # only parties for which the agreement is in force on the date can supply originating materials
        # (RCEP Art. 3.4(1); ATIGA Art. 30(1)): no move may rest on a party not yet (or not surely) in force
        members = parties_on(d.agreement, request.date).in_force
        result = search(request, d.agreement, members, options, d)
        suggestions = [_suggestion(f, result.proven_smallest, request) for f in result.found]
        status = {"already_qualifies": "already_qualifies", "found": "moves_found",
                  "not_found": "no_moves_found", "impossible": "cannot_qualify_by_moves"}[result.status]
        m = margins(request, d)
        questions = {q.key: q.question for q in d.needed}
        answers = [FactAnswer(key=k, question=questions.get(k, k), answer=a, outcome=fd.outcome,
                              criterion=fd.criterion) for k, a, fd in fact_answers(request, d.agreement, d)]
        option = rates.get(d.agreement)
        out.append(AgreementAdvice(
            agreement=d.agreement, in_force=d.in_force, outcome=d.outcome, criterion=d.criterion,
            summary=d.summary, status=status, message=_message(status, d, result, suggestions, m), margins=m,
            suggestions=suggestions, fact_answers=answers,
            rate=option.rate.rate if option and option.rate else None,
            saving=option.saving if option else None, saving_unit=option.saving_unit if option else None,
            evaluations=result.evaluations))
    return Advice(exporter=request.exporter, importer=request.importer, date=request.date.isoformat(),
                  product_hs=request.product.hs, currency=request.product.currency, options=options,
                  agreements=out, ranking=_rank(out), questions=_questions(comparison.needed),
                  caveats=list(comparison.caveats), data_version=refdata.data_version())


def _rank(advice: list[AgreementAdvice]) -> list[RankedOption]:
    """Duty saved per material changed, best first; unknown savings last (said so)."""
    rows = []
    for a in advice:
        if a.status == "already_qualifies":
            n, text = 0, f"{a.agreement}: already qualifies by {a.criterion} — no change needed"
        elif a.status == "moves_found":
            best = a.suggestions[0]
            n = best.materials_changed
            text = f"{a.agreement}: " + "; ".join(best.steps) + f" → qualifies by {best.criterion}"
        else:
            text = None
        entries = [(n, text, None)] if text else []
        if a.fact_answers:
            f = a.fact_answers[0]
            entries.append((0, f"{a.agreement}: confirm {f.key} = {f.answer} → qualifies by {f.criterion}",
                            "only if it is true of the production"))
        for n, text, condition in entries:
            per = None if a.saving is None else a.saving / max(n, 1)
            notes = [condition] if condition else []
            if a.saving is None:
                notes.append("duty rate unknown (or not eligible): ranked last")
            elif a.saving <= 0:
                notes.append("no saving against MFN")
            rows.append((a, n, per, text, "; ".join(notes) or None))
    rows.sort(key=lambda r: (r[2] is None, -(r[2] or 0), r[1], r[0].agreement))
    return [RankedOption(rank=i + 1, agreement=a.agreement, materials_changed=n, saving=a.saving,
                         saving_unit=a.saving_unit, saving_per_move=per, text=text, note=note)
            for i, (a, n, per, text, note) in enumerate(rows)]


def _questions(needed: list[Question]) -> list[Question]:
    """The same question asked by several agreements once, the most decisive first."""
    merged: dict[str, Question] = {}
    for q in needed:
        if q.key in merged:
            agreements = sorted(set(merged[q.key].agreements) | set(q.agreements))
            options = list(dict.fromkeys(merged[q.key].options + q.options))
            merged[q.key] = merged[q.key].model_copy(update={"agreements": agreements, "options": options})
        else:
            merged[q.key] = q
    return sorted(merged.values(), key=lambda q: (-len(q.agreements), q.key))
