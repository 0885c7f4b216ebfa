"""The explain step every path shares: the short reason an answer is not "qualifies" and its caveat
codes, made from structured fields (the rule's leaves and their states, the rule's verification and
level, the path the answer took) — never from the engine's sentences.

The single-request engine (:mod:`noodlebowl.origin.engine`) and the catalog kernel
(:mod:`noodlebowl.batch.kernel`) both call these functions, so one legal situation has one reason
and one set of codes whichever path answered it.
"""

from __future__ import annotations

from decimal import Decimal

# The caveat sentence for an answer resting on a rule not verified against the official English text
VERIFICATION_CAVEAT = {
    "verified_vi": "The rule was transcribed from a Vietnamese implementing circular and re-read against it; "
                   "it is not verified against the official English text.",
    "unverified": "The rule is NOT verified (a transcription or extraction not checked, or one that disagrees "
                  "with a second reading: see its source row); check it against the official text before relying on it.",
    "transcribed": "The rule was transcribed from a Vietnamese implementing circular and is not verified.",
}

UNCERTAIN_ENTRY = "entry into force uncertain for this route"
SPLIT_UNDECIDED = "the rule differs by product description and its branches give different answers"
MINIMAL_OPERATIONS_ONLY = "minimal operations only"
GAP_PREFIX = "no rule: "
CHAPTER_NOTE = "chapter_note"      # a chapter note (simple assembly or mixing) may deny origin: asked
ITA_RULE = "ita_rule"              # ATIGA Art. 28(3) may decide: asked
NO_RULES_ON_DATE = "no rules of origin in the data for this route and date"
# a qualifying good that passed through another country (direct consignment), by the new outcome
DIRECT_CONSIGNMENT = {"does_not_qualify": "direct consignment not met",
                      "undetermined": "direct consignment: transit conditions not stated"}

# leaf kinds: TS tariff shift, VC value content, WO wholly obtained, OW originating weight share,
# U a requirement only a stated fact settles (process, chemical reaction, a rule incomplete in the source)
# leaf states: Q met, M met thanks to de minimis, D not met, U undetermined
OUTCOME_STATE = {"qualifies": "Q", "does_not_qualify": "D", "undetermined": "U"}


def leaf_fields(rule) -> dict | None:
    """kind, level, threshold and label of a rule leaf (None for a combinator or an unknown node)."""
    from noodlebowl.rules import (ChemicalReaction, Incomplete, OriginatingWeightShare, Process, TariffShift,
                                  ValueContent, WhollyObtained, format_rule)

    if isinstance(rule, TariffShift):
        return {"kind": "TS", "level": rule.level, "threshold": None, "label": format_rule(rule)}
    if isinstance(rule, ValueContent):
        return {"kind": "VC", "level": None, "threshold": rule.threshold, "label": f"RVC{rule.threshold}"}
    if isinstance(rule, WhollyObtained):
        return {"kind": "WO", "level": None, "threshold": None, "label": "WO"}
    if isinstance(rule, OriginatingWeightShare):
        return {"kind": "OW", "level": None, "threshold": rule.min_percent,
                "label": f"originating weight share {rule.min_percent}%"}
    if isinstance(rule, Process):
        return {"kind": "U", "level": None, "threshold": None, "label": "process requirement not stated"}
    if isinstance(rule, ChemicalReaction):
        return {"kind": "U", "level": None, "threshold": None, "label": "chemical reaction not stated"}
    if isinstance(rule, Incomplete):
        return {"kind": "U", "level": None, "threshold": None, "label": "rule incomplete in the source"}
    return None


def leaf_reason(kind: str, label: str, threshold: Decimal | None, state: str) -> str:
    if kind == "TS":
        return f"{label} not met beyond de minimis" if state == "D" else f"{label}: material HS code or weight missing"
    if kind == "VC":
        return f"RVC below {threshold}%"
    if kind == "WO":
        return "WO required: non-originating materials used" if state == "D" else "WO: not stated"
    if kind == "OW":
        return f"{label} not met" if state == "D" else f"{label}: material weights missing"
    return label


def rule_reason(outcome: str, leaves: list[tuple[str, str, Decimal | None]], states: str, has_split: bool
                ) -> str | None:
    """The reason a rule is not met: the leaves whose state is the outcome (D or U), each said once,
    sorted. ``leaves``: (kind, label, threshold) in the rule's order; ``states``: a state per leaf."""
    if outcome not in ("D", "U"):
        return None
    reasons = sorted({leaf_reason(kind, label, threshold, states[i])
                      for i, (kind, label, threshold) in enumerate(leaves) if states[i] == outcome})
    if outcome == "U" and has_split and not reasons:
        reasons = [SPLIT_UNDECIDED]
    return "; ".join(reasons) or None


def gap_reason(gap: str | None) -> str | None:
    return None if gap is None else GAP_PREFIX + gap


# Caveat codes, in this order: the rule's verification, a general rule, the minimal-operations
# assumption, an uncertain entry into force
def caveat_codes(path: str, verified: str | None, level: str | None, qualifies: bool,
                 minimal_operations_stated: bool, in_force_uncertain: bool) -> tuple[str, ...]:
    """``path``: how the answer was reached — "rule" (the product-specific or general rule), "pe"
    (produced exclusively from originating materials), "gap" (no rule), "facts" (a stated fact);
    ``qualifies``: the outcome before an uncertain entry into force makes it undetermined."""
    codes = []
    if path == "rule" and verified in VERIFICATION_CAVEAT:
        codes.append(f"rule_{verified}")
    if path == "rule" and level == "general":
        codes.append("general_rule")
    if path in ("rule", "pe") and qualifies and not minimal_operations_stated:
        codes.append("minimal_operations_assumed")
    if in_force_uncertain and qualifies:
        codes.append("in_force_uncertain")
    return tuple(codes)
