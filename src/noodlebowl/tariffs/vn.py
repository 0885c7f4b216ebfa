"""Viet Nam import tariff (the tariffvn flat CSV of Tariff.xlsx, AHTN 2022, 8-digit lines).

Conventions of the source: ``*`` = not eligible (MFN applies); ``0 (-ID, TH, CN)`` = the
rate is not granted to goods from the listed origins; decimal commas (``12,5``) occur;
RCEP columns A–F are Decree 129/2022/ND-CP annexes A–F: A=ASEAN, B=AU, C=CN, D=JP, E=KR,
F=NZ. The file states no year: measures carry ``valid_from=None`` and a validity note.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from noodlebowl.csvrows import read_rows
from noodlebowl.errors import DataImportError
from noodlebowl.tariffs.model import ASEAN, EU27, OriginScope, TariffMeasure
from noodlebowl.tariffs.rates import AdValorem, NotComputable, NotEligible, Rate, decimal_of

SOURCE_FILE = "tariffs/vn/vn_tariff_tariffvn_flat.csv"
VALIDITY_NOTE = ("current as of the source file (tariffvn Tariff.xlsx, last changed 2026-01-07); "
                 "the file states no validity dates")

# column -> (regime, scope)
_R = "Import duty rate per "
COLUMNS: dict[str, tuple[str, OriginScope]] = {
    "Standard import duty rate": ("GENERAL", OriginScope()),
    "MFN rate": ("MFN", OriginScope()),
    _R + "ACFTA": ("ACFTA", OriginScope(kind="group", group="ACFTA", origins=ASEAN + ("CN",))),
    _R + "ATIGA": ("ATIGA", OriginScope(kind="group", group="ASEAN", origins=ASEAN)),
    _R + "AJCEP": ("AJCEP", OriginScope(kind="group", group="AJCEP", origins=ASEAN + ("JP",))),
    _R + "VJEPA": ("VJEPA", OriginScope(kind="group", group="JP", origins=("JP",))),
    _R + "AKFTA": ("AKFTA", OriginScope(kind="group", group="AKFTA", origins=ASEAN + ("KR",))),
    _R + "AANZFTA": ("AANZFTA", OriginScope(kind="group", group="AANZFTA",
                                            origins=ASEAN + ("AU", "NZ"))),
    _R + "AIFTA": ("AIFTA", OriginScope(kind="group", group="AIFTA", origins=ASEAN + ("IN",))),
    _R + "VKFTA": ("VKFTA", OriginScope(kind="group", group="KR", origins=("KR",))),
    _R + "VCFTA": ("VCFTA", OriginScope(kind="group", group="CL", origins=("CL",))),
    _R + "VN-EAEU": ("VN-EAEU", OriginScope(kind="group", group="EAEU",
                                            origins=("AM", "BY", "KZ", "KG", "RU"))),
    _R + "CPTPP": ("CPTPP", OriginScope()),  # membership changes over time: not enumerated
    _R + "AHKFTA": ("AHKFTA", OriginScope(kind="group", group="AHKFTA", origins=ASEAN + ("HK",))),
    _R + "EVFTA": ("EVFTA", OriginScope(kind="group", group="EU", origins=EU27)),
    _R + "UKVFTA": ("UKVFTA", OriginScope(kind="group", group="GB", origins=("GB",))),
    _R + "VIFTA": ("VIFTA", OriginScope(kind="group", group="IL", origins=("IL",))),
    _R + "RCEPT A": ("RCEP", OriginScope(kind="group", group="RCEP-A (ASEAN)", origins=ASEAN)),
    _R + "RCEPT B": ("RCEP", OriginScope(kind="group", group="RCEP-B (AU)", origins=("AU",))),
    _R + "RCEPT C": ("RCEP", OriginScope(kind="group", group="RCEP-C (CN)", origins=("CN",))),
    _R + "RCEPT D": ("RCEP", OriginScope(kind="group", group="RCEP-D (JP)", origins=("JP",))),
    _R + "RCEPT E": ("RCEP", OriginScope(kind="group", group="RCEP-E (KR)", origins=("KR",))),
    _R + "RCEPT F": ("RCEP", OriginScope(kind="group", group="RCEP-F (NZ)", origins=("NZ",))),
}
RCEP_COLUMN_OF = {"A": "RCEP-A (ASEAN)", "B": "RCEP-B (AU)", "C": "RCEP-C (CN)",
                  "D": "RCEP-D (JP)", "E": "RCEP-E (KR)", "F": "RCEP-F (NZ)"}
REQUIRED = ("HSCode", "Level", *COLUMNS)

_PLAIN = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:\(\s*-\s*([A-Z]{2}(?:\s*,\s*[A-Z]{2})*)\s*\))?$")


@lru_cache(maxsize=None)
def parse_vn_cell(raw: str) -> tuple[Rate, tuple[str, ...]] | None:
    """``(rate, excluded origins)`` for one cell; ``None`` for an empty cell (no measure)."""
    t = raw.strip()
    if not t:
        return None
    if t == "*":
        return NotEligible(), ()
    m = _PLAIN.match(t)
    if m:
        excluded = tuple(c.strip() for c in m.group(2).split(",")) if m.group(2) else ()
        return AdValorem(percent=decimal_of(m.group(1), decimal_comma=True)), excluded
    if "NHN" in t:
        reason = "tariff-rate quota: in-quota rate and out-of-quota (NHN, ngoài hạn ngạch) rate"
    elif "Chương 98" in t:
        reason = "rate set by the Chapter 98 guidance, not in this column"
    elif "thuế MFN" in t:
        reason = "defined as a multiple of the MFN rate"
    elif "; M:" in t:
        reason = "second rate marked 'M:' whose scope the source does not state"
    elif "/" in t:
        reason = "several rates in one cell (one per sub-line or period); the source does not say which applies"
    elif t == "Q":
        reason = "quota marker 'Q' without a rate"
    elif "(GIC)" in t:
        reason = "annotation '(GIC)' that the source does not explain"
    else:
        reason = "form not recognised"
    return NotComputable(raw=raw, reason=reason), ()


def measures_from_rows(rows: list[dict[str, str]], source_file: str = SOURCE_FILE,
                       importer: str = "VN") -> list[TariffMeasure]:
    """Measures from rows of the flat CSV (dicts with ``_line``); headings without an
    8-digit code are skipped. Raises :class:`DataImportError` naming row and column."""
    if rows:
        missing = [c for c in REQUIRED if c not in rows[0]]
        if missing:
            raise DataImportError(f"missing column(s) {', '.join(missing)}", where=source_file,
                                  accepted="the tariffvn flat CSV header")
    out = []
    for r in rows:
        code = (r.get("HSCode") or "").strip()
        if len(code) != 8:
            continue
        if not code.isdigit():
            raise DataImportError(f"national line {code!r} is not 8 digits",
                                  where=f"{source_file} row {r['_line']} column HSCode")
        for column, (regime, scope) in COLUMNS.items():
            raw = r[column] or ""
            parsed = parse_vn_cell(raw)
            if parsed is None:
                continue
            rate, excluded = parsed
            if excluded:
                scope_here = scope.model_copy(update={"excluded_origins": excluded})
            else:
                scope_here = scope
            out.append(TariffMeasure(
                importer=importer, national_line=code, hs6=code[:6], regime=regime, scope=scope_here,
                valid_from=None, valid_to=None, validity_note=VALIDITY_NOTE, rate=rate,
                raw=raw.strip(), detail={"column": column}, source_file=source_file,
                source_row=r["_line"]))
    return out


def read_file(path: Path, importer: str = "VN") -> list[TariffMeasure]:
    """A user's copy of the flat CSV (same header as the shipped file)."""
    rows = read_rows(path)
    return measures_from_rows(rows, source_file=str(path), importer=importer)
