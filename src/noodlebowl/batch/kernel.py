"""The column-wise determination kernel: one chunk of a validated catalog in, one row per
(product, importer, agreement) out — with exactly the answer :func:`noodlebowl.origin.determine`
gives for the same product.

How it stays identical to the single-request engine:

* Rules are selected and parsed once per distinct (agreement, product code, edition) with the
  engine's own :func:`select_rule`; a rule tree made only of tariff shifts, value contents, WO,
  CR, process requirements and incomplete parts under ``or``/``and`` becomes a *plan* whose
  leaves are evaluated column-wise and whose combination (the engine's ``any_of``/``all_of``
  semantics) is looked up per distinct pattern of leaf results.
* Everything else — a Split rule, a weight proviso, a product code that is not a single 6-digit
  code in the rule table's edition, a material code shorter than 6 digits or transposing to several
  codes — is sent to the engine itself (:func:`fallback`) for just those (product, agreement) rows.
* Money and weights are integers of micro-units (10⁻⁶, Int64; products of them in Int128), so
  sums and comparisons are exact. Percentages are produced the way ``Decimal`` divides in the
  engine (28 significant digits, half-even) by integer long division (:func:`exact_percent`).

The catalog format has no ``facts``: a WO, CR or process requirement is answered "not stated",
exactly as a request without facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import polars as pl

from noodlebowl.origin.engine import MODELLED, PRODUCED_EXCLUSIVELY
from noodlebowl.origin.psr import TABLE_EDITION, select_rule

SCALE = 10**6            # money and weights are Int64 micro-units
STAGE = 19               # digits per long-division stage: remainder (< 9.3e18) × 10¹⁹ fits Int128
SIG_DIGITS = 28          # Python's default decimal context, which the engine divides in
I128 = pl.Int128

OUTPUT_COLUMNS = ["product_id", "importer", "agreement", "outcome", "criterion", "form_code", "rule_text",
                  "rule_row", "rvc_build_down", "rvc_build_up", "de_minimis_share", "reason", "data_version"]
OUTPUT_SCHEMA = {"product_id": pl.String, "importer": pl.String, "agreement": pl.String, "outcome": pl.String,
                 "criterion": pl.String, "form_code": pl.String, "rule_text": pl.String, "rule_row": pl.String,
                 "rvc_build_down": pl.String, "rvc_build_up": pl.String, "de_minimis_share": pl.String,
                 "reason": pl.String, "data_version": pl.String}
SHIFT_NAME = {"chapter": "CC", "heading": "CTH", "subheading": "CTSH"}
LEVEL_DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}


# --- exact percentages ----------------------------------------------------------------------

def _pow10(exponent: pl.Expr) -> pl.Expr:
    # 10^38 is the largest power of ten an Int128 holds; callers never need more (see exact_percent)
    return exponent.clip(0, 38).cast(pl.Int32).replace_strict(
        pl.Series(list(range(39)), dtype=pl.Int32), pl.Series([10**k for k in range(39)], dtype=I128),
        return_dtype=I128)


def exact_percent(part: pl.Series, whole: pl.Series) -> pl.Series:
    """``part * 100 / whole`` as ``Decimal`` computes it (28 significant digits, half-even), as a
    plain decimal string; ``part`` ≥ 0 and ``whole`` > 0 are integers of the same unit (null → null).

    Long division in Int128, in stages of 19 digits so that no product overflows; each stage is a
    separate step (one expression would repeat its sub-expressions exponentially)."""
    c = pl.col
    df = pl.DataFrame({"n": part, "d": whole}).with_columns(n=c("n").cast(I128) * 100, d=c("d").cast(I128))
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
    return df.select(_place_point(c("m").cast(pl.String), c("s"), c("n")).alias(part.name)).to_series()


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
    kind: str                     # TS | VC | WO | U (process, CR, incomplete: never met without facts)
    level: str | None = None      # TS
    exceptions: tuple[tuple[str, str], ...] = ()
    threshold: Decimal | None = None
    label: str = ""               # for reasons


@dataclass(frozen=True)
class Node:
    op: str                       # leaf | any | all
    leaf: int | None = None
    children: tuple["Node", ...] = ()


@dataclass
class Plan:
    plan_id: int
    agreement: str
    status: str                   # rule | gap | fallback
    product_code: str | None      # the first candidate code in the table's edition (de minimis chapter)
    rule_text: str | None
    rule_row: str | None
    rule_level: str | None
    gap: str | None
    tree: Node | None = None
    leaves: list[Leaf] = field(default_factory=list)
    product_codes: tuple[str, ...] = ()   # every candidate (a tariff shift must agree across them)


class _Unsupported(Exception):
    pass


def _compile(rule, leaves: list[Leaf]) -> Node:
    from noodlebowl.rules import (AllOf, AnyOf, ChemicalReaction, Incomplete, Noted, Process, TariffShift,
                                  ValueContent, WhollyObtained)
    from noodlebowl.rules import format_rule

    if isinstance(rule, Noted):
        return _compile(rule.rule, leaves)
    if isinstance(rule, AnyOf):
        return Node("any", children=tuple(_compile(o, leaves) for o in rule.options))
    if isinstance(rule, AllOf):
        return Node("all", children=tuple(_compile(p, leaves) for p in rule.parts))
    i = len(leaves)
    if isinstance(rule, TariffShift):
        leaves.append(Leaf(i, "TS", rule.level, tuple((r.start, r.end) for r in rule.exceptions),
                           label=format_rule(rule)))
    elif isinstance(rule, ValueContent):
        leaves.append(Leaf(i, "VC", threshold=rule.threshold, label=f"RVC{rule.threshold}"))
    elif isinstance(rule, WhollyObtained):
        leaves.append(Leaf(i, "WO", label="WO"))
    elif isinstance(rule, Process):
        leaves.append(Leaf(i, "U", label="process requirement not stated"))
    elif isinstance(rule, ChemicalReaction):
        leaves.append(Leaf(i, "U", label="chemical reaction not stated"))
    elif isinstance(rule, Incomplete):
        leaves.append(Leaf(i, "U", label="rule incomplete in the source"))
    else:  # Split, OriginatingWeightShare: the engine decides
        raise _Unsupported(type(rule).__name__)
    return Node("leaf", leaf=i)


_PLANS: dict[tuple[str, str, str], Plan] = {}
_PLAN_LIST: list[Plan] = []


def plan_for(agreement: str, code: str, edition: str) -> Plan:
    """The plan for a product code under an agreement (cached for the process)."""
    key = (agreement, code, edition)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    from noodlebowl.origin.engine import _parse

    sel = select_rule(agreement, code, edition)
    rule = sel.rule
    pid = len(_PLAN_LIST)
    common = dict(plan_id=pid, agreement=agreement, rule_text=rule.text if rule else None,
                  rule_row=rule.row if rule else None, rule_level=rule.level if rule else None, gap=sel.gap)
    single = len(sel.product_codes) == 1 and len(sel.product_codes[0]) == 6
    # several candidates sharing one rule (a transposition split): the engine's tariff shift needs the
    # same verdict for every candidate, which the kernel evaluates like several material candidates
    six = len(sel.product_codes) >= 1 and all(len(c) == 6 for c in sel.product_codes)
    if rule is None:
        # A gap: undetermined unless produced exclusively from originating materials; the PE test
        # does not look at product codes, so any gap is kernel work.
        plan = Plan(status="gap", product_code=sel.product_codes[0] if single else None, **common)
    elif not six:
        plan = Plan(status="fallback", product_code=None, **common)
    else:
        leaves: list[Leaf] = []
        try:
            tree = _compile(_parse(rule.text), leaves)
            plan = Plan(status="rule", product_code=sel.product_codes[0], tree=tree, leaves=leaves,
                        product_codes=tuple(sel.product_codes), **common)
        except _Unsupported:
            plan = Plan(status="fallback", product_code=sel.product_codes[0], **common)
    _PLANS[key] = plan
    _PLAN_LIST.append(plan)
    return plan


def _combine(node: Node, states: str, leaves: list[Leaf]) -> tuple[str, list[tuple[str, str]], bool]:
    """The engine's any_of/all_of on leaf results: (outcome Q/D/U, criterion parts, de minimis used)."""
    if node.op == "leaf":
        leaf, state = leaves[node.leaf], states[node.leaf]
        if state in "QM":
            part = ("CTC", SHIFT_NAME[leaf.level]) if leaf.kind == "TS" else ("RVC", "{r}")
            return "Q", [part], state == "M"
        return state, [], False
    results = [_combine(c, states, leaves) for c in node.children]
    if node.op == "any":
        winner = next((r for r in results if r[0] == "Q"), None)
        if winner:
            return winner
        return ("U" if any(r[0] == "U" for r in results) else "D"), [], False
    outcomes = {r[0] for r in results}
    if "D" in outcomes:
        return "D", [], False
    if "U" in outcomes:
        return "U", [], False
    return "Q", [p for r in results for p in r[1]], any(r[2] for r in results)


_ORDER = {"WO": 0, "PE": 1, "CTC": 2, "CR": 3, "SP": 4, "RVC": 5}
OUTCOME_NAME = {"Q": "qualifies", "D": "does_not_qualify", "U": "undetermined"}


def _templates(agreement: str, parts: list[tuple[str, str]], rule_level: str | None) -> tuple[str, str]:
    """Criterion and form-code templates (``{r}``: the RVC percentage, floored) — the engine's
    ``_criterion`` and ``_form_code`` without the RCEP ACU/DMI suffixes."""
    parts = sorted(parts, key=lambda p: _ORDER[p[0]])
    criterion = " + ".join("RVC {r}%" if k == "RVC" else v for k, v in parts)
    kinds = [k for k, _ in parts]
    if agreement == "RCEP":
        form = ", ".join(dict.fromkeys({"CTC": "CTC", "RVC": "RVC", "WO": "WO", "PE": "PE", "CR": "CR",
                                        "SP": "CTC"}[k] for k in kinds))
    elif agreement == "ACFTA" and kinds[0] not in ("WO", "PE") and rule_level != "general":
        form = "PSR"
    else:
        form = " + ".join("{r}%" if k == "RVC" else ("SP" if k == "CR" else v) for k, v in parts)
    return criterion, form


_PATTERNS: dict[tuple[int, str], dict] = {}


def _pattern(plan: Plan, states: str) -> dict:
    key = (plan.plan_id, states)
    hit = _PATTERNS.get(key)
    if hit is None:
        outcome, parts, dm = _combine(plan.tree, states, plan.leaves)
        crit, form = _templates(plan.agreement, parts, plan.rule_level) if outcome == "Q" else (None, None)
        wanted = {"D": "D", "U": "U"}.get(outcome)
        reasons = sorted({_leaf_reason(leaf, states[leaf.index]) for leaf in plan.leaves
                          if states[leaf.index] == wanted}) if wanted else []
        hit = {"outcome": OUTCOME_NAME[outcome], "crit_tpl": crit, "form_tpl": form, "dm_used": dm,
               "pattern_reason": "; ".join(reasons) or None}
        _PATTERNS[key] = hit
    return hit


def _leaf_reason(leaf: Leaf, state: str) -> str:
    if leaf.kind == "TS":
        return f"{leaf.label} not met beyond de minimis" if state == "D" else \
            f"{leaf.label}: material HS code or weight missing"
    if leaf.kind == "VC":
        return f"RVC below {leaf.threshold}%"
    if leaf.kind == "WO":
        return "WO required: non-originating materials used" if state == "D" else "WO: not stated"
    return leaf.label


# --- routes and provisions -------------------------------------------------------------------

@cache
def _route_table(exporter: str, importer: str, on: dt.date, wanted: tuple[str, ...] | None
                 ) -> tuple[tuple[str, bool | None], ...]:
    from noodlebowl.agreements.registry import agreements_for_route

    status = {a.agreement: a for a in agreements_for_route(exporter, importer, on).agreements}
    names = wanted or MODELLED
    return tuple((a, status[a].in_force) for a in names if a in status and status[a].in_force is not False)


@cache
def parties(agreement: str) -> frozenset[str]:
    from noodlebowl.agreements.registry import parties as registry_parties
    return frozenset(p.iso2 for p in registry_parties(agreement))


@cache
def _provisions_row(agreement: str, on: dt.date) -> dict:
    from noodlebowl.origin.provisions_view import origin_provisions

    p = origin_provisions(agreement, on)
    vn, vd = _ratio(p.de_minimis_value_percent) if p.de_minimis_value_percent is not None else (None, None)
    wn, wd = _ratio(p.de_minimis_weight_percent) if p.de_minimis_weight_percent is not None else (None, None)
    lo, hi = p.de_minimis_weight_chapters or (None, None)
    return {"dmv_num": vn, "dmv_den": vd, "dmw_num": wn, "dmw_den": wd, "dmw_lo": lo, "dmw_hi": hi,
            "bd_allowed": "build_down" in p.rvc_methods, "bu_allowed": "build_up" in p.rvc_methods}


@cache
def _transposed(code: str, edition: str, table_edition: str) -> tuple[str, ...]:
    from noodlebowl.origin.engine import _transposed as engine_transposed
    return engine_transposed(code, edition, table_edition)


# --- process-wide lookup tables -------------------------------------------------------------

class _Memo:
    """A growing table of ``rows(key)`` for distinct keys, kept for the process: each chunk computes
    (in Python) only the keys no earlier chunk had, and joins the table column-wise."""

    def __init__(self, keys: list[str], schema: dict, rows):
        self.keys, self.schema, self.rows = keys, schema, rows
        self.table = pl.DataFrame(schema=schema)

    def __call__(self, wanted: pl.DataFrame) -> pl.DataFrame:
        missing = wanted.select(self.keys).unique().join(self.table, on=self.keys, how="anti", nulls_equal=True)
        if missing.height:
            new = pl.DataFrame([r for key in missing.iter_rows() for r in self.rows(*key)], schema=self.schema,
                               orient="row")
            self.table = pl.concat([self.table, new]).rechunk()
        return self.table


def _plan_row(agreement: str, code: str, edition: str):
    plan = plan_for(agreement, code, edition)
    yield (agreement, code, edition, plan.plan_id, plan.status, plan.product_code, list(plan.product_codes) or None,
           plan.rule_text, plan.rule_row, plan.gap, TABLE_EDITION[agreement])


_plan_table = _Memo(["agreement", "hs6", "edition"],
                    {"agreement": pl.String, "hs6": pl.String, "edition": pl.String, "plan_id": pl.Int64,
                     "status": pl.String, "pcode": pl.String, "pcodes": pl.List(pl.String), "rule_text": pl.String,
                     "rule_row": pl.String, "gap": pl.String, "table_edition": pl.String}, _plan_row)
_trans_table = _Memo(["mhs", "edition", "table_edition"],
                     {"mhs": pl.String, "edition": pl.String, "table_edition": pl.String, "cands": pl.List(pl.String)},
                     lambda m, e, t: [(m, e, t, list(_transposed(m, e, t)))])
_pattern_table = _Memo(["plan_id", "states"],
                       {"plan_id": pl.Int64, "states": pl.String, "outcome": pl.String, "crit_tpl": pl.String,
                        "form_tpl": pl.String, "dm_used": pl.Boolean, "pattern_reason": pl.String},
                       lambda p, st: [(p, st, *_pattern(_PLAN_LIST[p], st).values())])


# --- the kernel ------------------------------------------------------------------------------

PRODUCT_SCHEMA = {"product_id": pl.String, "hs6": pl.String, "edition": pl.String, "exporter": pl.String,
                  "importers": pl.List(pl.String), "date": pl.Date, "fob": pl.Int64, "weight": pl.Int64,
                  "costs_total": pl.Int64}
LINE_SCHEMA = {"product_id": pl.String, "mhs": pl.String, "origin": pl.String, "orig_all": pl.Boolean,
               "orig_list": pl.List(pl.String), "value": pl.Int64, "weight": pl.Int64, "kind": pl.String}


def determine_chunk(products: pl.DataFrame, lines: pl.DataFrame, agreements: tuple[str, ...] | None = None,
                    *, data_version: str | None = None) -> pl.DataFrame:
    """Determinations for validated products (``PRODUCT_SCHEMA``) and their BOM lines (``LINE_SCHEMA``)."""
    from noodlebowl import refdata

    version = data_version or refdata.data_version()
    products = products.select(list(PRODUCT_SCHEMA)).cast(PRODUCT_SCHEMA)
    lines = lines.select(list(LINE_SCHEMA)).cast(LINE_SCHEMA)
    if products.is_empty():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)

    # 1. routes: (product, importer, agreement, in_force) — per distinct (exporter, importer, date)
    pairs = products.select("product_id", "exporter", "date", "importers").explode("importers") \
        .rename({"importers": "importer"})
    distinct = pairs.select("exporter", "importer", "date").unique()
    route_rows = [{"exporter": r["exporter"], "importer": r["importer"], "date": r["date"], "agreement": a,
                   "in_force": f}
                  for r in distinct.iter_rows(named=True)
                  for a, f in _route_table(r["exporter"], r["importer"], r["date"], agreements)]
    routes = pl.DataFrame(route_rows, schema={"exporter": pl.String, "importer": pl.String, "date": pl.Date,
                                              "agreement": pl.String, "in_force": pl.Boolean})
    rows = pairs.join(routes, on=["exporter", "importer", "date"], how="inner")
    if rows.is_empty():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)

    # 2. (product, agreement) with the plan and the provisions in force on the date
    pa = rows.select("product_id", "agreement").unique().join(products, on="product_id")
    pa = pa.join(_plan_table(pa.select("agreement", "hs6", "edition")), on=["agreement", "hs6", "edition"])
    prov_keys = pa.select("agreement", "date").unique()
    prov = pl.DataFrame([{"agreement": a, "date": d, **_provisions_row(a, d)} for a, d in prov_keys.iter_rows()],
                        schema={"agreement": pl.String, "date": pl.Date, "dmv_num": pl.Int64, "dmv_den": pl.Int64,
                                "dmw_num": pl.Int64, "dmw_den": pl.Int64, "dmw_lo": pl.Int64, "dmw_hi": pl.Int64,
                                "bd_allowed": pl.Boolean, "bu_allowed": pl.Boolean})
    pa = pa.join(prov, on=["agreement", "date"]).with_row_index("pa_id")

    # 3. material views per agreement (engine._views)
    party_table = pl.DataFrame([(a, c) for a in MODELLED for c in parties(a)], schema=["agreement", "origin"],
                               orient="row").with_columns(is_party=pl.lit(True))
    lv = lines.join(pa.select("pa_id", "product_id", "agreement", "exporter", "edition", "table_edition",
                              "plan_id", "pcode", "pcodes"), on="product_id") \
        .join(party_table, on=["agreement", "origin"], how="left")
    declared = pl.col("orig_all") | pl.col("orig_list").list.contains(pl.col("agreement")).fill_null(False)
    party = pl.col("is_party").fill_null(False) | (pl.col("origin") == pl.col("exporter"))
    lv = lv.with_columns(orig0=declared & party).with_columns(
        cumulated=pl.col("orig0") & (pl.col("origin") != pl.col("exporter")),
        originating=pl.col("orig0") | (pl.col("kind") == "indirect"),
        counts_ctc=pl.col("kind") == "material",
        counts_rvc=~pl.col("kind").is_in(["packing", "indirect"]),
    ).with_columns(
        ctc_foreign=pl.col("counts_ctc") & ~pl.col("originating"),
        vnm_part=pl.when(pl.col("counts_rvc") & ~pl.col("originating")).then(pl.col("value")).otherwise(0),
        vom_part=pl.when(pl.col("counts_rvc") & pl.col("originating")).then(pl.col("value")).otherwise(0),
    )
    # candidate code of each non-originating counted material in the table's edition
    foreign = lv.filter(pl.col("ctc_foreign")).with_row_index("lid")
    needs_t = foreign.filter(pl.col("mhs").is_not_null() & (pl.col("edition") != pl.col("table_edition"))
                             & (pl.col("mhs").str.len_chars() == 6)) \
        .select("mhs", "edition", "table_edition").unique()
    trans = _trans_table(needs_t)
    # candidates: several when the code splits on transposition (the verdict must then agree across them)
    foreign = foreign.join(trans, on=["mhs", "edition", "table_edition"], how="left").with_columns(
        mcs=pl.when(pl.col("mhs").is_null()).then(None)
        .when(pl.col("edition") == pl.col("table_edition")).then(pl.concat_list(pl.col("mhs")))
        .otherwise(pl.col("cands")),
        odd_code=pl.col("mhs").is_not_null() & (pl.col("mhs").str.len_chars() != 6),
    )
    agg = lv.group_by("pa_id").agg(
        vnm=pl.col("vnm_part").sum(), vom=pl.col("vom_part").sum(), cumulated=pl.col("cumulated").any(),
        n_ctc=pl.col("counts_ctc").sum(), n_foreign=pl.col("ctc_foreign").sum())
    odd = foreign.group_by("pa_id").agg(odd_code=pl.col("odd_code").any())
    pa = pa.join(agg, on="pa_id", how="left").join(odd, on="pa_id", how="left").with_columns(
        pl.col("vnm", "vom").fill_null(0), pl.col("cumulated", "odd_code").fill_null(False),
        pl.col("n_ctc", "n_foreign").fill_null(0))
    pa = pa.with_columns(
        pe=pl.col("agreement").is_in(list(PRODUCED_EXCLUSIVELY)) & (pl.col("n_ctc") > 0) & (pl.col("n_foreign") == 0))
    pa = pa.with_columns(
        fallback=~pl.col("pe") & ((pl.col("status") == "fallback") | ((pl.col("status") == "rule") & pl.col("odd_code"))))

    # 4. leaves: one row per (pa, leaf) for kernel rows with a rule
    leaf_rows, exc_rows = [], []
    for pid in pa.filter((pl.col("status") == "rule") & ~pl.col("pe") & ~pl.col("fallback"))["plan_id"].unique():
        plan = _PLAN_LIST[pid]
        for leaf in plan.leaves:
            tn, td = _ratio(leaf.threshold) if leaf.threshold is not None else (None, None)
            leaf_rows.append({"plan_id": pid, "leaf": leaf.index, "kind": leaf.kind,
                              "ndig": LEVEL_DIGITS.get(leaf.level or "", None), "t_num": tn, "t_den": td})
            exc_rows.extend({"plan_id": pid, "leaf": leaf.index, "width": len(s), "start": s, "end": e}
                            for s, e in leaf.exceptions)
    leaf_table = pl.DataFrame(leaf_rows, schema={"plan_id": pl.Int64, "leaf": pl.Int64, "kind": pl.String,
                                                 "ndig": pl.Int64, "t_num": pl.Int64, "t_den": pl.Int64})
    exc_table = pl.DataFrame(exc_rows, schema={"plan_id": pl.Int64, "leaf": pl.Int64, "width": pl.Int64,
                                               "start": pl.String, "end": pl.String})
    work = pa.filter((pl.col("status") == "rule") & ~pl.col("pe") & ~pl.col("fallback"))

    # tariff shift per (material, leaf): pass / fail / unknown (evaluate._shift_passes on 6-digit codes)
    # Most (material, leaf) pairs have one candidate code and a leaf without exceptions: their verdict
    # is a prefix comparison; only the others are exploded per candidate and joined to exception ranges.
    has_exc = exc_table.select("plan_id", "leaf").unique().with_columns(has_exc=pl.lit(True))
    ts_leaves = leaf_table.filter(pl.col("kind") == "TS").select("plan_id", "leaf", "ndig") \
        .join(has_exc, on=["plan_id", "leaf"], how="left").with_columns(pl.col("has_exc").fill_null(False))
    ts = foreign.select("lid", "pa_id", "plan_id", "pcode", "pcodes", "mcs", "value", "weight") \
        .join(work.select("pa_id"), on="pa_id", how="semi").join(ts_leaves, on="plan_id")
    simple_cond = pl.col("mcs").is_null() | ((pl.col("mcs").list.len() <= 1) & ~pl.col("has_exc")
                                             & (pl.col("pcodes").list.len() == 1))
    shift = lambda mc, pc: (mc.str.slice(0, pl.col("ndig")) != pc.str.slice(0, pl.col("ndig")))  # noqa: E731
    simple = ts.filter(simple_cond).with_columns(mc=pl.col("mcs").list.first()).select(
        "lid", "leaf", "pa_id", "value", "weight",
        verdict=pl.when(pl.col("mc").is_null()).then(pl.lit("U"))
        .when(shift(pl.col("mc"), pl.col("pcode"))).then(pl.lit("P"))
        .otherwise(pl.lit("F")))
    other = ts.filter(~simple_cond).with_columns(mc=pl.col("mcs")).drop("mcs").explode("mc") \
        .with_columns(pc=pl.col("pcodes")).drop("pcodes").explode("pc")
    excluded = other.filter(pl.col("mc").is_not_null()).select("lid", "leaf", "plan_id", "mc") \
        .join(exc_table, on=["plan_id", "leaf"]) \
        .filter(pl.col("mc").str.slice(0, pl.col("width")).is_between(pl.col("start"), pl.col("end"))) \
        .select("lid", "leaf", "mc").unique().with_columns(excluded=pl.lit(True))
    other = other.join(excluded, on=["lid", "leaf", "mc"], how="left", nulls_equal=False).with_columns(
        verdict=pl.when(pl.col("mc").is_null()).then(pl.lit("U"))
        .when(shift(pl.col("mc"), pl.col("pc")) & ~pl.col("excluded").fill_null(False)).then(pl.lit("P"))
        .otherwise(pl.lit("F")))
    other = other.group_by("lid", "leaf").agg(
        pl.col("pa_id", "value", "weight").first(),
        verdict=pl.when(pl.col("verdict").n_unique() == 1).then(pl.col("verdict").first()).otherwise(pl.lit("U")))
    ts = pl.concat([simple, other.select(simple.columns)])
    fail, unk = pl.col("verdict") == "F", pl.col("verdict") == "U"
    ts_agg = ts.filter(pl.col("verdict") != "P").group_by("pa_id", "leaf").agg(
        n_fail=fail.sum(), n_unk=unk.sum(),
        v_fail=pl.col("value").filter(fail).sum(), v_all=pl.col("value").sum(),
        w_fail=pl.col("weight").filter(fail).sum(), w_all=pl.col("weight").sum(),
        wnull_fail=(pl.col("weight").is_null() & fail).any(), wnull_all=pl.col("weight").is_null().any())

    lf = work.select("pa_id", "plan_id", "pcode", "fob", "weight", "vnm", "vom", "costs_total", "n_foreign",
                     "dmv_num", "dmv_den", "dmw_num", "dmw_den", "dmw_lo", "dmw_hi", "bd_allowed", "bu_allowed") \
        .join(leaf_table, on="plan_id").join(ts_agg, on=["pa_id", "leaf"], how="left") \
        .with_columns(pl.col("n_fail", "n_unk").fill_null(0))
    fob = pl.col("fob").cast(I128)
    chapter = pl.col("pcode").str.slice(0, 2).cast(pl.Int64)
    weight_rule = pl.col("dmw_num").is_not_null() & pl.col("dmw_lo").is_not_null() \
        & chapter.is_between(pl.col("dmw_lo"), pl.col("dmw_hi"))

    def de_minimis(value: pl.Expr, wsum: pl.Expr, wnull: pl.Expr) -> pl.Expr:
        """evaluate._de_minimis_passes: "T" / "F" / "N" (None: weights missing)."""
        by_value = pl.col("dmv_num").is_not_null() & (
            value.cast(I128) * 100 * pl.col("dmv_den") <= pl.col("dmv_num").cast(I128) * fob)
        by_weight = wsum.cast(I128) * 100 * pl.col("dmw_den") <= pl.col("dmw_num").cast(I128) * pl.col("weight")
        return pl.when(by_value).then(pl.lit("T")).when(~weight_rule).then(pl.lit("F")) \
            .when(pl.col("weight").is_null() | wnull).then(pl.lit("N")) \
            .when(by_weight).then(pl.lit("T")).otherwise(pl.lit("F"))

    lf = lf.with_columns(dm_all=de_minimis(pl.col("v_all"), pl.col("w_all"), pl.col("wnull_all")),
                         dm_fail=de_minimis(pl.col("v_fail"), pl.col("w_fail"), pl.col("wnull_fail")))
    ts_state = pl.when((pl.col("n_fail") + pl.col("n_unk")) == 0).then(pl.lit("Q")) \
        .when(pl.col("dm_all") == "T").then(pl.lit("M")) \
        .when((pl.col("n_fail") > 0) & (pl.col("dm_fail") == "F")).then(pl.lit("D")).otherwise(pl.lit("U"))
    bd_met = pl.col("bd_allowed") & ((fob - pl.col("vnm")) * 100 * pl.col("t_den") >= pl.col("t_num").cast(I128) * fob)
    bu_met = pl.col("bu_allowed") & pl.col("costs_total").is_not_null() & (
        (pl.col("vom").cast(I128) + pl.col("costs_total")) * 100 * pl.col("t_den") >= pl.col("t_num").cast(I128) * fob)
    vc_state = pl.when(bd_met | bu_met.fill_null(False)).then(pl.lit("Q")).otherwise(pl.lit("D"))
    wo_state = pl.when(pl.col("n_foreign") > 0).then(pl.lit("D")).otherwise(pl.lit("U"))
    lf = lf.with_columns(
        state=pl.when(pl.col("kind") == "TS").then(ts_state).when(pl.col("kind") == "VC").then(vc_state)
        .when(pl.col("kind") == "WO").then(wo_state).otherwise(pl.lit("U")),
        share_val=pl.when((pl.col("kind") == "TS") & ((pl.col("n_fail") + pl.col("n_unk")) > 0))
        .then(pl.col("v_all")).otherwise(None))
    # the engine's _merge keeps the last de minimis share in tree order
    per_pa = lf.sort("pa_id", "leaf").group_by("pa_id", maintain_order=True).agg(
        states=pl.col("state").str.join(""), share_val=pl.col("share_val").drop_nulls().last())
    per_pa = per_pa.join(work.select("pa_id", "plan_id"), on="pa_id")
    pattern_keys = per_pa.select("plan_id", "states").unique()
    patterns = _pattern_table(pattern_keys)
    per_pa = per_pa.join(patterns, on=["plan_id", "states"]).drop("plan_id")

    # 5. one answer per (product, agreement)
    pa = pa.join(per_pa, on="pa_id", how="left")
    fob = pl.col("fob")
    bd_floor = floor_percent_int(fob - pl.col("vnm"), fob)
    bu_floor = floor_percent_int(pl.col("vom") + pl.col("costs_total"), fob)
    rvc_floor = pl.when(pl.col("bu_allowed") & pl.col("costs_total").is_not_null() & pl.col("bd_allowed"))\
        .then(pl.max_horizontal(bd_floor, bu_floor)) \
        .when(pl.col("bu_allowed") & pl.col("costs_total").is_not_null()).then(bu_floor).otherwise(bd_floor)
    # Rows without RVC figures (no rule, no BOM) never carry the "{r}" placeholder; Polars refuses a
    # null replacement all the same, so give it an empty string.
    rvc_text = rvc_floor.cast(pl.String).fill_null("")
    is_rcep = pl.col("agreement") == "RCEP"
    suffix = pl.concat_str([pl.when(pl.col("cumulated")).then(pl.lit(", ACU")).otherwise(pl.lit("")),
                            pl.when(pl.col("dm_used")).then(pl.lit(", DMI")).otherwise(pl.lit(""))])
    rule_form = pl.when(is_rcep).then(pl.concat_str([pl.col("form_tpl"), suffix])).otherwise(pl.col("form_tpl")) \
        .str.replace_all("{r}", rvc_text, literal=True)
    pa = pa.with_columns(
        outcome=pl.when(pl.col("pe")).then(pl.lit("qualifies"))
        .when(pl.col("status") == "gap").then(pl.lit("undetermined")).otherwise(pl.col("outcome")),
        criterion=pl.when(pl.col("pe")).then(pl.lit("PE"))
        .otherwise(pl.col("crit_tpl").str.replace_all("{r}", rvc_text, literal=True)),
        form_code=pl.when(pl.col("pe")).then(
            pl.when(is_rcep & pl.col("cumulated")).then(pl.lit("PE, ACU")).otherwise(pl.lit("PE")))
        .otherwise(rule_form),
        bd_part=fob - pl.col("vnm"),
        bu_part=pl.col("vom") + pl.col("costs_total"),
        dm_part=pl.when(~pl.col("pe") & (pl.col("status") == "rule")).then(pl.col("share_val")),
        reason=pl.when(pl.col("pe")).then(pl.lit(None, pl.String))
        .when(pl.col("status") == "gap").then(pl.lit("no rule: ") + pl.col("gap"))
        .otherwise(pl.col("pattern_reason")),
    )
    engine_rows = pa.filter(pl.col("fallback"))
    pa = pa.filter(~pl.col("fallback"))
    pa = pa.with_columns(rvc_build_down=exact_percent(pa["bd_part"], pa["fob"]),
                         rvc_build_up=exact_percent(pa["bu_part"], pa["fob"]),
                         de_minimis_share=exact_percent(pa["dm_part"], pa["fob"]))
    kernel = pa.select(
        "product_id", "agreement", "outcome", "criterion", "form_code", "rule_text", "rule_row",
        "rvc_build_down", "rvc_build_up", "de_minimis_share", "reason")
    engine_rows = engine_rows
    if not engine_rows.is_empty():
        kernel = pl.concat([kernel, fallback(engine_rows, products, lines)])

    # 6. per importer; an agreement whose entry into force is uncertain never qualifies outright
    out = rows.select("product_id", "importer", "agreement", "in_force").join(
        kernel, on=["product_id", "agreement"])
    uncertain = pl.col("in_force").is_null() & (pl.col("outcome") == "qualifies")
    out = out.with_columns(
        outcome=pl.when(uncertain).then(pl.lit("undetermined")).otherwise(pl.col("outcome")),
        criterion=pl.when(uncertain).then(None).otherwise(pl.col("criterion")),
        form_code=pl.when(uncertain).then(None).otherwise(pl.col("form_code")),
        reason=pl.when(uncertain).then(pl.lit("entry into force uncertain for this route"))
        .otherwise(pl.col("reason")),
        data_version=pl.lit(version),
    )
    order = {a: i for i, a in enumerate(MODELLED)}
    return out.with_columns(_o=pl.col("agreement").replace_strict(order, return_dtype=pl.Int8)) \
        .sort("product_id", "importer", "_o").select(OUTPUT_COLUMNS).cast(OUTPUT_SCHEMA)


# --- the engine, for rows the kernel does not evaluate ---------------------------------------

def units_to_decimal(units: int | None) -> Decimal | None:
    return None if units is None else Decimal(units).scaleb(-6)


def build_request(product: dict, materials: list[dict], importer: str, agreements: list[str] | None):
    """The single-request :class:`Request` equivalent to a catalog product (used by the fallback and tests)."""
    from noodlebowl.origin.request import Costs, Material, Product, Request

    costs = product.get("costs") or {}
    return Request(
        exporter=product["exporter"], importer=importer, date=product["date"], agreements=agreements,
        product=Product(hs=product["hs6"], edition=product["edition"], fob=units_to_decimal(product["fob"]),
                        weight_kg=units_to_decimal(product.get("weight"))),
        costs=Costs(**{k: units_to_decimal(v) for k, v in costs.items()}),
        materials=[Material(name=f"line {i + 1}", hs=m["mhs"], origin=m["origin"],
                            originating=list(m["orig_list"]) if m.get("orig_list") is not None else bool(m["orig_all"]),
                            value=units_to_decimal(m["value"]), weight_kg=units_to_decimal(m.get("weight")),
                            kind=m["kind"]) for i, m in enumerate(materials)])


def fallback(rows: pl.DataFrame, products: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Rows the kernel does not evaluate, answered by the engine's ``determine_one``."""
    from noodlebowl.origin.engine import Route, determine_one

    ids = rows["product_id"].unique()
    by_product = {}
    for m in lines.filter(pl.col("product_id").is_in(ids.implode())).iter_rows(named=True):
        by_product.setdefault(m["product_id"], []).append(m)
    prods = {p["product_id"]: p for p in products.filter(pl.col("product_id").is_in(ids.implode())).iter_rows(named=True)}
    out = []
    for r in rows.select("product_id", "agreement", "costs_total").iter_rows(named=True):
        p = prods[r["product_id"]]
        p = {**p, "costs": _costs(p)}
        request = build_request(p, by_product.get(r["product_id"], []), p["importers"][0], [r["agreement"]])
        d = determine_one(request, Route(r["agreement"], True, "batch", parties(r["agreement"])))
        out.append(answer_row(r["product_id"], d))
    return pl.DataFrame(out, schema={k: OUTPUT_SCHEMA[k] for k in (
        "product_id", "agreement", "outcome", "criterion", "form_code", "rule_text", "rule_row",
        "rvc_build_down", "rvc_build_up", "de_minimis_share", "reason")})


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
            "rvc_build_down": _plain(d.rvc.build_down) if d.rvc else None,
            "rvc_build_up": _plain(d.rvc.build_up) if d.rvc else None,
            "de_minimis_share": _plain(d.de_minimis.share) if d.de_minimis else None,
            "reason": engine_reason(d)}


def engine_reason(d) -> str | None:
    """A short reason for a determination that does not qualify (from its failing checks)."""
    if d.outcome.value == "qualifies":
        return None
    wanted = d.outcome
    names = [c.check for c in d.checks if c.result == wanted and c.check not in ("in_force",)]
    if not names:
        return None
    return "; ".join(dict.fromkeys(names))
