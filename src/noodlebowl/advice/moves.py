"""Moves: concrete changes to a request that a trader can make, each applied exactly.

A move never guesses a result: it is a change to the bill of materials (or an answer to a
fact) that the origin engine then re-evaluates. The kinds, in the order of the issue:

- ``prove_originating`` — obtain a supplier's declaration or certificate that a material from a
  party is originating under the agreement (cumulation: RCEP Art. 3.4, ATIGA Art. 30(1), ACFTA
  Annex 1 Art. 5). Only offered where the material's origin is a party (or the exporter).
- ``source_from_party`` — buy a material from a party instead of a non-party or unknown source,
  as an originating material (with its proof), at the same price or at a quoted price.
- ``lower_price`` — pay less for a non-originating material, within ``max_price_change_percent``.
- ``answer_fact`` — state a fact the rule depends on (not a cost change).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from noodlebowl.errors import InvalidRequest
from noodlebowl.origin.request import Material, MaterialKind, Request

CENT = Decimal("0.01")
MoveKind = Literal["prove_originating", "source_from_party", "lower_price", "answer_fact"]
# A tie between two move sets of equal size and value: paperwork before a new supplier before a price cut.
KIND_ORDER = {"answer_fact": 0, "prove_originating": 1, "source_from_party": 2, "lower_price": 3}


class AdviceOptions(BaseModel):
    """What the trader allows the advice to change (the request file's optional ``advice:`` key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prices: dict[str, dict[str, Decimal]] = Field(
        default_factory=dict,
        description="quoted prices by material name and supplier country, e.g. {Motor: {TH: '33.00'}}")
    max_price_change_percent: Decimal = Field(
        default=Decimal(0), ge=0, le=100,
        description="how far a non-originating material's price may be lowered; 0 = price cuts not considered")
    same_price_sources: bool = Field(
        default=True, description="without a quote, assume a party supplier at the material's current price")
    max_moves: int = Field(default=3, ge=1, le=10,
                           description="largest set of materials changed that the search tries (k)")
    exhaustive_up_to: int = Field(default=8, ge=0, le=12,
                                  description="BOMs with at most this many candidate materials are searched exhaustively")
    alternatives: int = Field(default=2, ge=0, le=10,
                              description="further move sets of the smallest size to show per agreement")

    @field_validator("prices")
    @classmethod
    def _prices(cls, v: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
        out = {}
        for name, quotes in v.items():
            for country, price in quotes.items():
                if not price.is_finite() or price < 0:
                    raise ValueError(f"price of {name} from {country} must be a non-negative amount")
            out[name] = {c.upper(): p for c, p in quotes.items()}
        return out


def check_options(request: Request, options: AdviceOptions) -> None:
    """Quoted prices must name materials of the request (a typo would silently do nothing)."""
    names = {m.name for m in request.materials}
    for name in options.prices:
        if name not in names:
            raise InvalidRequest(f"no material named {name!r} in the request", where=f"advice.prices.{name}",
                                 accepted=", ".join(sorted(names)) or "a material name")


class Move(BaseModel):
    """One change, with the exact new values, so anyone can re-apply it and re-check."""

    model_config = ConfigDict(frozen=True)

    kind: MoveKind
    agreement: str
    material: str | None = None
    origin: str | None = None              # the material's current origin
    new_origin: str | None = None
    new_originating: bool | list[str] | None = None
    price: Decimal | None = None           # the material's current value
    new_price: Decimal | None = None
    fact: str | None = None
    answer: str | bool | None = None
    value_changed: Decimal = Decimal(0)    # ranking: value re-classified, or money by which a price moves
    quoted: bool = False                   # the new price is the trader's quote, not an assumption

    @property
    def key(self) -> tuple:
        return (self.kind, self.material, self.new_origin, self.new_price, self.fact, str(self.answer))

    def describe(self, currency: str = "") -> str:
        cur = f" {currency}" if currency else ""
        if self.kind == "prove_originating":
            return (f"Get a supplier's declaration (or certificate of origin) that the {self.material} ({self.origin}) "
                    f"is originating under {self.agreement}")
        if self.kind == "source_from_party":
            where = "an unknown source" if self.origin == "unknown" else self.origin
            price = (f"at the quoted {self.new_price}{cur}" if self.quoted else
                     f"at the same price ({self.new_price}{cur})")
            return (f"Source the {self.material} from {self.new_origin} instead of {where}, {price}, "
                    f"as an originating material under {self.agreement} (with the supplier's proof)")
        if self.kind == "lower_price":
            return (f"Lower the price of the non-originating {self.material} from {self.price} to "
                    f"{self.new_price}{cur} (−{self.price - self.new_price}{cur})")
        return f"Answer {self.fact} = {self.answer}"


def _originating_with(m: Material, agreement: str) -> bool | list[str]:
    """The material's ``originating`` field once proven under ``agreement`` as well."""
    if m.originating is True:
        return True
    current = list(m.originating) if isinstance(m.originating, list) else []
    return current + [agreement] if agreement not in current else current


def counts(m: Material) -> bool:
    """Bill-of-materials lines whose status can change an outcome: transport packing is disregarded
    and indirect materials are treated as originating (RCEP Arts 3.8, 3.10; ATIGA Arts 34, 36);
    separately invoiced accessories are goods of their own (RCEP Art. 3.9; ATIGA Art. 35)."""
    if m.kind in (MaterialKind.packing, MaterialKind.indirect):
        return False
    return not (m.kind is MaterialKind.accessory and m.invoiced_separately)


def originating_under(m: Material, agreement: str, exporter: str, parties: frozenset[str]) -> bool:
    """As the engine sees it: declared originating and from a party (or the exporting country)."""
    return m.originating_under(agreement) and (m.origin in parties or m.origin == exporter)


def candidate_moves(request: Request, agreement: str, parties: frozenset[str],
                    options: AdviceOptions) -> list[Move]:
    """Every single-material move for ``agreement``, at most a few per material."""
    out: list[Move] = []
    cut_share = options.max_price_change_percent / 100
    for m in request.materials:
        if not counts(m) or originating_under(m, agreement, request.exporter, parties):
            continue
        from_party = m.origin in parties or m.origin == request.exporter
        if from_party:
            out.append(Move(kind="prove_originating", agreement=agreement, material=m.name, origin=m.origin,
                            new_origin=m.origin, new_originating=_originating_with(m, agreement), price=m.value,
                            new_price=m.value, value_changed=m.value))
        else:
            quotes = {c: p for c, p in options.prices.get(m.name, {}).items()
                      if c in parties or c == request.exporter}
            if not quotes and options.same_price_sources:
                quotes = {request.exporter: m.value}
            for country, price in sorted(quotes.items()):
                out.append(Move(kind="source_from_party", agreement=agreement, material=m.name, origin=m.origin,
                                new_origin=country, new_originating=[agreement], price=m.value, new_price=price,
                                value_changed=price, quoted=m.name in options.prices))
        cut = (m.value * cut_share).quantize(CENT, rounding=ROUND_FLOOR)
        if cut > 0:
            out.append(Move(kind="lower_price", agreement=agreement, material=m.name, origin=m.origin,
                            price=m.value, new_price=m.value - cut, value_changed=cut))
    return out


def apply_moves(request: Request, moves: list[Move] | tuple[Move, ...]) -> Request | None:
    """The request with the moves made; None when it would be inconsistent (materials above FOB)."""
    by_material = {mv.material: mv for mv in moves if mv.material is not None}
    materials = []
    for m in request.materials:
        mv = by_material.get(m.name)
        if mv is None:
            materials.append(m)
            continue
        update: dict = {"value": mv.new_price}
        if mv.kind in ("prove_originating", "source_from_party"):
            update |= {"origin": mv.new_origin, "originating": mv.new_originating}
            if mv.kind == "source_from_party":
                update["regional_content_percent"] = None
        materials.append(m.model_copy(update=update))
    counted = sum((m.value for m in materials if m.kind not in (MaterialKind.indirect, MaterialKind.packing)),
                  Decimal(0))
    if counted > request.product.fob:
        return None
    facts = dict(request.facts)
    for mv in moves:
        if mv.kind == "answer_fact":
            facts[mv.fact] = mv.answer
    return request.model_copy(update={"materials": materials, "facts": facts})
