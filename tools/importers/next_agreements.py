"""AJCEP, AKFTA, AHKFTA, AANZFTA: parties with the dates the sources give, and their PSR tables.

Sources: ``next_agreements/*/*_provisions.yaml`` (Viet Nam's implementing circulars, as read by the
data's transcribers) and the official AANZFTA First Protocol (2014). None of them states an
agreement's entry into force for each party. What they do state is the date from which the rules
of origin in the data apply (the circular's entry into force): that date is recorded with
``eif_status = rules_effective_date`` and a note, as for ACFTA — never an invented entry into force.
AANZFTA's First Protocol enters into force by notification (Art. 5) and no date is in the data:
its parties carry no date (``unknown``).

The PSR rows keep the source's verification status: ``transcribed`` (read once from the circular;
the data README records a 30-row re-read, not a full one) and ``inferred_merged_cell`` (AJCEP rows
with no rule printed beside them, the rule inferred from a merged cell) → ``unverified``.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import yaml

from tools.buildkit import BuildContext, table_from_rows
from tools.importers.agreements import PARTIES, PSR, RCEP_EIF

ATIGA_PARAMS = "agreements/atiga/atiga_roo_parameters.yaml"

# (agreement, provisions file, PSR table, non-ASEAN parties)
CIRCULAR_AGREEMENTS = [
    ("AJCEP", "next_agreements/ajcep/ajcep_provisions.yaml", "next_agreements/ajcep/ajcep_psr_hs2017.csv", ["JP"]),
    ("AKFTA", "next_agreements/akfta/akfta_provisions.yaml", "next_agreements/akfta/akfta_psr_hs2022.csv", ["KR"]),
    ("AHKFTA", "next_agreements/ahkfta/ahkfta_provisions.yaml", "next_agreements/ahkfta/ahkfta_psr_hs2012.csv",
     ["HK"]),
]
AANZFTA_TEXT = "next_agreements/aanzfta/official/aanzfta_first_protocol_2014.layout.txt"
# Names of parties that are not RCEP parties (the RCEP table names the others).
OTHER_NAMES = {"HK": "Hong Kong, China"}
VERIFICATION = {"transcribed": "transcribed", "inferred_merged_cell": "unverified"}


def _names(ctx: BuildContext) -> dict[str, str]:
    return {r["iso2"]: r["party"] for r in ctx.read_csv(RCEP_EIF)} | OTHER_NAMES


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _circular_parties(ctx: BuildContext, members: list[str], names: dict[str, str]) -> list[dict]:
    out = []
    for agreement, rel, _table, partners in CIRCULAR_AGREEMENTS:
        text = ctx.read_text(rel)
        meta = yaml.safe_load(text)
        since = dt.date.fromisoformat(str(meta["in_force"]))
        note = (f"date from which VN Circular {meta['circular']} (the {agreement} rules of origin in the data) "
                f"applies; the agreement's entry into force for each party is not in the data")
        source = f"{rel}:{_line_of(text, 'in_force:')} (in_force)"
        for iso2 in [*members, *partners]:
            out.append({"agreement": agreement, "iso2": iso2, "name": names[iso2],
                        "asean_member": iso2 in members, "entry_into_force": since,
                        "eif_status": "rules_effective_date", "eif_note": note, "source": source})
    return out


def _aanzfta_parties(ctx: BuildContext, members: list[str], names: dict[str, str]) -> list[dict]:
    """AANZFTA parties from the First Protocol's preamble; no entry-into-force date is in the data."""
    text = ctx.read_text(AANZFTA_TEXT)
    line = _line_of(text, "Article 5.    Entry into Force")
    note = ("First Protocol Art. 5: in force 30 days after AU, NZ and four ASEAN Member States notify, "
            "later for each other party on its notification; no date is in the data")
    return [{"agreement": "AANZFTA", "iso2": iso2, "name": names[iso2], "asean_member": iso2 in members,
             "entry_into_force": None, "eif_status": "unknown", "eif_note": note,
             "source": f"{AANZFTA_TEXT}:{line} (First Protocol Art. 5)"}
            for iso2 in [*members, "AU", "NZ"]]


def _psr_rows(ctx: BuildContext) -> list[dict]:
    out = []
    for agreement, _provisions, rel, _partners in CIRCULAR_AGREEMENTS:
        for r in ctx.read_csv(rel):
            status = r["verification"]
            if status not in VERIFICATION:
                raise SystemExit(f"{rel}:{r['_line']}: verification {status!r} not one of {sorted(VERIFICATION)}")
            detail = r.get("note") or None
            if status == "inferred_merged_cell":
                detail = "no rule printed beside the code in the source: rule inferred from a merged cell" + (
                    f" ({detail})" if detail else "")
            out.append({
                "agreement": agreement, "hs_code": r["hs_code"], "edition": r["hs_edition"],
                "level": r["level"], "rule_text": r["rule_text"], "verification": VERIFICATION[status],
                "verification_detail": detail, "source": r["source"], "row_ref": f"{rel}:{r['_line']}",
                "modelled": True})
    return out


def _aanzfta_psr(ctx: BuildContext) -> list[dict]:
    """Annex 2 (HS2012) read from the official PDF by noodlebowl's own importer; a row is `verified_en`
    where the independent machine parse reads the same rule, else `unverified` (docs/aanzfta_crosscheck_report.md)."""
    from noodlebowl.coverage.aanzfta_crosscheck import MACHINE_PARSE, PDF, compare, machine_rules, read_official

    ctx.read_bytes(PDF)                                   # recorded in the manifest with its sha256
    official = read_official(ctx.path(PDF))
    verdicts = compare(official, machine_rules(ctx.read_text(MACHINE_PARSE)))
    out = []
    for r in official:
        why = verdicts[r["hs_code"]]
        read = "read from the official PDF by noodlebowl's rule-table importer"
        out.append({
            "agreement": "AANZFTA", "hs_code": r["hs_code"], "edition": "HS2012", "level": r["level"],
            "rule_text": r["rule_text"], "verification": "unverified" if why else "verified_en",
            "verification_detail": f"{read}; {why}" if why else f"{read}; the independent machine parse agrees",
            "source": f"AANZFTA First Protocol (2014), Appendix 4: Annex 2 (Product Specific Rules), PDF p.{r['pdf_page']}",
            "row_ref": f"{PDF} p.{r['pdf_page']}", "modelled": True})
    return out


def build(ctx: BuildContext) -> dict[str, pa.Table]:
    members = yaml.safe_load(ctx.read_text(ATIGA_PARAMS))["members"]
    names = _names(ctx)
    parties = _circular_parties(ctx, members, names) + _aanzfta_parties(ctx, members, names)
    psr = _psr_rows(ctx) + _aanzfta_psr(ctx)
    return {"parties": table_from_rows(parties, PARTIES), "psr": table_from_rows(psr, PSR)}
