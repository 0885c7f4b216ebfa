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

from noodlebowl.errors import InvalidRequest

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


def bracket_depth(text: str | bytes) -> int:
    """The deepest bracket/brace nesting of a JSON or flow-YAML text, measured without parsing."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    opening = text.count("[") + text.count("{")
    if opening <= MAX_NESTING:
        return opening          # the depth is at most the number of openings: no need to walk
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def nesting_depth(text: str) -> int:
    """The deepest nesting of a JSON or YAML text — brackets, and block YAML by its indents —
    measured without parsing, so a hostile file cannot exhaust the parser's recursion."""
    deepest = bracket_depth(text)
    indents = {len(line) - len(line.lstrip(" ")) for line in text.splitlines() if line.strip()}
    return max(deepest, len(indents))


def too_deep(text: str) -> str | None:
    depth = nesting_depth(text)
    return f"nested {depth} levels deep, more than {MAX_NESTING}" if depth > MAX_NESTING else None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"          # a number, not a formula: left as it is
_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_cell(value):
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (OWASP's advice on CSV
    injection: cells starting with = + - @ tab or CR); plain numbers and other values unchanged."""
    import re

    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not re.match(_PLAIN_NUMBER, value):
        return "'" + value
    return value


def neutralise_frame(df):
    """:func:`neutralise_cell` on every text column of a Polars frame (vectorised)."""
    import polars as pl

    def safe(name: str) -> pl.Expr:
        col = pl.col(name)
        risky = col.str.contains(_FORMULA_START) & ~col.str.contains(_PLAIN_NUMBER)
        return pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(name)

    text = [name for name, dtype in df.schema.items() if dtype == pl.String]
    return df.with_columns(safe(n) for n in text) if text else df


# --- files ---------------------------------------------------------------------------------------

MAX_UNPACKED_RATIO = 100         # an .xlsx packs text about 5–20×; a bomb packs it thousands of times
MAX_ZIP_ENTRIES = 10_000


class LimitExceeded(InvalidRequest):
    """An input past one of the limits above; ``limit`` names it (the API answers 413, the CLI exits 2)."""

    def __init__(self, what: str, limit: str, *, where: str | None = None) -> None:
        super().__init__(what, where=where, accepted=limit)
        self.limit = limit


def check_zip(source, *, max_unpacked: int) -> None:
    """Refuse a zip container (.xlsx) whose entries would unpack past ``max_unpacked`` bytes in all
    or past ``MAX_UNPACKED_RATIO`` × their packed size, from its directory alone (nothing is unpacked;
    Python's zipfile never unpacks an entry past its declared size). ``source``: a path or bytes."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return          # not a zip: the reader says so in its own words
    if len(entries) > MAX_ZIP_ENTRIES:
        raise LimitExceeded(f"the workbook holds {len(entries)} parts, more than {MAX_ZIP_ENTRIES}",
                            f"at most {MAX_ZIP_ENTRIES} parts in an .xlsx")
    total = sum(e.file_size for e in entries)
    if total > max_unpacked:
        raise LimitExceeded(f"the workbook unpacks to {total} bytes, more than {max_unpacked}",
                            f"an .xlsx that unpacks to at most {max_unpacked} bytes")
    for e in entries:
        if e.file_size > MAX_UNPACKED_RATIO * max(e.compress_size, 1) and e.file_size > 1 << 20:
            raise LimitExceeded(f"the workbook part {e.filename} unpacks {e.file_size // max(e.compress_size, 1)}×"
                                f" (a decompression bomb?)", f"at most {MAX_UNPACKED_RATIO}× compression per part")


def text_file_problem(path, *, chunk: int = 1 << 20) -> str | None:
    """Why a CSV file cannot be read as UTF-8 text with balanced quotes (None when it can), read in
    chunks: an odd number of double quotes means a quoted field never ends."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = quotes = 0
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return f"not UTF-8 text (byte {offset + exc.start} cannot be read)"
            if b"\x00" in block:
                return "binary data (a NUL byte), not CSV text"
            quotes += block.count(b'"')
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "not UTF-8 text (it ends inside a character)"
    if offset == 0:
        return "empty"
    if quotes % 2:
        return "a quoted field is never closed (an odd number of double quotes)"
    return None
