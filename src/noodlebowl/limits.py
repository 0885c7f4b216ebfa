"""The bounds every input is held to at the edges (request files, the HTTP API, catalogs, the
database), in one place, so nothing past an edge can overflow or be silently misread.

Numbers: an amount has at most 12 digits before the point and 6 after — 10¹² currency units is
beyond any shipment, and the batch kernel's exact integer arithmetic (micro-units in Int64/Int128)
relies on the same bound. NaN and ±Infinity are refused. Countries are ISO 3166-1 codes, currencies
ISO 4217 codes (both through pycountry), dates lie between the first entry into force the data
holds and a documented horizon after today.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_INTEGER_DIGITS = 12          # 10¹² currency units: sums and Int128 products stay exact
MAX_DECIMAL_PLACES = 6
MAX_DIGITS = MAX_INTEGER_DIGITS + MAX_DECIMAL_PLACES
MAX_INT = 2**31 - 1              # integers in paths and queries (versions, limits): a signed 32-bit column
FUTURE_HORIZON_DAYS = 366        # a shipment may be planned up to a year ahead; later dates are refused
MAX_NESTING = 32                 # depth of a request file or JSON body; a real request is 4 deep

_DECIMAL = dict(allow_inf_nan=False, max_digits=MAX_DIGITS, decimal_places=MAX_DECIMAL_PLACES)

# A bounded decimal: money, weights, quantities, percentages.
Amount = Annotated[Decimal, Field(**_DECIMAL)]
# A bounded decimal that must be greater than zero (FOB, customs value, quantity).
PositiveAmount = Annotated[Decimal, Field(gt=0, **_DECIMAL)]
# A bounded integer for paths and queries.
BoundedInt = Annotated[int, Field(ge=1, le=MAX_INT)]

ACCEPTED_AMOUNT = (f"a number such as 12.50, at most {MAX_INTEGER_DIGITS} digits before the point and "
                   f"{MAX_DECIMAL_PLACES} after (quoted strings keep every digit)")


def _iso_country(code: str) -> str:
    import pycountry

    text = code.strip().upper()
    if len(text) == 2 and pycountry.countries.get(alpha_2=text) is not None:
        return text
    record = pycountry.countries.get(alpha_3=text) if len(text) == 3 else None
    if record is not None:
        return record.alpha_2
    raise ValueError(f"unknown country {code!r}: an ISO 3166-1 alpha-2 code such as VN is accepted")


def _iso_currency(code: str) -> str:
    import pycountry

    text = code.strip().upper()
    if len(text) != 3 or pycountry.currencies.get(alpha_3=text) is None:
        raise ValueError(f"unknown currency {code!r}: an ISO 4217 code such as USD is accepted")
    return text


# An ISO 3166-1 country (alpha-2 or alpha-3 given; alpha-2 kept).
CountryCode = Annotated[str, Field(min_length=2, max_length=3), AfterValidator(_iso_country)]
# An ISO 4217 currency code.
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_iso_currency)]


def country_code(code: str) -> str:
    """``code`` as an ISO alpha-2 country code, or ValueError naming what is accepted."""
    return _iso_country(code)


@cache
def earliest_date() -> dt.date:
    """The first entry into force of any party to a modelled agreement (packaged ``parties`` table):
    before it no agreement the data holds could apply."""
    from noodlebowl.refdata import rows

    return min(r["entry_into_force"] for r in rows("parties") if r["entry_into_force"] is not None)


def latest_date(today: dt.date | None = None) -> dt.date:
    return (today or dt.date.today()) + dt.timedelta(days=FUTURE_HORIZON_DAYS)


def date_problem(on: dt.date, today: dt.date | None = None) -> str | None:
    """Why the data cannot answer for ``on`` (None when it can)."""
    if on < earliest_date():
        return (f"the date {on} is before {earliest_date()}, the first entry into force of any agreement "
                f"the data holds")
    if on > latest_date(today):
        return (f"the date {on} is more than {FUTURE_HORIZON_DAYS} days after today: the data holds the law "
                f"as known now, not for {on.year}")
    return None


def check_date(on: dt.date) -> dt.date:
    problem = date_problem(on)
    if problem:
        raise ValueError(f"{problem}; accepted: a date from {earliest_date()} to {latest_date()}")
    return on


ShipmentDate = Annotated[dt.date, AfterValidator(check_date)]


def nesting_depth(text: str) -> int:
    """The deepest bracket/brace nesting of a JSON or flow-YAML text (and of block YAML by indent),
    measured without parsing, so a hostile file cannot exhaust the parser's recursion."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    indents = {len(line) - len(line.lstrip(" ")) for line in text.splitlines() if line.strip()}
    return max(deepest, len(indents))


def too_deep(text: str) -> str | None:
    depth = nesting_depth(text)
    return f"nested {depth} levels deep, more than {MAX_NESTING}" if depth > MAX_NESTING else None


def neutralise_cell(value):
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP CSV
    injection advice: cells starting with = + - @ tab or CR); anything else unchanged."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
