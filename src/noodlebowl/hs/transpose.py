"""Moving a code between HS editions (HS2012 ↔ HS2017 ↔ HS2022).

Built on the UNSD correlation tables (packaged as ``hs_correlation``: HS2012→HS2017 and
HS2017→HS2022). The reverse directions invert them; HS2012↔HS2022 chains through HS2017.

Relationship labels read from→to: the left side says whether the target is reached from
one source code (``1``) or several (``n``), the right side whether the source code goes to
one target (``1``) or several (``n``). ``1:n`` and ``n:n`` mean the product must be
classified again in the target edition: every candidate is returned and ``ambiguous`` is
true — the engine never picks one silently.

Known UNSD defects handled here (see ``shared/data/README.md``, section hs/):

* **No target.** HS2017 3002.19 has no row in the HS2017→HS2022 correlation. The answer
  has no targets and a note saying so (it is not an error).
* **Sweep rows.** Some new codes are tied by the correlation to hundreds of old codes
  (HS2022 8524.xx, 8529.90, 8541.51/59, 8549.2x–9x; HS2017 8542.31/32/39 from HS2012).
  A *sweep row* is a row whose new code has at least :data:`SWEEP_MIN_SOURCES` source
  codes and differs from the old code. When the code has a genuine (non-sweep) target,
  sweep rows are left out of ``targets`` and listed in ``notes`` (``swept_out``); when
  sweep rows are its only link (e.g. HS2017 8541.50, 9114.90), they are returned,
  each flagged ``sweep: true``, with a note that the link is a correlation artefact.
* Relationships are recomputed after sweep rows are removed (UNSD labels 8517.11 → 8517.11
  as ``1:n`` only because of the sweep rows).

UNSD's one-to-one conversion tables (HS2022→HS2017, HS2017→HS2012) are attached as a hint
(``unsd_conversion`` on the matching target and in ``conversion_hint``), never instead of
the other candidates.

JSON form of a :class:`Transposition` (``as_dict()``; stable keys)::

    {"source_code", "source_dotted", "source_level", "from_edition", "to_edition",
     "relationship",              # 1:1 | 1:n | n:1 | n:n ; "none" when there is no target
     "ambiguous",                 # true when more than one target
     "targets": [{"code", "dotted", "description", "relationship", "sweep", "unsd_conversion",
                  "from_codes"}, ...],
     "conversion_hint": {"source", "codes"} | null,
     "notes": [str, ...],
     "swept_out": [code, ...],    # sweep-row targets left out
     "steps": [{"from_edition", "to_edition", "from_codes", "to_codes"}, ...],  # one per hop
     "parts": [Transposition, ...]}   # per subheading when a chapter/heading was given
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from noodlebowl.errors import InvalidCode
from noodlebowl.hs.codes import EDITIONS, check_edition, dotted, parse_code

SWEEP_MIN_SOURCES = 100
"""A new code tied to this many old codes is a sweep code (largest genuine merge: 65)."""

_ORDER = {e: i for i, e in enumerate(EDITIONS)}


@dataclass
class Target:
    code: str
    dotted: str
    description: str
    relationship: str
    sweep: bool = False
    unsd_conversion: bool = False
    from_codes: list[str] = field(default_factory=list)


@dataclass
class Step:
    from_edition: str
    to_edition: str
    from_codes: list[str]
    to_codes: list[str]


@dataclass
class Transposition:
    source_code: str
    source_dotted: str
    source_level: str
    from_edition: str
    to_edition: str
    relationship: str
    ambiguous: bool
    targets: list[Target]
    conversion_hint: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    swept_out: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    parts: list["Transposition"] = field(default_factory=list)

    @property
    def target_codes(self) -> list[str]:
        return [t.code for t in self.targets]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Hop:
    """The correlation between two adjacent editions, old → new, with sweep rows marked."""

    def __init__(self, old: str, new: str, rows: list[tuple[str, str]]) -> None:
        self.old, self.new = old, new
        self.fwd: dict[str, set[str]] = {}
        self.rev: dict[str, set[str]] = {}
        for a, b in rows:
            self.fwd.setdefault(a, set()).add(b)
            self.rev.setdefault(b, set()).add(a)
        self.sweep_codes = {b for b, sources in self.rev.items() if len(sources) >= SWEEP_MIN_SOURCES}
        self.gfwd: dict[str, set[str]] = {}
        self.grev: dict[str, set[str]] = {}
        for a, targets in self.fwd.items():
            for b in targets:
                if not self.is_sweep(a, b):
                    self.gfwd.setdefault(a, set()).add(b)
                    self.grev.setdefault(b, set()).add(a)

    def is_sweep(self, old_code: str, new_code: str) -> bool:
        return new_code in self.sweep_codes and old_code != new_code

    def step(self, code: str, forward: bool) -> tuple[list[tuple[str, str, bool]], list[str], list[str]]:
        """Targets of ``code`` one hop on: [(target, relationship, sweep)], swept-out codes, notes."""
        src_label, dst_label = (self.old, self.new) if forward else (self.new, self.old)
        genuine = self.gfwd if forward else self.grev
        genuine_back = self.grev if forward else self.gfwd
        raw = self.fwd if forward else self.rev
        raw_back = self.rev if forward else self.fwd
        notes: list[str] = []
        if code in genuine:
            targets = sorted(genuine[code])
            swept = sorted(raw[code] - genuine[code])
            out = [(t, _label(len(genuine_back[t]), len(targets)), False) for t in targets]
            if swept:
                notes.append(
                    f"{src_label} {dotted(code)}: left out {len(swept)} {dst_label} code(s) tied to it only by "
                    f"UNSD 'sweep' rows ({_list(swept)}); each of them is linked to "
                    f"{SWEEP_MIN_SOURCES}+ codes, a known defect of the correlation")
            return out, swept, notes
        if code in raw:
            targets = sorted(raw[code])
            notes.append(
                f"{src_label} {dotted(code)}: its only link{'s' if len(targets) > 1 else ''} to {dst_label} "
                f"{'are' if len(targets) > 1 else 'is'} UNSD 'sweep' row(s) to {_list(targets)}, which tie "
                f"{SWEEP_MIN_SOURCES}+ codes together (a known defect): the true {dst_label} code must be "
                f"found by classifying the product again")
            return [(t, _label(len(raw_back[t]), len(targets)), True) for t in targets], [], notes
        notes.append(f"{src_label} {dotted(code)} has no {dst_label} counterpart in the UNSD correlation "
                     f"(a known gap in the source table); classify the product again in {dst_label}")
        return [], [], notes


def _label(n_sources: int, n_targets: int) -> str:
    return f"{'1' if n_sources <= 1 else 'n'}:{'1' if n_targets <= 1 else 'n'}"


def _list(codes: list[str], n: int = 8) -> str:
    shown = ", ".join(dotted(c) for c in codes[:n])
    return shown + (f" and {len(codes) - n} more" if len(codes) > n else "")


@cache
def _hop(old: str, new: str) -> _Hop:
    from noodlebowl.refdata import table
    import pyarrow.compute as pc

    tbl = table("hs_correlation")
    tbl = tbl.filter(pc.and_(pc.equal(tbl["from_edition"], old), pc.equal(tbl["to_edition"], new)))
    return _Hop(old, new, list(zip(tbl["from_code"].to_pylist(), tbl["to_code"].to_pylist())))


@cache
def _conversion(from_edition: str, to_edition: str) -> dict[str, str]:
    from noodlebowl.refdata import table
    import pyarrow.compute as pc

    tbl = table("hs_conversion")
    tbl = tbl.filter(pc.and_(pc.equal(tbl["from_edition"], from_edition),
                             pc.equal(tbl["to_edition"], to_edition)))
    return dict(zip(tbl["from_code"].to_pylist(), tbl["to_code"].to_pylist()))


def _conversion_hint(code: str, from_edition: str, to_edition: str) -> tuple[list[str], str] | None:
    """UNSD's one-to-one conversion for this pair, where UNSD publishes one (newer → older)."""
    if _ORDER[from_edition] - _ORDER[to_edition] != 1:
        return None
    hit = _conversion(from_edition, to_edition).get(code)
    if hit is None:
        return None
    return [hit], f"UNSD one-to-one conversion table {from_edition}→{to_edition}"


def _chain(from_edition: str, to_edition: str) -> list[tuple[_Hop, bool]]:
    i, j = _ORDER[from_edition], _ORDER[to_edition]
    hops: list[tuple[_Hop, bool]] = []
    if i < j:
        for k in range(i, j):
            hops.append((_hop(EDITIONS[k], EDITIONS[k + 1]), True))
    else:
        for k in range(i, j, -1):
            hops.append((_hop(EDITIONS[k - 1], EDITIONS[k]), False))
    return hops


def _transpose6(code: str, from_edition: str, to_edition: str) -> Transposition:
    from noodlebowl.hs.nomenclature import row

    hops = _chain(from_edition, to_edition)
    frontier: dict[str, dict[str, Any]] = {code: {"left_many": False, "sweep": False, "from": {code}}}
    notes: list[str] = []
    swept_out: list[str] = []
    steps: list[Step] = []
    for hop, forward in hops:
        nxt: dict[str, dict[str, Any]] = {}
        hop_from = sorted(frontier)
        for src in hop_from:
            info = frontier[src]
            targets, swept, hop_notes = hop.step(src, forward)
            notes.extend(hop_notes)
            swept_out.extend(s for s in swept if s not in swept_out)
            for tgt, rel, sweep in targets:
                entry = nxt.setdefault(tgt, {"left_many": False, "sweep": False, "from": set()})
                entry["left_many"] |= info["left_many"] or rel.startswith("n")
                entry["sweep"] |= info["sweep"] or sweep
                entry["from"] |= {src}
        src_ed, dst_ed = (hop.old, hop.new) if forward else (hop.new, hop.old)
        steps.append(Step(src_ed, dst_ed, hop_from, sorted(nxt)))
        frontier = nxt
    n_targets = len(frontier)
    targets: list[Target] = []
    for tgt in sorted(frontier):
        info = frontier[tgt]
        # several intermediate codes converging on one target also mean several sources
        left_many = info["left_many"] or len(info["from"]) > 1
        r = row(tgt, to_edition)
        targets.append(Target(code=tgt, dotted=dotted(tgt), description=r["description"] if r else "",
                              relationship=f"{'n' if left_many else '1'}:{'n' if n_targets > 1 else '1'}",
                              sweep=info["sweep"], from_codes=sorted(info["from"]) if len(hops) > 1 else [code]))
    hint = None
    conv = _conversion_hint(code, from_edition, to_edition)
    if conv:
        hint_codes, source = conv
        hint = {"source": source, "codes": hint_codes}
        for t in targets:
            t.unsd_conversion = t.code in hint_codes
        if n_targets > 1:
            notes.append(f"{source} suggests {_list(hint_codes)}; it is a tie-break hint only — "
                         f"all {n_targets} candidates remain")
    if not targets:
        relationship = "none"
    else:
        relationship = f"{'n' if any(t.relationship.startswith('n') for t in targets) else '1'}:" \
                       f"{'n' if n_targets > 1 else '1'}"
    return Transposition(source_code=code, source_dotted=dotted(code), source_level="subheading",
                         from_edition=from_edition, to_edition=to_edition, relationship=relationship,
                         ambiguous=n_targets > 1, targets=targets, conversion_hint=hint, notes=notes,
                         swept_out=sorted(swept_out), steps=steps)


def transpose(code: str, from_edition: str, to_edition: str) -> Transposition:
    """Where ``code`` (of ``from_edition``) lands in ``to_edition``.

    A chapter or heading transposes every subheading below it: ``parts`` holds one
    transposition per subheading and ``targets`` their union (``from_codes`` says which
    subheadings lead to each target). An 8-digit national line is transposed through its
    subheading (noted). Unknown code → :class:`InvalidCode`; unknown edition →
    :class:`UnknownEdition`.
    """
    from noodlebowl.hs.nomenclature import lookup, subheadings_under

    from_edition, to_edition = check_edition(from_edition), check_edition(to_edition)
    parsed = parse_code(code)
    entry = lookup(parsed.digits, from_edition)  # raises InvalidCode with suggestions
    pre_notes: list[str] = []
    if parsed.national is not None:
        pre_notes.append(f"national line {dotted(parsed.national)} transposed through its subheading "
                         f"{dotted(parsed.digits)}: the correlation tables are at subheading level")
    if parsed.level in ("subheading", "national"):
        if from_edition == to_edition:
            return Transposition(parsed.digits, dotted(parsed.digits), "subheading", from_edition, to_edition,
                                 "1:1", False, [Target(parsed.digits, dotted(parsed.digits), entry.description,
                                                       "1:1", from_codes=[parsed.digits])],
                                 notes=pre_notes + ["same edition: nothing to transpose"])
        result = _transpose6(parsed.digits, from_edition, to_edition)
        result.notes[:0] = pre_notes
        return result

    subs = subheadings_under(parsed.digits, from_edition)
    if not subs:
        raise InvalidCode(f"{dotted(parsed.digits)} has no subheadings in {from_edition}")
    parts = [transpose(s, from_edition, to_edition) for s in subs]
    merged: dict[str, Target] = {}
    notes: list[str] = []
    swept: set[str] = set()
    for part in parts:
        notes.extend(n for n in part.notes if n not in notes)
        swept |= set(part.swept_out)
        for t in part.targets:
            m = merged.setdefault(t.code, Target(t.code, t.dotted, t.description, t.relationship, t.sweep,
                                                 t.unsd_conversion, []))
            m.from_codes = sorted(set(m.from_codes) | {part.source_code})
            m.sweep |= t.sweep
            m.unsd_conversion |= t.unsd_conversion
            if t.relationship != m.relationship:
                m.relationship = _merge_labels(m.relationship, t.relationship)
    targets = [merged[c] for c in sorted(merged)]
    labels = [p.relationship for p in parts if p.relationship != "none"]
    relationship = "none" if not labels else _merge_labels(*labels)
    level = entry.level
    notes.insert(0, f"{level} {dotted(parsed.digits)}: each of its {len(subs)} subheadings transposed (see parts)")
    return Transposition(source_code=parsed.digits, source_dotted=dotted(parsed.digits), source_level=level,
                         from_edition=from_edition, to_edition=to_edition, relationship=relationship,
                         ambiguous=any(p.ambiguous for p in parts), targets=targets, notes=notes,
                         swept_out=sorted(swept), parts=parts)


def _merge_labels(*labels: str) -> str:
    left = "n" if any(lb.startswith("n") for lb in labels) else "1"
    right = "n" if any(lb.endswith("n") for lb in labels) else "1"
    return f"{left}:{right}"
