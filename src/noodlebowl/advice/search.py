"""The smallest set of moves that makes a product qualify under one agreement.

Breadth-first over sets of materials (fewest materials changed first; within a size, least
value changed first), each set checked by re-running the origin engine on the modified request.
Every move makes the good's position no worse (a material becomes originating, or a
non-originating one cheaper), so qualification is monotone in the moves. That gives two sound
shortcuts:

- one probe with every material's strongest move: if even that fails, no set can succeed;
- an optimistic bound per set from the rule tree and the margins (value content: can the
  set's value close the RVC gap? tariff shift: can it bring the materials failing the shift
  within de minimis?): a set the bound rejects is skipped without re-running the engine.

Identical modified requests are evaluated once per call (the move set is the cache key: the
same moves on the same request give the same request).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from noodlebowl.advice.headroom import margins
from noodlebowl.advice.moves import (
    CENT, KIND_ORDER, AdviceOptions, Move, apply_moves, candidate_moves, counts, originating_under,
)
from noodlebowl.origin.answer import Determination, Outcome
from noodlebowl.origin.request import MaterialKind, Request
from noodlebowl.rules import (
    AllOf, AnyOf, ChemicalReaction, Incomplete, Noted, Process, Split, TariffShift, ValueContent, WhollyObtained,
    format_rule, parse_rule, walk,
)

HUNDRED = Decimal(100)
MAKES_ORIGINATING = ("prove_originating", "source_from_party")
# After the first success, how many more sets of the same size to try for alternatives.
ALTERNATIVE_BUDGET = 60


class Evaluator:
    """``determine`` for one agreement on modified requests, cached by move set."""

    def __init__(self, request: Request, agreement: str) -> None:
        self.request = request.model_copy(update={"agreements": [agreement]})
        self.agreement = agreement
        self.cache: dict[frozenset, tuple[Request, Determination] | None] = {}
        self.runs = 0

    def __call__(self, moves) -> tuple[Request, Determination] | None:
        key = frozenset(m.key for m in moves)
        if key not in self.cache:
            self.cache[key] = self._run(moves)
        return self.cache[key]

    def _run(self, moves) -> tuple[Request, Determination] | None:
        from noodlebowl.origin import determine

        modified = apply_moves(self.request, moves)
        if modified is None:
            return None
        self.runs += 1
        return modified, determine(modified)[0]


def _fact_true(facts: dict, key: str) -> bool:
    # the request reads yes/no text as booleans (request.read_facts)
    return facts.get(key) is True


class Bound:
    """Could this move set possibly make the good qualify? Optimistic, never wrong on 'no'.

    Every leaf of the rule is a sum over the set's moves compared with a need taken from the
    margins, so each move is reduced once to a few numbers (floats with a tolerance in the
    optimistic direction: the bound only skips sets, the engine decides)."""

    def __init__(self, request: Request, d: Determination, agreement: str, parties: frozenset[str]) -> None:
        from noodlebowl.origin.provisions_view import origin_provisions

        self.request, self.d = request, d
        p = self.provisions = origin_provisions(agreement, request.date).for_product(
            "".join(ch for ch in request.product.hs if ch.isdigit())[:6])
        fob = request.product.fob
        self.fob = float(fob)
        self.tol = 1e-6 * self.fob
        vnm = d.rvc.non_originating_value if d.rvc else Decimal(0)
        vom = d.rvc.originating_value if d.rvc else Decimal(0)
        costs = request.costs.total() if request.costs.complete else None
        self.vnm, self.vom = float(vnm), float(vom)
        self.costs = None if costs is None else float(costs)
        self.values = {m.name: m.value for m in request.materials}
        self.bit = {m.name: 1 << i for i, m in enumerate(request.materials)}
        # Materials the tariff shift and "produced exclusively" look at, still non-originating.
        self.non_originating = self._mask(
            m.name for m in request.materials
            if counts(m) and m.kind in (MaterialKind.material, MaterialKind.accessory)
            and not (m.kind is MaterialKind.accessory and m.customary)
            and not originating_under(m, agreement, request.exporter, parties))
        self.tree = parse_rule(d.rule.text) if d.rule is not None else None
        chapter = int("".join(ch for ch in request.product.hs if ch.isdigit())[:2])
        self.weight_possible = (p.de_minimis_weight_percent is not None and p.de_minimis_weight_chapters is not None
                                and p.de_minimis_weight_chapters[0] <= chapter <= p.de_minimis_weight_chapters[1])
        self.limit_value = (None if p.de_minimis_value_percent is None
                            else float(p.de_minimis_value_percent * fob / HUNDRED))
        # materials whose tariff shift is undetermined because the request gives no HS code
        no_code = {c.subject for c in d.checks if c.check == "tariff_shift"
                   and c.result is Outcome.undetermined and c.subject in self.values
                   and not next(m.hs for m in request.materials if m.name == c.subject)}
        # One entry per distinct tariff-shift node: (materials failing or unsettled as a mask and
        # as names, their value); None when the node was not evaluated (stay optimistic).
        self.shifts: dict[str, tuple[int, frozenset[str], float] | None] = {}
        if self.tree is not None:
            for node in walk(self.tree):
                if isinstance(node, TariffShift):
                    text = format_rule(node)
                    self.shifts[text] = self._shift_set(text, no_code)
        self.shift_index = {text: i for i, text in enumerate(self.shifts)}
        self._effects: dict[tuple, tuple] = {}

    def _mask(self, names) -> int:
        mask = 0
        for n in names:
            mask |= self.bit[n]
        return mask

    def _shift_set(self, text: str, no_code: set[str]):
        seen, bad = False, set(no_code)
        for c in self.d.checks:
            if c.check != "tariff_shift" or c.subject is None:
                continue
            if c.part == text:              # a check of this tariff-shift part of the rule
                seen = True
                if c.result is not Outcome.qualifies:
                    bad.add(c.subject)
        if not seen and self.non_originating & ~self._mask(no_code):
            return None
        return self._mask(bad), frozenset(bad), float(sum((self.values[n] for n in bad), Decimal(0)))

    def effect(self, move: Move) -> tuple:
        """(VNM reduction, originating value added, mask made originating, reduction of each
        shift node's failing value)."""
        if move.key not in self._effects:
            name = move.material
            made = move.kind in MAKES_ORIGINATING
            cut = float(self.values[name] if made else move.price - move.new_price)
            reductions = tuple(cut if (entry is not None and name in entry[1]) else 0.0
                               for entry in self.shifts.values())
            self._effects[move.key] = (cut, float(move.new_price) if made else 0.0,
                                       self.bit[name] if made else 0, reductions)
        return self._effects[move.key]

    def ok(self, moves) -> bool:
        effects = [self.effect(m) for m in moves]
        made = 0
        for e in effects:
            made |= e[2]
        if self.non_originating and not (self.non_originating & ~made):
            return True  # produced exclusively from originating materials / nothing left to fail
        if self.tree is None:
            return False
        total = (sum(e[0] for e in effects), sum(e[1] for e in effects), made,
                 [sum(e[3][i] for e in effects) for i in range(len(self.shifts))])
        return self._node(self.tree, total)

    def _rvc(self, threshold: Decimal, total) -> bool:
        methods = self.provisions.rvc_methods
        t = float(threshold)
        if "build_down" in methods and self.vnm - total[0] <= self.fob * (1 - t / 100) + self.tol:
            return True
        return ("build_up" in methods and self.costs is not None
                and self.vom + total[1] + self.costs >= self.fob * t / 100 - self.tol)

    def _shift(self, node, total) -> bool:
        text = format_rule(node)
        entry = self.shifts.get(text)
        if entry is None:
            return True
        mask, _, value = entry
        if not (mask & ~total[2]) or self.weight_possible:
            return True
        return self.limit_value is not None and value - total[3][self.shift_index[text]] <= self.limit_value + self.tol

    def _node(self, node, total) -> bool:
        facts = self.request.facts
        if isinstance(node, ValueContent):
            return self._rvc(node.threshold, total)
        if isinstance(node, TariffShift):
            return self._shift(node, total)
        if isinstance(node, AnyOf):
            return any(self._node(o, total) for o in node.options)
        if isinstance(node, AllOf):
            return all(self._node(p, total) for p in node.parts)
        if isinstance(node, Split):
            rules = [b.rule for b in node.branches] + ([node.otherwise] if node.otherwise else [])
            return any(self._node(x, total) for x in rules)
        if isinstance(node, Noted):
            return self._node(node.rule, total)
        if isinstance(node, Process):
            return _fact_true(facts, node.key)
        if isinstance(node, ChemicalReaction):
            return _fact_true(facts, "chemical_reaction")
        if isinstance(node, WhollyObtained):
            return _fact_true(facts, "wholly_obtained") or not (self.non_originating & ~total[2])
        if isinstance(node, Incomplete):
            return False
        return True  # OriginatingWeightShare and anything new: stay optimistic


@dataclass
class Found:
    moves: tuple[Move, ...]
    request: Request
    determination: Determination


@dataclass
class SearchResult:
    status: Literal["already_qualifies", "found", "not_found", "impossible"]
    found: list[Found] = field(default_factory=list)
    proven_smallest: bool = False
    note: str | None = None
    evaluations: int = 0
    candidates: int = 0


def _cost(moves) -> tuple:
    return (sum((m.value_changed for m in moves), Decimal(0)), sum(KIND_ORDER[m.kind] for m in moves),
            tuple(sorted(m.material or "" for m in moves)))


def _strongest(moves: list[Move]) -> Move:
    """The move that helps most: originating beats a price cut; a higher originating price adds
    more originating value (build-up)."""
    originating = [m for m in moves if m.kind in MAKES_ORIGINATING]
    if originating:
        return max(originating, key=lambda m: m.new_price)
    return min(moves, key=lambda m: m.new_price)


def _slack(request: Request, d: Determination, total_cut: Decimal) -> Decimal:
    """How much of the price cuts a qualifying set could give back (from its margins)."""
    m = margins(request, d)
    limits = []
    if d.criterion and "RVC" in d.criterion:
        # The strictest passing threshold has the least headroom: giving back less is always safe.
        downs = [x.headroom for x in m.rvc if x.method == "build_down" and x.allowed and x.passes]
        limits.append(min(downs) if downs else total_cut)
    if d.de_minimis is not None and d.de_minimis.used and m.de_minimis and m.de_minimis.headroom is not None:
        limits.append(m.de_minimis.headroom)
    return max(Decimal(0), min(limits)) if limits else total_cut


def _refine(found: Found, evaluate: Evaluator) -> Found:
    """Lower each price cut to what the qualification needs (rounded up to the cent), re-checked."""
    cuts = [m for m in found.moves if m.kind == "lower_price"]
    if not cuts:
        return found
    total = sum((m.price - m.new_price for m in cuts), Decimal(0))
    give_back = _slack(found.request, found.determination, total)
    if give_back <= 0:
        return found
    moves = []
    for m in found.moves:
        if m.kind == "lower_price" and give_back > 0:
            cut = m.price - m.new_price
            keep = max(CENT, (cut - give_back).quantize(CENT, rounding=ROUND_CEILING))
            give_back -= cut - keep
            m = m.model_copy(update={"new_price": m.price - keep, "value_changed": keep})
        moves.append(m)
    result = evaluate(moves)
    if result is not None and result[1].outcome is Outcome.qualifies:
        return Found(tuple(moves), *result)
    return found


def search(request: Request, agreement: str, parties: frozenset[str], options: AdviceOptions,
           base: Determination) -> SearchResult:
    """The smallest move sets (fewest materials, then least value) that make ``base`` qualify."""
    if base.outcome is Outcome.qualifies:
        return SearchResult("already_qualifies")
    evaluate = Evaluator(request, agreement)
    candidates = candidate_moves(request, agreement, parties, options)
    by_material: dict[str, list[Move]] = {}
    for mv in candidates:
        by_material.setdefault(mv.material, []).append(mv)
    if not by_material:
        return SearchResult("impossible", note="no material can be proven originating, re-sourced or re-priced "
                                               "under the options given")
    strongest_of = {name: _strongest(ms) for name, ms in by_material.items()}
    strongest = list(strongest_of.values())
    probe = evaluate(strongest)
    if probe is not None and probe[1].outcome is not Outcome.qualifies:
        return SearchResult("impossible", evaluations=evaluate.runs, candidates=len(candidates),
                            note="even with every material changed it would not qualify: " + probe[1].summary)
    bound = Bound(request, base, agreement, parties)
    names = list(by_material)
    exhaustive = len(names) <= options.exhaustive_up_to
    largest = len(names) if exhaustive else min(options.max_moves, len(names))
    for size in range(1, largest + 1):
        sets = [choice for group in itertools.combinations(names, size)
                if bound.ok([strongest_of[n] for n in group])  # the strongest variants fail: all do
                for choice in itertools.product(*(by_material[n] for n in group)) if bound.ok(choice)]
        sets.sort(key=_cost)
        found: list[Found] = []
        budget = None
        for choice in sets:
            result = evaluate(choice)
            if result is not None and result[1].outcome is Outcome.qualifies:
                found.append(Found(tuple(choice), *result))
                budget = ALTERNATIVE_BUDGET if budget is None else budget
                if len(found) > options.alternatives:
                    break
            if budget is not None:
                budget -= 1
                if budget <= 0:
                    break
        if found:
            found = sorted((_refine(f, evaluate) for f in found), key=lambda f: _cost(f.moves))
            return SearchResult("found", found, proven_smallest=True, evaluations=evaluate.runs,
                                candidates=len(candidates))
    if probe is None:
        return SearchResult("not_found", evaluations=evaluate.runs, candidates=len(candidates),
                            note=f"no set of up to {largest} material changes qualifies, and changing every "
                                 "material at once is not possible (materials would exceed the FOB value)")
    # More changes are needed than the search tries: drop moves from the probe while it still
    # qualifies. Each remaining move is then needed, but the set is not proven the smallest.
    current = list(strongest)
    for mv in sorted(strongest, key=lambda m: -m.value_changed):
        trial = [x for x in current if x is not mv]
        result = evaluate(trial)
        if result is not None and result[1].outcome is Outcome.qualifies:
            current = trial
    final = evaluate(current)
    return SearchResult("found", [Found(tuple(current), *final)], proven_smallest=False,
                        evaluations=evaluate.runs, candidates=len(candidates),
                        note=f"no set of up to {largest} material changes qualifies; this set of {len(current)} "
                             "works and every change in it is needed, but it is not proven the smallest")


def fact_answers(request: Request, agreement: str, base: Determination) -> list[tuple[str, str | bool, Determination]]:
    """For an undetermined answer: which answer to each yes/no or choice fact would make it qualify
    (verified by re-running the engine). Keys about materials or the product are left as questions."""
    if base.outcome is not Outcome.undetermined:
        return []
    from noodlebowl.origin import determine

    out = []
    single = request.model_copy(update={"agreements": [agreement]})
    for q in base.needed:
        if agreement not in q.agreements or q.key.startswith(("materials.", "product.")):
            continue
        for option in q.options or ["true", "false"]:
            answer: str | bool = {"true": True, "false": False}.get(option, option)
            d = determine(single.model_copy(update={"facts": {**request.facts, q.key: answer}}))[0]
            if d.outcome is Outcome.qualifies:
                out.append((q.key, answer, d))
    return out
