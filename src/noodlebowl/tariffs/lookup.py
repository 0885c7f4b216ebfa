"""Which measures apply: importer, national line (or HS6), origin, date.

Packaged tariffs (``tariff_measures``) and the user's imported tariffs are consulted; a
user file for an importer replaces the packaged data for that importer, and every measure
says where it came from (``data_source``). "Rate unknown" is an answer (a measure whose
rate is ``unknown``), never a crash and never 0.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from noodlebowl.errors import DateOutOfRange, InvalidCode, NoodlebowlError, UnknownCountry
from noodlebowl.tariffs.model import TariffMeasure
from noodlebowl.tariffs.rates import RateUnknown
from noodlebowl.tariffs.storage import from_rows, read_user_tariff, user_tariff_path


class NoTariffData(NoodlebowlError):
    """No tariff for this importer, packaged or imported."""


@cache
def _packaged() -> pa.Table | None:
    from noodlebowl.refdata import manifest, table
    if "tariff_measures" not in manifest()["tables"]:
        return None
    return table("tariff_measures")


@cache
def _gaps() -> tuple[dict, ...]:
    from noodlebowl.refdata import manifest, rows
    if "tariff_gaps" not in manifest()["tables"]:
        return ()
    return rows("tariff_gaps")


def _importer_table(importer: str) -> tuple[pa.Table | None, list[str], str]:
    """The importer's measures sorted by national line, with the lines for bisecting.

    A user's imported tariff wins over the packaged one; it is re-read when its file changes.
    """
    path = user_tariff_path(importer)
    stamp = path.stat().st_mtime_ns if path.exists() else None
    return _indexed(importer, str(path) if stamp is not None else "packaged", stamp)


@cache
def _indexed(importer: str, source: str, stamp: int | None) -> tuple[pa.Table | None, list[str], str]:
    if source != "packaged":
        tbl = read_user_tariff(importer)
    else:
        packaged = _packaged()
        tbl = None if packaged is None else packaged.filter(pc.equal(packaged["importer"], importer))
    if tbl is None or tbl.num_rows == 0:
        return None, [], source
    tbl = tbl.take(pc.sort_indices(tbl, sort_keys=[("national_line", "ascending")]))
    return tbl, tbl["national_line"].to_pylist(), source


def _rows_for(tbl: pa.Table, lines: list[str], digits: str) -> pa.Table:
    """Rows of the exact national line, else of every line under the code (a prefix range)."""
    lo, hi = bisect.bisect_left(lines, digits), bisect.bisect_right(lines, digits)
    if hi == lo:
        hi = bisect.bisect_left(lines, digits + "\x7f", lo)
    return tbl.slice(lo, hi - lo)


UNILATERAL = ("GSP", "LDC")


def _same_rate(a: TariffMeasure, b: TariffMeasure) -> bool:
    from noodlebowl.tariffs.rates import ad_valorem_equivalent
    x, y = ad_valorem_equivalent(a.rate), ad_valorem_equivalent(b.rate)
    return (x is not None and x == y) or a.rate == b.rate


def _stage(m: TariffMeasure) -> str:
    year = m.detail.get("year", "?").replace("_and_subsequent", " and after")
    return f"Annex I Year {year} (from {m.valid_from.isoformat() if m.valid_from else '?'}): {m.raw}"


def _applied_text(m: TariffMeasure) -> str:
    stated = f"from {m.valid_from.isoformat()}" if m.valid_from else "undated"
    return f"{m.detail.get('schedule', 'applied tariff')} ({stated}): {m.raw or 'free (line not listed)'}"


def _earlier(m: TariffMeasure) -> str:
    return "is an earlier stage" if m.valid_from else "is not stated for a date"


def reconcile(valid: list[TariffMeasure], every: list[TariffMeasure] | None = None) -> list[TariffMeasure]:
    """An applied tariff and an agreement commitment (RCEP Annex I) valid on the same date, for the
    same line and regime: the applied rate wins when it is stated for the date — from the start of the
    commitment's current year or later; otherwise the commitment for that year applies (the applied
    source keeps an earlier phasing step: Australia's scraped Schedule 14 holds only "From 1 January
    2022"). Where that earlier applied rate has a per-unit part the commitment does not show (excise-
    equivalent duties), the rate for the date is not in the data: said so, never guessed."""
    from noodlebowl.tariffs.rates import NotComputable

    commitments = {(m.national_line, m.line_condition, m.regime): m for m in valid if m.basis == "commitment"}
    applied_keys = {(m.national_line, m.line_condition, m.regime) for m in valid if m.basis == "applied"}
    # applied rows with a per-unit part on other dates: the commitment alone would leave that part out
    per_unit = {(m.national_line, m.line_condition, m.regime): m for m in (every or [])
                if m.basis == "applied" and m.rate.kind not in ("free", "ad_valorem")}
    out = []
    for m in valid:
        key = (m.national_line, m.line_condition, m.regime)
        if m.basis == "commitment":
            if key in applied_keys:
                continue
            if key in per_unit:
                why = (f"{_stage(m)}; {_applied_text(per_unit[key])} adds a per-unit part whose amount for this date "
                       "is not in the data")
                m = m.model_copy(update={"rate": NotComputable(raw=m.raw, reason=why), "note": why})
            out.append(m)
            continue
        c = commitments.get(key)
        current = c is None or (m.valid_from is not None and c.valid_from is not None and m.valid_from >= c.valid_from)
        if current or _same_rate(m, c):
            out.append(m)
        elif m.rate.kind in ("free", "ad_valorem"):
            out.append(c.model_copy(update={"note": f"{_stage(c)} applies; {_applied_text(m)} {_earlier(m)}"}))
        else:
            why = (f"{_applied_text(m)} {_earlier(m)}; {_stage(c)}; the per-unit part of the rate for this "
                   "date is not in the data")
            out.append(m.model_copy(update={"rate": NotComputable(raw=m.raw, reason=why), "note": why}))
    return out


def importers() -> list[str]:
    """Importers with packaged tariff data."""
    tbl = _packaged()
    return sorted(set(tbl["importer"].unique().to_pylist())) if tbl is not None else []


def normalise_code(code: str) -> str:
    digits = re.sub(r"[\s.\-]", "", code or "")
    if not digits.isdigit() or len(digits) < 4:
        raise InvalidCode(f"tariff code {code!r} is not an HS6 or national line",
                          accepted="digits with optional dots, e.g. 8517.13.00 or 851713")
    return digits


def _check_country(code: str, what: str) -> str:
    c = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", c):
        raise UnknownCountry(f"{what} {code!r} is not an ISO 3166-1 alpha-2 code",
                             accepted="two letters, e.g. VN, JP, CN")
    return c


@dataclass
class LookupResult:
    importer: str
    code: str
    origin: str | None
    on: dt.date
    lines: list[str]
    measures: list[TariffMeasure]
    data_source: str
    notes: list[str] = field(default_factory=list)


def lookup(importer: str, code: str, origin: str | None, on: dt.date) -> LookupResult:
    """All applicable measures, per national line and regime; see :func:`measures_for`."""
    importer = _check_country(importer, "importer")
    if origin is not None:
        origin = _check_country(origin, "origin")
    path = user_tariff_path(importer)
    stamp = path.stat().st_mtime_ns if path.exists() else None
    source = str(path) if stamp is not None else "packaged"
    found = _lookup(importer, code, origin, on, source, stamp)
    # A fresh result each time (its lists may be changed by the caller); the measures are frozen.
    return LookupResult(found.importer, found.code, found.origin, found.on, list(found.lines),
                        list(found.measures), found.data_source, list(found.notes))


@lru_cache(maxsize=4096)
def _lookup(importer: str, code: str, origin: str | None, on: dt.date, source: str,
            stamp: int | None) -> LookupResult:
    """The lookup proper: pure in its arguments, ``source`` and ``stamp`` naming the importer's
    table (packaged, or the user's file at its modification time). Cached: a web server answers the
    same product and route again and again, and reading the rows into measures is most of the cost."""
    digits = normalise_code(code)
    tbl, lines_index, source = _indexed(importer, source, stamp)
    gaps = [g for g in _gaps() if g["importer"] == importer and digits.startswith(g["prefix"])]
    if tbl is None:
        raise NoTariffData(f"no tariff data for importer {importer}",
                           accepted="load one with `noodlebowl tariffs import FILE --format-of "
                                    f"generic|wits --importer {importer}`; packaged: "
                                    + ", ".join(importers()))
    sub = _rows_for(tbl, lines_index, digits)
    notes: list[str] = []
    if sub.num_rows == 0 and not gaps:
        raise InvalidCode(f"{code} is not a national line or HS code in {importer}'s tariff",
                          where=source if source != "packaged" else None)
    measures = from_rows(sub.to_pylist(), data_source=source) if sub.num_rows else []
    dated = [m.valid_from for m in measures if m.valid_from is not None]
    if dated and on < min(dated):
        raise DateOutOfRange(f"{importer} tariff data starts on {min(dated).isoformat()}, "
                             f"asked for {on.isoformat()}",
                             accepted=f"dates from {min(dated).isoformat()}")
    valid = [m for m in measures if m.valid_on(on)]
    if measures and not valid:
        raise DateOutOfRange(f"no {importer} measure for {code} is valid on {on.isoformat()}")
    valid = reconcile(valid, measures)
    out = []
    for m in valid:
        if origin is not None and not m.scope.covers(origin):
            continue
        if origin is not None and m.regime in UNILATERAL:
            m = m.model_copy(update={"note": f"{m.regime}: granted only to the beneficiary countries {importer} "
                                             "designates; the beneficiary list is not in the data"})
        if origin is not None and origin in m.scope.excluded_origins:
            m = m.model_copy(update={
                "excluded": True,
                "note": f"{importer} does not grant this {m.regime} rate to goods from {origin} "
                        f"(source cell {m.raw!r})"})
        out.append(m)
    lines = sorted({m.national_line for m in measures})
    for g in gaps:
        regimes_present = {m.regime for m in out}
        if g["regime"] not in regimes_present:
            for line in lines or [digits]:
                out.append(TariffMeasure(
                    importer=importer, national_line=line, hs6=line[:6], regime=g["regime"],
                    rate=RateUnknown(reason=g["reason"]), raw="", source_file=g["source_file"],
                    note=g["reason"], data_source=source))
            lines = lines or [digits]
    if len(lines) > 1:
        notes.append(f"{code} covers {len(lines)} national lines ({', '.join(lines)}); "
                     "choose one: rates may differ")
        out = [m.model_copy(update={"note": (m.note + "; " if m.note else "")
                                    + f"one of {len(lines)} national lines under {code}"})
               for m in out]
    if any(m.line_condition for m in out):
        notes.append("some lines have several rows with conditions (line_condition): choose the one "
                     "that describes the goods")
    if any(m.validity_note for m in out):
        notes.append(next(m.validity_note for m in out if m.validity_note))
    return LookupResult(importer, code, origin, on, lines, out, source, notes)


def measures_for(importer: str, code: str, origin: str | None, on: dt.date) -> list[TariffMeasure]:
    """Measures for ``importer`` on ``on`` for goods from ``origin``: one per national line,
    line condition, regime and origin column that covers the origin. An HS6 (or shorter
    code) returns the measures of every national line under it, each with a note saying so;
    the caller must choose. An origin in a measure's excluded origins gives the measure
    with ``excluded=True`` and the reason in ``note``. Raises :class:`NoTariffData`,
    :class:`InvalidCode`, :class:`DateOutOfRange`, :class:`UnknownCountry`."""
    return lookup(importer, code, origin, on).measures


def mfn_for(importer: str, code: str, on: dt.date) -> list[TariffMeasure]:
    """The MFN measure(s) of the national line(s) under ``code`` on ``on``."""
    return [m for m in lookup(importer, code, None, on).measures if m.regime == "MFN"]
