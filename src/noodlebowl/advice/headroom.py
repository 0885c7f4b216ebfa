"""Margins: how far a determination is from the line, in money and percentage points.

Pure functions of (request, determination). A positive headroom is room to spare; a negative
one is the gap to close. The figures restate the engine's own formulas, with the threshold the
determination reports (the lowest value-content threshold of the rule):

- build-down: RVC = (FOB − VNM) / FOB ≥ t  ⇔  VNM ≤ VNM_max = FOB × (1 − t/100); headroom = VNM_max − VNM;
- build-up: RVC = (VOM + costs) / FOB ≥ t; headroom = VOM + costs − FOB × t/100 (originating value
  that could be lost);
- de minimis: materials not making the tariff shift may be worth up to limit × FOB; headroom =
  limit × FOB − their value (and the weight variant).

Each margin cites the article the agreement's provisions give for it (agreements/parameters/*.yaml,
``rvc.methods`` and ``de_minimis.value_percent``), never one written here.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from noodlebowl.origin.answer import Determination, Outcome
from noodlebowl.origin.request import Request

HUNDRED = Decimal(100)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class RvcMargin(_Model):
    method: str                     # build_down | build_up
    allowed: bool                   # the agreement's provisions allow this method
    article: str                    # the method's article in the agreement's provisions
    percent: Decimal | None         # the RVC by this method; None when not computable (costs missing)
    threshold: Decimal
    points: Decimal | None          # percent − threshold
    limit_value: Decimal | None     # build-down: VNM_max; build-up: originating value + costs needed
    headroom: Decimal | None        # money; negative = the gap
    passes: bool | None


class DeMinimisMargin(_Model):
    limit: Decimal | None           # percent of FOB
    share: Decimal                  # percent of FOB of the materials not making the shift
    failing_value: Decimal
    limit_value: Decimal | None
    headroom: Decimal | None        # money; negative = the excess
    weight_limit: Decimal | None = None
    weight_share: Decimal | None = None
    weight_headroom_kg: Decimal | None = None
    used: bool = False


class ShiftFailure(_Model):
    material: str
    origin: str | None
    value: Decimal | None
    result: Outcome                 # does_not_qualify, or undetermined (code missing or not settling)
    detail: str
    article: str


class Margins(_Model):
    agreement: str
    outcome: Outcome
    currency: str
    threshold: Decimal | None       # the lowest value-content threshold of the rule
    rvc: list[RvcMargin]            # per threshold of the rule, per method
    de_minimis: DeMinimisMargin | None
    shift_failures: list[ShiftFailure]


def _thresholds(d: Determination) -> list[Decimal]:
    """Every value-content threshold of the rule ("RVC40 or RVC35+CTSH": 40 and 35), highest first."""
    if d.rule is None:
        return [d.rvc.threshold] if d.rvc and d.rvc.threshold is not None else []
    from noodlebowl.rules import ValueContent, parse_rule, walk

    found = {n.threshold for n in walk(parse_rule(d.rule.text)) if isinstance(n, ValueContent)}
    return sorted(found, reverse=True)


def rvc_margins(request: Request, d: Determination) -> list[RvcMargin]:
    """Headroom by each method against each threshold of the rule."""
    from noodlebowl.origin.provisions_view import origin_provisions

    figures = d.rvc
    if figures is None:
        return []
    fob = figures.fob
    provisions = origin_provisions(d.agreement, request.date)
    allowed = provisions.rvc_methods

    def article(method: str) -> str:
        return provisions.rvc_method_articles.get(method, provisions.rvc_article)
    costs = request.costs.total() if request.costs.complete else None
    out = []
    for t in _thresholds(d):
        vnm_max = fob * (1 - t / HUNDRED)
        down = figures.build_down
        out.append(RvcMargin(method="build_down", allowed="build_down" in allowed, article=article("build_down"),
                             percent=down, threshold=t,
                             points=None if down is None else down - t, limit_value=vnm_max,
                             headroom=vnm_max - figures.non_originating_value,
                             passes=None if down is None else down >= t))
        up = figures.build_up
        needed = fob * t / HUNDRED
        out.append(RvcMargin(method="build_up", allowed="build_up" in allowed, article=article("build_up"),
                             percent=up, threshold=t,
                             points=None if up is None else up - t, limit_value=needed,
                             headroom=None if costs is None else figures.originating_value + costs - needed,
                             passes=None if up is None else up >= t))
    return out


def shift_failures(request: Request, d: Determination) -> list[ShiftFailure]:
    """Non-originating materials that fail (or may fail) a tariff shift, once each, worst first."""
    by_name = {m.name: m for m in request.materials}
    seen: dict[str, ShiftFailure] = {}
    for c in d.checks:
        if c.check != "tariff_shift" or c.result is Outcome.qualifies or c.subject is None:
            continue
        if c.subject in seen and seen[c.subject].result is Outcome.does_not_qualify:
            continue
        m = by_name.get(c.subject)
        seen[c.subject] = ShiftFailure(material=c.subject, origin=m.origin if m else None,
                                       value=m.value if m else None, result=c.result, detail=c.detail,
                                       article=c.article)
    return sorted(seen.values(), key=lambda f: (f.result is not Outcome.does_not_qualify, -(f.value or 0)))


def de_minimis_margin(request: Request, d: Determination) -> DeMinimisMargin | None:
    dm = d.de_minimis
    if dm is None or dm.share is None:
        return None
    fob = request.product.fob
    failing = dm.share * fob / HUNDRED
    limit_value = None if dm.limit is None else dm.limit * fob / HUNDRED
    weight_headroom = None
    if dm.weight_limit is not None and dm.weight_share is not None and request.product.weight_kg:
        weight_headroom = (dm.weight_limit - dm.weight_share) * request.product.weight_kg / HUNDRED
    return DeMinimisMargin(limit=dm.limit, share=dm.share, failing_value=failing, limit_value=limit_value,
                           headroom=None if limit_value is None else limit_value - failing,
                           weight_limit=dm.weight_limit, weight_share=dm.weight_share,
                           weight_headroom_kg=weight_headroom, used=dm.used)


def margins(request: Request, d: Determination) -> Margins:
    """RVC headroom per method, de minimis headroom and the materials failing the tariff shift."""
    return Margins(agreement=d.agreement, outcome=d.outcome, currency=request.product.currency,
                   threshold=d.rvc.threshold if d.rvc else None, rvc=rvc_margins(request, d),
                   de_minimis=de_minimis_margin(request, d), shift_failures=shift_failures(request, d))
