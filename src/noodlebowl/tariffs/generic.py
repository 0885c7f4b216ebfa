"""User tariff files: the documented generic CSV (docs/tariff_csv_format.md) and WITS/TRAINS
tariff exports. Both are validated all-or-nothing: the first problem raises
:class:`DataImportError` naming file, row and column, and nothing is returned.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from noodlebowl.csvrows import read_rows
from noodlebowl.errors import DataImportError
from noodlebowl.tariffs.model import ASEAN, EU27, OriginScope, TariffMeasure
from noodlebowl.tariffs.rates import (AdValorem, Compound, Excluded, Free, MaxOf, MinOf,
                                      NotComputable, NotEligible, Rate, Specific, decimal_of,
                                      normalise_unit)

GENERIC_COLUMNS = ("importer", "national_line", "regime", "origin_scope", "valid_from", "valid_to",
                   "rate", "source")
GROUPS = {"ASEAN": ASEAN, "EU": EU27, "RCEP": ASEAN + ("AU", "CN", "JP", "KR", "NZ")}


def _read(path: Path) -> list[dict[str, str]]:
    return read_rows(path)


# ------------------------------------------------------------ rate text of the generic format

_NUM = r"\d+(?:\.\d+)?"
_AV = re.compile(rf"^({_NUM})\s*%$")
_SP = re.compile(rf"^({_NUM})\s*([A-Z]{{3}})\s*/\s*([A-Za-z0-9²]+)$")


def parse_generic_rate(text: str) -> Rate:
    """``free`` | ``5%`` | ``20 JPY/kg`` | ``5% + 20 JPY/kg`` | ``max(a; b)`` | ``min(a; b)`` |
    ``not eligible`` (or ``*``) | ``excluded`` (or ``U``). Raises ``ValueError`` otherwise."""
    t = " ".join(text.split())
    low = t.lower()
    if low in ("free", "0", "0%"):
        return Free() if low == "free" else AdValorem(percent=decimal_of("0"))
    if low in ("not eligible", "*"):
        return NotEligible()
    if low in ("excluded", "u"):
        return Excluded()
    m = _AV.match(t)
    if m:
        return AdValorem(percent=decimal_of(m.group(1)))
    m = _SP.match(t)
    if m:
        return Specific(amount=decimal_of(m.group(1)), currency=m.group(2), unit=normalise_unit(m.group(3)))
    m = re.match(r"^(.+?%)\s*\+\s*(.+)$", t)
    if m:
        a, s = parse_generic_rate(m.group(1)), parse_generic_rate(m.group(2))
        if isinstance(a, AdValorem) and isinstance(s, Specific):
            return Compound(ad_valorem=a, specific=s)
    m = re.match(r"^(max|min)\((.+)\)$", t, re.I)
    if m:
        options = [parse_generic_rate(p) for p in m.group(2).split(";")]
        return MaxOf(options=options) if m.group(1).lower() == "max" else MinOf(options=options)
    raise ValueError(f"rate text {text!r} not understood")


def parse_scope(text: str) -> OriginScope:
    """``all`` | ``CN`` | ``VN,TH`` | ``ASEAN`` | any of these followed by ``-ID,TH`` (excluded)."""
    t = text.strip()
    excluded: tuple[str, ...] = ()
    m = re.match(r"^(.*?)\s*(?:\(?\s*-\s*([A-Z]{2}(?:\s*,\s*[A-Z]{2})*)\s*\)?)?$", t)
    if not m:
        raise ValueError(f"origin scope {text!r} not understood")
    base, excl = m.group(1).strip(), m.group(2)
    if excl:
        excluded = tuple(x.strip() for x in excl.split(","))
    if base.lower() in ("", "all"):
        if not base and not excl:
            raise ValueError("empty origin scope")
        return OriginScope(excluded_origins=excluded)
    if base.upper() in GROUPS:
        return OriginScope(kind="group", group=base.upper(), origins=GROUPS[base.upper()],
                           excluded_origins=excluded)
    codes = tuple(x.strip().upper() for x in base.split(","))
    if not all(re.fullmatch(r"[A-Z]{2}", c) for c in codes):
        raise ValueError(f"origin scope {text!r}: use all, a group (ASEAN, EU, RCEP) or ISO2 codes")
    return OriginScope(kind="group", group=",".join(codes), origins=codes, excluded_origins=excluded)


def _date(text: str) -> dt.date | None:
    t = text.strip()
    return dt.date.fromisoformat(t) if t else None


def check_overlaps(measures: list[TariffMeasure], source: str) -> None:
    """Two measures for the same line, condition, regime and scope may not overlap in time."""
    by_key: dict[tuple, list[TariffMeasure]] = {}
    for m in measures:
        key = (m.importer, m.national_line, m.line_condition, m.regime, m.scope.group,
               m.scope.origins, m.scope.excluded_origins)
        by_key.setdefault(key, []).append(m)
    far = dt.date.max
    for ms in by_key.values():
        ms = sorted(ms, key=lambda m: m.valid_from or dt.date.min)
        for a, b in zip(ms, ms[1:]):
            if (b.valid_from or dt.date.min) < (a.valid_to or far):
                raise DataImportError(
                    f"validity of {b.national_line} {b.regime} overlaps row {a.source_row}",
                    where=f"{source} row {b.source_row} column valid_from",
                    accepted="valid_from on or after the previous interval's valid_to (exclusive)")


def read_generic(path: Path, importer: str | None = None) -> list[TariffMeasure]:
    """Read and validate a generic tariff CSV; ``importer`` (if given) must match each row."""
    src = str(path)
    rows = _read(path)
    if not rows:
        raise DataImportError("no data rows", where=src)
    missing = [c for c in GENERIC_COLUMNS if c not in rows[0]]
    if missing:
        raise DataImportError(f"missing column(s) {', '.join(missing)}", where=f"{src} row 1",
                              accepted=", ".join(GENERIC_COLUMNS))
    out = []
    for r in rows:
        where = f"{src} row {r['_line']}"
        col = ""
        try:
            col = "importer"
            imp = r["importer"].strip().upper()
            if not re.fullmatch(r"[A-Z]{2}", imp) or (importer and imp != importer.upper()):
                raise ValueError(f"importer {r['importer']!r} (expected {importer or 'ISO2'})")
            col = "national_line"
            line = re.sub(r"[.\s]", "", r["national_line"])
            if not line.isdigit() or len(line) < 6:
                raise ValueError(f"national line {r['national_line']!r} is not 6+ digits")
            col = "regime"
            regime = r["regime"].strip().upper()
            if not regime:
                raise ValueError("empty regime")
            col = "origin_scope"
            scope = parse_scope(r["origin_scope"])
            col = "valid_from"
            start = _date(r["valid_from"])
            col = "valid_to"
            end = _date(r["valid_to"])
            if start and end and end <= start:
                raise ValueError("valid_to must be after valid_from (it is exclusive)")
            col = "rate"
            rate = parse_generic_rate(r["rate"])
        except (ValueError, KeyError, AttributeError) as exc:
            raise DataImportError(str(exc), where=f"{where} column {col}") from None
        out.append(TariffMeasure(
            importer=imp, national_line=line, hs6=line[:6], regime=regime, scope=scope,
            valid_from=start, valid_to=end, rate=rate, raw=r["rate"].strip(),
            detail={"source": r["source"].strip()} if r["source"].strip() else {},
            source_file=src, source_row=r["_line"], data_source=src))
    check_overlaps(out, src)
    return out


# ------------------------------------------------------------ WITS / TRAINS

WITS_ALIASES = {
    "reporter": ("reporter", "reporter name", "reporter_iso", "reportername"),
    "product": ("product code", "product", "productcode", "hs code"),
    "year": ("tariff year", "year", "tariffyear"),
    "duty_type": ("duty type", "dutytype"),
    "program": ("preference program", "preferenceprogram", "regime"),
    "partner": ("partner", "partner iso", "partner name"),
    "simple": ("simple average av duty", "simple average", "simpleaverage", "simple average ad valorem"),
    "lines": ("total no. of lines", "num. of lines", "nbr_line", "number of lines", "total lines"),
}
PROGRAMS = (("ATIGA", "ATIGA"), ("ASEAN TRADE IN GOODS", "ATIGA"), ("AFTA", "ATIGA"),
            ("ACFTA", "ACFTA"), ("ASEAN-CHINA", "ACFTA"), ("ASEAN CHINA", "ACFTA"),
            ("RCEP", "RCEP"), ("REGIONAL COMPREHENSIVE", "RCEP"), ("AJCEP", "AJCEP"),
            ("AKFTA", "AKFTA"), ("AANZFTA", "AANZFTA"), ("AIFTA", "AIFTA"), ("CPTPP", "CPTPP"))


def _program_regime(text: str) -> str:
    up = text.upper()
    for needle, regime in PROGRAMS:
        if needle in up:
            return regime
    return re.sub(r"\s+", " ", text.strip()).upper()


def read_wits(path: Path, importer: str) -> list[TariffMeasure]:
    """WITS/TRAINS tariff export → measures.

    Needed columns: Product code, Tariff year, Duty type, Simple average AV duty; optional:
    Reporter (checked against ``importer`` when it is an ISO2/ISO3 code), Preference
    program (regime of a Pref row), Partner (origin scope), Total no. of lines (an average
    over several lines is not a rate: becomes not computable). Each Tariff year Y is valid
    [Y-01-01, Y+1-01-01). Duty type MFN → regime MFN; PRF/Pref → the program, mapped to
    ATIGA/ACFTA/RCEP… where recognised, else kept as written; AHS rows are skipped (they
    are the lowest applied of the others, not a regime)."""
    src = str(path)
    rows = _read(path)
    if not rows:
        raise DataImportError("no data rows", where=src)
    header = {h.strip().lower(): h for h in rows[0] if h and h != "_line"}
    col: dict[str, str | None] = {}
    for key, names in WITS_ALIASES.items():
        col[key] = next((header[n] for n in names if n in header), None)
    missing = [k for k in ("product", "year", "duty_type", "simple") if col[k] is None]
    if missing:
        raise DataImportError(
            "missing WITS column(s) " + ", ".join(WITS_ALIASES[k][0].title() for k in missing),
            where=f"{src} row 1",
            accepted="Product code, Tariff year, Duty type, Simple average AV duty "
                     "(+ optional Reporter, Preference program, Partner, Total no. of lines)")
    out = []
    for r in rows:
        where = f"{src} row {r['_line']}"
        name = ""
        try:
            name = col["duty_type"]
            dtype = r[name].strip().upper()
            if dtype == "AHS":
                continue
            if dtype not in ("MFN", "PRF", "PREF", "PREFERENTIAL", "BND"):
                raise ValueError(f"duty type {r[name]!r}")
            if dtype == "BND":
                continue  # bound rates are ceilings, not applied duties
            if col["reporter"]:
                name = col["reporter"]
                rep = r[name].strip().upper()
                if re.fullmatch(r"[A-Z]{2}", rep) and rep != importer.upper():
                    raise ValueError(f"reporter {rep} is not the importer {importer}")
            name = col["product"]
            line = re.sub(r"[.\s]", "", r[name])
            if not line.isdigit() or len(line) < 6:
                raise ValueError(f"product code {r[name]!r}")
            name = col["year"]
            year = int(r[name].strip())
            name = col["simple"]
            rate: Rate = AdValorem(percent=decimal_of(r[name]))
            raw = r[name].strip()
            if col["lines"] and r[col["lines"]].strip() not in ("", "1"):
                rate = NotComputable(raw=raw, reason=f"average over {r[col['lines']].strip()} "
                                     "national lines, not a line's rate")
            regime = "MFN"
            if dtype != "MFN":
                name = col["program"] or col["duty_type"]
                regime = _program_regime(r[name]) if col["program"] else "PREF"
            scope = OriginScope()
            if col["partner"] and re.fullmatch(r"[A-Z]{2}", r[col["partner"]].strip().upper()):
                p = r[col["partner"]].strip().upper()
                scope = OriginScope(kind="group", group=p, origins=(p,))
        except (ValueError, KeyError, AttributeError) as exc:
            raise DataImportError(str(exc), where=f"{where} column {name}") from None
        out.append(TariffMeasure(
            importer=importer.upper(), national_line=line, hs6=line[:6], regime=regime, scope=scope,
            valid_from=dt.date(year, 1, 1), valid_to=dt.date(year + 1, 1, 1), rate=rate, raw=raw,
            detail={"duty_type": dtype}, source_file=src, source_row=r["_line"], data_source=src))
    check_overlaps(out, src)
    return out
