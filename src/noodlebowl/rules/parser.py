"""Recursive-descent parser of the PSR shorthand into the tree of :mod:`noodlebowl.rules.tree`.

The notation is that of RCEP Annex 3A headnotes 3-8 (rcep/legal_text/rcep_annex3A_headnotes.md),
ATIGA Article 28 and Annex 3 (its Attachment 1 is the "Textile Rule"), and the ACFTA PSR headnotes
(acfta/acfta_psr_meta.yaml ``psr_headnotes``); the transcribed AJCEP/AKFTA/AHKFTA tables use the
same shorthand plus the provisos listed in :mod:`noodlebowl.rules.vocabulary`.

Hand-written rather than pyparsing/lark: the grammar is small, most of its difficulty is deciding
where free-text provisos end (which a generic tokenizer does not help with), and a hand parser
names the exact column of an error.

Notation (see the tree module for where each abbreviation is defined)::

    rule         := body
    body         := split | alternatives [postfix-split | "; " prefix-split] ["; " NOTE]
    split        := branch ("; " branch)*                 branch := ("for" DESC | "of" DESC) ":" alternatives
    postfix      := alternatives "for" DESC ("; " alternatives "for" DESC)*        (RCEP style)
    alternatives := conjunction (("or" | ", or" | "; or") conjunction)*        exporter's choice
    conjunction  := qualified (("and" | "+") qualified)*
    qualified    := term suffix*                          a "[...]" anywhere in it makes it Incomplete
    suffix       := [","] "provided that" (WEIGHT-SHARE | FREE-TEXT)
                  | [","] "except where" KNOWN-PHRASE
                  | [","] "except from" FREE-TEXT         (product-qualified CTC exclusion)
    term         := "(" body ")" | "[" TEXT "]" | NAMED-PROCESS | WO | CR | RVCnn
                  | (CC | CTH | CTSH) [[","] "except from" code-list]
                  | "SP:" FREE-TEXT | "no change in tariff classification required, provided that" FREE-TEXT
                  | "a change to/from" FREE-TEXT | WEIGHT-SHARE
    code-list    := item ((", " | "and" | "or" | ", and" | ", or") item)*
    item         := [LEVEL] CODE ["through" [LEVEL] CODE]     LEVEL := chapter(s) | heading(s) | subheading(s)

FREE-TEXT runs to ";", an unmatched ")", the end, "provided that", ", except where/from", or
"or"/"and"/"+" followed by a rule keyword (WO, CC, RVC40, …).
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from typing import NoReturn

from ..errors import RuleParseError
from .tree import (AllOf, AnyOf, Branch, ChemicalReaction, CodeRange, Incomplete, Noted,
                   OriginatingWeightShare, Process, Rule, Split, TariffShift, ValueContent,
                   WhollyObtained)
from .vocabulary import (EXCEPT_WHERE, EXCLUDES_PREFIX, LEAF_PROCESSES, NO_CTC_PREFIX, NOTES,
                         OTHERWISE_DESCRIPTIONS, NamedProcess, branch_key, process_key)

_B = r"(?![A-Za-z0-9_])"          # end of a word


def _phrase_re(phrase: str) -> re.Pattern[str]:
    """A case-insensitive pattern for a fixed phrase, tolerant of extra white space."""
    return re.compile(r"\s+".join(re.escape(w) for w in phrase.split()) + _B, re.IGNORECASE)


_WS = re.compile(r"\s*")
_SEMI = re.compile(r"\s*;\s*")
# Written so no two white-space runs can match the same spaces: "\s*,?\s*" would backtrack
# quadratically on a long run of spaces.
_OR = re.compile(r"\s*(?:[,;]\s*)?or" + _B + r"\s*", re.IGNORECASE)
# the official English Annex 3A lists three alternatives as "CTH, RVC40, or CR": a comma before a
# rule keyword separates alternatives too (_COMMA_OR, below _KEYWORD)
_AND = re.compile(r"\s*(?:\+|(?:,\s*)?and" + _B + r")\s*", re.IGNORECASE)
_PROVIDED = re.compile(r"\s*(?:,\s*)?provided\s+that" + _B + r"\s*(?:,\s*)?", re.IGNORECASE)
_EXCEPT_WHERE = re.compile(r"\s*(?:,\s*)?except\s+where" + _B + r"\s*", re.IGNORECASE)
_EXCEPT_FROM = re.compile(r"\s*(?:,\s*)?except\s+from" + _B + r"\s*", re.IGNORECASE)
_HEADER = re.compile(r"(for|of)" + _B + r"\s*", re.IGNORECASE)
_FOR = re.compile(r"\s*for" + _B + r"\s*", re.IGNORECASE)
_SHIFT = re.compile(r"(CTSH|CTH|CC)" + _B)
# "RVC40", "RVC 40%", and AANZFTA's "RVC(40)" (Annex 2 headnote 7: "RVC(XX)")
_RVC = re.compile(r"RVC\s?(?:\((\d{1,3}(?:\.\d{1,4})?)\)|(\d{1,3}(?:\.\d{1,4})?)\s?%?)" + _B)
_WO = re.compile(r"WO(?![A-Za-z0-9_-])")
_CR = re.compile(r"CR" + _B)
_SP = re.compile(r"SP\s*:\s*")
_NO_CTC = re.compile(r"no\s+change\s+in\s+tariff\s+classification\s+(?:is\s+)?required" + _B, re.IGNORECASE)
A_CHANGE = re.compile(r"a\s+change\s+(?:to|from)" + _B, re.IGNORECASE)
WEIGHT_SHARE = re.compile(
    r"at\s+least\s+(\d{1,3}(?:\.\d{1,4})?)\s*(?:per\s*cent|percent|%)\s+by\s+weight\s+of\s+the\s+"
    r"materials\s+used\s+are\s+originating" + _B, re.IGNORECASE)
_LEVEL = re.compile(r"(chapter|heading|subheading)s?" + _B + r"\s*", re.IGNORECASE)
_CODE = re.compile(r"(\d{4}\.\d{2}|\d{2}\.\d{2}|\d{6}|\d{4}|\d{1,2})(?!\d|\.\d)")
# "through" (VN circular transcriptions) or "to" (official RCEP Annex 3A: "headings 31.02 to 31.04")
_THROUGH = re.compile(r"\s*(?:through|to)" + _B + r"\s*", re.IGNORECASE)
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:and|or)" + _B + r"|,|and" + _B + r"|or" + _B + r")\s*",
                       re.IGNORECASE)
ITEM_START = re.compile(r"(?:chapter|heading|subheading)s?" + _B + r"|\d|\[", re.IGNORECASE)
_BRACKET_AHEAD = re.compile(r"\s*\[")

# A rule keyword: free text stops before "or"/"and"/"+" followed by one of these.
_KEYWORD = (r"(?:WO-AK|WO|CTSH|CTH|CC|CR|RVC\s?(?:\(\d+(?:\.\d+)?\)|\d+(?:\.\d+)?%?)|TEXTILE_PROCESS_RULE_\d|SP\s*:"
            r"|(?i:textile\s+rule|no\s+change\s+in\s+tariff\s+classification\s+(?:is\s+)?required))"
            r"(?![A-Za-z0-9_-])")
_COMMA_OR = re.compile(r"\s*,\s*(?=" + _KEYWORD + r")")
_FREE_TEXT_STOP = re.compile(
    r"(?:,\s*|\s+)(?i:or|and)\s+(?=" + _KEYWORD + r")"
    r"|\s*\+\s*(?=" + _KEYWORD + r")"
    r"|(?:,\s*|\s+)(?i:provided\s+that)" + _B
    + r"|,\s*(?i:except\s+(?:where|from))" + _B)

_LEAF_PATTERNS: tuple[tuple[re.Pattern[str], NamedProcess], ...] = tuple(
    (_phrase_re(p.phrase), p) for p in sorted(LEAF_PROCESSES, key=lambda p: -len(p.phrase)))
_EXCEPT_WHERE_PATTERNS: tuple[tuple[re.Pattern[str], NamedProcess], ...] = tuple(
    (_phrase_re(p.phrase), p) for p in sorted(EXCEPT_WHERE, key=lambda p: -len(p.phrase)))
# A note must close the rule (or its parenthesis).
_NOTE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(r"\s+".join(map(re.escape, n.split())) + r"(?=\s*(?:\)|$))", re.IGNORECASE), n)
    for n in NOTES)

_LEVEL_OF_DIGITS = {2: "chapter", 4: "heading", 6: "subheading"}
_SHIFT_LEVEL = {"CC": "chapter", "CTH": "heading", "CTSH": "subheading"}
_MAX_DEPTH = 40   # nested parentheses / split rules; far beyond any real rule
_TERM_ACCEPTED = ("WO, CC, CTH, CTSH (optionally 'except from …'), RVCnn, CR, 'SP: …', "
                  "'no change in tariff classification required, provided that …', a named process "
                  "(e.g. Textile Rule, TEXTILE_PROCESS_RULE_1), '(…)' or '[missing text]'")
_VOCABULARY = ("WO", "CC", "CTH", "CTSH", "CR", "RVC40", "SP:", "or", "and", "except from",
               "provided that", *(p.phrase for p in LEAF_PROCESSES))


def normalise_space(text: str) -> str:
    """Collapse runs of white space, so the same wording always gives the same text."""
    return " ".join(text.split())


def _scan(text: str, start: int, stops: str) -> tuple[int, str]:
    """Find the first character of ``stops`` outside brackets from ``start``.

    Returns (index, outcome): "stop" at a stop character, "close" at an unmatched ")", "end" at
    the end of text, "bad" at a bracket that closes the wrong thing or is never closed.
    """
    openers: list[str] = []
    for i in range(start, len(text)):
        ch = text[i]
        if ch in "([":
            openers.append(ch)
        elif ch in ")]":
            if not openers:
                return i, ("close" if ch == ")" else "bad")
            if openers.pop() != {")": "(", "]": "["}[ch]:
                return i, "bad"
        elif not openers and ch in stops:
            return i, "stop"
    return len(text), ("end" if not openers else "bad")


class _Parser:
    """One parse of one text; holds only the cursor, so it is never shared."""

    def __init__(self, text: str, agreement: str | None) -> None:
        self.text = text
        self.pos = 0
        self.agreement = agreement.strip().upper() if agreement and agreement.strip() else None
        self.depth = 0
        # Set when a "[…]" or unreadable part is met inside the current `qualified` term.
        self.dirty = False

    # -- errors -------------------------------------------------------------------------------
    def fail(self, what: str, at: int | None = None, *, accepted: str | None = None,
             suggestions: list[str] | None = None) -> NoReturn:
        at = self.pos if at is None else at
        near = self.text[at:at + 30]
        found = f"found {near!r}" if near.strip() else "found the end of the text"
        label = f"{self.agreement} rule text" if self.agreement else "rule text"
        raise RuleParseError(f"{what}, {found} (in {self.text[:80]!r})",
                             where=f"{label} at column {at + 1}", accepted=accepted,
                             suggestions=suggestions)

    # -- cursor helpers -----------------------------------------------------------------------
    def skip_space(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def peek(self, pattern: re.Pattern[str], at: int | None = None) -> re.Match[str] | None:
        return pattern.match(self.text, self.pos if at is None else at)

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        m = pattern.match(self.text, self.pos)
        if m:
            self.pos = m.end()
        return m

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    # -- grammar ------------------------------------------------------------------------------
    def parse(self) -> Rule:
        self.skip_space()
        if self.at_end():
            self.fail("the rule text is empty", accepted=_TERM_ACCEPTED)
        rule = self.body()
        self.skip_space()
        if not self.at_end():
            if self.text[self.pos] == ")":
                self.fail("this ')' closes no '('")
            self.fail("expected 'or', 'and', ';' or the end of the rule")
        return rule

    def body(self) -> Rule:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(f"the rule is nested more than {_MAX_DEPTH} levels deep")
        self.skip_space()
        rule: Rule
        if self.peek(_HEADER):
            rule = self.prefix_split(default=None)
        else:
            first = self.alternatives()
            if self.peek(_FOR):
                rule = self.postfix_split(first)
            elif self.branch_follows():
                self.take(_SEMI)
                rule = self.prefix_split(default=first)
            else:
                rule = first
        note = self.take_note()
        self.depth -= 1
        return Noted(rule, note) if note else rule

    def take_note(self) -> str | None:
        semi = self.peek(_SEMI)
        if not semi:
            return None
        for pattern, note in _NOTE_PATTERNS:
            m = pattern.match(self.text, semi.end())
            if m:
                self.pos = m.end()
                return note
        return None

    def note_at(self, at: int) -> bool:
        return any(p.match(self.text, at) for p, _ in _NOTE_PATTERNS)

    def branch_follows(self) -> bool:
        """Whether "; for DESC:" (or "; of DESC:") comes next."""
        semi = self.peek(_SEMI)
        if not semi or self.note_at(semi.end()):
            return False
        header = self.peek(_HEADER, semi.end())
        return bool(header) and _scan(self.text, header.end(), ":")[1] == "stop"

    def add_branch(self, branches: list[Branch], otherwise: Rule | None, desc: str, rule: Rule,
                   at: int) -> Rule | None:
        """Record one branch; return the (possibly new) otherwise rule."""
        if desc.lower() in OTHERWISE_DESCRIPTIONS:
            if otherwise is not None:
                self.fail("a split rule has two rules for other goods", at)
            return rule
        key = branch_key(desc)
        if any(b.key == key for b in branches):
            self.fail(f"the product description {desc!r} appears twice", at)
        branches.append(Branch(key, desc, rule))
        return otherwise

    def prefix_split(self, default: Rule | None) -> Split:
        """ "for X: rule; for Y: rule; for others: rule" (ATIGA, AJCEP, AKFTA, ACFTA)."""
        branches: list[Branch] = []
        otherwise = default
        start = self.pos
        while True:
            at = self.pos
            header = self.take(_HEADER)
            if not header:
                self.fail("expected 'for' and a product description")
            colon, outcome = _scan(self.text, self.pos, ":")
            if outcome != "stop":
                self.fail("expected ':' after the product description", colon)
            desc = normalise_space(self.text[self.pos:colon])
            if not desc:
                self.fail("expected a product description before ':'")
            if header.group(1).lower() == "of":
                desc = f"of {desc}"     # "Of steel: …" describes the product by its material
            self.pos = colon + 1
            self.skip_space()
            otherwise = self.add_branch(branches, otherwise, desc, self.alternatives(), at)
            if not self.branch_follows():
                break
            self.take(_SEMI)
        if not branches:
            self.fail("a split rule needs at least one named product, not only 'others'", start)
        return Split(tuple(branches), otherwise)

    def postfix_split(self, first: Rule) -> Split:
        """ "rule for X; rule for any other" (RCEP Annex 3A as transcribed)."""
        branches: list[Branch] = []
        otherwise: Rule | None = None
        rule = first
        while True:
            at = self.pos
            if not self.take(_FOR):
                self.fail("expected 'for' and a product description")
            end, outcome = _scan(self.text, self.pos, ";")
            if outcome == "bad":
                self.fail("unbalanced brackets in the product description", end)
            desc = normalise_space(self.text[self.pos:end])
            if not desc:
                self.fail("expected a product description after 'for'")
            if ":" in desc:
                # "for X: rule" is the other split form; mixing both cannot be read safely.
                self.fail("a ':' inside a product description", self.text.index(":", self.pos))
            self.pos = end
            otherwise = self.add_branch(branches, otherwise, desc, rule, at)
            semi = self.peek(_SEMI)
            if not semi or self.note_at(semi.end()):
                break
            self.pos = semi.end()
            rule = self.alternatives()
        if not branches:
            self.fail("a split rule needs at least one named product, not only 'any other'", at)
        return Split(tuple(branches), otherwise)

    def alternatives(self) -> Rule:
        options = [self.conjunction()]
        while self.take(_OR) or self.take(_COMMA_OR):
            options.append(self.conjunction())
        return options[0] if len(options) == 1 else AnyOf(tuple(options))

    def conjunction(self) -> Rule:
        parts = [self.qualified()]
        while self.take(_AND):
            parts.append(self.qualified())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def qualified(self) -> Rule:
        outer_dirty, self.dirty = self.dirty, False
        self.skip_space()
        start = self.pos
        node = self.term()
        suffixes: list[Rule] = []
        while True:
            if self.peek(_BRACKET_AHEAD):
                self.skip_space()
                self.bracket()
                self.dirty = True
                continue
            suffix = self.suffix()
            if suffix is None:
                break
            suffixes.append(suffix)
        dirty, self.dirty = self.dirty, outer_dirty
        if dirty:
            # README: a bracketed part is missing or ambiguous in the source; the construct
            # holding it cannot be decided, other alternatives still can.
            return Incomplete(normalise_space(self.text[start:self.pos]))
        return AllOf((node, *suffixes)) if suffixes else node

    def suffix(self) -> Rule | None:
        if self.take(_PROVIDED):
            return self.proviso()
        m = self.peek(_EXCEPT_WHERE)
        if m:
            self.pos = m.end()
            for pattern, known in _EXCEPT_WHERE_PATTERNS:
                if self.take(pattern):
                    return Process(known.key, known.text)
            self.fail("unknown 'except where' proviso",
                      accepted="; ".join(p.phrase for p in EXCEPT_WHERE))
        m = self.peek(_EXCEPT_FROM)
        if m:
            if self.peek(ITEM_START, m.end()):
                self.fail("an 'except from' list of HS codes must follow CC, CTH or CTSH", m.end())
            self.pos = m.end()
            text = EXCLUDES_PREFIX + self.free_text("the excluded materials")
            return Process(process_key(text), text)
        return None

    def proviso(self) -> Rule:
        at = self.pos
        m = self.take(WEIGHT_SHARE)
        if m:
            return OriginatingWeightShare(self.percent(m.group(1), at))
        text = self.free_text("the proviso")
        return Process(process_key(text), text)

    def percent(self, digits: str, at: int) -> Decimal:
        value = Decimal(digits)
        if not Decimal(0) < value <= Decimal(100):
            self.fail("a percentage must be more than 0 and at most 100", at)
        return value

    def term(self) -> Rule:
        self.skip_space()
        at = self.pos
        if self.at_end():
            self.fail("expected a rule", accepted=_TERM_ACCEPTED)
        if self.text[at] == "(":
            self.pos += 1
            rule = self.body()
            self.skip_space()
            if self.at_end() or self.text[self.pos] != ")":
                self.fail(f"expected ')' to close the '(' at column {at + 1}")
            self.pos += 1
            return rule
        if self.text[at] == "[":
            return Incomplete(self.bracket())
        for pattern, known in _LEAF_PATTERNS:
            if self.peek(pattern):
                self.check_agreement(known, at)
                self.take(pattern)
                return Process(known.key, known.text)
        if m := self.take(_SHIFT):
            return self.tariff_shift(_SHIFT_LEVEL[m.group(1)])
        if m := self.take(_RVC):
            return ValueContent(self.percent(m.group(1) or m.group(2), at))
        if self.take(_WO):
            return WhollyObtained()
        if self.take(_CR):
            return ChemicalReaction()
        if self.take(_SP):
            text = self.free_text("the specific process")
            return Process(process_key(text), text)
        if self.take(_NO_CTC):
            if not self.take(_PROVIDED):
                self.fail("expected ', provided that …' after 'no change in tariff classification "
                          "required'")
            text = NO_CTC_PREFIX + self.free_text("the proviso")
            return Process(process_key(text), text)
        if self.peek(A_CHANGE):
            text = self.free_text("the change")
            return Process(process_key(text), text)
        if m := self.take(WEIGHT_SHARE):
            return OriginatingWeightShare(self.percent(m.group(1), at))
        word = re.match(r"[A-Za-z_:-]+", self.text[at:at + 40])
        close = difflib.get_close_matches(word.group(0), _VOCABULARY, n=3) if word else []
        self.fail("expected a rule", accepted=_TERM_ACCEPTED, suggestions=close)

    def check_agreement(self, known: NamedProcess, at: int) -> None:
        if self.agreement and known.agreements and self.agreement not in known.agreements:
            self.fail(f"{known.phrase!r} is {'/'.join(sorted(known.agreements))} notation, "
                      f"not used in {self.agreement} rules", at)

    def tariff_shift(self, level: str) -> Rule:
        m = self.peek(_EXCEPT_FROM)
        if m and self.peek(ITEM_START, m.end()):
            self.pos = m.end()
            return TariffShift(level, self.code_list())  # type: ignore[arg-type]
        return TariffShift(level)  # type: ignore[arg-type]

    def code_list(self) -> tuple[CodeRange, ...]:
        items: list[CodeRange] = []
        while True:
            item = self.code_item()
            if item is not None:
                items.append(item)
            sep = self.peek(_LIST_SEP)
            if not (sep and self.peek(ITEM_START, sep.end())):
                return tuple(items)
            self.pos = sep.end()

    def code_item(self) -> CodeRange | None:
        """One code or range; None (and the term marked incomplete) where a bracket stands."""
        level = self.take(_LEVEL)
        said = level.group(1).lower() if level else None
        if self.peek(_BRACKET_AHEAD):
            self.bracket()
            self.dirty = True
            return None
        start_at = self.pos
        start = self.code(said)
        if not self.take(_THROUGH):
            return CodeRange(start, start)
        level = self.take(_LEVEL)
        if self.peek(_BRACKET_AHEAD):
            self.bracket()
            self.dirty = True
            return None
        end_at = self.pos
        end = self.code(level.group(1).lower() if level else None)
        if len(end) != len(start):
            self.fail(f"a range from a {_LEVEL_OF_DIGITS[len(start)]} must end at a "
                      f"{_LEVEL_OF_DIGITS[len(start)]}", end_at)
        if end < start:
            self.fail("the range runs backwards", start_at)
        return CodeRange(start, end)

    def code(self, said: str | None) -> str:
        """An HS code normalised to digits: chapter 2 (zero-padded), heading 4, subheading 6."""
        at = self.pos
        m = self.take(_CODE)
        if not m:
            self.fail("expected an HS code such as 'Chapter 1', '72.08' or '8504.31'")
        digits = m.group(1).replace(".", "").zfill(2)
        level = _LEVEL_OF_DIGITS[len(digits)]
        if said and said != level:
            self.fail(f"{m.group(1)!r} is a {level} code but the text says {said!r}", at)
        return digits

    def bracket(self) -> str:
        """ "[text]" (no nesting): a part missing or ambiguous in the source."""
        at = self.pos
        close = self.text.find("]", at + 1)
        nested = self.text.find("[", at + 1)
        if close < 0:
            self.fail("this '[' is never closed", at)
        if 0 <= nested < close:
            self.fail("square brackets cannot nest", nested)
        inner = normalise_space(self.text[at + 1:close])
        if not inner:
            self.fail("empty square brackets", at)
        self.pos = close + 1
        return inner

    def free_text(self, what: str) -> str:
        """Wording up to the next structural stop (see the module docstring)."""
        start = self.pos
        openers: list[tuple[str, int]] = []
        i = start
        text = self.text
        while i < len(text):
            ch = text[i]
            if ch in "([":
                openers.append((ch, i))
            elif ch in ")]":
                if not openers:
                    if ch == ")":
                        break
                    self.fail("this ']' closes no '['", i)
                opener, _ = openers.pop()
                if opener != {")": "(", "]": "["}[ch]:
                    self.fail(f"this {ch!r} does not close the {opener!r}", i)
            elif not openers:
                if ch == ";":
                    break
                # Only at the start of a white-space run: a stop found inside the run is also
                # found from its start, and trying every space would be quadratic.
                run_start = ch in ",+" or (ch.isspace() and (i == start or not text[i - 1].isspace()))
                if run_start and _FREE_TEXT_STOP.match(text, i):
                    break
            i += 1
        if openers:
            self.fail(f"this {openers[-1][0]!r} is never closed", openers[-1][1])
        self.pos = i
        words = normalise_space(text[start:i]).strip(" ,")
        if not words:
            self.fail(f"expected the wording of {what}", start)
        if "[" in words:
            self.dirty = True
        return words


def parse_rule(text: str, *, agreement: str | None = None) -> Rule:
    """Parse one PSR rule text into a tree.

    ``agreement`` (e.g. "ATIGA") checks agreement-specific notation (ATIGA "Textile Rule", ACFTA
    TEXTILE_PROCESS_RULE_n, AKFTA WO-AK) and names the agreement in errors.

    Raises :class:`~noodlebowl.errors.RuleParseError` naming the column and the text there; no
    other exception for any ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_rule expects a str, not {type(text).__name__}")
    return _Parser(text, agreement).parse()
