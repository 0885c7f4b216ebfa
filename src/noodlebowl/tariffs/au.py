"""Australia Working Tariff (partial): Schedule 3 general rates and the FTA schedules.

* Schedule 3 is the general (MFN) rate. The source lacks 24 chapters: for those the
  answer is "rate unknown" (a ``tariff_gaps`` row), never 0.
* Only the leading general rate of a Schedule 3 cell is read; the rates that follow
  country/category codes (``CA``, ``DCS``, ``DCT``, ``NZ/PG/FI/DC/LDC/SG`` …) are other
  regimes and stay in ``raw``. ``From 1 July 2018 3.75% From 1 July 2019 Free`` phasing
  becomes dated measures.
* Schedule 14 (RCEP) lists only lines whose RCEP rate is not Free (Customs Tariff Act 1995
  layout; the README: "non-free lines only"). So a Schedule 3 line absent from Schedule 14
  is Free for RCEP-originating goods: recorded as an inferred measure (empty ``raw``,
  ``detail.inferred``). For chapters missing from Schedule 3 no national line is known, so
  no RCEP measure is inferred there.
* The working tariff states no validity dates (``valid_from=None`` + note), except the Schedule 14
  rows that say "From 1 January 2022:" (the first phasing step only): that is their ``valid_from``.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from noodlebowl.tariffs.model import ASEAN, OriginScope, TariffMeasure
from noodlebowl.tariffs.rates import Free, parse_english_rate

SCHEDULE3 = "tariffs/au/au_schedule3_flat.csv"
FTA = "tariffs/au/au_fta_schedules_flat.csv"
VALIDITY_NOTE = "Australian Working Tariff as scraped (networkneedsau @9a8f3f37); no validity dates stated"
RCEP_SCOPE = OriginScope(kind="group", group="RCEP", origins=ASEAN + ("CN", "JP", "KR", "NZ"))
ALL_CHAPTERS = [f"{c:02d}" for c in range(1, 98) if c != 77]

_CODE = re.compile(r"^\d{4}\.\d{2}\.\d{2}$")
_OTHER = re.compile(r"\s(?=(?:CA|DCS|DCT|DC|MY|SG|NZ/|From\s?\d))")
_FROM = re.compile(r"From\s?(\d{1,2})\s?([A-Z][a-z]+)\s?(\d{4})\s+(\S+)")
MONTHS = {m: i for i, m in enumerate(["January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December"], 1)}


def _clean(code: str) -> str:
    return code.replace("\u200b", "").strip()


def general_segments(raw: str) -> list[tuple[dt.date | None, str]]:
    """``[(from, general rate text)]`` from a Schedule 3 cell."""
    t = " ".join(raw.replace("\t", " ").split())
    head = _OTHER.split(t, maxsplit=1)[0].strip()
    out = [(None, head)]
    for d, mon, y, rate in _FROM.findall(t):
        if mon in MONTHS:
            out.append((dt.date(int(y), MONTHS[mon], int(d)), rate))
    return out


def schedule3_measures(rows: list[dict[str, str]], source_file: str = SCHEDULE3
                       ) -> tuple[list[TariffMeasure], list[str]]:
    """General-rate measures and the chapters that are missing from the source."""
    out = []
    chapters = set()
    for r in rows:
        code = _clean(r["reference_number"])
        if not _CODE.match(code):
            continue
        line = code.replace(".", "")
        chapters.add(line[:2])
        raw = r["general_rate_raw"].strip()
        if not raw:
            continue
        segs = general_segments(raw)
        for i, (start, text) in enumerate(segs):
            end = segs[i + 1][0] if i + 1 < len(segs) else None
            out.append(TariffMeasure(
                importer="AU", national_line=line, hs6=line[:6], regime="MFN", scope=OriginScope(),
                valid_from=start, valid_to=end, validity_note=VALIDITY_NOTE,
                rate=parse_english_rate(text), raw=raw,
                detail={"general_rate_text": text, "stat_code": r["stat_code"], "unit": r["unit"]},
                source_file=source_file, source_row=r["_line"]))
    missing = [c for c in ALL_CHAPTERS if c not in chapters]
    return out, missing


_STATED = re.compile(r"From\s+(\d{1,2})\s+([A-Z][a-z]+)\s+(\d{4})\s*:")


def stated_start(description: str) -> dt.date | None:
    """The date a Schedule 14 row says its rate applies from (``0405.20.00 From 1 January 2022:``).
    The scraped rows keep only that one phasing step; what follows it is in RCEP Annex I (see
    ``tariffs.lookup``, which reconciles the two)."""
    m = _STATED.search(html.unescape(description).replace("\xa0", " "))
    if not m or m.group(2) not in MONTHS:
        return None
    return dt.date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))


def rcep_measures(fta_rows: list[dict[str, str]], schedule3_lines: set[str],
                  source_file: str = FTA) -> list[TariffMeasure]:
    out = []
    listed = set()
    for r in fta_rows:
        if r["schedule"].strip() != "Schedule 14":
            continue
        code = _clean(r["hs_code"])
        if not _CODE.match(code):
            continue
        line = code.replace(".", "")
        listed.add(line)
        raw = r["duty_rate_raw"].strip()
        start = stated_start(r["description"])
        out.append(TariffMeasure(
            importer="AU", national_line=line, hs6=line[:6], regime="RCEP", scope=RCEP_SCOPE,
            valid_from=start, validity_note=None if start else VALIDITY_NOTE, rate=parse_english_rate(raw), raw=raw,
            detail={"schedule": "Schedule 14", "description": r["description"][:200]},
            source_file=source_file, source_row=r["_line"]))
    for line in sorted(schedule3_lines - listed):
        out.append(TariffMeasure(
            importer="AU", national_line=line, hs6=line[:6], regime="RCEP", scope=RCEP_SCOPE,
            validity_note=VALIDITY_NOTE, rate=Free(), raw="",
            detail={"inferred": "not listed in Schedule 14, which lists only non-free lines"},
            source_file=source_file, source_row=None))
    return out
