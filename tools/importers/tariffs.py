"""Tariff measures (Viet Nam, Japan, Australia, RCEP Annex I schedules) → ``tariff_measures``,
plus ``tariff_gaps`` (where the source has no rate: answer "rate unknown")."""

from __future__ import annotations

import pyarrow as pa

from noodlebowl.tariffs import au, jp, rcep_annex1, vn
from noodlebowl.tariffs.storage import GAPS_SCHEMA, to_table
from tools.buildkit import BuildContext, table_from_rows


def build(ctx: BuildContext) -> dict[str, pa.Table]:
    measures = vn.measures_from_rows(ctx.read_csv(vn.SOURCE_FILE))
    editions = {start: (rel, ctx.read_csv(rel)) for start, rel in jp.EDITIONS.items()}
    measures += jp.measures_from_editions(editions)
    s3, missing = au.schedule3_measures(ctx.read_csv(au.SCHEDULE3))
    measures += s3
    measures += au.rcep_measures(ctx.read_csv(au.FTA), {m.national_line for m in s3})
    eif = rcep_annex1.entry_into_force(ctx.read_csv(rcep_annex1.EIF_FILE))
    for rel in rcep_annex1.SCHEDULES.values():
        measures += rcep_annex1.measures_from_rows(ctx.read_csv(rel), eif, rel)
    gaps = [{"importer": "AU", "prefix": ch, "regime": "MFN",
             "reason": f"chapter {ch} is missing from the Australian Schedule 3 source",
             "source_file": au.SCHEDULE3} for ch in missing]
    return {"tariff_measures": to_table(measures), "tariff_gaps": table_from_rows(gaps, GAPS_SCHEMA)}
