"""The PSR rule language: typed tree, parser and canonical printer.

>>> from noodlebowl.rules import parse_rule, format_rule
>>> format_rule(parse_rule("CTH except from heading 72.08 through 72.10, or RVC40"))
'CTH except from heading 72.08 through 72.10 or RVC40'

Notation: RCEP Annex 3A headnotes; ATIGA Article 28 and Annex 3 (with Attachment 1, the
Textile Rule); ACFTA PSR headnotes (acfta_psr_meta.yaml ``psr_headnotes``).
"""

from .parser import parse_rule
from .printer import format_rule
from .tree import (AllOf, AnyOf, Branch, ChemicalReaction, CodeRange, Incomplete, Noted,
                   OriginatingWeightShare, Process, Rule, Split, TariffShift, ValueContent,
                   WhollyObtained, fact_keys, walk)

__all__ = [
    "AllOf", "AnyOf", "Branch", "ChemicalReaction", "CodeRange", "Incomplete", "Noted",
    "OriginatingWeightShare", "Process", "Rule", "Split", "TariffShift", "ValueContent",
    "WhollyObtained", "fact_keys", "format_rule", "parse_rule", "walk",
]
