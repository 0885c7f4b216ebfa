"""Canonical printer: a rule tree back to official-style shorthand.

``parse_rule(format_rule(t)) == t`` for every tree the parser produces. The printer adds
parentheses, or uses "; or" between alternatives, only where free-text wording would otherwise
swallow what follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from .parser import A_CHANGE, ITEM_START, WEIGHT_SHARE
from .tree import (AllOf, AnyOf, ChemicalReaction, CodeRange, Incomplete, Noted,
                   OriginatingWeightShare, Process, Rule, Split, TariffShift, ValueContent,
                   WhollyObtained)
from .vocabulary import EXCEPT_WHERE, EXCLUDES_PREFIX, LEAF_PROCESSES, NO_CTC_PREFIX

_LEAF_PHRASE = MappingProxyType({Process(p.key, p.text): p.phrase for p in LEAF_PROCESSES})
_EXCEPT_WHERE_PHRASE = MappingProxyType({Process(p.key, p.text): p.phrase for p in EXCEPT_WHERE})
_SHIFT_ABBREVIATION = {"chapter": "CC", "heading": "CTH", "subheading": "CTSH"}


@dataclass(frozen=True, slots=True)
class _Printed:
    text: str
    open: bool = False       # ends in free text, which would run on into a following " or X"
    list_end: bool = False   # ends in an HS code list, which a following "or [" would extend
    proviso: bool = False    # "rule, provided that …": a following "; or" reads unambiguously


def format_rule(rule: Rule) -> str:
    """The canonical shorthand of ``rule``, e.g. ``CTH except from heading 72.08 through 72.10 or RVC40``."""
    return _fmt(rule).text


def _number(value: Decimal) -> str:
    return format(value, "f")


def _code(code: str) -> str:
    if len(code) == 2:
        return str(int(code))
    return f"{code[:2]}.{code[2:]}" if len(code) == 4 else f"{code[:4]}.{code[4:]}"


def _code_list(ranges: tuple[CodeRange, ...]) -> str:
    """ "heading 72.08 through 72.10, 72.11 and subheading 7219.31": the level word is
    written when the level changes."""
    items: list[str] = []
    level = None
    for r in ranges:
        text = _code(r.start) if r.start == r.end else f"{_code(r.start)} through {_code(r.end)}"
        items.append(text if r.level == level else f"{r.level} {text}")
        level = r.level
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fmt_shift(node: TariffShift) -> _Printed:
    abbreviation = _SHIFT_ABBREVIATION[node.level]
    if not node.exceptions:
        return _Printed(abbreviation)
    return _Printed(f"{abbreviation} except from {_code_list(node.exceptions)}", list_end=True)


def _fmt_process(node: Process) -> _Printed:
    if node in _LEAF_PHRASE:
        return _Printed(_LEAF_PHRASE[node])
    if node.text.startswith(NO_CTC_PREFIX) or A_CHANGE.match(node.text):
        return _Printed(node.text, open=True)
    return _Printed(f"SP: {node.text}", open=True)


def _fmt_incomplete(node: Incomplete) -> _Printed:
    # A construct made incomplete by a bracket inside it keeps its source wording, which the
    # parser reads back to the same Incomplete; a bare missing part is shown in brackets.
    if "[" in node.text:
        return _Printed(node.text, open=True, list_end=True)
    return _Printed(f"[{node.text}]")


def _wrapped(printed: _Printed) -> _Printed:
    return _Printed(f"({printed.text})")


def _children(nodes: tuple[Rule, ...], always_wrap: tuple[type, ...], sep_open: str | None
              ) -> tuple[list[_Printed], bool]:
    """Print siblings joined by "or"/"and"; wrap those that would run into the next one.

    Returns the printed siblings and whether an open sibling asks for ``sep_open``."""
    printed = [_fmt(n) for n in nodes]
    any_open = False
    for i, (node, p) in enumerate(zip(nodes, printed)):
        last = i == len(nodes) - 1
        runs_on = not last and (
            (p.list_end and printed[i + 1].text.startswith("["))
            or (p.open and sep_open is None))
        if isinstance(node, always_wrap) or runs_on:
            printed[i] = _wrapped(p)
        elif p.open and not last:
            any_open = True
    return printed, any_open


def _fmt_any(node: AnyOf) -> _Printed:
    # "and"-joined parts are bracketed among alternatives, as ATIGA writes "(CC and …)".
    joined = tuple(isinstance(o, AllOf) and not _fmt(o).proviso for o in node.options)
    printed, any_open = _children(node.options, (AnyOf, Split, Noted), sep_open="; or ")
    printed = [_wrapped(p) if j else p for p, j in zip(printed, joined)]
    any_open = any_open or any(p.proviso for p in printed[:-1])
    sep = "; or " if any_open else " or "
    return _Printed(sep.join(p.text for p in printed), printed[-1].open, printed[-1].list_end)


def _suffix(node: Rule) -> _Printed | None:
    """How ``node`` reads as a proviso after a rule, or None where it cannot."""
    if isinstance(node, OriginatingWeightShare):
        return _Printed(f", provided that {_fmt(node).text}")
    if not isinstance(node, Process) or node in _LEAF_PHRASE:
        return None
    if node in _EXCEPT_WHERE_PHRASE:
        return _Printed(f", except where {_EXCEPT_WHERE_PHRASE[node]}")
    if node.text.startswith(EXCLUDES_PREFIX):
        rest = node.text[len(EXCLUDES_PREFIX):]
        return None if ITEM_START.match(rest) else _Printed(f", except from {rest}", open=True)
    if node.text.startswith(NO_CTC_PREFIX) or WEIGHT_SHARE.match(node.text):
        return None
    return _Printed(f", provided that {node.text}", open=True)


def _fmt_all(node: AllOf) -> _Printed:
    head, rest = node.parts[0], node.parts[1:]
    suffixes = [_suffix(p) for p in rest]
    if rest and all(s is not None for s in suffixes):
        printed = _fmt(head)
        if (isinstance(head, (AnyOf, AllOf, Split, Noted)) or printed.open
                or (isinstance(head, Incomplete) and "[" in head.text)):
            printed = _wrapped(printed)
        tail = suffixes[-1]
        return _Printed(printed.text + "".join(s.text for s in suffixes if s),
                        tail is not None and tail.open, proviso=True)
    printed, _ = _children(node.parts, (AnyOf, AllOf, Split, Noted), sep_open=None)
    return _Printed(" and ".join(p.text for p in printed), printed[-1].open, printed[-1].list_end)


def _header(description: str) -> str:
    return description if description.startswith("of ") else f"for {description}"


def _fmt_split(node: Split) -> _Printed:
    segments: list[str] = []
    printed = _Printed("")
    rules = [(_header(b.description), b.rule) for b in node.branches]
    if node.otherwise is not None:
        rules.append(("for others", node.otherwise))
    for header, rule in rules:
        printed = _fmt(rule)
        if isinstance(rule, (Split, Noted)):
            printed = _wrapped(printed)
        segments.append(f"{header}: {printed.text}")
    return _Printed("; ".join(segments), printed.open, printed.list_end)


def _fmt_noted(node: Noted) -> _Printed:
    printed = _fmt(node.rule)
    if isinstance(node.rule, Noted):
        printed = _wrapped(printed)
    return _Printed(f"{printed.text}; {node.note}")


def _fmt(node: Rule) -> _Printed:
    if isinstance(node, WhollyObtained):
        return _Printed("WO")
    if isinstance(node, TariffShift):
        return _fmt_shift(node)
    if isinstance(node, ValueContent):
        return _Printed(f"RVC{_number(node.threshold)}")
    if isinstance(node, ChemicalReaction):
        return _Printed("CR")
    if isinstance(node, Process):
        return _fmt_process(node)
    if isinstance(node, OriginatingWeightShare):
        return _Printed(f"at least {_number(node.min_percent)} per cent by weight of the "
                        "materials used are originating")
    if isinstance(node, Incomplete):
        return _fmt_incomplete(node)
    if isinstance(node, AnyOf):
        return _fmt_any(node)
    if isinstance(node, AllOf):
        return _fmt_all(node)
    if isinstance(node, Split):
        return _fmt_split(node)
    if isinstance(node, Noted):
        return _fmt_noted(node)
    raise TypeError(f"not a rule node: {node!r}")
