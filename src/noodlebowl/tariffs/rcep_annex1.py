"""RCEP Annex I (Schedules of Tariff Commitments) in the official layout: a base rate and
Year 1…N columns, turned into dated measures (basis ``commitment``).

RCEP Annex I headnotes: Year 1 is the year of entry into force for the importing Party;
subsequent reductions take effect on 1 January of each following year — except Japan,
whose years begin on 1 April (Japan's fiscal year). The year-start is a parameter per
party (:data:`YEAR_START`). ``U`` = excluded from tariff commitments. The last column
("Year 20" / "Year 21 and subsequent") stays in force open-ended.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from noodlebowl.csvrows import read_rows
from noodlebowl.errors import DataImportError
from noodlebowl.tariffs.model import ASEAN, OriginScope, TariffMeasure
from noodlebowl.tariffs.rates import parse_english_rate

EIF_FILE = "agreements/rcep/rcep_parties_entry_into_force.csv"
SCHEDULES = {"AU": "tariffs/rcep_annex1/rcep_annexI_AU_schedule.csv",
             "CN": "tariffs/rcep_annex1/rcep_annexI_CN_for_ASEAN_schedule.csv"}
# (month, day) on which each year of the staging begins
YEAR_START: dict[str, tuple[int, int]] = {"JP": (4, 1)}
DEFAULT_YEAR_START = (1, 1)
RCEP_PARTIES = ASEAN + ("AU", "CN", "JP", "KR", "NZ")
APPLIES_TO = {"all_RCEP_parties": OriginScope(kind="group", group="RCEP (common schedule)",
                                              origins=RCEP_PARTIES),
              "ASEAN_member_states": OriginScope(kind="group", group="RCEP for ASEAN",
                                                 origins=ASEAN)}


def entry_into_force(rows: list[dict[str, str]]) -> dict[str, dt.date]:
    """Party ISO2 → entry-into-force date (contested dates such as Myanmar's are skipped)."""
    out = {}
    for r in rows:
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})", r["entry_into_force"].strip())
        if m and r["eif_status"] != "contested":
            out[r["iso2"]] = dt.date.fromisoformat(m.group(1))
    return out


def year_starts(eif: dt.date, n_years: int, year_start: tuple[int, int] = DEFAULT_YEAR_START
                ) -> list[dt.date]:
    """Start date of Year 1…n: Year 1 starts at entry into force, Year k (k ≥ 2) on the
    k-1-th year-start date after it."""
    month, day = year_start
    first = dt.date(eif.year, month, day)
    if first <= eif:
        first = dt.date(eif.year + 1, month, day)
    return [eif] + [dt.date(first.year + i, month, day) for i in range(n_years - 1)]


def measures_from_rows(rows: list[dict[str, str]], eif: dict[str, dt.date], source_file: str,
                       year_start: dict[str, tuple[int, int]] | None = None) -> list[TariffMeasure]:
    year_start = {**YEAR_START, **(year_start or {})}
    if not rows:
        return []
    year_cols = [c for c in rows[0] if re.fullmatch(r"year_\d+(_and_subsequent)?_pct", c)]
    for need in ("party", "applies_to", "hs_code", "row_type", "base_rate_pct"):
        if need not in rows[0]:
            raise DataImportError(f"missing column {need}", where=source_file)
    out = []
    for r in rows:
        if r["row_type"] != "tariff_line":
            continue
        party = r["party"].strip()
        if party not in eif:
            raise DataImportError(f"no entry-into-force date for party {party}",
                                  where=f"{source_file} row {r['_line']} column party")
        starts = year_starts(eif[party], len(year_cols), year_start.get(party, DEFAULT_YEAR_START))
        scope = APPLIES_TO.get(r["applies_to"], OriginScope())
        line = r["hs_code"].replace(".", "")
        base = r["base_rate_pct"].strip()
        prev = None
        for i, col in enumerate(year_cols):
            raw = r[col].strip()
            if not raw:
                continue
            if prev is not None and prev.raw == raw:  # unchanged: extend the previous interval
                prev_to = starts[i + 1] if i + 1 < len(starts) else None
                prev = prev.model_copy(update={"valid_to": prev_to})
                out[-1] = prev
                continue
            rate = parse_english_rate(raw)
            prev = TariffMeasure(
                importer=party, national_line=line, hs6=line[:6], regime="RCEP", scope=scope,
                valid_from=starts[i], valid_to=starts[i + 1] if i + 1 < len(starts) else None,
                rate=rate, raw=raw, basis="commitment",
                detail={"base_rate": base, "year": col.removeprefix("year_").removesuffix("_pct")},
                source_file=source_file, source_row=r["_line"])
            out.append(prev)
    return out


def read_file(path: Path, eif: dict[str, dt.date]) -> list[TariffMeasure]:
    rows = read_rows(path)
    return measures_from_rows(rows, eif, str(path))
