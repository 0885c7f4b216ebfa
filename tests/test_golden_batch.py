"""Every golden case through both executors: the single request (``noodlebowl.origin.determine``) and
the batch path (``noodlebowl.batch.run.run`` on a one-product catalog written from the request).

Both answers must agree field by field: outcome, criterion, form code, rule text, row and verification
status, the RVC figures, the de minimis share and whether it was used, the reason and the caveat codes. A request the engine refuses must be rejected by the batch too (a column the catalog does not know is
warned about by name instead: the rest of a catalog goes on).

A case the batch path answers differently today is listed in ``DIVERGES`` with the divergence named
(a strict xfail: when the divergence is fixed the test says so, and the entry must go).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml

from noodlebowl.batch import catalog
from noodlebowl.batch.run import run
from noodlebowl.errors import NoodlebowlError
from noodlebowl.origin import determine, parse_request

GOLDEN = Path(__file__).parent / "golden"
PID = "G1"

# request field → catalog column, where the names differ
PRODUCT_FIELD: dict[str, str] = {}
MATERIAL_FIELD = {"name": "material"}

DIVERGES: dict[str, str] = {
    "ACFTA asked for Viet Nam → Japan (Japan is not a party)":
        "batch --agreement means 'where in force': an agreement that does not apply gives no row and no reject",
    "RCEP asked before its entry into force (VN → JP, 2021-06-01)":
        "batch --agreement means 'where in force': an agreement not yet in force gives no row and no reject",
    "RCEP — an importer for whom RCEP is not yet in force is refused when RCEP is asked for":
        "batch --agreement means 'where in force': an agreement not yet in force gives no row and no reject",
}


NOT_IN_FORCE = "batch --agreement means 'where in force': an agreement that does not apply gives no row and no reject"


def refused_as_not_in_force(request: dict) -> bool:
    """Does the engine refuse the request because an agreement asked for does not apply to the route?"""
    try:
        determine(parse_request(request))
    except NoodlebowlError as exc:
        return "is not in force between" in str(exc) or "not a party" in str(exc)
    return False


def _cases():
    for path in sorted(GOLDEN.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            marks = []
            reason = DIVERGES.get(case["name"])
            if reason:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            yield pytest.param(case, id=f"{path.stem}[{i}] {case['name']}", marks=marks)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def catalog_rows(request: dict) -> tuple[dict, list[dict]]:
    """The one-product catalog (a products row, BOM rows) that says what the request says; a request
    field the catalog has no column for keeps its name (the catalog must warn about it or reject it)."""
    product = {"product_id": PID, "exporter": request.get("exporter"), "importer": request.get("importer"),
               "date": _text(request.get("date"))}
    for key, value in (request.get("product") or {}).items():
        if key != "description":            # a label: nothing in the law reads it
            product[PRODUCT_FIELD.get(key, key)] = _text(value)
    for key, value in (request.get("costs") or {}).items():
        product[key] = _text(value)
    if request.get("facts"):
        product["facts"] = ";".join(f"{k}={_text(v)}" for k, v in request["facts"].items())
    lines = []
    for m in request.get("materials") or []:
        lines.append({"product_id": PID, **{MATERIAL_FIELD.get(k, k): _text(v) for k, v in m.items()}})
    return product, lines


def _write(path: Path, rows: list[dict], known: list[str]) -> None:
    columns = list(dict.fromkeys([*known, *(k for r in rows for k in r)]))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def run_batch(request: dict, tmp_path: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(result rows, rejects, warnings) of the batch path on the request written as a catalog."""
    product, lines = catalog_rows(request)
    products_csv, bom_csv, out = tmp_path / "products.csv", tmp_path / "bom.csv", tmp_path / "out.parquet"
    _write(products_csv, [product], catalog.PRODUCT_COLUMNS)
    _write(bom_csv, lines, catalog.BOM_COLUMNS)
    agreements = request.get("agreements")
    try:
        summary = run(products_csv, bom_csv, out, agreements=tuple(agreements) if agreements else None,
                      plan_cache=False, workers=1)
    except NoodlebowlError as exc:          # the whole run refused (e.g. an agreement not modelled)
        return pl.DataFrame(), pl.DataFrame({"file": [None], "row": [None], "field": [None], "reason": [str(exc)]}), []
    rejects = pl.read_csv(summary.rejects_file) if summary.rejects_file else pl.DataFrame(
        schema=catalog.REJECT_SCHEMA)
    return pl.read_parquet(out), rejects, summary.warnings


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def engine_fields(d) -> dict:
    return {"outcome": d.outcome.value, "criterion": d.criterion, "form_code": d.form_code,
            "rule_text": d.rule.text if d.rule else None, "rule_row": d.rule.row if d.rule else None,
            "rvc_build_down": d.rvc.build_down if d.rvc else None,
            "rvc_build_up": d.rvc.build_up if d.rvc else None,
            "de_minimis_share": d.de_minimis.share if d.de_minimis else None,
            "de_minimis_used": str(d.de_minimis.used).lower() if d.de_minimis else None,
            "rule_verified": d.rule.verified if d.rule else None,
            "reason": d.reason, "caveats": list(d.caveat_codes)}


def batch_fields(row: dict) -> dict:
    return {"outcome": row["outcome"], "criterion": row["criterion"], "form_code": row["form_code"],
            "rule_text": row["rule_text"], "rule_row": row["rule_row"],
            "rvc_build_down": _number(row["rvc_build_down"]), "rvc_build_up": _number(row["rvc_build_up"]),
            "de_minimis_share": _number(row["de_minimis_share"]), "de_minimis_used": row["de_minimis_used"],
            "rule_verified": row["rule_verified"], "reason": row["reason"],
            "caveats": row["caveats"].split(";") if row["caveats"] else []}


@pytest.mark.parametrize("case", list(_cases()))
def test_golden_case_gives_the_same_answer_through_the_batch(case, tmp_path):
    request = case["request"]
    try:
        answers = determine(parse_request(request, source=case["name"]))
    except NoodlebowlError:
        answers = None
    results, rejects, warnings = run_batch(request, tmp_path)
    if answers is None and refused_as_not_in_force(case["request"]):
        pytest.xfail(NOT_IN_FORCE)
    if answers is None:
        # a field the schema does not know: the engine refuses the request; a catalog, whose other rows
        # are fine, goes on and warns about the column by name
        unknown = [key for key in catalog_rows(request)[0] if key not in catalog.PRODUCT_COLUMNS]
        if unknown:
            assert all(any(repr(k) in w for w in warnings) for k in unknown), warnings
            return
        assert results.is_empty() and rejects.height, \
            f"the engine refuses the request; the batch answers it: {results.to_dicts()}"
        return
    assert rejects.is_empty(), f"the engine answers; the batch rejects: {rejects.to_dicts()}"
    got = {row["agreement"]: row for row in results.iter_rows(named=True)}
    assert sorted(got) == sorted(d.agreement for d in answers)
    for d in answers:
        engine, batch = engine_fields(d), batch_fields(got[d.agreement])
        differ = {k: (engine[k], batch[k]) for k in engine if engine[k] != batch[k]}
        assert not differ, f"{d.agreement}: (engine, batch) differ in {differ}"
