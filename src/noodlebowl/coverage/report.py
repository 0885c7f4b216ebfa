"""Coverage of the reference data: what share of the answers rest on verified law, and what
share of tariff lines have a rate the engine can compute.

The PSR figures use the engine's own lookup (:func:`noodlebowl.origin.psr.select_rule`), so a
code counted here as "unverified" is a code whose determination says so in its caveats.
Computing them takes a few seconds; the result is cached on disk per data version and per
version of the code that computes it (``$NOODLEBOWL_HOME/cache``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from noodlebowl import refdata

from noodlebowl.agreements.modelled import modelled

AGREEMENTS = tuple(sorted(modelled(), key=lambda a: (a != "RCEP", a != "ATIGA", a != "ACFTA")))   # RCEP first
EDITION = "HS2022"

# Order of the categories in reports; a subheading is in exactly one.
PSR_CATEGORIES = ("verified_en", "verified_vi", "transcribed", "unverified", "general_rule", "missing", "ambiguous")
PSR_CATEGORY_MEANING = {
    "verified_en": "product-specific rule checked against the official English text",
    "verified_vi": "product-specific rule re-read against the Vietnamese implementing circular",
    "transcribed": "product-specific rule transcribed from a Vietnamese implementing circular, re-read only in a "
                   "sample (AJCEP, AKFTA, AHKFTA: 30 rows each)",
    "unverified": "product-specific rule transcribed but not verified",
    "general_rule": "no product-specific rule listed: the agreement's general rule applies",
    "missing": "no rule in the data (missing in the source): the engine answers undetermined",
    "ambiguous": "the code splits, on transposition to the rule table's edition, across subheadings "
                 "with different rules: the engine evaluates each and asks which one only when they differ",
}
TARIFF_CATEGORIES = ("computable", "raw_text_only", "not_eligible", "none")
TARIFF_CATEGORY_MEANING = {
    "computable": "a rate the engine computes (free, ad valorem, specific, compound, max/min)",
    "raw_text_only": "the source text is kept but not computable (quotas, conditions, formulas)",
    "not_eligible": "the preference is not granted on the line (VN '*', Annex I 'U' excluded)",
    "none": "no measure of this regime on the line (rate unknown)",
}
# rate kind → category (noodlebowl.tariffs.rates); the best measure of a line decides.
_RATE_CATEGORY = {"free": 0, "ad_valorem": 0, "specific": 0, "compound": 0, "max": 0, "min": 0,
                  "not_computable": 1, "not_eligible": 2, "excluded": 2, "unknown": 3}

_CACHE_FORMAT = "2"


def psr_category(selection) -> str:
    """The coverage category of one :class:`~noodlebowl.origin.psr.RuleSelection`."""
    rule = selection.rule
    if rule is None:
        return "ambiguous" if selection.questions else "missing"
    if rule.level == "general":
        return "general_rule"
    if rule.verified in ("verified_en", "verified_vi", "transcribed"):
        return rule.verified
    return "unverified"  # "unverified" and anything not stated


def categorise(agreement: str, code6: str) -> str:
    """Coverage category of an HS2022 subheading under ``agreement``, by the engine's lookup."""
    from noodlebowl.origin.psr import latest_table, select_rule

    return psr_category(select_rule(agreement, code6, EDITION, latest_table(agreement)))


def _share(counts: dict[str, int], total: int, order: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {k: {"count": counts.get(k, 0), "percent": round(100 * counts.get(k, 0) / total, 2) if total else 0.0}
            for k in order}


def psr_coverage() -> list[dict[str, Any]]:
    """Per agreement: HS2022 subheadings by category, with example codes of the rarer ones."""
    from noodlebowl.hs.nomenclature import codes
    from noodlebowl.origin.psr import latest_table, select_rule
    from noodlebowl.rules import Incomplete, parse_rule, walk

    subheadings = codes(EDITION)
    parsed: dict[str, bool] = {}
    out = []
    for agreement in AGREEMENTS:
        counts: dict[str, int] = {}
        examples: dict[str, list[str]] = {}
        incomplete = 0
        for code in subheadings:
            selection = select_rule(agreement, code, EDITION, latest_table(agreement))
            category = psr_category(selection)
            counts[category] = counts.get(category, 0) + 1
            examples.setdefault(category, [])
            if len(examples[category]) < 5:
                examples[category].append(code)
            if selection.rule is not None:
                text = selection.rule.text
                if text not in parsed:
                    parsed[text] = any(isinstance(n, Incomplete) for n in walk(parse_rule(text)))
                incomplete += parsed[text]
        total = len(subheadings)
        out.append({
            "agreement": agreement, "edition": EDITION, "rule_table_edition": latest_table(agreement),
            "subheadings": total, "categories": _share(counts, total, PSR_CATEGORIES),
            "with_incomplete_part": incomplete,
            "examples": {k: v for k, v in examples.items() if k not in ("verified_vi", "verified_en")},
        })
    return out


def tariff_coverage() -> list[dict[str, Any]]:
    """Per importer and regime: the importer's national lines by the best measure on each line."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if "tariff_measures" not in refdata.manifest()["tables"]:
        return []
    tbl = pq.read_table(refdata.DATA_DIR / "tariff_measures.parquet",
                        columns=["importer", "national_line", "regime", "rate_kind"])
    kinds = list(_RATE_CATEGORY)
    unknown_kinds = set(tbl["rate_kind"].unique().to_pylist()) - set(kinds)
    if unknown_kinds:  # a new rate kind must be placed in a category, never silently dropped
        raise ValueError(f"rate kinds without a coverage category: {sorted(unknown_kinds)}")
    rank = pa.array([_RATE_CATEGORY[k] for k in kinds]).take(pc.index_in(tbl["rate_kind"], pa.array(kinds)))
    tbl = tbl.append_column("rank", rank)
    best = tbl.group_by(["importer", "regime", "national_line"]).aggregate([("rank", "min")])
    counted = best.group_by(["importer", "regime", "rank_min"]).aggregate([("national_line", "count")])
    universe = {r["importer"]: r["national_line_count_distinct"]
                for r in tbl.group_by(["importer"]).aggregate([("national_line", "count_distinct")]).to_pylist()}
    per: dict[tuple[str, str], dict[str, int]] = {}
    for r in counted.to_pylist():
        cat = TARIFF_CATEGORIES[r["rank_min"]]
        d = per.setdefault((r["importer"], r["regime"]), {})
        d[cat] = d.get(cat, 0) + r["national_line_count"]
    out = []
    for (importer, regime), d in sorted(per.items()):
        total = universe[importer]
        d["none"] = total - sum(v for k, v in d.items() if k != "none")
        out.append({"importer": importer, "regime": regime, "national_lines": total,
                    "categories": _share(d, total, TARIFF_CATEGORIES)})
    return out


def _cache_key() -> str:
    """Data version + the code that decides the figures: a change to either recomputes."""
    import noodlebowl.origin.psr as psr

    h = hashlib.sha256(f"{_CACHE_FORMAT}:{refdata.data_version()}".encode())
    for path in (Path(__file__), Path(psr.__file__)):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _cache_path() -> Path:
    from noodlebowl.tariffs.storage import user_home

    return user_home() / "cache" / f"coverage-{_cache_key()}.json"


def _compute() -> dict[str, Any]:
    manifest = refdata.manifest()
    return {
        "data_version": manifest["data_version"],
        "psr": psr_coverage(),
        "tariffs": tariff_coverage(),
        "categories": {"psr": PSR_CATEGORY_MEANING, "tariffs": TARIFF_CATEGORY_MEANING},
        "sources": [{"path": s["path"], "sha256": s["sha256"], "rows": s["rows"]} for s in manifest["sources"]],
    }


@cache
def coverage(use_disk_cache: bool = True) -> dict[str, Any]:
    """The coverage report (JSON-ready dict); cached in memory and on disk."""
    path = _cache_path() if use_disk_cache else None
    if path is not None and path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged cache file is recomputed
    report = _compute()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".coverage.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(report, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home only costs speed
    return report


def render_text(report: dict[str, Any]) -> None:
    """Readable tables (plain text, so the output can be pasted into the README)."""
    lines = [f"Reference data {report['data_version']}", "",
             "Rules of origin: HS2022 subheadings by the rule the engine applies"]
    head = f"{'agreement':<9} " + " ".join(f"{c:>18}" for c in PSR_CATEGORIES)
    lines.append(head)
    for a in report["psr"]:
        cells = " ".join(f"{a['categories'][c]['count']:>8} ({a['categories'][c]['percent']:>5.1f} %)"
                         for c in PSR_CATEGORIES)
        lines.append(f"{a['agreement']:<9} {cells}")
    lines.append(f"(of {report['psr'][0]['subheadings'] if report['psr'] else 0} subheadings each; "
                 "each through its rule table's edition: "
                 + ", ".join(f"{a['agreement']} {a['rule_table_edition']}" for a in report["psr"])
                 + "; rules with a part missing in the source: "
                 + ", ".join(f"{a['agreement']} {a['with_incomplete_part']}" for a in report["psr"]) + ")")
    for c in PSR_CATEGORIES:
        lines.append(f"  {c}: {PSR_CATEGORY_MEANING[c]}")
    lines += ["", "Tariffs: national lines by the best measure of each regime"]
    lines.append(f"{'importer':<8} {'regime':<12} {'lines':>6} " + " ".join(f"{c:>18}" for c in TARIFF_CATEGORIES))
    for t in report["tariffs"]:
        cells = " ".join(f"{t['categories'][c]['count']:>8} ({t['categories'][c]['percent']:>5.1f} %)"
                         for c in TARIFF_CATEGORIES)
        lines.append(f"{t['importer']:<8} {t['regime']:<12} {t['national_lines']:>6} {cells}")
    for c in TARIFF_CATEGORIES:
        lines.append(f"  {c}: {TARIFF_CATEGORY_MEANING[c]}")
    lines += ["", f"Sources ({len(report['sources'])} files, sha256 in the manifest):"]
    lines += [f"  {s['path']} ({s['rows']} rows)" for s in report["sources"]]
    print("\n".join(lines))
