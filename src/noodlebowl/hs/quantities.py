"""Numbers with units: the quantities of a query ("1500cc", "3 tonnes", "900 g") and the
ranges of an HS text ("exceeding 1,000 cc but not exceeding 1,500 cc", "of 50 kg or more").

Quantities are brought to one base unit per dimension (cm³, kg, mm, W, V, litre, %), so
that "1.5 t" meets "exceeding 1,000 kg". A text's range is a list of bounds; a query
quantity *fits* a bound when it lies on the allowed side of it.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from decimal import Decimal

# unit as written → (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "cc": ("cm3", Decimal(1)), "cm3": ("cm3", Decimal(1)), "cm³": ("cm3", Decimal(1)),
    "g": ("kg", Decimal("0.001")), "gram": ("kg", Decimal("0.001")), "grams": ("kg", Decimal("0.001")),
    "kg": ("kg", Decimal(1)), "kgs": ("kg", Decimal(1)), "kilogram": ("kg", Decimal(1)),
    "kilograms": ("kg", Decimal(1)),
    "t": ("kg", Decimal(1000)), "tonne": ("kg", Decimal(1000)), "tonnes": ("kg", Decimal(1000)),
    "ton": ("kg", Decimal(1000)), "tons": ("kg", Decimal(1000)),
    "mm": ("mm", Decimal(1)), "cm": ("mm", Decimal(10)), "m": ("mm", Decimal(1000)),
    "w": ("W", Decimal(1)), "watt": ("W", Decimal(1)), "watts": ("W", Decimal(1)), "kw": ("W", Decimal(1000)),
    "v": ("V", Decimal(1)), "volt": ("V", Decimal(1)), "volts": ("V", Decimal(1)), "kv": ("V", Decimal(1000)),
    "l": ("l", Decimal(1)), "litre": ("l", Decimal(1)), "litres": ("l", Decimal(1)), "liter": ("l", Decimal(1)),
    "liters": ("l", Decimal(1)), "ml": ("l", Decimal("0.001")),
    "kva": ("VA", Decimal(1000)), "%": ("%", Decimal(1)),
}
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
# "1,500", "1 500", "1.5" — thousands separators only before exactly three digits
_NUMBER = r"\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_QUANTITY = re.compile(rf"(?<![\w.])({_NUMBER})\s?({_UNIT})(?![\w³])", re.IGNORECASE)

# bound phrases in HS texts: (pattern before the quantity, pattern after it, comparison)
_BEFORE = [
    (re.compile(r"not (?:exceeding|over|more than)\s*$"), operator.le),
    (re.compile(r"(?:not less than|at least)\s*$"), operator.ge),
    (re.compile(r"(?:exceeding|over|more than)\s*$"), operator.gt),
    (re.compile(r"(?:less than|under)\s*$"), operator.lt),
]
# "over 1000 but not over 1500cc": the first number takes the unit of the second
_SHARED_UNIT = re.compile(
    rf"(\d[\d,.]*)(\s+but\s+(?:not\s+)?(?:over|exceeding|less than|more than|under)\s+(?:{_NUMBER})\s?({_UNIT}))",
    re.IGNORECASE)
_AFTER = [(re.compile(r"^\s*or more\b"), operator.ge), (re.compile(r"^\s*or less\b"), operator.le)]
_SYMBOL = {operator.le: "≤", operator.lt: "<", operator.gt: ">", operator.ge: "≥"}


@dataclass(frozen=True)
class Quantity:
    value: Decimal      # in the dimension's base unit
    dimension: str
    written: str        # as it appears in the text


@dataclass(frozen=True)
class Bound:
    compare: object     # operator.le / lt / gt / ge
    limit: Quantity

    def admits(self, q: Quantity) -> bool:
        return q.dimension == self.limit.dimension and self.compare(q.value, self.limit.value)

    def describe(self) -> str:
        return f"{_SYMBOL[self.compare]} {self.limit.written}"


def _quantity(match: re.Match) -> Quantity:
    number = Decimal(re.sub(r"[, ]", "", match.group(1)))
    dimension, factor = UNITS[match.group(2).lower()]
    return Quantity(number * factor, dimension, match.group(0).strip())


def quantities(text: str) -> list[Quantity]:
    """Every number with a known unit in a text ("1500cc", "3 tonnes", "900 g")."""
    return [_quantity(m) for m in _QUANTITY.finditer(text)]


def bounds(text: str) -> list[Bound]:
    """The bounds an HS text puts on quantities ("exceeding 1,000 cc" → > 1000 cm³)."""
    lower = _SHARED_UNIT.sub(r"\1\3\2", text.lower())
    out = []
    for m in _QUANTITY.finditer(lower):
        before, after = lower[max(0, m.start() - 20):m.start()], lower[m.end():m.end() + 10]
        compare = next((c for p, c in _BEFORE if p.search(before)), None) \
            or next((c for p, c in _AFTER if p.search(after)), None)
        if compare is not None:
            out.append(Bound(compare, _quantity(m)))
    return out


@dataclass(frozen=True)
class NumberCheck:
    query: str          # the query's quantity as written
    bound: str          # the text's bound, e.g. "≤ 1,500 cc"
    fits: bool

    def as_dict(self) -> dict:
        return {"query": self.query, "bound": self.bound, "fits": self.fits}


def compare(query: list[Quantity], text: str) -> list[NumberCheck]:
    """Each bound of the text checked against the query's quantities of the same dimension."""
    checks = []
    for b in bounds(text):
        same = [q for q in query if q.dimension == b.limit.dimension]
        if same:
            fitting = next((q for q in same if b.admits(q)), None)
            checks.append(NumberCheck((fitting or same[0]).written, b.describe(), fitting is not None))
    return checks
