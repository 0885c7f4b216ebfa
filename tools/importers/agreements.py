"""Agreement parties with entry-into-force dates, and the product-specific-rule tables."""

from __future__ import annotations

import re

import pyarrow as pa
import yaml

from tools.buildkit import BuildContext, table_from_rows

PARTIES = pa.schema([
    ("agreement", pa.string()), ("iso2", pa.string()), ("name", pa.string()),
    ("asean_member", pa.bool_()), ("entry_into_force", pa.date32()), ("eif_status", pa.string()),
    ("eif_note", pa.string()), ("source", pa.string()),
])
PSR = pa.schema([
    ("agreement", pa.string()), ("hs_code", pa.string()), ("edition", pa.string()),
    ("level", pa.string()), ("rule_text", pa.string()), ("verification", pa.string()),
    ("verification_detail", pa.string()), ("source", pa.string()), ("row_ref", pa.string()),
    ("modelled", pa.bool_()),
])
PSR_GAPS = pa.schema([
    ("agreement", pa.string()), ("hs6", pa.string()), ("edition", pa.string()),
    ("reason", pa.string()), ("row_ref", pa.string()),
])
GENERAL_RULES = pa.schema([
    ("agreement", pa.string()), ("hs_code", pa.string()), ("level", pa.string()),
    ("rule_text", pa.string()), ("source", pa.string()), ("row_ref", pa.string()),
])

RCEP_EIF = "agreements/rcep/rcep_parties_entry_into_force.csv"
ATIGA_PARAMS = "agreements/atiga/atiga_roo_parameters.yaml"
ATIGA_FULL_TEXT = "agreements/atiga/official/atiga_full_text.layout.txt"
DATA_README = "README.md"

# (agreement, table file, modelled by the engine); the next agreements: tools/importers/next_agreements.py
PSR_TABLES = [
    ("RCEP", "agreements/rcep/rcep_psr_hs2022.csv", True),
    ("ATIGA", "agreements/atiga/atiga_psr_hs2022.csv", True),
    ("ACFTA", "agreements/acfta/acfta_psr_hs2017.csv", True),
]
ATIGA_EXPANDED = "agreements/atiga/atiga_psr_hs2022_expanded_6digit.csv"
ACFTA_GENERAL = "agreements/acfta/acfta_general_rule_by_chapter.csv"

MONTHS = {m: i for i, m in enumerate(
    "January February March April May June July August September October November December".split(), 1)}


def _rcep_parties(ctx: BuildContext) -> list[dict]:
    out = []
    for r in ctx.read_csv(RCEP_EIF):
        raw = r["entry_into_force"]
        m = re.match(r"\d{4}-\d{2}-\d{2}", raw)
        note = " ".join(x for x in (raw[m.end():].strip(" ()") if m else raw, r["notes"]) if x) or None
        out.append({
            "agreement": "RCEP", "iso2": r["iso2"], "name": r["party"],
            "asean_member": r["asean_member"] == "yes",
            "entry_into_force": _date(m.group(0)) if m else None,
            "eif_status": r["eif_status"], "eif_note": note,
            "source": f"{RCEP_EIF}:{r['_line']} ({r['sources']})"})
    return out


def _date(iso: str):
    import datetime
    return datetime.date.fromisoformat(iso)


def _atiga_eif(ctx: BuildContext):
    """ATIGA's entry into force, as stated in the ASEAN Secretariat's ATIGA booklet."""
    text = ctx.read_text(ATIGA_FULL_TEXT)
    for n, line in enumerate(text.splitlines(), 1):
        m = re.search(r"ATIGA entered into force on (\d{1,2}) (\w+) (\d{4})", line)
        if m:
            import datetime
            d = datetime.date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))
            return d, f"{ATIGA_FULL_TEXT}:{n} (ATIGA booklet, ASEAN Secretariat)"
    raise SystemExit(f"{ATIGA_FULL_TEXT}: entry-into-force sentence not found")


def _acfta_rules_effective(ctx: BuildContext):
    """The upgraded ACFTA rules' effective date, as recorded in the source-data README."""
    text = ctx.read_text(DATA_README)
    for n, line in enumerate(text.splitlines(), 1):
        m = re.search(r"Appendix B amendment in force (\d{4}-\d{2}-\d{2})", line)
        if m:
            return _date(m.group(1)), f"shared/data/{DATA_README}:{n}"
    raise SystemExit(f"{DATA_README}: ACFTA rules effective date not found")


def _asean_and_atiga_parties(ctx: BuildContext, rcep: list[dict]) -> list[dict]:
    params = yaml.safe_load(ctx.read_text(ATIGA_PARAMS))
    names = {p["iso2"]: p["name"] for p in rcep}
    eif, eif_src = _atiga_eif(ctx)
    acfta_from, acfta_src = _acfta_rules_effective(ctx)
    out = []
    for iso2 in params["members"]:
        out.append({"agreement": "ATIGA", "iso2": iso2, "name": names[iso2], "asean_member": True,
                    "entry_into_force": eif, "eif_status": "confirmed", "eif_note": None,
                    "source": f"{ATIGA_PARAMS} members; {eif_src}"})
    # ACFTA binds the ASEAN members and China. The original 2005 entry into force is not in the
    # source data; what is, is the date from which the upgraded rules of origin apply.
    for iso2 in [*params["members"], "CN"]:
        out.append({"agreement": "ACFTA", "iso2": iso2, "name": names[iso2], "asean_member": iso2 != "CN",
                    "entry_into_force": acfta_from, "eif_status": "rules_effective_date",
                    "eif_note": "date from which the upgraded (2015 Protocol) rules of origin apply; "
                                "the agreement's original entry into force is not in the source data",
                    "source": f"{ATIGA_PARAMS} members + China; {acfta_src}"})
    return out


def _psr_rows(ctx: BuildContext) -> list[dict]:
    from tools.importers import rcep_hs2012

    out = []
    for agreement, rel, modelled in PSR_TABLES:
        for r in ctx.read_csv(rel):
            out.append({
                "agreement": agreement, "hs_code": r["hs_code"], "edition": r["hs_edition"],
                "level": r["level"], "rule_text": r["rule_text"],
                "verification": r.get("verification") or "unverified",
                "verification_detail": r.get("verification_detail") or r.get("note") or None,
                "source": r["source"], "row_ref": f"{rel}:{r['_line']}", "modelled": modelled})
    # RCEP Annex 3A in HS2012 (in force before the HS2022 transposition), from the official PDF; the
    # HS2022 rows that agree with it are verified against the official English text
    official = rcep_hs2012.official_rows(ctx)
    rcep_hs2012.verify_hs2022(ctx, [r for r in out if r["agreement"] == "RCEP"], official)
    return out + official


def _psr_gaps(ctx: BuildContext) -> list[dict]:
    return [
        {"agreement": "ATIGA", "hs6": r["hs6"], "edition": r["hs_edition"], "reason": r["basis"],
         "row_ref": f"{ATIGA_EXPANDED}:{r['_line']}"}
        for r in ctx.read_csv(ATIGA_EXPANDED) if r["basis"].startswith("MISSING_IN_SOURCE")
    ]


def _acfta_general_rules(ctx: BuildContext) -> list[dict]:
    """ACFTA Art. 7.1 general rule per chapter (headings listed where they differ)."""
    return [
        {"agreement": "ACFTA", "hs_code": r["hs_code"], "level": r["level"], "rule_text": r["rule_text"],
         "source": r["source"], "row_ref": f"{ACFTA_GENERAL}:{r['_line']}"}
        for r in ctx.read_csv(ACFTA_GENERAL)
    ]


def build(ctx: BuildContext) -> dict[str, pa.Table]:
    rcep = _rcep_parties(ctx)
    return {
        "parties": table_from_rows(rcep + _asean_and_atiga_parties(ctx, rcep), PARTIES),
        "psr": table_from_rows(_psr_rows(ctx), PSR),
        "psr_gaps": table_from_rows(_psr_gaps(ctx), PSR_GAPS),
        "acfta_general_rules": table_from_rows(_acfta_general_rules(ctx), GENERAL_RULES),
    }
