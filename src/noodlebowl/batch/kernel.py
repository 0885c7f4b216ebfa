"""The column-wise determination kernel: one chunk of a validated catalog in, one row per
(product, importer, agreement) out — with exactly the answer :func:`noodlebowl.origin.determine`
gives for the same product.

How it stays identical to the single-request engine:

* Rules are selected and parsed once per distinct (agreement, product code, edition) with the
  engine's own :func:`select_rule`; a rule tree of tariff shifts (with exception ranges), value
  contents, WO, weight provisos, CR, process requirements and incomplete parts under
  ``or``/``and``/a split by product description becomes a *plan* whose leaves are evaluated for all
  rows at once and whose combination (the engine's ``any_of``/``all_of``/split semantics) is looked
  up per distinct pattern of leaf results (:func:`_pattern`).
* What a plan cannot hold — a product code that is not a 6-digit code in the rule table's edition,
  a material code shorter than 6 digits, candidates with different rules — is sent to the engine
  itself (:func:`fallback`) for just those (product, agreement) rows.
* Money and weights are integers of micro-units (10⁻⁶, Int64): sums are exact, and threshold
  comparisons multiply in 128 bits (``compiled.product_le``). Percentages are produced the way
  ``Decimal`` divides in the engine (28 significant digits, half-even) by integer long division
  (:func:`exact_percent`).

The work over lines and leaves runs in compiled loops (:mod:`noodlebowl.batch.compiled`, Numba);
the per-code work (rule plans, transpositions, patterns) is Python, once per distinct key, kept in
process tables and in the plan cache file (:mod:`noodlebowl.batch.plancache`).

Products whose answer rests on what only the engine reads — facts (the catalog's ``facts`` column),
a partial-cumulation content, an accessory invoiced separately or not customary — go to the engine
(``fallback``) too. The criterion, form code, reason and caveat codes come from the functions both
paths share (``agreements.modelled.form_template`` / ``form_suffix``, ``origin.reasons``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import numpy as np
import polars as pl

from noodlebowl.batch import plancache
from noodlebowl.agreements.modelled import form_suffix, form_template
from noodlebowl.batch.memo import Memo
from noodlebowl.errors import DateOutOfRange
from noodlebowl.origin.engine import _CRITERION_ORDER, MODELLED, PRODUCED_EXCLUSIVELY
from noodlebowl.origin.evaluate import LEVEL_DIGITS, SHIFT_NAME
from noodlebowl.origin.psr import latest_table, rule_table, select_rule
from noodlebowl.origin import reasons
from noodlebowl.origin.reasons import GAP_PREFIX, NO_RULES_ON_DATE, UNCERTAIN_ENTRY, caveat_codes, leaf_fields, rule_reason

SCALE = 10**6            # money and weights are Int64 micro-units
STAGE = 19               # digits per long-division stage: remainder (< 9.3e18) × 10¹⁹ fits Int128
SIG_DIGITS = 28          # Python's default decimal context, which the engine divides in
I128 = pl.Int128

OUTPUT_COLUMNS = ["product_id", "importer", "agreement", "outcome", "criterion", "form_code", "rule_text",
                  "rule_row", "rule_verified", "rvc_build_down", "rvc_build_up", "de_minimis_share", "de_minimis_used",
                  "reason", "caveats", "data_version"]
OUTPUT_SCHEMA = {"product_id": pl.String, "importer": pl.String, "agreement": pl.String, "outcome": pl.String,
                 "criterion": pl.String, "form_code": pl.String, "rule_text": pl.String, "rule_row": pl.String,
                 "rule_verified": pl.String, "rvc_build_down": pl.String, "rvc_build_up": pl.String,
                 "de_minimis_share": pl.String, "de_minimis_used": pl.String, "reason": pl.String,
                 "caveats": pl.String, "data_version": pl.String}
CAVEAT_SEPARATOR = ";"
FLAG_TEXT = {True: "true", False: "false"}      # yes/no result columns are text, like the others
MANY_VALUED = ("product_id", "rvc_build_down", "rvc_build_up", "de_minimis_share")   # nearly one value per row


# --- exact percentages ----------------------------------------------------------------------

_POW10 = pl.Series("pow10", [10**k for k in range(39)], dtype=I128)


def _pow10(exponent: pl.Expr) -> pl.Expr:
    # 10^38 is the largest power of ten an Int128 holds; callers never need more (see exact_percent)
    return pl.lit(_POW10).gather(exponent.clip(0, 38).cast(pl.Int32))


def exact_percent(part: pl.Series, whole: pl.Series) -> pl.Series:
    """``part * 100 / whole`` as ``Decimal`` computes it (28 significant digits, half-even), as a
    plain decimal string; ``part`` ≥ 0 and ``whole`` > 0 are integers of the same unit (null → null).

    Compiled long division (compiled.percent_texts) in Int64; the rare rows beyond its bounds go
    through the Int128 column path (_exact_percent_int128)."""
    import pyarrow as pa

    from noodlebowl.batch import compiled

    part, whole = part.cast(pl.Int64), whole.cast(pl.Int64)
    valid = (part.is_not_null() & whole.is_not_null()).to_numpy()
    offsets, data, done = compiled.percent_texts(part.fill_null(0).to_numpy(), whole.fill_null(1).to_numpy(), valid)
    text = pl.from_arrow(pa.LargeStringArray.from_buffers(len(part), pa.py_buffer(offsets), pa.py_buffer(data)))
    text = text.set(pl.Series(~valid), None).rename(part.name)
    rest = np.flatnonzero(~done)
    if rest.size:
        text = text.scatter(rest, _exact_percent_int128(part.gather(rest), whole.gather(rest)))
    return text


def _exact_percent_int128(part: pl.Series, whole: pl.Series) -> pl.Series:
    """exact_percent over whole columns in Int128 (any Int64 part and whole).

    Long division in Int128, in stages of 19 digits so that no product overflows; each stage is a
    separate step (one expression would repeat its sub-expressions exponentially). Each distinct
    (part, whole) is divided once, in one lazy query."""
    c = pl.col
    pairs = pl.DataFrame({"n0": part, "d0": whole}, schema={"n0": pl.Int64, "d0": pl.Int64})
    keys = pairs.drop_nulls().unique()
    if keys.is_empty():
        return pl.Series(part.name, [None] * len(part), dtype=pl.String)
    df = keys.lazy().with_columns(n=c("n0").cast(I128) * 100, d=c("d0").cast(I128))
    df = df.with_columns(len_n=c("n").cast(pl.String).str.len_chars().cast(pl.Int32),
                         len_d=c("d").cast(pl.String).str.len_chars().cast(pl.Int32))
    df = df.with_columns(shift=c("len_d") - c("len_n"))
    # exponent e of the leading digit: 10^e <= n/d < 10^(e+1)
    df = df.with_columns(e=(c("len_n") - c("len_d")) - pl.when(c("shift") >= 0).then(
        (c("n") * _pow10(c("shift").clip(0, None)) < c("d")).cast(pl.Int32)).otherwise(
        (c("n") < c("d") * _pow10((-c("shift")).clip(0, None))).cast(pl.Int32)))
    df = df.with_columns(s=(SIG_DIGITS - 1 - c("e")).clip(0, None))        # fractional digits to keep
    df = df.with_columns(a=c("s").clip(0, STAGE))
    df = df.with_columns(b=(c("s") - c("a")).clip(0, STAGE))
    df = df.with_columns(cc=(c("s") - c("a") - c("b")).clip(0, STAGE))
    df = df.with_columns(q0=c("n") // c("d"), r=c("n") % c("d"))
    for q, width in (("q1", "a"), ("q2", "b"), ("q3", "cc")):
        df = df.with_columns(x=c("r") * _pow10(c(width)))
        df = df.with_columns(pl.col("x").floordiv(c("d")).alias(q), r=c("x") % c("d"))
    # q0 = 0 whenever s > 27 (a quotient below 1), so clipping 10^s at 10^38 is harmless
    df = df.with_columns(m=c("q0") * _pow10(c("s")) + c("q1") * _pow10(c("b") + c("cc"))
                         + c("q2") * _pow10(c("cc")) + c("q3"))
    df = df.with_columns(m=c("m") + ((2 * c("r") > c("d")) | ((2 * c("r") == c("d")) & (c("m") % 2 == 1)))
                         .cast(I128))
    text = df.select("n0", "d0", _place_point(c("m").cast(pl.String), c("s"), c("n")).alias("text")).collect()
    return pairs.join(text, on=["n0", "d0"], how="left", maintain_order="left")["text"].rename(part.name)


def _place_point(digits: pl.Expr, s: pl.Expr, n: pl.Expr) -> pl.Expr:
    width = pl.max_horizontal(digits.str.len_chars().cast(pl.Int32), s + 1)
    padded = digits.str.zfill(width)
    int_part = padded.str.slice(0, width - s)
    frac = padded.str.slice(width - s).str.strip_chars_end("0")
    text = pl.when(frac.str.len_chars() > 0).then(pl.concat_str([int_part, pl.lit("."), frac])).otherwise(int_part)
    return pl.when(n == 0).then(pl.lit("0")).otherwise(text)


def floor_percent_int(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """floor(part × 100 / whole), exactly — the RVC figure declared on a certificate."""
    return (part.cast(I128) * 100) // whole.cast(I128)


def _ratio(value: Decimal) -> tuple[int, int]:
    num, den = value.as_integer_ratio()
    return num, den


# --- plans: a rule tree the kernel can evaluate ----------------------------------------------

@dataclass(frozen=True)
class Leaf:
    index: int
    kind: str                     # TS | VC | WO | OW (weight proviso) | U (process, CR, incomplete: never met
    level: str | None = None      # TS                                   without facts)
    exceptions: tuple[tuple[str, str], ...] = ()
    threshold: Decimal | None = None
    label: str = ""               # for reasons


@dataclass(frozen=True)
class Node:
    op: str                       # leaf | any | all | split (a rule differing by product description)
    leaf: int | None = None
    children: tuple["Node", ...] = ()


@dataclass
class Plan:
    plan_id: int
    agreement: str
    status: str                   # rule | gap | fallback | no_table (no rule table in the data for the date)
    product_code: str | None      # the first candidate code in the table's edition (de minimis chapter)
    rule_text: str | None
    rule_row: str | None
    rule_level: str | None
    gap: str | None
    tree: Node | None = None
    leaves: list[Leaf] = field(default_factory=list)
    product_codes: tuple[str, ...] = ()   # every candidate (a tariff shift must agree across them)
    shape_id: int | None = None           # plans with the same shape combine leaf states the same way
    rule_verified: str | None = None      # the rule's verification status (RuleRef.verified)


class _Unsupported(Exception):
    pass


def _compile(rule, leaves: list[Leaf]) -> Node:
    from noodlebowl.rules import AllOf, AnyOf, Noted, Split

    if isinstance(rule, Noted):
        return _compile(rule.rule, leaves)
    if isinstance(rule, AnyOf):
        return Node("any", children=tuple(_compile(o, leaves) for o in rule.options))
    if isinstance(rule, AllOf):
        return Node("all", children=tuple(_compile(p, leaves) for p in rule.parts))
    if isinstance(rule, Split):
        # the catalog has no facts: the engine evaluates every branch (and "otherwise") and answers
        # only when they all agree (evaluate.split)
        candidates = [b.rule for b in rule.branches] + ([rule.otherwise] if rule.otherwise is not None else [])
        if not rule.branches and rule.otherwise is not None:
            raise _Unsupported("Split without branches")   # never parsed; left to the engine
        return Node("split", children=tuple(_compile(c, leaves) for c in candidates))
    fields = leaf_fields(rule)
    if fields is None:
        raise _Unsupported(type(rule).__name__)
    i = len(leaves)
    exceptions = tuple((r.start, r.end) for r in rule.exceptions) if fields["kind"] == "TS" else ()
    leaves.append(Leaf(i, fields["kind"], fields["level"], exceptions, fields["threshold"], fields["label"]))
    return Node("leaf", leaf=i)


_PLANS: dict[tuple[str, str, str, str | None], Plan] = {}
_PLAN_LIST: list[Plan] = []


# Chunks are evaluated in parallel threads: the process-wide plans and shapes change under this lock
_TABLES_LOCK = threading.RLock()


def plan_for(agreement: str, code: str, edition: str, table_edition: str | None = "latest") -> Plan:
    """The plan for a product code under an agreement's rule table of ``table_edition`` (the table in
    force on the product's date, :func:`rule_table`; None: no table; "latest": the newest in the data),
    cached for the process, and across processes by :mod:`noodlebowl.batch.plancache`."""
    if table_edition == "latest":
        table_edition = latest_table(agreement)
    key = (agreement, code, edition, table_edition)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    with _TABLES_LOCK:
        plan = _PLANS.get(key)
        if plan is not None:
            return plan
        cached = plancache.PLANS.get(key)
        pid = len(_PLAN_LIST)
        if cached is None:
            plancache.computed()
        plan = plan_from_tuple(cached, agreement, pid) if cached is not None \
            else build_plan(agreement, code, edition, table_edition, pid)
        if plan.status == "rule":
            plan.shape_id = _shape_id(plan)
        _PLANS[key] = plan
        _PLAN_LIST.append(plan)
        return plan


# A rule plan's answer to a pattern of leaf states (_pattern) depends only on its agreement, rule text
# (hence tree and leaves) and rule level: thousands of plans share a few hundred shapes, so patterns
# are computed and joined per shape, not per plan.
_SHAPES: dict[tuple[str, str | None, str | None], int] = {}
_SHAPE_PLANS: list[Plan] = []


def _shape_id(plan: Plan) -> int:
    key = (plan.agreement, plan.rule_text, plan.rule_level)
    with _TABLES_LOCK:
        sid = _SHAPES.get(key)
        if sid is None:
            _SHAPE_PLANS.append(plan)
            sid = _SHAPES[key] = len(_SHAPE_PLANS) - 1
        return sid


def shape_id_of(agreement: str, rule_text: str, rule_level: str | None) -> int:
    """This process's id of a shape known by its key (registered if new): for tables read from a cache."""
    sid = _SHAPES.get((agreement, rule_text, rule_level))
    if sid is not None:
        return sid
    tree, leaves = _compiled(rule_text)
    return _shape_id(Plan(plan_id=-1, agreement=agreement, status="rule", product_code=None, rule_text=rule_text,
                          rule_row=None, rule_level=rule_level, gap=None, tree=tree, leaves=leaves))


def table_rows() -> int:
    """Rows in the lookup tables (grows when a run meets new codes)."""
    return _plan_table.table.height + _pattern_table.table.height


def tables() -> dict:
    """The process's lookup tables, with the shapes their shape ids stand for (for the cache file)."""
    return {"shapes": [(p.agreement, p.rule_text, p.rule_level) for p in _SHAPE_PLANS],
            "plan": _plan_table.table, "pattern": _pattern_table.table}


def adopt_tables(saved: dict) -> None:
    """Merge tables written by :func:`tables` in another process: their shape ids are mapped to this
    process's, so that no code they hold is worked out again."""
    ids = [shape_id_of(*shape) for shape in saved["shapes"]]
    remap = pl.col("shape_id").replace_strict(list(range(len(ids))), ids, return_dtype=pl.Int64)
    _plan_table.adopt(saved["plan"].with_columns(shape_id=remap) if ids else saved["plan"])
    if ids:
        _pattern_table.adopt(saved["pattern"].with_columns(shape_id=remap))


def plan_tuple(plan: Plan) -> tuple:
    """What a plan holds beyond its rule tree (which depends on the rule text only): for the cache file."""
    return (plan.status, plan.product_code, plan.rule_text, plan.rule_row, plan.rule_level, plan.gap,
            plan.product_codes, plan.rule_verified)


@cache
def _compiled(text: str) -> tuple[Node, list[Leaf]] | None:
    from noodlebowl.origin.engine import _parse

    leaves: list[Leaf] = []
    try:
        return _compile(_parse(text), leaves), leaves
    except _Unsupported:
        return None


def plan_from_tuple(t: tuple, agreement: str, pid: int) -> Plan:
    status, product_code, rule_text, rule_row, rule_level, gap, product_codes, verified = t
    plan = Plan(plan_id=pid, agreement=agreement, status=status, product_code=product_code, rule_text=rule_text,
                rule_row=rule_row, rule_level=rule_level, gap=gap, product_codes=tuple(product_codes),
                rule_verified=verified)
    if status == "rule":
        plan.tree, plan.leaves = _compiled(rule_text)
    return plan


def build_plan(agreement: str, code: str, edition: str, table_edition: str | None, pid: int) -> Plan:
    if table_edition is None:
        # the engine answers "undetermined: the rules for the date are not in the data" (even for PE)
        return Plan(plan_id=pid, agreement=agreement, status="no_table", product_code=None, rule_text=None,
                    rule_row=None, rule_level=None, gap=None)
    sel = select_rule(agreement, code, edition, table_edition)
    rule = sel.rule
    common = dict(plan_id=pid, agreement=agreement, rule_text=rule.text if rule else None,
                  rule_row=rule.row if rule else None, rule_level=rule.level if rule else None, gap=sel.gap,
                  rule_verified=rule.verified if rule else None)
    single = len(sel.product_codes) == 1 and len(sel.product_codes[0]) == 6
    # several candidates sharing one rule (a transposition split): the engine's tariff shift needs the
    # same verdict for every candidate, which the kernel evaluates like several material candidates
    six = len(sel.product_codes) >= 1 and all(len(c) == 6 for c in sel.product_codes)
    if rule is None and sel.alternatives:
        # a split whose candidates carry different rules: the engine evaluates each (and asks only if
        # they disagree)
        return Plan(status="fallback", product_code=None, **common)
    if rule is None:
        # A gap: undetermined unless produced exclusively from originating materials; the PE test
        # does not look at product codes, so any gap is kernel work.
        return Plan(status="gap", product_code=sel.product_codes[0] if single else None, **common)
    if not six:
        return Plan(status="fallback", product_code=None, **common)
    compiled = _compiled(rule.text)
    if compiled is None:
        return Plan(status="fallback", product_code=sel.product_codes[0], **common)
    return Plan(status="rule", product_code=sel.product_codes[0], tree=compiled[0], leaves=compiled[1],
                product_codes=tuple(sel.product_codes), **common)


# leaf states: Q met, M met thanks to de minimis, D not met, U undetermined
STATE_CHAR = "QMDU"     # compiled.MET, MET_DE_MINIMIS, NOT_MET, UNDETERMINED


def _combine(node: Node, states: str, leaves: list[Leaf]
             ) -> tuple[str, list[tuple[str, str]], bool, int | None]:
    """The engine's any_of/all_of/split on leaf results: (outcome Q/D/U, criterion parts, de minimis used,
    the leaf whose de minimis share the engine reports — evaluate._merge keeps the last one in tree
    order, any_of the winner's when it has one, an undecided split none)."""
    if node.op == "leaf":
        leaf, state = leaves[node.leaf], states[node.leaf]
        share = node.leaf if leaf.kind == "TS" and state != "Q" else None
        if state in "QM":
            part = ("CTC", SHIFT_NAME[leaf.level]) if leaf.kind == "TS" else ("RVC", "{r}")
            return "Q", ([] if leaf.kind == "OW" else [part]), state == "M", share
        return state, [], False, share
    results = [_combine(c, states, leaves) for c in node.children]
    last_share = next((r[3] for r in reversed(results) if r[3] is not None), None)
    if node.op == "any":
        winner = next((r for r in results if r[0] == "Q"), None)
        if winner:
            return "Q", winner[1], winner[2], winner[3] if winner[3] is not None else last_share
        return ("U" if any(r[0] == "U" for r in results) else "D"), [], False, last_share
    if node.op == "split":
        outcomes = {r[0] for r in results}
        if len(outcomes) == 1 and "U" not in outcomes:
            outcome = outcomes.pop()
            return outcome, (results[0][1] if outcome == "Q" else []), False, last_share
        return "U", [], False, None
    outcomes = {r[0] for r in results}
    if "D" in outcomes:
        return "D", [], False, last_share
    if "U" in outcomes:
        return "U", [], False, last_share
    return "Q", [p for r in results for p in r[1]], any(r[2] for r in results), last_share


OUTCOME_NAME = {"Q": "qualifies", "D": "does_not_qualify", "U": "undetermined"}
_ORDER = _CRITERION_ORDER       # the engine's order of a combination's parts (not restated here)


def _templates(agreement: str, parts: list[tuple[str, str]], rule_level: str | None) -> tuple[str | None, str | None]:
    """Criterion and form-code templates (``{r}``: the RVC percentage, floored) — the engine's
    ``_criterion`` and ``_form_code`` without the ACU/DMI suffixes (added per row)."""
    if not parts:
        return None, None
    parts = sorted(parts, key=lambda p: _ORDER[p[0]])
    criterion = " + ".join("RVC {r}%" if k == "RVC" else v for k, v in parts)
    form = form_template(agreement, parts, rule_level)
    return criterion, form


def states_of(key: int, n: int) -> str:
    return "".join(STATE_CHAR[(key >> (2 * i)) & 3] for i in range(n))


def _pattern(plan: Plan, key: int) -> tuple:
    """(outcome, criterion template, form template, de minimis used, reason, share leaf) for a plan and
    a packed pattern of leaf states (2 bits per leaf)."""
    states = states_of(key, len(plan.leaves))
    outcome, parts, dm, share = _combine(plan.tree, states, plan.leaves)
    crit, form = _templates(plan.agreement, parts, plan.rule_level) if outcome == "Q" else (None, None)
    reason = rule_reason(outcome, [(leaf.kind, leaf.label, leaf.threshold) for leaf in plan.leaves], states,
                         any(n.op == "split" for n in _nodes(plan.tree)))
    return OUTCOME_NAME[outcome], crit, form, dm, reason, share


def _nodes(node: Node):
    yield node
    for c in node.children:
        yield from _nodes(c)


# --- routes and provisions -------------------------------------------------------------------

@cache
def _route_table(exporter: str, importer: str, on: dt.date, wanted: tuple[str, ...] | None
                 ) -> tuple[tuple[str, bool | None], ...]:
    from noodlebowl.agreements.registry import agreements_for_route

    status = {a.agreement: a for a in agreements_for_route(exporter, importer, on).agreements}
    names = wanted or MODELLED
    return tuple((a, status[a].in_force) for a in names if a in status and status[a].in_force is not False)


@cache
def _uncovered(exporter: str, importer: str, on: dt.date) -> frozenset[str]:
    """Agreements whose rules for the route and date are not in the data (registry status not_covered)."""
    from noodlebowl.agreements.registry import agreements_for_route

    return frozenset(a.agreement for a in agreements_for_route(exporter, importer, on).agreements
                     if a.status == "not_covered")


@cache
def parties(agreement: str) -> frozenset[str]:
    from noodlebowl.agreements.registry import parties as registry_parties
    return frozenset(p.iso2 for p in registry_parties(agreement))


@cache
def _provisions_row(agreement: str, on: dt.date) -> dict:
    from noodlebowl.origin.provisions_view import origin_provisions

    table = rule_table(agreement, on).edition
    if table is None:       # the agreement's rules for the date are not in the data (engine: undetermined)
        return dict.fromkeys(_PROVISIONS_SCHEMA) | {"table": NO_TABLE}
    try:
        p = origin_provisions(agreement, on)
    except DateOutOfRange:   # no rules of the agreement in the data for the date: the engine says so
        return dict.fromkeys(_PROVISIONS_SCHEMA) | {"table": NO_TABLE}
    vn, vd = _ratio(p.de_minimis_value_percent) if p.de_minimis_value_percent is not None else (None, None)
    wn, wd = _ratio(p.de_minimis_weight_percent) if p.de_minimis_weight_percent is not None else (None, None)
    lo, hi = p.de_minimis_weight_chapters or (None, None)
    band = _partial_cumulation_band(agreement, on)
    return {"dmv_num": vn, "dmv_den": vd, "dmw_num": wn, "dmw_den": wd, "dmw_lo": lo, "dmw_hi": hi,
            "bd_allowed": "build_down" in p.rvc_methods, "bu_allowed": "build_up" in p.rvc_methods,
            "pc_lo": band[0], "pc_hi": band[1], "table": EDITION_INDEX[table]}


def _partial_cumulation_band(agreement: str, on: dt.date) -> tuple[int | None, int | None]:
    """The RVC band of a Form D "PC x%" (ATIGA Art. 30(2), Annex 6), whole percentages, or (None, None)."""
    from noodlebowl.agreements.provisions import provision

    band = provision(agreement, "cumulation.partial", on).value
    if not isinstance(band, dict):
        return None, None
    lo, hi = Decimal(str(band["min_rvc_percent"])), Decimal(str(band["max_rvc_percent_exclusive"]))
    if lo != lo.to_integral_value() or hi != hi.to_integral_value():
        raise ValueError(f"{agreement} partial-cumulation band {lo}-{hi}: the kernel compares whole percentages")
    return int(lo), int(hi)


_TRANSPOSED: dict[tuple[str, str, str], tuple[str, ...]] = {}


def _transposed(code: str, edition: str, table_edition: str) -> tuple[str, ...]:
    key = (code, edition, table_edition)
    hit = _TRANSPOSED.get(key)
    if hit is None:
        hit = plancache.TRANSPOSED.get(key)
        if hit is None:
            from noodlebowl.origin.engine import _transposed as engine_transposed
            plancache.computed()
            hit = engine_transposed(code, edition, table_edition)
        _TRANSPOSED[key] = hit
    return hit


def transposed_known() -> dict[tuple[str, str, str], tuple[str, ...]]:
    return _TRANSPOSED


# --- process-wide lookup tables -------------------------------------------------------------

@cache
def _leaf_flags(rule_text: str | None) -> tuple[bool, bool, bool]:
    """Has the rule a tariff shift, exception ranges, a weight proviso? (per rule text, not per plan)"""
    parsed = _compiled(rule_text) if rule_text else None
    leaves = parsed[1] if parsed else []
    return (any(leaf.kind == "TS" for leaf in leaves), any(leaf.exceptions for leaf in leaves),
            any(leaf.kind == "OW" for leaf in leaves))


def plan_key(hs: pl.Expr, edition: pl.Expr, a_idx: pl.Expr, table: pl.Expr) -> pl.Expr:
    """(product code, edition, rule table's edition, agreement) as one integer: the plan table is joined
    on it, far cheaper than on texts. The code's length is part of it (a code of fewer than 6 digits has
    its plan); ``table`` indexes EDITIONS (NO_TABLE: none in the data for the date); the agreement takes
    NA values, so any number of modelled agreements fits."""
    return (((hs.cast(pl.Int64) * 16 + hs.str.len_bytes().cast(pl.Int64)) * 4
             + edition.replace_strict(EDITION_INDEX, return_dtype=pl.Int64)) * 4 + table) * NA + a_idx


def _plan_row(key: int):
    agreement, table, edition, rest = (MODELLED[key % NA], key // NA % 4, EDITIONS[key // NA // 4 % 4],
                                       key // NA // 16)
    plan = plan_for(agreement, str(rest // 16).zfill(rest % 16), edition,
                    None if table == NO_TABLE else EDITIONS[table])
    codes = [int(c) for c in plan.product_codes] or None
    yield (key, plan.shape_id, plan.status,
           int(plan.product_code) if plan.product_code and len(plan.product_code) == 6 else None,
           codes, len(plan.product_codes), plan.rule_text, plan.rule_row, plan.rule_level, plan.rule_verified, plan.gap,
           *(_leaf_flags(plan.rule_text) if plan.status == "rule" else (False, False, False)))


_plan_table = Memo(["plan_key"],
                    {"plan_key": pl.Int64, "shape_id": pl.Int64,
                     "status": pl.String, "pcode": pl.Int64, "pcodes": pl.List(pl.Int64), "pn": pl.Int64,
                     "rule_text": pl.String, "rule_row": pl.String, "rule_level": pl.String,
                     "rule_verified": pl.String, "gap": pl.String,
                     "has_ts": pl.Boolean, "has_exc": pl.Boolean, "has_ow": pl.Boolean}, _plan_row)


_pattern_table = Memo(["shape_id", "key"],
                       {"shape_id": pl.Int64, "key": pl.Int64, "outcome": pl.String, "crit_tpl": pl.String,
                        "form_tpl": pl.String, "dm_used": pl.Boolean, "pattern_reason": pl.String,
                        "share_leaf": pl.Int64},
                       lambda s, k: [(s, k, *_pattern(_SHAPE_PLANS[s], k))])


# --- the kernel ------------------------------------------------------------------------------

PRODUCT_SCHEMA = {"product_id": pl.String, "hs6": pl.String, "edition": pl.String, "exporter": pl.String,
                  "importers": pl.List(pl.String), "date": pl.Date, "fob": pl.Int64, "weight": pl.Int64,
                  "costs_total": pl.Int64, "facts": pl.String}
# BOM lines as the kernel reads them (catalog.validate_lines): mcode is a 6-digit code as an integer (null:
# unknown, or ``odd`` — a code of fewer digits, left to the engine — with the text in mhs); origin_id and
# exporter ids index ORIGINS; decl has a bit per agreement the line is declared originating under
# (AGREEMENT_BIT; "true" sets them all); kind indexes KINDS. ``pidx`` (the row of the product in the
# products frame) may replace product_id.
# rcp (ATIGA partial cumulation content, micro-percent), sep (an accessory invoiced separately) and
# customary: a line that states any of them sends its product to the engine (fallback), where the law
# reads them — rare lines, so nothing of that law is written a second time here.
LINE_SCHEMA = {"product_id": pl.String, "mcode": pl.Int64, "odd": pl.Boolean, "mhs": pl.String,
               "origin_id": pl.Int32, "decl": pl.Int8, "value": pl.Int64, "weight": pl.Int64, "kind": pl.Int8,
               "rcp": pl.Int64, "sep": pl.Boolean, "customary": pl.Boolean}
LINE_DEFAULTS = {"rcp": None, "sep": False, "customary": True}
KINDS = ("material", "retail_packaging", "packing", "accessory", "indirect")
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
AGREEMENT_BIT = {a: 1 << i for i, a in enumerate(MODELLED)}
if len(AGREEMENT_BIT) > 7:  # ``decl`` is an Int8 bit set (catalog.py, compiled.py): widen it first
    raise RuntimeError(f"{len(AGREEMENT_BIT)} modelled agreements do not fit the Int8 'decl' bit set")
ALL_AGREEMENTS = sum(AGREEMENT_BIT.values())
EDITIONS = ("HS2012", "HS2017", "HS2022")
EDITION_INDEX = {e: i for i, e in enumerate(EDITIONS)}
NO_TABLE = len(EDITIONS)      # an agreement with no rule table in the data for the date

# Country codes (and "unknown") as small integers, growing as catalogs name them
ORIGINS: list[str] = ["unknown"]
_ORIGIN_INDEX: dict[str, int] = {"unknown": 0}


_ORIGIN_LOCK = threading.Lock()       # BOM lines are read and checked in a helper thread too


def origin_id(code: str | None) -> int:
    code = code or "unknown"
    i = _ORIGIN_INDEX.get(code)
    if i is None:
        with _ORIGIN_LOCK:
            i = _ORIGIN_INDEX.get(code)
            if i is None:
                ORIGINS.append(code)
                i = _ORIGIN_INDEX[code] = len(ORIGINS) - 1
    return i


def _party_ids(agreement: str) -> list[int]:
    return [origin_id(p) for p in sorted(parties(agreement))]


A_INDEX = {a: i for i, a in enumerate(MODELLED)}
_PE_AGREEMENT = np.array([a in PRODUCED_EXCLUSIVELY for a in MODELLED])
NA = len(MODELLED)


_PROVISIONS_SCHEMA = {"dmv_num": pl.Int64, "dmv_den": pl.Int64, "dmw_num": pl.Int64, "dmw_den": pl.Int64,
                      "dmw_lo": pl.Int64, "dmw_hi": pl.Int64, "bd_allowed": pl.Boolean, "bu_allowed": pl.Boolean,
                      "pc_lo": pl.Int64, "pc_hi": pl.Int64, "table": pl.Int64}


def _provisions(a_idx: pl.Series, date: pl.Series) -> pl.DataFrame:
    """The origin provisions (de minimis, RVC methods, rule table) of each row's agreement on its date: worked out
    per distinct (agreement, date) — a chunk has a few — and gathered."""
    distinct, row = np.unique(date.cast(pl.Int32).to_numpy().astype(np.int64) * NA + a_idx.to_numpy(),
                              return_inverse=True)
    epoch = dt.date(1970, 1, 1)
    table = pl.DataFrame([_provisions_row(MODELLED[k % NA], epoch + dt.timedelta(days=int(k // NA)))
                          for k in distinct.tolist()], schema=_PROVISIONS_SCHEMA)
    return table[row]


def _for_product(pa: pl.DataFrame) -> pl.DataFrame:
    """The value de minimis limit for each row's good (engine: ``Provisions.for_product``): only
    agreements whose limit depends on the good's chapter or subheading (AJCEP) change anything."""
    from noodlebowl.origin.provisions_view import origin_provisions

    c = pl.col
    code = c("pcodes").list.first()
    keys = pa.filter(c("table") != NO_TABLE).select(c("a_idx"), c("date"), code.alias("fp_code")).unique().drop_nulls()
    rows = []
    for a, day, code6 in keys.iter_rows():
        general = origin_provisions(MODELLED[a], day)
        own = general.for_product(f"{code6:06d}")
        if own is not general:
            vn, vd = _ratio(own.de_minimis_value_percent) if own.de_minimis_value_percent is not None else (None, None)
            rows.append((a, day, code6, vn, vd))
    if not rows:
        return pa
    scoped = pl.DataFrame(rows, orient="row", schema={"a_idx": pl.Int64, "date": pl.Date, "fp_code": pl.Int64,
                                                      "fp_num": pl.Int64, "fp_den": pl.Int64})
    joined = pa.with_columns(fp_code=code).join(scoped.with_columns(fp_hit=pl.lit(True)),
                                                  on=["a_idx", "date", "fp_code"], how="left", maintain_order="left")
    hit = c("fp_hit").fill_null(False)
    return joined.with_columns(dmv_num=pl.when(hit).then(c("fp_num")).otherwise(c("dmv_num")),
                               dmv_den=pl.when(hit).then(c("fp_den")).otherwise(c("dmv_den"))
                               ).drop("fp_code", "fp_num", "fp_den", "fp_hit")


def determine_chunk(products: pl.DataFrame, lines: pl.DataFrame, agreements: tuple[str, ...] | None = None,
                    *, data_version: str | None = None) -> pl.DataFrame:
    """Determinations for validated products (``PRODUCT_SCHEMA``) and their BOM lines (``LINE_SCHEMA``)."""
    from noodlebowl import refdata

    c = pl.col
    version = data_version or refdata.data_version()
    schema = dict(LINE_SCHEMA)
    if "pidx" in lines.columns:      # the row of the line's product in ``products``
        del schema["product_id"]
        schema["pidx"] = pl.Int64
    lines = lines.select((c(name) if name in lines.columns else pl.lit(LINE_DEFAULTS[name])).cast(dtype).alias(name)
                         for name, dtype in schema.items())
    if products.is_empty():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    products = products.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("pidx"),
                               *((c(name) if name in products.columns else pl.lit(None)).cast(dtype).alias(name)
                                 for name, dtype in PRODUCT_SCHEMA.items()))
    uncertain, pending = _doubtful_declarations(products, lines)
    if not (uncertain | pending).any():
        return _determine_once(products, lines, agreements, version)
    # A material declared originating in a party for which the agreement is not surely in force on the date
    # counts as non-originating (engine._views); where the good then fails but would not fail with the
    # uncertain ones originating, the answer is undetermined (engine.determine_one) — two passes of the kernel.
    decl = lines["decl"].to_numpy()
    first = _determine_once(products, lines.with_columns(decl=pl.Series(decl & ~(uncertain | pending))),
                            agreements, version)
    if not uncertain.any():
        return first
    # the second pass only for the products with such a line, their uncertain declarations kept
    doubted = np.zeros(products.height, np.bool_)
    line_pidx = _line_pidx(products, lines)
    doubted[line_pidx[uncertain != 0]] = True
    keep = pl.Series(doubted)
    subset = products.filter(keep).with_columns(pidx=pl.int_range(pl.len(), dtype=pl.Int64))
    renumber = np.full(products.height, -1, np.int64)
    renumber[np.flatnonzero(doubted)] = np.arange(int(doubted.sum()))
    sub_lines = lines.with_columns(decl=pl.Series(decl & ~pending)).filter(pl.Series(doubted[line_pidx]))
    if "pidx" in sub_lines.columns:
        sub_lines = sub_lines.with_columns(pidx=pl.Series(renumber[sub_lines["pidx"].to_numpy()]))
    second = _determine_once(subset, sub_lines, agreements, version)
    c = pl.col
    on = ["product_id", "importer", "agreement"]
    opened = first.select(on).join(
        second.filter(c("outcome") != "does_not_qualify").select(on).unique().with_columns(open=pl.lit(True)),
        on=on, how="left", maintain_order="left")["open"].fill_null(False) & (first["outcome"] == "does_not_qualify")
    return first.with_columns(outcome=pl.when(opened).then(pl.lit("undetermined")).otherwise(c("outcome")),
                              criterion=pl.when(opened).then(None).otherwise(c("criterion")),
                              form_code=pl.when(opened).then(None).otherwise(c("form_code")))


def _line_pidx(products: pl.DataFrame, lines: pl.DataFrame) -> np.ndarray:
    """Each line's product row (``pidx``), joined on the product id when the lines do not carry it."""
    if "pidx" in lines.columns:
        return lines["pidx"].to_numpy()
    return lines.select("product_id").join(products.select("product_id", "pidx"), on="product_id", how="left",
                                           maintain_order="left")["pidx"].fill_null(0).to_numpy()


def _doubtful_declarations(products: pl.DataFrame, lines: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per BOM line, the bits (AGREEMENT_BIT) of the agreements under which it is declared originating in
    a party other than the exporter for which the agreement is in force on the product's date uncertainly
    (contested, or no date in the data) — and not yet (pending). RCEP Art. 3.4(1); engine.uncertain_materials."""
    from noodlebowl.agreements.registry import parties_on

    uncertain = np.zeros(lines.height, np.int8)
    pending = np.zeros(lines.height, np.int8)
    if lines.is_empty():
        return uncertain, pending
    pidx = _line_pidx(products, lines)
    dates, date_of_product = np.unique(products["date"].to_numpy(), return_inverse=True)
    line_date = date_of_product[pidx]
    exporter = products["exporter"].replace_strict(_ORIGIN_INDEX, default=-1, return_dtype=pl.Int64).to_numpy()
    origin = lines["origin_id"].fill_null(-1).to_numpy().astype(np.int64)
    foreign = (origin >= 0) & (origin != exporter[pidx])
    decl = lines["decl"].to_numpy()
    for agreement in MODELLED:
        bit = AGREEMENT_BIT[agreement]
        doubt = np.zeros((2, len(dates), len(ORIGINS)), dtype=np.bool_)
        for d, day in enumerate(dates.tolist()):
            status = parties_on(agreement, day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10]))
            for which, isos in enumerate((status.uncertain, status.pending)):
                for iso2 in isos:
                    if iso2 in _ORIGIN_INDEX:
                        doubt[which, d, _ORIGIN_INDEX[iso2]] = True
        if not doubt.any():
            continue
        hit = foreign & ((decl & bit) != 0)
        at = np.clip(origin, 0, None)
        uncertain |= np.where(hit & doubt[0][line_date, at], bit, 0).astype(np.int8)
        pending |= np.where(hit & doubt[1][line_date, at], bit, 0).astype(np.int8)
    return uncertain, pending


def _determine_once(products: pl.DataFrame, lines: pl.DataFrame, agreements: tuple[str, ...] | None,
                    version: str) -> pl.DataFrame:
    """One pass of the kernel over normalised products and lines (see :func:`determine_chunk`)."""
    c = pl.col
    # 1. routes: (product, importer, agreement, in_force) — per distinct (exporter, importer, date)
    pairs = products.select("pidx", "exporter", "date", importer="importers").explode("importer")
    distinct = pairs.select("exporter", "importer", "date").unique().rows()
    rank = {importer: i for i, importer in enumerate(sorted({i for _, i, _ in distinct if i is not None}))}
    route_rows = [(e, i, d, a, A_INDEX[a], f, rank.get(i, -1), a not in _uncovered(e, i, d)) for e, i, d in distinct
                  for a, f in _route_table(e, i, d, agreements)]
    routes = pl.DataFrame(route_rows, schema={"exporter": pl.String, "importer": pl.String, "date": pl.Date,
                                              "agreement": pl.String, "a_idx": pl.Int64, "in_force": pl.Boolean,
                                              "i_rank": pl.Int64, "covered": pl.Boolean}, orient="row")
    # in the products' order: the answers' order (step 7) is then nearly sorted already
    rows = pairs.join(routes, on=["exporter", "importer", "date"], how="inner", maintain_order="left")
    if rows.is_empty():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)

    # 2. (product, agreement), in pa_key = pidx·3 + agreement order, with the plan and the provisions in
    #    force on the date
    present = np.zeros(products.height * NA, bool)
    present[rows["pidx"].to_numpy() * NA + rows["a_idx"].to_numpy()] = True
    keys = np.flatnonzero(present)
    a_idx = pl.Series("a_idx", keys % NA)
    pa = products.drop("importers")[keys // NA].with_columns(
        a_idx=a_idx, agreement=pl.Series(MODELLED).gather(a_idx), pa_key=pl.Series(keys))
    pa = pa.hstack(_provisions(pa["a_idx"], pa["date"]))
    pa = _plan_table.join(pa.with_columns(plan_key=plan_key(c("hs6"), c("edition"), c("a_idx"), c("table"))))
    pa = _for_product(pa)

    # 3. per (product, agreement): which lines are originating (engine._views) and the sums the rules
    #    need, tariff shifts included — one compiled pass over the lines (batch.compiled)
    if "pidx" not in lines.columns:
        lines = lines.join(products.select("product_id", "pidx"), on="product_id")
    ln = _line_arrays(lines, products, set(pa["table"].unique().to_list()) - {NO_TABLE})
    per_a = _per_product_arrays(pa, products.height)
    sums = _line_sums(ln, per_a, products.height)
    at = (pa["a_idx"].to_numpy(), pa["pidx"].to_numpy())
    # produced exclusively from originating materials; rows the engine answers (fallback)
    no_table = (pa["status"] == "no_table").fill_null(False).to_numpy()
    pe = _PE_AGREEMENT[at[0]] & (sums["n_ctc"][at[1]] > 0) & (sums["n_foreign"][at] == 0) & ~no_table
    is_rule = (pa["status"] == "rule").fill_null(False).to_numpy()
    to_engine = ~pe & ((pa["status"] == "fallback").fill_null(False).to_numpy()
                       | (is_rule & sums["odd_code"][at]))
    # the law the kernel does not hold goes to the engine, written once there
    # facts (the catalog's facts column) are read by the engine alone
    to_engine |= (_engine_products(lines, products.height) | products["facts"].is_not_null().to_numpy())[at[1]]
    to_engine |= _engine_codes(pa, ln, products)
    # materials + costs above FOB cannot all be right: the build-up figure is refused, as when costs are
    # missing (engine._costs_problem; ATIGA Art. 29(2)(e))
    costed = ~pa["costs_total"].is_null().to_numpy()
    refused = costed & (sums["vnm"][at] + sums["vom"][at] + pa["costs_total"].fill_null(0).to_numpy()
                        > pa["fob"].to_numpy())
    if refused.any():
        pa = pa.with_columns(costs_total=pl.when(pl.Series(refused)).then(None).otherwise(c("costs_total")))
    pa = pa.with_columns(**{name: pl.Series(sums[name][at]) for name in PER_AGREEMENT_SUMS},
                         **{name: pl.Series(sums[name][at[1]]) for name in PER_PRODUCT_SUMS},
                         pe=pl.Series(pe))

    # 4. tariff shifts: the pass judged single-candidate codes; several candidates are judged here
    #    (compiled.pair_codes) and added to the sums per (product, agreement) and level
    products_candidates = _product_candidates(pa, products.height * NA)
    _add_multi_candidate_codes(ln, sums, products_candidates)

    # 5. leaves: per (product, agreement) with a rule, each leaf's state, and the answer of the pattern
    work = pa[np.flatnonzero(is_rule & ~pe & ~to_engine)]
    per_pa = _leaf_answers(work, sums, ln, products_candidates)

    # 6. one answer per (product, agreement)
    fob = c("fob")
    bd_floor = floor_percent_int(fob - c("vnm"), fob)
    bu_floor = floor_percent_int(c("vom") + c("costs_total"), fob)
    rvc_floor = pl.when(c("bu_allowed") & c("costs_total").is_not_null() & c("bd_allowed")) \
        .then(pl.max_horizontal(bd_floor, bu_floor)) \
        .when(c("bu_allowed") & c("costs_total").is_not_null()).then(bu_floor).otherwise(bd_floor)
    # Rows without RVC figures (no rule, no BOM) never carry the "{r}" placeholder; Polars refuses a
    # null replacement all the same, so give it an empty string.
    rvc_text = rvc_floor.cast(pl.String).fill_null("")
    # the criterion box's accumulation / de minimis codes (engine.form_suffix), per agreement
    acu = c("agreement").replace_strict({a: form_suffix(a, True, False) for a in MODELLED}, return_dtype=pl.String)
    dmi = c("agreement").replace_strict({a: form_suffix(a, False, True) for a in MODELLED}, return_dtype=pl.String)
    suffix = pl.concat_str([pl.when(c("cumulated")).then(acu).otherwise(pl.lit("")),
                            pl.when(c("dm_used")).then(dmi).otherwise(pl.lit(""))])
    rule_form = pl.concat_str([c("form_tpl"), suffix]).str.replace_all("{r}", rvc_text, literal=True)
    pe_form = c("agreement").replace_strict({a: form_template(a, [("PE", "PE")], None) for a in MODELLED},
                                            return_dtype=pl.String)
    pa = pa.hstack(per_pa.drop("pa_key").select(
        pl.all().gather(_rows_at(pa["pa_key"].to_numpy(), per_pa["pa_key"].to_numpy()))))
    pa = pa.with_columns(
        outcome=pl.when(c("pe")).then(pl.lit("qualifies"))
        .when(c("status") == "gap").then(pl.lit("undetermined")).otherwise(c("outcome")),
        criterion=pl.when(c("pe")).then(pl.lit("PE"))
        .otherwise(c("crit_tpl").str.replace_all("{r}", rvc_text, literal=True)),
        form_code=pl.when(c("pe")).then(
            pl.when(c("cumulated")).then(pl.concat_str([pe_form, acu])).otherwise(pe_form))
        .otherwise(rule_form),
        bd_part=fob - c("vnm"),
        bu_part=c("vom") + c("costs_total"),
        dm_part=pl.when(~c("pe") & (c("status") == "rule")).then(c("share_val")),
        reason=pl.when(c("pe")).then(pl.lit(None, pl.String))
        .when(c("status") == "gap").then(pl.lit(GAP_PREFIX) + c("gap"))
        .otherwise(c("pattern_reason")),
        de_minimis_used=pl.when(~c("pe") & (c("status") == "rule") & c("share_val").is_not_null())
        .then(pl.when(c("dm_used")).then(pl.lit(FLAG_TEXT[True])).otherwise(pl.lit(FLAG_TEXT[False]))),
    )
    # a chapter note that denies origin to simple assembly or mixing (ACFTA chapters 27, 84, 85, 90) turns a
    # good that meets its rule into a question (engine._apply_chapter_note): the catalog has no facts
    noted = pl.Series(_by_code(pa, _has_chapter_note)) & (c("outcome") == "qualifies") & ~c("pe")
    pa = pa.with_columns(
        outcome=pl.when(noted).then(pl.lit("undetermined")).otherwise(c("outcome")),
        criterion=pl.when(noted).then(pl.lit(None, pl.String)).otherwise(c("criterion")),
        form_code=pl.when(noted).then(pl.lit(None, pl.String)).otherwise(c("form_code")),
        reason=pl.when(noted).then(pl.lit(reasons.CHAPTER_NOTE)).otherwise(c("reason")))
    # a good that does not qualify but whose RVC is in the partial-cumulation band gets "PC x%" on its
    # Form D (engine.partial_cumulation_code; ATIGA Art. 30(2), Annex 6)
    pc = (c("outcome") == "does_not_qualify") & (c("status") == "rule") & ~c("pe") & c("pc_lo").is_not_null() \
        & (rvc_floor >= c("pc_lo")) & (rvc_floor < c("pc_hi"))
    pa = pa.with_columns(form_code=pl.when(pc.fill_null(False)).then(pl.lit("PC ") + rvc_text + pl.lit("%"))
                         .otherwise(c("form_code")))
    # ATIGA Art. 28(3): a good that may be an ITA product and fails its rule waits for the ITA questions
    # (engine._ita_rule); the catalog has no facts
    ita = pl.Series(_by_code(pa, _ita_candidate)) & (c("outcome") != "qualifies") & ~c("pe") \
        & (c("status") == "rule").fill_null(False)
    pa = pa.with_columns(
        outcome=pl.when(ita).then(pl.lit("undetermined")).otherwise(c("outcome")),
        criterion=pl.when(ita).then(pl.lit(None, pl.String)).otherwise(c("criterion")),
        form_code=pl.when(ita).then(pl.lit(None, pl.String)).otherwise(c("form_code")),
        reason=pl.when(ita).then(pl.lit(reasons.ITA_RULE)).otherwise(c("reason")))
    pa = pa.with_columns(caveats=_caveats(pa))
    # no rule table in the data for the date: the answer does not depend on the product
    # (engine._no_rules_on_date), so it is said here, never computed a row at a time
    to_engine &= ~no_table
    engine_rows = pa[np.flatnonzero(to_engine)] if to_engine.any() else None
    if engine_rows is not None:
        pa = pa[np.flatnonzero(~to_engine)]
    # the three percentages in one division
    parts = pa.select(c("bd_part", "bu_part", "dm_part", "fob").cast(pl.Int64))
    text = exact_percent(pl.concat([parts["bd_part"], parts["bu_part"], parts["dm_part"]]),
                         pl.concat([parts["fob"]] * 3))
    kernel = pa.select(
        "pidx", "agreement", "a_idx", "outcome", "criterion", "form_code", "rule_text", "rule_row", "rule_verified",
        rvc_build_down=text.slice(0, pa.height), rvc_build_up=text.slice(pa.height, pa.height),
        de_minimis_share=text.slice(2 * pa.height, pa.height), de_minimis_used="de_minimis_used", reason="reason",
        caveats="caveats")
    if no_table.any():
        blank = pa["status"] == "no_table"
        kernel = kernel.with_columns(
            outcome=pl.when(blank).then(pl.lit("undetermined")).otherwise(c("outcome")),
            reason=pl.when(blank).then(pl.lit(NO_RULES_ON_DATE)).otherwise(c("reason")),
            **{name: pl.when(blank).then(None).otherwise(c(name)) for name in (
                "criterion", "form_code", "rule_text", "rule_row", "rule_verified", "rvc_build_down", "rvc_build_up",
                "de_minimis_share", "de_minimis_used", "caveats")})
    if engine_rows is not None:
        kernel = pl.concat([kernel, fallback(engine_rows, products, lines).drop("product_id").with_columns(
            a_idx=c("agreement").replace_strict(A_INDEX, return_dtype=pl.Int64))], how="align")

    # 7. per importer, ordered by product, importer and agreement: each row takes its (product,
    #    agreement)'s answer; an agreement whose entry into force is uncertain never qualifies outright
    return _per_importer(rows, kernel, products, version)


def _caveats(pa: pl.DataFrame) -> pl.Series:
    """The caveat codes (origin.reasons.caveat_codes) of each (product, agreement) row, worked out per
    distinct (path, verification, level, outcome): a catalog has a handful. Rows with facts go to the engine; an
    uncertain entry into force is added per importer (_per_importer)."""
    c = pl.col
    keys = pa.select(path=pl.when(c("pe")).then(pl.lit("pe")).when(c("status") == "gap").then(pl.lit("gap"))
                     .otherwise(pl.lit("rule")), verified=c("rule_verified"), level=c("rule_level"),
                     qualifies=(c("outcome") == "qualifies").fill_null(False))
    distinct = keys.unique()
    codes = distinct.with_columns(caveats=pl.Series(
        [CAVEAT_SEPARATOR.join(caveat_codes(p, v, lv, q, False, False)) or None for p, v, lv, q in distinct.rows()],
        dtype=pl.String))
    return keys.join(codes, on=list(keys.columns), how="left", maintain_order="left", nulls_equal=True)["caveats"]


def _engine_products(lines: pl.DataFrame, n_products: int) -> np.ndarray:
    """Per product: has it a line whose provisions only the engine reads (see LINE_SCHEMA)?"""
    special = lines.select(pl.col("rcp").is_not_null() | pl.col("sep").fill_null(False)
                           | ~pl.col("customary").fill_null(True)).to_series().to_numpy()
    out = np.zeros(n_products, bool)
    out[lines["pidx"].to_numpy()[special]] = True
    return out


def _by_code(pa: pl.DataFrame, predicate) -> np.ndarray:
    """``predicate(agreement, hs6, edition, date)`` for each row of ``pa``, worked out once per distinct key."""
    on = ["agreement", "hs6", "edition", "date"]
    codes = pa.select(on).unique()
    flagged = [row for row in codes.iter_rows() if predicate(*row)]
    mask = np.zeros(pa.height, dtype=np.bool_)
    if flagged:
        keys = pl.DataFrame(flagged, schema={"agreement": pl.String, "hs6": pl.String, "edition": pl.String,
                                             "date": pl.Date}, orient="row").with_columns(flag=pl.lit(True))
        mask = pa.select(on).join(keys, on=on, how="left", maintain_order="left")["flag"].fill_null(False).to_numpy()
    return mask


def _engine_codes(pa: pl.DataFrame, ln: dict[str, np.ndarray], products: pl.DataFrame) -> np.ndarray:
    """(product, agreement) rows on which the engine would ask a question the kernel does not hold: a
    put-up product with a material of its own chapter (RCEP Art. 3.6(b)), an aquatic product with seed
    stock among its lines (RCEP Art. 3.3(d)). Only those rows go to the engine (it is slower)."""
    from noodlebowl.origin.engine import aquatic_materials, put_up_code

    out = np.zeros(pa.height, dtype=np.bool_)
    put_up = _by_code(pa, put_up_code)
    prefixes = {(a, h, d): aquatic_materials(a, h, d) for a, h, d in
                pa.select("agreement", "hs6", "date").unique().iter_rows()}
    aquatic = _by_code(pa, lambda a, h, e, d: bool(prefixes[(a, h, d)]))
    if not (put_up.any() or aquatic.any()) or not len(ln["pidx"]):
        return out
    n = products.height
    chapter = products["hs6"].str.slice(0, 2).cast(pl.Int64, strict=False).fill_null(-1).to_numpy()
    # the material's own code and its single candidate in each rule table's edition (chapters rarely move)
    codes = [np.where(ln["known"], ln["mcode"], -1)] + [
        np.where(ln["table_count"][t] == 1, ln["table_code"][t], -1) for t in range(ln["table_code"].shape[0])]
    same_chapter, seed = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    wanted = {p for v in prefixes.values() for p in v}
    for code in codes:
        same_chapter[ln["pidx"][(code >= 0) & (code // 10_000 == chapter[ln["pidx"]])]] = True
        for prefix in wanted:
            seed[ln["pidx"][(code >= 0) & (code // 10 ** (6 - len(prefix)) == int(prefix))]] = True
    at = pa["pidx"].to_numpy()
    return (put_up & same_chapter[at]) | (aquatic & seed[at])


def _ita_candidate(agreement: str, hs6: str | None, edition: str, on: dt.date) -> bool:
    from noodlebowl.origin.engine import ita_candidate
    return hs6 is not None and ita_candidate(agreement, hs6, edition, on)


def _has_chapter_note(agreement: str, hs6: str | None, edition: str, on: dt.date) -> bool:
    from noodlebowl.origin.engine import chapter_note
    return hs6 is not None and chapter_note(agreement, hs6, on) is not None


def _rows_at(keys: np.ndarray, table_keys: np.ndarray) -> pl.Series:
    """For each of ``keys`` (≥ 0), the row of ``table_keys`` that holds it, null where none does: the row
    map of a left join on a unique integer key, by array (gather with it: ``pl.all().gather``)."""
    at = np.full(max(int(keys.max(initial=-1)), int(table_keys.max(initial=-1))) + 1, -1, np.int64)
    at[table_keys] = np.arange(len(table_keys))
    row = at[keys]
    return pl.Series(row).set(pl.Series(row < 0), None)


# the code an uncertain entry into force adds to a qualifying answer's caveats
_UNCERTAIN_CODE = caveat_codes("facts", None, None, True, True, True)[0]


def _per_importer(rows: pl.DataFrame, kernel: pl.DataFrame, products: pl.DataFrame, version: str) -> pl.DataFrame:
    """The output: a row per route row (product, importer, agreement), in that order, with the answer of
    its (product, agreement) in ``kernel``; where the agreement's entry into force on the route is
    uncertain, a "qualifies" becomes undetermined."""
    c = pl.col
    at_key = np.full(products.height * NA, -1, np.int64)
    at_key[kernel["pidx"].to_numpy() * NA + kernel["a_idx"].to_numpy()] = np.arange(kernel.height)
    pidx, a_idx, importer = rows["pidx"].to_numpy(), rows["a_idx"].to_numpy(), rows["i_rank"].to_numpy()
    # products sorted by id (as the runner gives them): their row number orders them, cheaper than the text
    ids = products["product_id"]
    by_product = pidx if ids.is_sorted() else ids.rank("dense").to_numpy().astype(np.int64)[pidx]
    order = np.argsort((by_product * (importer.max(initial=0) + 1) + importer) * NA + a_idx, kind="stable")
    taken = at_key[pidx * NA + a_idx][order]
    order, taken = order[taken >= 0], taken[taken >= 0]
    answers = kernel[taken]
    made = {"product_id": ids.gather(pidx[order]), "importer": rows["importer"].gather(order),
            "data_version": pl.repeat(version, len(order), dtype=pl.String, eager=True)}
    out = pl.DataFrame([made[name].alias(name) if name in made else answers[name] for name in OUTPUT_COLUMNS])
    covered = rows["covered"].gather(order)
    if not covered.all():   # the rules that apply are not in the data: undetermined (engine._no_rules_on_date)
        gone = pl.Series(~covered)
        out = out.with_columns(
            outcome=pl.when(gone).then(pl.lit("undetermined")).otherwise(c("outcome")),
            reason=pl.when(gone).then(pl.lit(NO_RULES_ON_DATE))
            .otherwise(c("reason")),
            **{name: pl.when(gone).then(None).otherwise(c(name)) for name in (
                "criterion", "form_code", "rule_text", "rule_row", "rule_verified", "rvc_build_down", "rvc_build_up",
                "de_minimis_share", "de_minimis_used", "caveats")})
    in_force = rows["in_force"].gather(order)
    if in_force.null_count():
        uncertain = pl.Series(in_force.is_null()) & (out["outcome"] == "qualifies")
        out = out.with_columns(
            outcome=pl.when(uncertain).then(pl.lit("undetermined")).otherwise(c("outcome")),
            criterion=pl.when(uncertain).then(None).otherwise(c("criterion")),
            form_code=pl.when(uncertain).then(None).otherwise(c("form_code")),
            reason=pl.when(uncertain).then(pl.lit(UNCERTAIN_ENTRY)).otherwise(c("reason")),
            caveats=pl.when(uncertain).then(pl.concat_str([c("caveats"), pl.lit(_UNCERTAIN_CODE)],
                                                          separator=CAVEAT_SEPARATOR, ignore_nulls=True))
            .otherwise(c("caveats")))
    return out if out.schema == OUTPUT_SCHEMA else out.cast(OUTPUT_SCHEMA)


LEAF_KIND = {"TS": 0, "VC": 1, "WO": 2, "OW": 3, "U": 4}      # compiled.LEAF_*


def _leaf_table(shape_ids: list[int]) -> dict[str, np.ndarray]:
    """The leaves of the given shapes as flat arrays, each shape's at leaf_start[shape] (leaf_count of them)."""
    size = max(shape_ids, default=-1) + 1
    table = {"leaf_start": np.zeros(size, np.int64), "leaf_count": np.zeros(size, np.int64)}
    kind, digits, num, den, slot = [], [], [], [], []
    for sid in shape_ids:
        leaves = _SHAPE_PLANS[sid].leaves
        table["leaf_start"][sid], table["leaf_count"][sid] = len(kind), len(leaves)
        slots = 0
        for leaf in leaves:
            tn, td = _ratio(leaf.threshold) if leaf.threshold is not None else (-1, 1)
            kind.append(LEAF_KIND[leaf.kind])
            digits.append(LEVEL_DIGITS.get(leaf.level or "", 6))
            num.append(tn)
            den.append(td)
            # a tariff shift with exception ranges: its place among the shape's (_exception_table's order)
            slot.append(slots if leaf.exceptions else -1)
            slots += bool(leaf.exceptions)
    table |= {"leaf_kind": np.array(kind, np.int64), "leaf_digits": np.array(digits, np.int64),
              "leaf_num": np.array(num, np.int64), "leaf_den": np.array(den, np.int64),
              "leaf_slot": np.array(slot, np.int64)}
    return table


def _leaf_answers(work: pl.DataFrame, sums: dict[str, np.ndarray], ln: dict[str, np.ndarray],
                  products_candidates: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """Per (product, agreement) row with a rule: the pattern of leaf states (compiled.leaf_states) and its
    answer (_pattern: outcome, criterion and form templates, de minimis used, reason), with the value of the
    de minimis share the engine reports (share_val)."""
    from noodlebowl.batch import compiled

    shape_ids = work["shape_id"].unique().to_list()
    leaves = _leaf_table(shape_ids)
    n, width = work.height, max([len(_SHAPE_PLANS[s].leaves) for s in shape_ids], default=0)
    pa_key = work["pa_key"].to_numpy()
    # tariff shifts with exception ranges: their sums per (row of ``work`` whose rule has some, slot)
    x = _exception_table(shape_ids)
    has_exc = x["entry_count"][work["shape_id"].to_numpy()] > 0
    exc_row = np.where(has_exc, np.cumsum(has_exc) - 1, -1)
    row_of = np.full(int(pa_key.max()) + 1 if n else 0, -1, np.int64)
    row_of[pa_key] = exc_row
    excepted = sums["excepted"]
    line, agreement = excepted // NA, excepted % NA
    p = ln["pidx"][line]
    exc_sums, exc_nulls, exc_present = compiled.exception_sums(
        p * NA + agreement, sums["shape_id"][agreement, p], ln["known"][line], ln["value"][line],
        ln["weight"][line], ln["wnull"][line],
        *_material_candidates(ln, line, sums["table_of"][agreement, ln["pidx"][line]]),
        *products_candidates, x["entry_start"], x["entry_count"], x["entry_digits"], x["range_start"],
        x["range_count"], x["range_width"], x["range_low"], x["range_high"], row_of, int(has_exc.sum()),
        int(x["entry_count"].max(initial=0)))

    # the row fields in one query (nulls as a fill value, or a mask beside)
    c = pl.col
    fills = {"shape_id": -1, "pcode": -1, "fob": -1, "weight": 0, "vnm": 0, "vom": 0, "costs_total": 0,
             "n_foreign": 0, "n_ctc": 0, "dmv_num": -1, "dmv_den": 1, "dmw_num": -1, "dmw_den": 1, "dmw_lo": -1,
             "dmw_hi": -1, "w_mat": 0, "w_orig": 0}
    f = work.select(*(c(name).fill_null(fill).cast(pl.Int64) for name, fill in fills.items()),
                    *(c(name).fill_null(False) for name in ("bd_allowed", "bu_allowed", "wnull_mat")),
                    weight_null=c("weight").is_null(), costs_null=c("costs_total").is_null())
    f = {name: f[name].to_numpy() for name in f.columns}
    keys, share, shared = compiled.leaf_states(
        f["shape_id"], leaves["leaf_start"], leaves["leaf_count"], leaves["leaf_kind"], leaves["leaf_digits"],
        leaves["leaf_num"], leaves["leaf_den"], leaves["leaf_slot"], pa_key, f["pcode"], f["fob"], f["weight"],
        f["weight_null"], f["vnm"], f["vom"], f["costs_total"], f["costs_null"], f["n_foreign"], f["n_ctc"],
        f["dmv_num"], f["dmv_den"], f["dmw_num"], f["dmw_den"], f["dmw_lo"], f["dmw_hi"], f["bd_allowed"],
        f["bu_allowed"], f["w_mat"], f["wnull_mat"], f["w_orig"], sums["levels"], sums["level_nulls"], sums["rows"],
        exc_row, exc_sums, exc_nulls, exc_present, width)
    per_pa = pl.DataFrame({"pa_key": pa_key, "shape_id": work["shape_id"], "key": keys, "r": np.arange(n)})
    per_pa = _pattern_table.join(per_pa)
    r, leaf = per_pa["r"].to_numpy(), per_pa["share_leaf"].fill_null(0).to_numpy()
    has_share = per_pa["share_leaf"].is_not_null().to_numpy() & shared[r, leaf] if width else np.zeros(len(r), bool)
    share_val = pl.Series("share_val", share[r, leaf] if width else np.zeros(len(r), np.int64), dtype=pl.Int64)
    return per_pa.with_columns(share_val=share_val.set(pl.Series(~has_share), None)).drop("shape_id", "key", "r")


def _line_arrays(lines: pl.DataFrame, products: pl.DataFrame, tables: set[int]) -> dict[str, np.ndarray]:
    """The chunk's lines as numpy arrays (nulls as 0 beside a mask), with their product's edition and
    exporter; ``pidx`` is the row of the line's product."""
    c = pl.col
    names = products["exporter"].unique().to_list()
    per_product = products.select(
        exporter=c("exporter").replace_strict(names, [origin_id(e) for e in names], return_dtype=pl.Int32),
        ed=c("edition").replace_strict(EDITION_INDEX, return_dtype=pl.Int64))
    # every line column in one query: nulls as 0 beside a mask
    arrays = lines.select(
        "pidx", c("mcode").fill_null(0), known=c("mcode").is_not_null(), odd=c("odd").fill_null(False),
        origin=c("origin_id").fill_null(0), decl=c("decl").fill_null(0), value=c("value").fill_null(0),
        weight=c("weight").fill_null(0), wnull=c("weight").is_null(), kind="kind")
    arrays = {name: arrays[name].to_numpy() for name in arrays.columns}
    pidx = arrays["pidx"]
    arrays |= {"ed": per_product["ed"].to_numpy()[pidx], "exporter": per_product["exporter"].to_numpy()[pidx]}
    arrays["table_code"], arrays["table_count"] = _table_codes(arrays["mcode"], arrays["known"], arrays["ed"], tables)
    return arrays


def _per_product_arrays(pa: pl.DataFrame, n_products: int) -> dict[str, np.ndarray]:
    """The plan's fields as (agreement, product) arrays, for the (product, agreement) rows of ``pa``."""
    fills = {"shape_id": -1, "pcode": -1, "pn": 0, "exc": False, "ts": False, "table": 0}
    c = pl.col
    fields = pa.select("a_idx", "pidx", c("shape_id").fill_null(-1), c("pcode").fill_null(-1), c("pn").fill_null(0),
                       c("table").clip(0, NO_TABLE - 1),
                       exc=c("has_exc").fill_null(False), ts=(c("has_ts") & (c("status") == "rule")).fill_null(False))
    at = (fields["a_idx"].to_numpy(), fields["pidx"].to_numpy())
    out = {}
    for name, fill in fills.items():
        values = fields[name].to_numpy()
        out[name] = np.full((NA, n_products), fill, dtype=values.dtype)
        out[name][at] = values
    return out


PER_AGREEMENT_SUMS = ("vnm", "vom", "n_foreign", "cumulated", "odd_code", "w_orig")
PER_PRODUCT_SUMS = ("n_ctc", "w_mat", "wnull_mat")


def _line_sums(ln: dict[str, np.ndarray], per_a: dict[str, np.ndarray], n_products: int) -> dict[str, np.ndarray]:
    """compiled.line_pass on the chunk: per (agreement, product) and per product sums, tariff-shift level
    sums, and the (line, agreement) rows judged outside the pass."""
    from noodlebowl.batch import compiled

    ids = [_party_ids(a) for a in MODELLED]          # may name new origins: size the table after
    party = np.zeros((NA, len(ORIGINS)), dtype=np.bool_)
    for i, members in enumerate(ids):
        party[i, members] = True
    table_of = per_a["table"]      # (agreement, product): the EDITIONS index of the rule table on the date
    bits = np.array([AGREEMENT_BIT[a] for a in MODELLED], dtype=np.int8)
    out = compiled.line_pass(ln["pidx"], ln["known"], ln["odd"], ln["origin"], ln["decl"], ln["value"], ln["weight"],
                          ln["wnull"], ln["kind"], ln["exporter"], ln["table_code"], ln["table_count"], table_of,
                          party, bits, per_a["ts"], per_a["pcode"], per_a["pn"], per_a["exc"], n_products)
    names = (*PER_AGREEMENT_SUMS, *PER_PRODUCT_SUMS, "levels", "level_nulls", "rows", "multi", "excepted")
    return dict(zip(names, out)) | {"table_of": table_of, "shape_id": per_a["shape_id"]}


def _product_candidates(pa: pl.DataFrame, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (product, agreement)'s candidate product codes in the rule table's edition, as offsets by
    pa_key into one array (a transposition split gives several; a tariff shift must hold for each)."""
    keys = pa["pa_key"].to_numpy()
    n = pa["pcodes"].list.len().fill_null(0).to_numpy().astype(np.int64)
    counts = np.zeros(n_keys, np.int64)
    counts[keys] = n
    offsets = np.zeros(n_keys + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    codes = np.empty(offsets[-1], np.int64)
    codes[_runs(offsets[keys], n)] = pa["pcodes"].explode().drop_nulls().to_numpy()
    return offsets, codes


def _runs(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions starts[0] … starts[0]+lengths[0]-1, starts[1] …, one run after another."""
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + within


# a material code's candidates in a rule table's edition as integers, by (code · 4 + edition) · 4 + table
_CANDIDATE_CODES: dict[int, np.ndarray] = {}


def _candidate_codes(key: int) -> np.ndarray:
    codes = _CANDIDATE_CODES.get(key)
    if codes is None:
        text = _transposed(f"{key // 16:06d}", EDITIONS[key // 4 % 4], EDITIONS[key % 4])
        codes = _CANDIDATE_CODES[key] = np.array([int(x) for x in text], np.int64)
    return codes


def _material_candidates(ln: dict[str, np.ndarray], line: np.ndarray, table: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The candidate codes of the given lines' materials in the rule tables given (EDITIONS indexes), as
    offsets into one array: none for an unknown code, the single one, or every one of a split."""
    count = np.where(ln["known"][line], ln["table_count"][table, line], 0)
    offsets = np.zeros(len(line) + 1, np.int64)
    np.cumsum(count, out=offsets[1:])
    codes = np.empty(offsets[-1], np.int64)
    one = count == 1
    codes[offsets[:-1][one]] = ln["table_code"][table[one], line[one]]
    several = np.flatnonzero(count > 1)
    if several.size:
        # the lists per distinct (code, edition, table), then copied to each row's place
        i = line[several]
        distinct, which = np.unique((ln["mcode"][i] * 4 + ln["ed"][i]) * 4 + table[several], return_inverse=True)
        lists = [_candidate_codes(key) for key in distinct.tolist()]
        starts = np.zeros(len(lists) + 1, np.int64)
        np.cumsum([len(x) for x in lists], out=starts[1:])
        n = count[several]
        codes[_runs(offsets[several], n)] = np.concatenate(lists)[_runs(starts[which], n)]
    return offsets, codes


def _add_multi_candidate_codes(ln: dict[str, np.ndarray], sums: dict[str, np.ndarray],
                               products_candidates: tuple[np.ndarray, np.ndarray]) -> None:
    """Verdicts of the rows whose material or product has several candidate codes (a split on
    transposition), added to the level sums; a row with no pair to judge is dropped."""
    from noodlebowl.batch import compiled

    multi = sums["multi"]
    if not multi.size:
        return
    line, agreement = multi // NA, multi % NA
    keys = ln["pidx"][line] * NA + agreement
    codes = compiled.pair_codes(*_material_candidates(ln, line, sums["table_of"][agreement, ln["pidx"][line]]),
                                *products_candidates, keys)
    compiled.add_codes(sums["levels"], sums["level_nulls"], sums["rows"], keys, codes, ln["value"][line],
                       ln["weight"][line], ln["wnull"][line])


def _exception_table(shape_ids: list[int]) -> dict[str, np.ndarray]:
    """Each shape's tariff-shift leaves with exception ranges (in leaf order: their slots), and their ranges,
    as flat arrays."""
    size = max(shape_ids, default=-1) + 1
    table = {"entry_start": np.zeros(size, np.int64), "entry_count": np.zeros(size, np.int64)}
    entries, ranges = [], []
    for sid in shape_ids:
        leaves = [leaf for leaf in _SHAPE_PLANS[sid].leaves if leaf.exceptions]
        table["entry_start"][sid], table["entry_count"][sid] = len(entries), len(leaves)
        for leaf in leaves:
            entries.append((LEVEL_DIGITS[leaf.level], len(ranges), len(leaf.exceptions)))
            ranges.extend((len(start), int(start), int(end)) for start, end in leaf.exceptions)
    entries = np.array(entries, np.int64).reshape(-1, 3)
    ranges = np.array(ranges, np.int64).reshape(-1, 3)
    for j, name in enumerate(("entry_digits", "range_start", "range_count")):
        table[name] = np.ascontiguousarray(entries[:, j])
    for j, name in enumerate(("range_width", "range_low", "range_high")):
        table[name] = np.ascontiguousarray(ranges[:, j])
    return table


class _Dense:
    """A material code's candidates in another edition, for every 6-digit code at once (numpy arrays
    indexed by the code: single candidate or -1, number of candidates), filled as codes are met."""

    def __init__(self, edition: str, table_edition: str):
        self.edition, self.table_edition = edition, table_edition
        # small types: these are gathered at random by every line, so the less memory the fewer cache misses
        self.known = np.zeros(1_000_000, dtype=bool)
        self.single = np.full(1_000_000, -1, dtype=np.int32)
        self.count = np.zeros(1_000_000, dtype=np.int32)

    def fill(self, codes: np.ndarray, lines: np.ndarray, single: np.ndarray, count: np.ndarray) -> None:
        """``single[i]``, ``count[i]`` for each line i where ``lines`` (its code known, of this edition)."""
        from noodlebowl.batch import compiled

        with _TABLES_LOCK:
            for code in np.unique(compiled.codes_not_in(codes, lines, self.known)).tolist():
                cands = _transposed(f"{code:06d}", self.edition, self.table_edition)
                self.count[code] = len(cands)
                self.single[code] = int(cands[0]) if len(cands) == 1 else -1
                self.known[code] = True
        # outside the lock: these codes' entries are final; other threads only add other codes
        compiled.gather_codes(codes, lines, self.single, self.count, single, count)


_DENSE: dict[tuple[str, str], _Dense] = {}


def _table_codes(codes: np.ndarray, known: np.ndarray, eds: np.ndarray, tables: set[int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Each line's material code in the editions of the rule tables in use (rows indexed by EDITIONS;
    rows of tables no product of the chunk uses are left unfilled): the single candidate or -1, and the
    number of candidates — engine._material_codes."""
    singles = np.full((len(EDITIONS), len(codes)), -1, np.int32)
    counts = np.ones((len(EDITIONS), len(codes)), np.int32)
    for t in sorted(tables):
        table_edition = EDITIONS[t]
        singles[t] = np.where(known, codes, -1)
        for e, edition in enumerate(EDITIONS):
            lines = (eds == e) & known
            if edition != table_edition and lines.any():
                dense = _DENSE.get((edition, table_edition)) or _DENSE.setdefault(
                    (edition, table_edition), _Dense(edition, table_edition))
                dense.fill(codes, lines, singles[t], counts[t])
    return singles, counts


# --- the engine, for rows the kernel does not evaluate ---------------------------------------

def units_to_decimal(units: int | None) -> Decimal | None:
    return None if units is None else Decimal(units).scaleb(-6)


def build_request(product: dict, materials: list[dict], importer: str, agreements: list[str] | None):
    """The single-request :class:`Request` equivalent to a catalog product (used by the fallback and tests)."""
    from noodlebowl.origin.request import Costs, Material, Product, Request

    from noodlebowl.origin.request import facts_from_text

    costs = product.get("costs") or {}
    return Request(
        exporter=product["exporter"], importer=importer, date=product["date"], agreements=agreements,
        facts=facts_from_text(product.get("facts") or ""),
        product=Product(hs=product["hs6"], edition=product["edition"], fob=units_to_decimal(product["fob"]),
                        weight_kg=units_to_decimal(product.get("weight"))),
        costs=Costs(**{k: units_to_decimal(v) for k, v in costs.items()}),
        materials=[Material(name=f"line {i + 1}", hs=_line_code(m), origin=ORIGINS[m["origin_id"]],
                            originating=_declared(m["decl"]),
                            value=units_to_decimal(m["value"]), weight_kg=units_to_decimal(m.get("weight")),
                            kind=KINDS[m["kind"]], invoiced_separately=bool(m.get("sep")),
                            customary=m.get("customary") is not False,
                            regional_content_percent=units_to_decimal(m.get("rcp")))
                   for i, m in enumerate(materials)])


def _line_code(m: dict) -> str | None:
    if m.get("odd"):
        return m["mhs"]
    return None if m["mcode"] is None else f"{m['mcode']:06d}"


def _declared(decl: int) -> bool | list[str]:
    """A line's originating declaration as the engine reads it (the modelled agreements are all it asks about)."""
    if decl == ALL_AGREEMENTS:
        return True
    return [a for a in MODELLED if decl & AGREEMENT_BIT[a]] or False


def fallback(rows: pl.DataFrame, products: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Rows the kernel does not evaluate, answered by the engine's ``determine_one``."""
    from noodlebowl.origin.engine import determine_one
    from noodlebowl.origin.routes import dated_route

    ids = rows["pidx"].unique()
    by_product: dict[int, list[dict]] = {}
    for m in lines.filter(pl.col("pidx").is_in(ids.implode())).iter_rows(named=True):
        by_product.setdefault(m["pidx"], []).append(m)
    prods = {p["pidx"]: p for p in products.filter(pl.col("pidx").is_in(ids.implode())).iter_rows(named=True)}
    out = []
    for r in rows.select("pidx", "agreement", "costs_total").iter_rows(named=True):
        p = prods[r["pidx"]]
        p = {**p, "costs": _costs(p)}
        request = build_request(p, by_product.get(r["pidx"], []), p["importers"][0], [r["agreement"]])
        d = determine_one(request, dated_route(r["agreement"], True, "batch", p["date"]))
        out.append({"pidx": r["pidx"], **answer_row(p["product_id"], d)})
    return pl.DataFrame(out, schema={"pidx": pl.Int64} | {k: OUTPUT_SCHEMA[k] for k in (
        "product_id", "agreement", "outcome", "criterion", "form_code", "rule_text", "rule_row", "rule_verified",
        "rvc_build_down", "rvc_build_up", "de_minimis_share", "de_minimis_used", "reason", "caveats")})


def _costs(product: dict) -> dict:
    """The kernel carries only the costs' total (null when incomplete): the engine needs no more."""
    total = product.get("costs_total")
    if total is None:
        return {}
    return {"direct_labour": total, "direct_overhead": 0, "profit": 0, "other": 0}


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def answer_row(product_id: str, d) -> dict:
    """A Determination as an output row (before the per-importer in-force step)."""
    return {"product_id": product_id, "agreement": d.agreement, "outcome": d.outcome.value,
            "criterion": d.criterion, "form_code": d.form_code,
            "rule_text": d.rule.text if d.rule else None, "rule_row": d.rule.row if d.rule else None,
            "rule_verified": d.rule.verified if d.rule else None,
            "rvc_build_down": _plain(d.rvc.build_down) if d.rvc else None,
            "rvc_build_up": _plain(d.rvc.build_up) if d.rvc else None,
            "de_minimis_share": _plain(d.de_minimis.share) if d.de_minimis else None,
            "de_minimis_used": FLAG_TEXT[d.de_minimis.used] if d.de_minimis else None,
            "reason": d.reason, "caveats": CAVEAT_SEPARATOR.join(d.caveat_codes) or None}
