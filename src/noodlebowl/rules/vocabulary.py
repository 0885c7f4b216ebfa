"""The words of the PSR tables beyond the headnote abbreviations: named processes, provisos,
explanatory notes, and how their yes/no fact keys are derived.

Only vetted wording lives here. A phrase the parser does not know is a parse error (a build
error for the data), never a silently ignored clause.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class NamedProcess:
    """A process requirement written as a fixed phrase in a PSR table."""

    phrase: str            # as written in the table (matched case-insensitively)
    key: str               # the fact key
    text: str              # the requirement wording the user answers yes/no to
    agreements: frozenset[str] = frozenset()   # agreements whose tables use it; empty = any


def _acfta_textile_process_rules() -> MappingProxyType[str, str]:
    """The ACFTA textile process rules' wording (VN Circular 12/2019/TT-BCT Phu luc I para 8(e)-(h)),
    from the agreement's provisions (agreements/parameters/acfta.yaml ``psr.textile_process_rules``)."""
    from noodlebowl.agreements.provisions import latest

    return MappingProxyType(dict(latest("ACFTA", "psr.textile_process_rules").value))


ACFTA_TEXTILE_PROCESS_RULES: MappingProxyType[str, str] = _acfta_textile_process_rules()

# Processes written as a whole alternative of a rule ("RVC40 or CTH or Textile Rule").
LEAF_PROCESSES: tuple[NamedProcess, ...] = (
    # ATIGA Annex 3, Attachment 1 "Substantial transformation criterion for textiles and textile
    # products" (atiga/official/atiga_annex3_psr_hs2022.layout.txt, page 1).
    NamedProcess(
        "Textile Rule", "atiga_textile_rule",
        "the good has undergone the substantial transformation processes of the Textile Rule "
        "(ATIGA Annex 3, Attachment 1), not merely the operations its paragraph 2 excludes",
        frozenset({"ATIGA"})),
    *(NamedProcess(token, f"acfta_{token.lower()}", wording, frozenset({"ACFTA"}))
      for token, wording in ACFTA_TEXTILE_PROCESS_RULES.items()),
    # AANZFTA Annex 2 (First Protocol 2014, Appendix 4; next_agreements/aanzfta/official/): waste and
    # scrap (e.g. 3915, 4004, 7204), chapter 90 parts, chapter 85 recorded media.
    NamedProcess(
        "Origin shall be conferred to a good of this subheading that is derived from production or "
        "consumption in a Party", "aanzfta_derived_from_production_or_consumption",
        "the good (waste or scrap) is derived from production or consumption in a Party (AANZFTA Annex 2)",
        frozenset({"AANZFTA"})),
    NamedProcess(
        "No change in tariff subheading provided the machines, instruments and apparatus are manufactured "
        "from parts produced solely for the machines, instruments or apparatus of the same subheading",
        "aanzfta_parts_solely_for_same_subheading",
        "the machines, instruments and apparatus are manufactured from parts produced solely for machines, "
        "instruments or apparatus of the same subheading (AANZFTA Annex 2)",
        frozenset({"AANZFTA"})),
    *(NamedProcess(
        f"Recording sound or other similarly recorded phenomena onto blank or unrecorded media of subheading "
        f"{sub} shall confer origin whether or not there has been a change in tariff classification",
        "aanzfta_recording_on_blank_media",
        "sound or other phenomena are recorded in a Party onto blank or unrecorded media (AANZFTA Annex 2: origin "
        "whether or not there has been a change in tariff classification)",
        frozenset({"AANZFTA"})) for sub in ("8523.21", "8523.29", "8523.51", "8523.52", "8523.59", "8523.80")),
    # AKFTA Phu luc I headnote 6 (next_agreements/akfta/akfta_provisions.yaml `wo_ak`).
    NamedProcess(
        "WO-AK", "akfta_wo_ak",
        "the good is obtained or produced in the territory of any Party exclusively from materials "
        "that are wholly obtained under AKFTA Article 6 (WO-AK)",
        frozenset({"AKFTA"})),
    # ATIGA Annex 3, chapters 61-63: "(CC and the good must be cut and sewn ...)".
    NamedProcess(
        "the good must be cut and sewn in the territory of any Member State",
        "cut_and_sewn_in_a_member_state",
        "the good must be cut and sewn in the territory of any Member State"),
    # ATIGA Annex 3, chapter 85 recorded media.
    NamedProcess(
        "recording of sound or other similar recording operations on blank or unrecorded media "
        "(originating whether or not there is a change in tariff classification)",
        "recording_on_blank_media",
        "recording of sound or other similar recording operations on blank or unrecorded media "
        "(originating whether or not there is a change in tariff classification)"),
    # AKFTA Phu luc I, textile fabrics.
    NamedProcess(
        "printing or dyeing accompanied by at least two preparatory or finishing operations",
        "printing_or_dyeing_with_two_finishing_operations",
        "printing or dyeing accompanied by at least two preparatory or finishing operations"),
)

# ", except where …" provisos (ACFTA Phu luc I). The fact is stated positively: the good
# qualifies only if the answer is yes.
EXCEPT_WHERE: tuple[NamedProcess, ...] = (
    NamedProcess(
        "the change of classification results only from packing or display for retail sale",
        "change_not_only_packing_or_display",
        "the change of classification does not result only from packing or display for retail sale"),
    # Same proviso; three ACFTA rows read "for sale" (a translation variant), same fact.
    NamedProcess(
        "the change of classification results only from packing or display for sale",
        "change_not_only_packing_or_display",
        "the change of classification does not result only from packing or display for sale"),
)

# Remarks that explain but do not change the test; vetted one by one because a remark that did
# change the test would be silently ignored by the evaluator.
NOTES: tuple[str, ...] = (
    # ACFTA chapter 27 note (acfta/acfta_chapter_notes.md): simple mixing keeps input origin.
    "for goods obtained by simple mixing, the inputs keep the origin they had before mixing",
)

# Descriptions that mean "every product not named in another branch".
OTHERWISE_DESCRIPTIONS: frozenset[str] = frozenset(
    {"others", "other", "any other", "other goods", "any other goods", "other products", "all others"})

# Wording of the "no change in tariff classification required, provided that …" alternative
# (ATIGA Annex 3; AJCEP): kept whole in Process.text so the printer can give it back.
NO_CTC_PREFIX = "no change in tariff classification required, provided that "
# A product-qualified CTC exclusion ("CC except from igusa of subheading 1401.90", AJCEP;
# "CTSH, except from triethanolamine salts of subheading 2922.19", AKFTA), stated positively.
EXCLUDES_PREFIX = "the non-originating materials used do not include "

# Hand-picked keys for provisos that recur across rows; any other wording gets a slug.
_HAND_PICKED_KEYS: dict[str, str] = {
    NO_CTC_PREFIX + "the good is produced by a refining process": "no_ctc_refining_process",
    NO_CTC_PREFIX + "the machinery, apparatus and appliances are produced from parts of the same "
    "subheading produced specifically for them": "no_ctc_made_from_dedicated_parts",
    NO_CTC_PREFIX + "there is a change from wet to dry (crust) leather": "no_ctc_wet_to_dry_leather",
    "manufactured from fats or oils wholly obtained in a Party": "made_from_wholly_obtained_fats_or_oils",
    "obtained from sheep, lambs or other animals raised in a Party": "from_animals_raised_in_a_party",
    "obtained from sheep, lambs or other animals raised in a Party to AHKFTA":
        "from_animals_raised_in_a_party",
    # RCEP 38.08 (official English): "…at least 50 per cent by weight of the active ingredient or
    # ingredients is originating"
    "at least 50 per cent by weight of the active ingredient or ingredients is originating":
        "active_ingredients_50_percent_originating",
}

KEY_BY_TEXT: MappingProxyType[str, str] = MappingProxyType({
    **_HAND_PICKED_KEYS,
    **{p.text: p.key for p in LEAF_PROCESSES + EXCEPT_WHERE},
})

_MAX_KEY_LENGTH = 60


def slug(text: str, limit: int = _MAX_KEY_LENGTH) -> str:
    """A deterministic snake_case id for ``text``; long texts are cut and get a hash suffix so
    two different long texts do not collide."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    if not words:
        return f"x_{digest}"
    if len(words) > limit:
        return f"{words[:limit - 9].rstrip('_')}_{digest}"
    return words


def process_key(text: str) -> str:
    """The fact key of a process requirement, a function of its wording alone (so every way of
    writing the same requirement gives the same key)."""
    if text in KEY_BY_TEXT:
        return KEY_BY_TEXT[text]
    if text.startswith(NO_CTC_PREFIX):
        return "no_ctc_" + slug(text[len(NO_CTC_PREFIX):])
    if text.startswith(EXCLUDES_PREFIX):
        return "excludes_" + slug(text[len(EXCLUDES_PREFIX):])
    return slug(text)


_SHORT_BRANCH_KEY = 40


def branch_key(description: str) -> str:
    """The fact key of a split-rule branch: "the product is <description>". A trader types it, so the
    words before a bracketed list are enough where they are short ("carp (Catla catla, …)" →
    ``product_is:carp``); tests/test_origin_law.py checks no two descriptions in the data share a key."""
    head = slug(description.split("(")[0], limit=10_000)
    if head and not head.startswith("x_") and len(head) <= _SHORT_BRANCH_KEY:
        return "product_is:" + head
    return "product_is:" + slug(description)
