"""Rate expressions: what a tariff cell says, parsed into a form that can compute a duty.

A cell becomes one of: ``free``, ``ad_valorem`` (percent of customs value), ``specific``
(amount per unit), ``compound`` (ad valorem + specific), ``max``/``min`` (the higher /
lower of several forms), ``not_eligible`` (Viet Nam's ``*``: the preference is not
granted, MFN applies), ``excluded`` (Annex I ``U``: excluded from tariff commitments),
``unknown`` (no data: never read as 0) and ``not_computable`` (text we keep but do not
interpret: quotas, conditional rates, formulas). Nothing is guessed: a cell that does not
match a known form exactly becomes ``not_computable`` with the reason.

Every number is a :class:`~decimal.Decimal`; the raw text always travels with the measure.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Form(BaseModel):
    model_config = ConfigDict(frozen=True)


class Free(_Form):
    kind: Literal["free"] = "free"


class AdValorem(_Form):
    kind: Literal["ad_valorem"] = "ad_valorem"
    percent: Decimal


class Specific(_Form):
    """``amount`` of ``currency`` per ``unit`` (normalised: kg, l, kl, m2, pair, head, piece…)."""

    kind: Literal["specific"] = "specific"
    amount: Decimal
    currency: str
    unit: str
    qualifier: str | None = None  # e.g. "of alcohol": the quantity is measured differently


class Compound(_Form):
    """Ad valorem plus specific, both due."""

    kind: Literal["compound"] = "compound"
    ad_valorem: AdValorem
    specific: Specific


class MaxOf(_Form):
    kind: Literal["max"] = "max"
    options: list["Rate"]


class MinOf(_Form):
    kind: Literal["min"] = "min"
    options: list["Rate"]


class NotEligible(_Form):
    kind: Literal["not_eligible"] = "not_eligible"


class Excluded(_Form):
    kind: Literal["excluded"] = "excluded"


class RateUnknown(_Form):
    kind: Literal["unknown"] = "unknown"
    reason: str


class NotComputable(_Form):
    kind: Literal["not_computable"] = "not_computable"
    raw: str
    reason: str


Rate = Annotated[Union[Free, AdValorem, Specific, Compound, MaxOf, MinOf, NotEligible, Excluded,
                       RateUnknown, NotComputable], Field(discriminator="kind")]
MaxOf.model_rebuild()
MinOf.model_rebuild()
RATE = TypeAdapter(Rate)

COMPUTABLE_KINDS = frozenset({"free", "ad_valorem", "specific", "compound", "max", "min"})


def rate_from_json(text: str) -> Rate:
    return RATE.validate_json(text)


def rate_to_json(rate: Rate) -> str:
    return rate.model_dump_json()


def is_computable(rate: Rate) -> bool:
    return rate.kind in COMPUTABLE_KINDS


def describe(rate: Rate) -> str:
    """Short readable form, e.g. ``9 %``, ``35 % + 120 JPY/kg``, ``max(2.8 %, 20 JPY/kg)``."""
    k = rate.kind
    if k == "free":
        return "free"
    if k == "ad_valorem":
        return f"{rate.percent} %"
    if k == "specific":
        q = f" {rate.qualifier}" if rate.qualifier else ""
        return f"{rate.amount} {rate.currency}/{rate.unit}{q}"
    if k == "compound":
        return f"{describe(rate.ad_valorem)} + {describe(rate.specific)}"
    if k in ("max", "min"):
        return f"{k}(" + ", ".join(describe(o) for o in rate.options) + ")"
    if k == "not_eligible":
        return "not eligible (MFN applies)"
    if k == "excluded":
        return "excluded from commitments"
    if k == "unknown":
        return f"rate unknown ({rate.reason})"
    return f"not computable: {rate.reason}"


# ---------------------------------------------------------------- duty


UNIT_FACTORS = {("kl", "l"): Decimal("0.001"), ("l", "kl"): Decimal(1000),
                ("t", "kg"): Decimal("0.001"), ("kg", "t"): Decimal(1000),
                ("kg", "g"): Decimal(1000), ("g", "kg"): Decimal("0.001")}


def _quantity_in(unit: str, quantity: Decimal, given_unit: str) -> Decimal | None:
    given = normalise_unit(given_unit)
    if given == unit:
        return quantity
    factor = UNIT_FACTORS.get((unit, given))
    return None if factor is None else quantity * factor


def duty_with_reason(rate: Rate, customs_value: Decimal | None, quantity: Decimal | None = None,
                     unit: str | None = None) -> tuple[Decimal | None, str | None]:
    """Duty in the importer's currency, or ``(None, reason)``.

    ``customs_value`` is in the importer's currency (the one specific amounts are in);
    ``quantity`` is in ``unit``. Nothing is rounded here: rounding is the caller's policy.
    """
    k = rate.kind
    if k == "free":
        return Decimal(0), None
    if k == "ad_valorem":
        if customs_value is None:
            return None, "ad valorem rate needs the customs value"
        return customs_value * rate.percent / Decimal(100), None
    if k == "specific":
        if rate.qualifier:
            return None, f"specific rate per {rate.unit} {rate.qualifier}: quantity basis not modelled"
        if quantity is None or unit is None:
            return None, f"specific rate needs the quantity in {rate.unit}"
        q = _quantity_in(rate.unit, quantity, unit)
        if q is None:
            return None, f"specific rate is per {rate.unit}, quantity given in {unit}"
        return rate.amount * q, None
    if k == "compound":
        a, why_a = duty_with_reason(rate.ad_valorem, customs_value, quantity, unit)
        s, why_s = duty_with_reason(rate.specific, customs_value, quantity, unit)
        if a is None or s is None:
            return None, why_a or why_s
        return a + s, None
    if k in ("max", "min"):
        values = []
        for option in rate.options:
            v, why = duty_with_reason(option, customs_value, quantity, unit)
            if v is None:
                return None, why
            values.append(v)
        return (max(values) if k == "max" else min(values)), None
    if k == "not_eligible":
        return None, "preference not granted for this line (MFN applies)"
    if k == "excluded":
        return None, "line excluded from tariff commitments"
    if k == "unknown":
        return None, f"rate unknown: {rate.reason}"
    return None, f"rate text not computable ({rate.reason}): {rate.raw!r}"


def duty(rate: Rate, customs_value: Decimal | None, quantity: Decimal | None = None,
         unit: str | None = None) -> Decimal | None:
    """Duty amount, or ``None`` when it cannot be computed (see :func:`duty_with_reason`)."""
    return duty_with_reason(rate, customs_value, quantity, unit)[0]


def ad_valorem_equivalent(rate: Rate) -> Decimal | None:
    """The percent when the rate is free or purely ad valorem; ``None`` otherwise."""
    if rate.kind == "free":
        return Decimal(0)
    if rate.kind == "ad_valorem":
        return rate.percent
    return None


# ---------------------------------------------------------------- shared parsing helpers


UNITS = {"kg": "kg", "㎏": "kg", "l": "l", "ℓ": "l", "L": "l", "kl": "kl", "KL": "kl", "㎘": "kl",
         "㎡": "m2", "m2": "m2", "m²": "m2", "足": "pair", "頭": "head", "個": "piece",
         "本": "piece", "each": "piece", "stick": "stick", "t": "t", "g": "g", "no": "piece",
         "u": "piece", "unit": "piece", "piece": "piece", "pair": "pair", "head": "head"}


def normalise_unit(unit: str) -> str:
    u = unit.strip()
    return UNITS.get(u, UNITS.get(u.lower(), u.lower()))


NUMBER = r"\d[\d,]*(?:\.\d+)?"


def decimal_of(text: str, *, decimal_comma: bool = False) -> Decimal:
    """``12,5`` (decimal comma) or ``4,000,000`` (thousands separators) as a Decimal."""
    t = text.strip()
    if decimal_comma:
        t = t.replace(",", ".")
    else:
        t = t.replace(",", "")
    try:
        return Decimal(t)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc


_EN_PCT = re.compile(rf"^({NUMBER})\s*%?$")
_EN_SPEC = re.compile(rf"^\$\s*({NUMBER})\s*/\s*(L|kg|kl|stick|t|g|m2)\b\s*(.*)$", re.I)
_EN_EACH = re.compile(rf"^\$\s*({NUMBER})\s+each$", re.I)


def _en_simple(text: str, currency: str) -> Rate | None:
    t = " ".join(text.split())
    if t.lower() == "free":
        return Free()
    m = _EN_PCT.match(t)
    if m:
        return AdValorem(percent=decimal_of(m.group(1)))
    m = _EN_SPEC.match(t)
    if m:
        qual = m.group(3).strip() or None
        if qual and qual not in ("of alcohol", "of tobacco content"):
            return None
        return Specific(amount=decimal_of(m.group(1)), currency=currency,
                        unit=normalise_unit(m.group(2)), qualifier=qual)
    m = _EN_EACH.match(t)
    if m:
        return Specific(amount=decimal_of(m.group(1)), currency=currency, unit="piece")
    return None


def parse_english_rate(raw: str, currency: str = "AUD") -> Rate:
    """Rates written the Australian way: ``Free``, ``5%``, ``$1.220/kg``, ``5%, and $107.99/L
    of alcohol``, ``5% and $12,000 each``, ``5%, or, if lower, $0.45/kg TSS``; ``U`` excluded."""
    t = " ".join(raw.replace("\t", " ").split())
    if not t:
        return RateUnknown(reason="empty cell")
    if t == "U":
        return Excluded()
    simple = _en_simple(t, currency)
    if simple is not None:
        return simple
    m = re.match(r"^(.+?%),? and (\$?.+)$", t)
    if m:
        a, s = _en_simple(m.group(1), currency), _en_simple(
            m.group(2) if m.group(2).startswith("$") else "$" + m.group(2), currency)
        if isinstance(a, AdValorem) and isinstance(s, Specific):
            return Compound(ad_valorem=a, specific=s)
    m = re.match(r"^(.+?%), or, if lower, (\$.+)$", t)
    if m:
        a, s = _en_simple(m.group(1), currency), _en_simple(m.group(2), currency)
        if isinstance(a, AdValorem) and s is None and m.group(2).rstrip("*").endswith(" TSS"):
            return NotComputable(raw=raw, reason="lower of ad valorem and a rate per kg of total "
                                 "soluble sugars (TSS): quantity basis not modelled")
        if isinstance(a, AdValorem) and isinstance(s, Specific):
            return MinOf(options=[a, s])
    if "calculated on that alcohol content" in t:
        return NotComputable(raw=raw, reason="rate per litre of alcohol above a threshold strength")
    if re.search(r"\bplus\b", t):
        return NotComputable(raw=raw, reason="rate refers to further amounts not in the cell")
    return NotComputable(raw=raw, reason="form not recognised")


# ---------------------------------------------------------------- words for a trader (display only)


def percent_text(percent: Decimal) -> str:
    """``7`` → ``7 %``, ``6.20`` → ``6.2 %`` (the exact figure stays in the JSON)."""
    return f"{percent.normalize():f} %"


def rate_words(rate: Rate) -> str:
    """The rate as a trader reads it: ``free``, ``7 %``, ``not eligible — MFN applies`` …"""
    k = rate.kind
    if k == "ad_valorem":
        return "free" if rate.percent == 0 else percent_text(rate.percent)
    if k == "not_eligible":
        return "not eligible — MFN applies"
    if k == "excluded":
        return "excluded from tariff concessions — MFN applies"
    if k == "unknown":
        return "rate unknown"
    if k == "not_computable":
        return f"not computable ({rate.reason})"
    return describe(rate)


def money_text(amount: Decimal, currency: str) -> str:
    """``1,200.00 USD``: rounded half up to the currency's minor unit (ISO 4217 via Babel), for display."""
    from decimal import ROUND_HALF_UP

    from babel.numbers import get_currency_precision

    places = get_currency_precision(currency.upper())
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f} {currency.upper()}"


def duty_text(rate: Rate, customs_value: Decimal | None, currency: str, amount: Decimal | None) -> str | None:
    """``7 % of 1,200.00 USD = 84.00 USD``; ``free``; ``None`` when no duty is computed."""
    if rate.kind == "free" or (rate.kind == "ad_valorem" and rate.percent == 0):
        return "free"
    if amount is None:
        return None
    if rate.kind == "ad_valorem" and customs_value is not None:
        return f"{percent_text(rate.percent)} of {money_text(customs_value, currency)} = {money_text(amount, currency)}"
    return f"{describe(rate)} = {money_text(amount, currency)}"
