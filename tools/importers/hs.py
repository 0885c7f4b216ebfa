"""HS nomenclature (HS2012/2017/2022), AHTN 2022 and the UNSD edition correlations."""

from __future__ import annotations

import pyarrow as pa

from tools.buildkit import BuildContext, table_from_rows

EDITIONS = {"HS2012": "hs/hs2012.csv", "HS2017": "hs/hs2017.csv", "HS2022": "hs/hs2022.csv"}
CORRELATIONS = {
    ("HS2012", "HS2017"): "hs/hs2012_hs2017_correlation.csv",
    ("HS2017", "HS2022"): "hs/hs2017_hs2022_correlation.csv",
}
CONVERSIONS = {
    ("HS2017", "HS2012"): "hs/hs2017_to_hs2012_conversion.csv",
    ("HS2022", "HS2017"): "hs/hs2022_to_hs2017_conversion.csv",
}

CODES = pa.schema([
    ("edition", pa.string()), ("code", pa.string()), ("level", pa.string()),
    ("parent", pa.string()), ("description", pa.string()), ("source_line", pa.int32()),
])
AHTN = pa.schema([
    ("code", pa.string()), ("hs6", pa.string()), ("description", pa.string()),
    ("description_path", pa.string()), ("description_vi", pa.string()), ("source_line", pa.int32()),
])
CORRELATION = pa.schema([
    ("from_edition", pa.string()), ("to_edition", pa.string()),
    ("from_code", pa.string()), ("to_code", pa.string()), ("relationship", pa.string()),
    ("n_targets", pa.int32()), ("n_sources", pa.int32()), ("source_line", pa.int32()),
])
CONVERSION = pa.schema([
    ("from_edition", pa.string()), ("to_edition", pa.string()),
    ("from_code", pa.string()), ("to_code", pa.string()), ("source_line", pa.int32()),
])


def build(ctx: BuildContext) -> dict[str, pa.Table]:
    codes = [
        {"edition": edition, "code": r["code"], "level": r["level"], "parent": r["parent"] or None,
         "description": r["description"], "source_line": r["_line"]}
        for edition, rel in EDITIONS.items() for r in ctx.read_csv(rel)
    ]
    ahtn = [
        {"code": r["code"], "hs6": r["parent"], "description": r["description"],
         "description_path": r["description_path"], "description_vi": r["description_vi"],
         "source_line": r["_line"]}
        for r in ctx.read_csv("hs/ahtn2022_vn.csv")
    ]
    correlation = []
    for (old, new), rel in CORRELATIONS.items():
        a, b = old.lower(), new.lower()
        for r in ctx.read_csv(rel):
            correlation.append({
                "from_edition": old, "to_edition": new, "from_code": r[a], "to_code": r[b],
                "relationship": r["relationship"], "n_targets": int(r[f"n_{b}_for_{a}"]),
                "n_sources": int(r[f"n_{a}_for_{b}"]), "source_line": r["_line"]})
    conversion = []
    for (new, old), rel in CONVERSIONS.items():
        for r in ctx.read_csv(rel):
            conversion.append({"from_edition": new, "to_edition": old, "from_code": r[new.lower()],
                               "to_code": r[old.lower()], "source_line": r["_line"]})
    return {
        "hs_codes": table_from_rows(codes, CODES),
        "ahtn_lines": table_from_rows(ahtn, AHTN),
        "hs_correlation": table_from_rows(correlation, CORRELATION),
        "hs_conversion": table_from_rows(conversion, CONVERSION),
    }
