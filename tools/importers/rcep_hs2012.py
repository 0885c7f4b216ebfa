"""RCEP Annex 3A in its original HS2012 edition, read from the official English PDF with the
project's own PDF importer (``noodlebowl data import-psr``), and the verification of the HS2022
table against it.

The HS2012 table is the rule table in force before the HS2022 transposition took effect (shared
data README; ``psr.table_edition`` in ``rcep.yaml``). Its rows are the official English text, so
they are ``verified_en`` citing their PDF page. An HS2022 row whose rule agrees with the official
HS2012 rule of every HS2012 code its subheadings come from becomes ``verified_en`` too, citing the
pages; every disagreement stays as transcribed and is listed by ``noodlebowl.coverage.crosscheck``.
"""

from __future__ import annotations

from noodlebowl.coverage.crosscheck import compare_rcep_hs2022_with_hs2012, hs2022_to_hs2012
from tools.buildkit import BuildContext

PDF = "agreements/rcep/official/rcep_agreement_consolidated_2020-10-27.pdf"
PAGES = (54, 212)      # Annex 3A, pages 3A-1…3A-159 (shared data README)
CORR_2017_2022 = "hs/hs2017_hs2022_correlation.csv"
CORR_2012_2017 = "hs/hs2012_hs2017_correlation.csv"
HS2022 = "hs/hs2022.csv"


def official_rows(ctx: BuildContext) -> list[dict]:
    """The HS2012 Annex 3A as rule-table rows (``psr`` table columns)."""
    from noodlebowl.coverage.pdf_psr import read_annex

    ctx.read_bytes(PDF)            # its checksum goes into the manifest
    result = read_annex(ctx.path(PDF), agreement="RCEP", edition="HS2012", pages=PAGES)
    if result.notes:
        raise SystemExit(f"{PDF}: " + "; ".join(result.notes))
    return [{
        "agreement": "RCEP", "hs_code": r["hs_code"], "edition": "HS2012", "level": r["level"],
        "rule_text": r["rule_text"], "verification": "verified_en",
        "verification_detail": f"official English text of RCEP Annex 3A (HS2012), PDF {r['source'].split()[-1]}, "
                               "read by `noodlebowl data import-psr`",
        "source": f"RCEP Agreement (official English, 2020-10-27), Annex 3A {r['source']}",
        "row_ref": f"{PDF} {r['source'].split()[-1]}", "modelled": True,
    } for r in result.rows]


def verify_hs2022(ctx: BuildContext, rows_2022: list[dict], rows_2012: list[dict]) -> None:
    """Mark the HS2022 rows that agree with the official English HS2012 rules ``verified_en``."""
    subheadings = [r["code"] for r in ctx.read_csv(HS2022) if r["level"] == "subheading"]
    mapping = hs2022_to_hs2012(ctx.read_csv(CORR_2017_2022), ctx.read_csv(CORR_2012_2017))
    for res in compare_rcep_hs2022_with_hs2012(rows_2022, rows_2012, subheadings, mapping):
        row = res.row
        if res.result == "agree" and row["verification"] != "verified_en":
            codes = sorted({old for _, old, _ in res.compared})
            before = f"{row['verification']}: {row['verification_detail'] or ''}".rstrip(": ")
            row["verification"] = "verified_en"
            row["verification_detail"] = (
                f"agrees with the official English RCEP Annex 3A (HS2012) rule of HS2012 "
                f"{', '.join(codes[:6])}{' …' if len(codes) > 6 else ''} (PDF {res.pages}); before: {before}")
