"""RCEP country of origin (Article 2.6, Tariff Differentials): which origin column of a
differentiated Annex I schedule applies.

* 2.6.1: the exporting Party's column applies if the exporting Party is the RCEP
  country of origin.
* 2.6.2: that is the Party where the good became originating; for goods originating under
  Art. 3.2(b) (from originating materials / PSR), the exporting Party, provided production
  beyond the minimal operations of 2.6.5 occurred there.
* 2.6.3: for lines in the importing Party's Appendix, the exporting Party only if the
  additional requirement is met (e.g. not less than 20 % of the good's value added there,
  calculated as under Art. 3.5).
* 2.6.4: otherwise, the Party that contributed the highest value of originating materials.
* 2.6.6: the importer may instead claim the highest rate applied to the good from any
  Party contributing originating materials (a) or from any Party (b).

Missing facts are named, never assumed: the answer is ``resolved`` or ``unresolved``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from noodlebowl.tariffs.model import ASEAN

# Parties whose Annex I schedules differ by origin (rcep_annexI_schedule_structure.csv)
DIFFERENTIATED = {"CN", "JP", "KR", "ID", "PH", "TH", "VN"}
HAS_APPENDIX = {"CN", "JP", "KR", "ID", "MY", "PH", "TH", "VN"}
ADDITIONAL_REQUIREMENT = Decimal(20)  # per cent, Appendix "additional requirement"


def column_for(importer: str, origin_party: str) -> str:
    """The Annex I / national tariff column of ``importer`` for goods of ``origin_party``."""
    if importer == "VN":
        from noodlebowl.tariffs.vn import RCEP_COLUMN_OF
        letter = "A" if origin_party in ASEAN else {"AU": "B", "CN": "C", "JP": "D", "KR": "E",
                                                    "NZ": "F"}[origin_party]
        return RCEP_COLUMN_OF[letter]
    if importer == "JP":
        from noodlebowl.tariffs.jp import RCEP_COLUMN_OF
        key = "cn" if origin_party == "CN" else "kr" if origin_party == "KR" else "asean_au_nz"
        return RCEP_COLUMN_OF[key]
    return "ASEAN" if origin_party in ASEAN else origin_party


class CountryOfOrigin(BaseModel):
    outcome: str  # "resolved" | "unresolved" | "not_needed"
    rcep_country_of_origin: str | None = None
    column: str | None = None
    article: str
    reason: str
    missing_facts: list[str] = []
    alternative_claims: list[str] = []


def rcep_country_of_origin(
    importer: str, exporter: str, *, originating_under: str | None = None,
    beyond_minimal_operations_in_exporter: bool | None = None,
    line_in_appendix: bool | None = None,
    value_added_in_exporter_pct: Decimal | None = None,
    originating_materials_by_party: dict[str, Decimal] | None = None,
) -> CountryOfOrigin:
    """Apply RCEP Art. 2.6 for goods exported from ``exporter`` to ``importer``.

    ``originating_under``: ``"a"`` (wholly obtained), ``"b"`` (PSR / originating
    materials) or ``"c"`` (produced exclusively from originating materials) — Art. 3.2.
    ``originating_materials_by_party``: value of originating materials per Party (2.6.4).
    """
    alternatives = ["Art. 2.6.6(a): claim the highest rate the importer applies to the good from "
                    "any Party contributing originating materials (importer must prove it)",
                    "Art. 2.6.6(b): claim the highest rate the importer applies to the good from "
                    "any Party"]
    if importer not in DIFFERENTIATED:
        return CountryOfOrigin(outcome="not_needed", article="Art. 2.6.1",
                               column=column_for(importer, exporter),
                               rcep_country_of_origin=exporter,
                               reason=f"{importer} has a single common schedule: no tariff "
                                      "differential, the origin column does not matter")

    def resolved(party: str, article: str, reason: str) -> CountryOfOrigin:
        return CountryOfOrigin(outcome="resolved", rcep_country_of_origin=party,
                               column=column_for(importer, party), article=article, reason=reason,
                               alternative_claims=alternatives)

    missing: list[str] = []
    if line_in_appendix is None and importer in HAS_APPENDIX:
        missing.append(f"whether the line is in {importer}'s Appendix to its Annex I schedule")
    if line_in_appendix:
        if value_added_in_exporter_pct is None:
            missing.append(f"value added in {exporter} as % of the good's value (Art. 3.5 method)")
        elif value_added_in_exporter_pct >= ADDITIONAL_REQUIREMENT:
            return resolved(exporter, "Art. 2.6.3",
                            f"Appendix line and {value_added_in_exporter_pct} % ≥ 20 % value added in "
                            f"{exporter} (additional requirement met)")
    elif line_in_appendix is False:
        if originating_under in ("a", "c"):
            return resolved(exporter, "Art. 2.6.2",
                            f"the good acquired originating status in {exporter} (Art. 3.2({originating_under}))")
        if originating_under == "b":
            if beyond_minimal_operations_in_exporter is True:
                return resolved(exporter, "Art. 2.6.2",
                                f"originating under Art. 3.2(b) with production beyond minimal "
                                f"operations (Art. 2.6.5) in {exporter}")
            if beyond_minimal_operations_in_exporter is None:
                missing.append(f"whether production in {exporter} went beyond the minimal "
                               "operations of Art. 2.6.5")
        elif originating_under is None:
            missing.append("under which subparagraph of Art. 3.2 the good is originating (a, b, c)")
    # 2.6.4 fallback: exporter not established as the RCEP country of origin
    established_not = (line_in_appendix and value_added_in_exporter_pct is not None) or \
        (line_in_appendix is False and originating_under == "b"
         and beyond_minimal_operations_in_exporter is False)
    if established_not:
        if originating_materials_by_party:
            top = max(originating_materials_by_party.values())
            leaders = sorted(p for p, v in originating_materials_by_party.items() if v == top)
            if len(leaders) == 1:
                return resolved(leaders[0], "Art. 2.6.4",
                                f"{exporter} is not the RCEP country of origin; {leaders[0]} "
                                "contributed the highest value of originating materials")
            missing = [f"a tie for the highest value of originating materials ({', '.join(leaders)}): "
                       "Art. 2.6.4 names no tie-break"]
        else:
            missing = ["value of originating materials per Party (Art. 2.6.4)"]
    return CountryOfOrigin(outcome="unresolved", article="Art. 2.6.2–2.6.4",
                           reason="a needed fact is missing", missing_facts=missing,
                           alternative_claims=alternatives)
