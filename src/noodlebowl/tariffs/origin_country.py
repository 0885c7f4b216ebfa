"""RCEP country of origin (Article 2.6, Tariff Differentials): which origin column of a
differentiated Annex I schedule applies. Text: shared/data/agreements/rcep/legal_text/
rcep_art2_6_tariff_differentials.md; Art. 3.2's subparagraphs are (a) wholly obtained, (b) produced
exclusively from originating materials, (c) produced with non-originating materials under Annex 3A.

* 2.6.1: the exporting Party's column applies if the exporting Party is the RCEP country of origin.
* 2.6.2: that is the Party where the good acquired its originating status (Art. 3.2); for a good
  originating under Art. 3.2(b), the exporting Party provided production other than the minimal
  operations of 2.6.5 occurred there.
* 2.6.3: for lines in the importing Party's Appendix, the exporting Party only if the additional
  requirement is met (Appendix: not less than 20 % of the good's value added there, calculated
  mutatis mutandis under Art. 3.5).
* 2.6.4: otherwise, the Party that contributed the highest value of originating materials.
* 2.6.6: the importer may instead claim the highest rate applied to the good from any Party
  contributing originating materials (a; the importer proves it) or from any Party (b).

Missing facts are asked (``needed``), never assumed.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from noodlebowl.origin.answer import Question
from noodlebowl.tariffs.model import ASEAN

RCEP_PARTIES = ASEAN + ("AU", "CN", "JP", "KR", "NZ")
# Parties whose Annex I schedules differ by origin (rcep_annexI_schedule_structure.csv: "differentiated",
# Japan's per-Party categories, the Philippines' partner-specific lists; Thailand "verify per-Party
# columns" with an Appendix: kept, so that the facts are asked rather than assumed)
DIFFERENTIATED = {"CN", "JP", "KR", "ID", "PH", "TH", "VN"}
HAS_APPENDIX = {"CN", "JP", "KR", "ID", "MY", "PH", "TH", "VN"}
ADDITIONAL_REQUIREMENT = Decimal(20)  # per cent, Appendix "additional requirement"
ARTICLE = "RCEP Art. 2.6"
# The answers to its questions that are not yes/no: a Party, a subparagraph of Art. 3.2, a percentage
VALUE_FACTS = frozenset({"rcep_country_of_origin", "rcep_originating_under", "rcep_value_added_in_exporter_percent"})
# What each determination criterion says about Art. 3.2's subparagraph
SUBPARAGRAPH_OF_CRITERION = {"WO": "a", "PE": "b"}


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
    needed: list[Question] = []
    alternative_claims: list[str] = []

    @property
    def missing_facts(self) -> list[str]:
        return [q.question for q in self.needed]


ALTERNATIVES = ["Art. 2.6.6(a): the importer may claim the highest rate the importing Party applies to the "
                "good from any Party contributing originating materials (the importer must prove it)",
                "Art. 2.6.6(b): the importer may claim the highest rate the importing Party applies to the "
                "good from any Party"]


def _ask(key: str, question: str, options: list[str] | None = None) -> Question:
    return Question(key=key, question=question, agreements=["RCEP"], options=options or ["yes", "no"])


def _exporter_by_2_6_2(exporter: str, originating_under: str | None, beyond_minimal: bool | None
                       ) -> tuple[bool | None, str, list[Question]]:
    """Whether 2.6.2 makes the exporter the RCEP country of origin (None: a fact is missing)."""
    if originating_under in ("a", "c"):
        kind = "wholly obtained" if originating_under == "a" else "the product-specific rule"
        return True, f"Art. 2.6.2: the good acquired originating status in {exporter} (Art. 3.2({originating_under}), {kind})", []
    if originating_under == "b":
        if beyond_minimal is True:
            return True, (f"Art. 2.6.2: originating under Art. 3.2(b) and production other than the minimal "
                          f"operations of Art. 2.6.5 occurred in {exporter}"), []
        if beyond_minimal is False:
            return False, (f"Art. 2.6.2: only minimal operations (Art. 2.6.5) took place in {exporter}, so "
                           f"{exporter} is not the RCEP country of origin of a good originating under Art. 3.2(b)"), []
        return None, "", [_ask("rcep_beyond_minimal_operations",
                               f"Did production in {exporter} go beyond the minimal operations of RCEP Art. 2.6.5 "
                               "(preserving, packing, sorting, labelling, dilution, simple mixing …)?")]
    return None, "", [_ask("rcep_originating_under", "Under which subparagraph of RCEP Art. 3.2 is the good "
                           "originating?", ["a", "b", "c"])]


def _exporter_by_2_6_3(exporter: str, value_added_pct: Decimal | None) -> tuple[bool | None, str, list[Question]]:
    if value_added_pct is None:
        return None, "", [_ask("rcep_value_added_in_exporter_percent",
                               f"What share of the good's value was added in {exporter} (per cent, Art. 3.5 "
                               "method)?", [])]
    met = value_added_pct >= ADDITIONAL_REQUIREMENT
    return met, (f"Art. 2.6.3: Appendix line; {value_added_pct.normalize():f} % of the value added in {exporter} "
                 f"{'meets' if met else 'does not meet'} the additional requirement of 20 %"), []


def rcep_country_of_origin(
    importer: str, exporter: str, *, originating_under: str | None = None,
    beyond_minimal_operations_in_exporter: bool | None = None,
    line_in_appendix: bool | None = None,
    value_added_in_exporter_pct: Decimal | None = None,
    originating_materials_by_party: dict[str, Decimal] | None = None,
) -> CountryOfOrigin:
    """Apply RCEP Art. 2.6 for goods exported from ``exporter`` to ``importer``.

    ``originating_under``: the subparagraph of Art. 3.2 — ``"a"`` wholly obtained, ``"b"`` produced
    exclusively from originating materials, ``"c"`` the product-specific rule.
    ``originating_materials_by_party``: value of originating materials per Party (2.6.4).
    """
    if importer not in DIFFERENTIATED:
        return CountryOfOrigin(outcome="not_needed", article="Art. 2.6.1",
                               column=column_for(importer, exporter), rcep_country_of_origin=exporter,
                               reason=f"{importer} has a single common schedule: no tariff differential, "
                                      "the origin column does not matter")

    def resolved(party: str, article: str, reason: str) -> CountryOfOrigin:
        return CountryOfOrigin(outcome="resolved", rcep_country_of_origin=party, column=column_for(importer, party),
                               article=article, reason=reason, alternative_claims=ALTERNATIVES)

    outside = _exporter_by_2_6_2(exporter, originating_under, beyond_minimal_operations_in_exporter)
    inside = _exporter_by_2_6_3(exporter, value_added_in_exporter_pct)
    if importer not in HAS_APPENDIX or line_in_appendix is False:
        established, why, needed = outside
    elif line_in_appendix is True:
        established, why, needed = inside
    elif outside[0] is not None and outside[0] == inside[0]:
        # Appendix or not, the answer is the same: the Appendix question need not be asked
        established, why, needed = outside[0], f"{outside[1]}; and were the line in the Appendix, {inside[1]}", []
    else:
        established, why = None, ""
        needed = [_ask("rcep_line_in_appendix", f"Is the good's tariff line in {importer}'s Appendix to its RCEP "
                       "Annex I schedule (Art. 2.6.3)? The Appendix lists are not in noodlebowl's data.")]
        needed += outside[2] + inside[2]
    if established:
        return resolved(exporter, "Art. 2.6.3" if why.startswith("Art. 2.6.3") else "Art. 2.6.2", why)
    if established is None:
        return CountryOfOrigin(outcome="unresolved", article="Art. 2.6.2–2.6.3", needed=needed,
                               reason="a fact that decides whether the exporting Party is the RCEP country of "
                                      "origin is missing", alternative_claims=ALTERNATIVES)
    # 2.6.4 fallback: the exporter is not established as the RCEP country of origin
    by_party = {p: v for p, v in (originating_materials_by_party or {}).items() if v > 0}
    if not by_party:
        return CountryOfOrigin(outcome="unresolved", article="Art. 2.6.4", reason=f"{why}; no originating "
                               "materials by Party are given for Art. 2.6.4", alternative_claims=ALTERNATIVES,
                               needed=[_ask("rcep_country_of_origin", "Which Party contributed the highest value "
                                            "of originating materials (Art. 2.6.4)?", list(RCEP_PARTIES))])
    top = max(by_party.values())
    leaders = sorted(p for p, v in by_party.items() if v == top)
    if len(leaders) > 1:
        return CountryOfOrigin(outcome="unresolved", article="Art. 2.6.4", alternative_claims=ALTERNATIVES,
                               reason=f"{why}; {', '.join(leaders)} contributed equal highest values of originating "
                                      "materials and Art. 2.6.4 names no tie-break",
                               needed=[_ask("rcep_country_of_origin", "Which Party is the RCEP country of origin? "
                                            f"{', '.join(leaders)} contributed equal values (Art. 2.6.4)", leaders)])
    values = ", ".join(f"{p} {v.normalize():f}" for p, v in sorted(by_party.items(), key=lambda kv: -kv[1]))
    if leaders[0] == importer:
        # the importing Party's schedule has no column for its own goods, and Art. 2.6 says no more
        return CountryOfOrigin(outcome="unresolved", article="Art. 2.6.4", alternative_claims=ALTERNATIVES,
                               reason=f"{why}; the highest value of originating materials is {importer}'s own "
                                      f"({values}), and {importer}'s schedule has no column for its own goods: "
                                      "Art. 2.6 does not say which rate applies — claim under Art. 2.6.6",
                               needed=[_ask("rcep_country_of_origin", "Which Party's rate does the importing "
                                            "Party apply (Art. 2.6.4 points to the importing Party itself)?",
                                            [p for p in RCEP_PARTIES if p != importer])])
    return resolved(leaders[0], "Art. 2.6.4", f"{why}; {leaders[0]} contributed the highest value of originating "
                                              f"materials ({values})")


# ---------------------------------------------------------------- from a request


def _bool_fact(facts: dict, key: str) -> bool | None:
    value = facts.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return None


def _value_added_pct(request) -> tuple[Decimal | None, str]:
    """Value added in the exporting Party, per cent of FOB, from the BOM: FOB less every counted
    material not of the exporter's origin (Art. 3.5 build-down applied mutatis mutandis, as the
    Appendix's additional requirement says). A stated fact wins."""
    from noodlebowl.errors import InvalidRequest

    stated = request.facts.get("rcep_value_added_in_exporter_percent")
    if stated is not None:
        try:
            return Decimal(str(stated)), "as stated (facts.rcep_value_added_in_exporter_percent)"
        except Exception:
            raise InvalidRequest(f"rcep_value_added_in_exporter_percent {stated!r} is not a number",
                                 where="request: field facts.rcep_value_added_in_exporter_percent",
                                 accepted="a percentage such as 25 or 31.5") from None
    fob = request.product.fob
    if not fob:
        return None, ""
    foreign = sum((m.value for m in request.materials if _counted(m) and m.origin != request.exporter), Decimal(0))
    return (fob - foreign) / fob * 100, f"(FOB {fob} − materials from outside {request.exporter} {foreign}) / FOB"


def _counted(material) -> bool:
    return material.kind.value not in ("indirect", "packing")


def originating_materials_by_party(request) -> dict[str, Decimal]:
    """Value of RCEP-originating materials per Party of origin (Art. 2.6.4)."""
    out: dict[str, Decimal] = {}
    for m in request.materials:
        if _counted(m) and m.originating_under("RCEP") and m.origin in RCEP_PARTIES:
            out[m.origin] = out.get(m.origin, Decimal(0)) + m.value
    return out


def country_of_origin_for(request, determination) -> CountryOfOrigin:
    """Art. 2.6 for a request and its RCEP determination; ``facts.rcep_country_of_origin`` overrides."""
    from noodlebowl.errors import InvalidRequest

    stated = request.facts.get("rcep_country_of_origin")
    if isinstance(stated, str) and stated.strip():
        party = stated.strip().upper()
        if party not in RCEP_PARTIES:
            raise InvalidRequest(f"rcep_country_of_origin {stated!r} is not an RCEP Party",
                                 where="request: field facts.rcep_country_of_origin",
                                 accepted=", ".join(RCEP_PARTIES))
        return CountryOfOrigin(outcome="resolved", rcep_country_of_origin=party,
                               column=column_for(request.importer, party), article="Art. 2.6",
                               reason="as stated by the user (facts.rcep_country_of_origin)",
                               alternative_claims=ALTERNATIVES)
    under = request.facts.get("rcep_originating_under")
    if under not in ("a", "b", "c"):
        under = SUBPARAGRAPH_OF_CRITERION.get(determination.criterion or "", "c" if determination.criterion else None)
    beyond = _bool_fact(request.facts, "rcep_beyond_minimal_operations")
    if beyond is None and _bool_fact(request.facts, "minimal_operations_only") is False:
        beyond = True  # Art. 2.6.5's list is word for word Art. 3.6's: "not only minimal operations" answers both
    va, how = _value_added_pct(request)
    found = rcep_country_of_origin(
        request.importer, request.exporter, originating_under=under, beyond_minimal_operations_in_exporter=beyond,
        line_in_appendix=_bool_fact(request.facts, "rcep_line_in_appendix"), value_added_in_exporter_pct=va,
        originating_materials_by_party=originating_materials_by_party(request))
    if how and "2.6.3" in found.reason:
        found = found.model_copy(update={"reason": f"{found.reason} — value added {how}"})
    return found
