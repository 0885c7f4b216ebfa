"""The typed tree of a product-specific rule (PSR).

The notation is defined by the agreements themselves:

* RCEP Annex 3A headnotes 3, 4 and 7 (``rcep/legal_text/rcep_annex3A_headnotes.md``): chapter /
  heading / subheading = first 2 / 4 / 6 HS digits; alternatives are the exporter's choice; WO, CC,
  CTH, CTSH, RVC40 and CR.
* ATIGA Article 28 (general rule RVC40 or CTH, exporter's choice, Art. 28(2)(b)) and Annex 3 with its
  Attachment 1 ("Textile Rule").
* ACFTA PSR headnotes (``acfta/acfta_psr_meta.yaml`` ``psr_headnotes``): "where several criteria are
  given, meeting any one suffices"; RVC(XX) = not less than XX %; CC/CTH/CTSH = 2/4/6-digit change.

Every node is a frozen, hashable dataclass, so trees compare by value and can key caches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Union

ShiftLevel = Literal["chapter", "heading", "subheading"]

# Number of HS digits that define each level (RCEP Annex 3A headnote 3; ACFTA headnote 2).
LEVEL_DIGITS: dict[str, int] = {"chapter": 2, "heading": 4, "subheading": 6}


@dataclass(frozen=True, slots=True)
class CodeRange:
    """HS codes from ``start`` to ``end`` inclusive, as digits without dots (2, 4 or 6 digits).

    A single code has ``start == end``. Membership is by prefix: the range 7208..7210 contains
    the subheading 720810 because its first four digits fall within the range.
    """

    start: str
    end: str

    def __post_init__(self) -> None:
        # A malformed range is a programming error (the parser validates before building one).
        if not (self.start.isdigit() and self.end.isdigit() and self.start.isascii()
                and self.end.isascii()):
            raise ValueError(f"HS codes must be digits: {self.start!r}..{self.end!r}")
        if len(self.start) not in (2, 4, 6) or len(self.start) != len(self.end):
            raise ValueError(f"HS range ends must both have 2, 4 or 6 digits: {self.start}..{self.end}")
        if self.start > self.end:
            raise ValueError(f"HS range runs backwards: {self.start}..{self.end}")

    @property
    def level(self) -> ShiftLevel:
        """The HS level of the range: chapter, heading or subheading."""
        return {2: "chapter", 4: "heading", 6: "subheading"}[len(self.start)]  # type: ignore[return-value]

    def contains(self, code6: str) -> bool:
        """Whether ``code6`` (an HS code, dots allowed) falls in the range, by prefix.

        A code with fewer digits than the range's level cannot be placed and is not contained.
        """
        digits = code6.replace(".", "")
        width = len(self.start)
        if len(digits) < width or not digits.isdigit():
            return False
        return self.start <= digits[:width] <= self.end


@dataclass(frozen=True, slots=True)
class WhollyObtained:
    """``WO``: wholly obtained or produced in a Party (RCEP Art. 3.3; ATIGA Art. 27; ACFTA Art. 6)."""


@dataclass(frozen=True, slots=True)
class TariffShift:
    """``CC`` / ``CTH`` / ``CTSH``: every non-originating material changed chapter / heading /
    subheading (RCEP Annex 3A headnote 7(b)-(d)), except from the listed codes (headnote 6)."""

    level: ShiftLevel
    exceptions: tuple[CodeRange, ...] = ()


@dataclass(frozen=True, slots=True)
class ValueContent:
    """``RVCnn``: regional value content of no less than ``threshold`` per cent
    (RCEP Annex 3A headnote 7(a); ATIGA Art. 28(1)(a)(i) and 29; ACFTA Art. 8)."""

    threshold: Decimal


@dataclass(frozen=True, slots=True)
class ChemicalReaction:
    """``CR``: the good is the product of a chemical reaction in a Party (RCEP Annex 3A headnote 7(f))."""


@dataclass(frozen=True, slots=True)
class Process:
    """A named process or proviso that becomes a yes/no fact the user answers.

    ``key`` is a stable snake_case id (the same wording always yields the same key);
    ``text`` is the requirement wording shown to the user.
    """

    key: str
    text: str


@dataclass(frozen=True, slots=True)
class OriginatingWeightShare:
    """"provided that at least ``min_percent`` per cent by weight of the materials used are originating"."""

    min_percent: Decimal


@dataclass(frozen=True, slots=True)
class Incomplete:
    """A part missing or ambiguous in the source (shown in square brackets). Never satisfied:
    another alternative may still decide, this one cannot."""

    text: str


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Alternatives ("or"): meeting any one suffices, the exporter chooses
    (RCEP Annex 3A headnotes 4 and 8; ATIGA Art. 28(2)(b); ACFTA headnote 4)."""

    options: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Conjunction ("and", "+", "provided that", "except where"): every part must hold."""

    parts: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Branch:
    """One product-specific branch of a :class:`Split`; ``key`` is the fact id ("product_is:…")."""

    key: str
    description: str
    rule: Rule


@dataclass(frozen=True, slots=True)
class Split:
    """A rule that differs by product description ("for X: …; for others: …").

    ``otherwise`` applies to goods matching no branch; ``None`` means the listed branches are
    meant to cover the line and a good matching none of them has no rule here.
    """

    branches: tuple[Branch, ...]
    otherwise: Rule | None


@dataclass(frozen=True, slots=True)
class Noted:
    """A rule followed by an explanatory remark that does not change the test."""

    rule: Rule
    note: str


Rule = Union[WhollyObtained, TariffShift, ValueContent, ChemicalReaction, Process,
             OriginatingWeightShare, Incomplete, AnyOf, AllOf, Split, Noted]

Node = Union[Rule, Branch]


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node`` (code ranges are values, not nodes)."""
    if isinstance(node, AnyOf):
        return node.options
    if isinstance(node, AllOf):
        return node.parts
    if isinstance(node, Split):
        return node.branches + ((node.otherwise,) if node.otherwise is not None else ())
    if isinstance(node, Branch):
        return (node.rule,)
    if isinstance(node, Noted):
        return (node.rule,)
    return ()


def walk(rule: Node) -> Iterator[Node]:
    """Every node of the tree, parent before children, left to right (Branch nodes included)."""
    # An explicit stack: trees from hostile input must not hit Python's recursion limit.
    stack: list[Node] = [rule]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def fact_keys(rule: Rule) -> list[str]:
    """The facts the rule may ask the user for: Process keys and Split branch keys, in tree
    order, each once."""
    keys: list[str] = []
    for node in walk(rule):
        key = node.key if isinstance(node, (Process, Branch)) else None
        if key is not None and key not in keys:
            keys.append(key)
    return keys
