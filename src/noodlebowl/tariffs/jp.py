"""Japan customs tariff (flattened Japan Customs schedule, 9-digit lines, three editions).

Successive editions become validity intervals: an edition is valid from its date until the
next edition's date (exclusive); the last one is open-ended. Identical cells in successive
editions are merged into one measure. The flat files already carry rates down the tree to
the 9-digit lines (every 9-digit line has its general rate filled in), so nothing is
inherited here. Some lines appear twice with a condition in the description (seasonal
bananas, oranges…): each row is its own measure, ``line_condition`` says which.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

from noodlebowl.csvrows import read_rows
from noodlebowl.errors import DataImportError
from noodlebowl.tariffs.model import ASEAN, EU27, OriginScope, TariffMeasure
from noodlebowl.tariffs.rates import (AdValorem, Compound, Excluded, Free, MaxOf, MinOf, NotComputable,
                                      Rate, Specific, decimal_of, normalise_unit)

EDITIONS = {dt.date(2026, 1, 1): "tariffs/jp/jp_tariff_2026-01-01_flat.csv",
            dt.date(2026, 4, 1): "tariffs/jp/jp_tariff_2026-04-01_flat.csv",
            dt.date(2026, 7, 9): "tariffs/jp/jp_tariff_2026-07-09_flat.csv"}

_one = lambda c: OriginScope(kind="group", group=c, origins=(c,))  # noqa: E731
# column -> (regime, scope). MFN is derived from general/temporary/wto (see applied_mfn).
COLUMNS: dict[str, tuple[str, OriginScope]] = {
    "gsp": ("GSP", OriginScope()), "ldc": ("LDC", OriginScope()),
    "epa_sg": ("JP-SG EPA", _one("SG")), "epa_mx": ("JP-MX EPA", _one("MX")),
    "epa_my": ("JP-MY EPA", _one("MY")), "epa_cl": ("JP-CL EPA", _one("CL")),
    "epa_th": ("JP-TH EPA", _one("TH")), "epa_id": ("JP-ID EPA", _one("ID")),
    "epa_bn": ("JP-BN EPA", _one("BN")),
    "epa_ajcep": ("AJCEP", OriginScope(kind="group", group="ASEAN", origins=ASEAN)),
    "epa_ph": ("JP-PH EPA", _one("PH")), "epa_ch": ("JP-CH EPA", _one("CH")),
    "epa_vn": ("VJEPA", _one("VN")), "epa_in": ("JP-IN EPA", _one("IN")),
    "epa_pe": ("JP-PE EPA", _one("PE")), "epa_au": ("JP-AU EPA", _one("AU")),
    "epa_mn": ("JP-MN EPA", _one("MN")), "epa_cptpp": ("CPTPP", OriginScope()),
    "epa_eu": ("JP-EU EPA", OriginScope(kind="group", group="EU", origins=EU27)),
    "epa_uk": ("JP-UK EPA", _one("GB")),
    "rcep_asean_au_nz": ("RCEP", OriginScope(kind="group", group="RCEP ASEAN·AU·NZ",
                                             origins=ASEAN + ("AU", "NZ"))),
    "rcep_cn": ("RCEP", OriginScope(kind="group", group="RCEP CN", origins=("CN",))),
    "rcep_kr": ("RCEP", OriginScope(kind="group", group="RCEP KR", origins=("KR",))),
    "us_japan": ("US-JP TA", _one("US")),
}
RCEP_COLUMN_OF = {"asean_au_nz": "RCEP ASEAN·AU·NZ", "cn": "RCEP CN", "kr": "RCEP KR"}
RCEP_COLUMNS = ("rcep_asean_au_nz", "rcep_cn", "rcep_kr")
# Japan's schedule leaves the RCEP cell of a line empty where Japan made no RCEP concession (the line is
# excluded, e.g. rice): the goods pay MFN. Recorded as an "excluded" measure, never as "rate unknown".
EMPTY_RCEP = "empty RCEP cell: the line is excluded from Japan's RCEP concessions, MFN applies"
REQUIRED = ("code9", "desc_ja", "general", "temporary", "wto", *COLUMNS)

_N = r"\d[\d,]*(?:\.\d+)?"
_UNIT = r"(kg|㎏|kl|l|ℓ|㎡|足|頭|個|本)"
_AV = re.compile(rf"^({_N})%$")
_SP = re.compile(rf"^({_N})円/{_UNIT}$")
_CP = re.compile(rf"^({_N})%[＋+]({_N})円/{_UNIT}$")
_ALT = re.compile(r"^(.+?)又は(.+?)のうちいずれか(高い|低い)税率$")


def _simple(t: str) -> Rate | None:
    if t == "無税":
        return Free()
    m = _AV.match(t)
    if m:
        return AdValorem(percent=decimal_of(m.group(1)))
    m = _SP.match(t)
    if m:
        return Specific(amount=decimal_of(m.group(1)), currency="JPY", unit=normalise_unit(m.group(2)))
    m = _CP.match(t)
    if m:
        return Compound(ad_valorem=AdValorem(percent=decimal_of(m.group(1))),
                        specific=Specific(amount=decimal_of(m.group(2)), currency="JPY",
                                          unit=normalise_unit(m.group(3))))
    return None


def _reason(t: str) -> str:
    if "関税割当" in t:
        return "tariff-rate quota: rate applies within the quota only"
    if "課税価格" in t or "基準輸入価格" in t:
        return "formula on the customs value (e.g. gate price)"
    if "〜" in t:
        return "range of bound rates"
    if "非譲許" in t:
        return "partly unbound (非譲許)"
    if t[:1] in "●◎*※◆" or "◆" in t:
        return "marker (●, ◎, *, ※, ◆) whose meaning is in the schedule notes"
    if "\n" in t or "　" in t or "のもの" in t:
        return "conditional rates by product description"
    if "ただし" in t:
        return "rate with a proviso (ただし…)"
    return "form not recognised"


@lru_cache(maxsize=None)
def parse_jp_cell(raw: str) -> tuple[Rate, bool] | None:
    """``(rate, in_parentheses)``; ``None`` for an empty cell. Parentheses around a whole
    WTO cell mean the bound rate is not applied (the statutory rate is lower)."""
    t = raw.strip().replace("（", "(").replace("）", ")").replace(" ", "")
    if not t:
        return None
    paren = False
    if t.startswith("(") and t.endswith(")") and t.count("(") == 1:
        paren, t = True, t[1:-1]
    rate = _simple(t)
    if rate is not None:
        return rate, paren
    m = _ALT.match(t)
    if m:
        a, b = _simple(m.group(1)), _simple(m.group(2))
        if a is not None and b is not None:
            return (MaxOf(options=[a, b]) if m.group(3) == "高い" else MinOf(options=[a, b])), paren
    return NotComputable(raw=raw, reason=_reason(t)), paren


def applied_mfn(general: str, temporary: str, wto: str) -> tuple[Rate, str]:
    """The rate a WTO member's goods pay, from the three statutory columns, and why.

    Japan's Customs Tariff Law (関税定率法) Art. 3 sets the general (基本) rate of its annexed
    schedule; the Act on Temporary Measures concerning Customs (関税暫定措置法, Art. 2)
    substitutes a temporary (暫定) rate where one is set; where a treaty sets a rate (the WTO
    conventional / 協定 rate, Customs Tariff Law Art. 3 proviso and the Customs Law (関税法)
    Art. 3 proviso; "Art. 9" in the Customs Tariff Law's scheme of conventional rates) and it
    is lower, the conventional rate applies to WTO members. Japan Customs' schedule notes
    explain that a WTO rate in parentheses "(…)" is not applied because the statutory rate
    is lower or equal.

    So: statutory = temporary if present else general; MFN = the lower of statutory and the
    WTO rate unless the WTO rate is in parentheses. When both are ad valorem the lower one is
    picked here; otherwise the answer is ``min(statutory, wto)`` (decided by the value), or
    ``NotComputable`` if either side is. This equals "the lowest of general, temporary and
    WTO" except where a temporary rate is higher than the general one (the temporary wins).
    """
    g = parse_jp_cell(general)
    t = parse_jp_cell(temporary)
    w = parse_jp_cell(wto)
    statutory, basis = (t[0], "temporary") if t else ((g[0], "general") if g else (None, ""))
    if statutory is None:
        return NotComputable(raw=general, reason="no general or temporary rate"), "missing"
    if w is None or w[1]:
        why = "WTO rate in parentheses (not applied)" if w else "no WTO rate"
        return statutory, f"{basis} rate; {why}"
    wto_rate = w[0]
    if statutory == wto_rate:
        return statutory, f"{basis} rate = WTO rate"
    from noodlebowl.tariffs.rates import ad_valorem_equivalent
    a, b = ad_valorem_equivalent(statutory), ad_valorem_equivalent(wto_rate)
    if a is not None and b is not None:
        return (statutory, f"{basis} rate (lower than WTO)") if a <= b else \
            (wto_rate, f"WTO rate (lower than {basis})")
    if statutory.kind == "not_computable" or wto_rate.kind == "not_computable":
        return NotComputable(raw=f"{general} | {temporary} | {wto}",
                             reason="lower of statutory and WTO rate with a non-computable side"), \
            "not computable"
    return MinOf(options=[statutory, wto_rate]), f"lower of {basis} and WTO rate, by value"


def _edition_rows(rows: list[dict[str, str]], source_file: str):
    if rows:
        missing = [c for c in REQUIRED if c not in rows[0]]
        if missing:
            raise DataImportError(f"missing column(s) {', '.join(missing)}", where=source_file,
                                  accepted="the flattened Japan tariff header (code9, general, wto, epa_…)")
    seen: dict[str, int] = {}
    for r in rows:
        code = (r.get("code9") or "").strip()
        if len(code) != 9:
            continue
        if not code.isdigit():
            raise DataImportError(f"national line {code!r} is not 9 digits",
                                  where=f"{source_file} row {r['_line']} column code9")
        n = seen[code] = seen.get(code, 0) + 1
        yield code, n, r


def measures_from_editions(editions: dict[dt.date, tuple[str, list[dict[str, str]]]],
                           importer: str = "JP") -> list[TariffMeasure]:
    """Measures from several editions ``{start date: (source file, rows)}``."""
    dates = sorted(editions)
    # key (code, occurrence, regime, scope group) -> list of [from, to, raw, rate, detail, file, row, cond]
    open_: dict[tuple, list] = {}
    out: list[list] = []
    for i, start in enumerate(dates):
        end = dates[i + 1] if i + 1 < len(dates) else None
        source_file, rows = editions[start]
        counts: dict[str, int] = {}
        for x in rows:
            counts[x.get("code9") or ""] = counts.get(x.get("code9") or "", 0) + 1
        for code, n, r in _edition_rows(rows, source_file):
            cond = r["desc_ja"].rsplit(" / ", 1)[-1] if counts[code] > 1 else None
            cells = []
            rate, why = applied_mfn(r["general"], r["temporary"], r["wto"])
            detail = {"general": r["general"].strip(), "temporary": r["temporary"].strip(),
                      "wto": r["wto"].strip(), "mfn_basis": why}
            cells.append(("MFN", OriginScope(), rate,
                          " | ".join([r["general"].strip(), r["temporary"].strip(), r["wto"].strip()]),
                          detail))
            for column, (regime, scope) in COLUMNS.items():
                p = parse_jp_cell(r[column] or "")
                if p is None:
                    if column in RCEP_COLUMNS:  # no RCEP rate on the line: excluded from Japan's concessions
                        cells.append((regime, scope, Excluded(), "", {"column": column, "empty_cell": EMPTY_RCEP}))
                    continue
                cells.append((regime, scope, p[0], r[column].strip(), {"column": column}))
            for regime, scope, rate, raw, detail in cells:
                key = (code, n, regime, scope.group)
                cur = open_.get(key)
                if cur is not None and cur[2] == raw and cur[1] == start:
                    cur[1] = end
                    continue
                rec = [start, end, raw, rate, detail, source_file, r["_line"], cond, code, regime, scope]
                open_[key] = rec
                out.append(rec)
    # a cell that disappears in a later edition keeps to = that edition's start
    measures = []
    for start, end, raw, rate, detail, source_file, line, cond, code, regime, scope in out:
        measures.append(TariffMeasure(
            importer=importer, national_line=code, hs6=code[:6], line_condition=cond, regime=regime,
            scope=scope, valid_from=start, valid_to=end, validity_note=None, rate=rate, raw=raw,
            detail=detail, source_file=source_file, source_row=line))
    return measures


def read_file(path: Path, valid_from: dt.date, importer: str = "JP") -> list[TariffMeasure]:
    """One user-supplied edition, valid from ``valid_from`` (open-ended)."""
    return measures_from_editions({valid_from: (str(path), read_rows(path))}, importer=importer)
