"""The golden cases of the agreements added with issue 16, run as one-product catalogs through the batch
kernel: outcome, criterion, form code, rule and figures equal the engine's (cases with facts or accessory
flags, which a catalog does not carry, are left to tests/test_golden.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from noodlebowl.batch import kernel
from noodlebowl.origin import determine, parse_request

GOLDEN = Path(__file__).parent / "golden"
FILES = ("ajcep", "akfta", "ahkfta", "aanzfta")


def _cases():
    for name in FILES:
        for i, case in enumerate(yaml.safe_load((GOLDEN / f"{name}.yaml").read_text(encoding="utf-8"))):
            request = case["request"]
            if "error" in case["expect"] or request.get("facts"):
                continue
            yield pytest.param(case, id=f"{name}[{i}] {case['name']}")


def _catalog(request: dict) -> tuple[list[dict], list[dict]]:
    product = request["product"]
    costs = request.get("costs", {})
    row = {"product_id": "P1", "hs": product["hs"], "edition": product.get("edition", "HS2022"),
           "exporter": request["exporter"], "importer": request["importer"], "date": str(request["date"]),
           "fob": product["fob"], "currency": product.get("currency", "USD"),
           "weight_kg": product.get("weight_kg", ""), **{c: costs.get(c, "") for c in
                                                          ("direct_labour", "direct_overhead", "profit", "other")}}
    lines = [{"product_id": "P1", "material": m["name"], "hs": m.get("hs", ""), "origin": m.get("origin", ""),
              "originating": str(m.get("originating", False)).lower(), "value": m["value"],
              "weight_kg": m.get("weight_kg", ""), "kind": m.get("kind", "material")}
             for m in request.get("materials", [])]
    return [row], lines


def _dec(text):
    return None if text is None else Decimal(text)


@pytest.mark.parametrize("case", list(_cases()))
def test_kernel_answers_the_golden_case_as_the_engine_does(case):
    from test_batch_kernel import run_kernel   # tests/ is on the path (conftest)

    request = case["request"]
    (agreement,) = request["agreements"]
    products, lines = _catalog(request)
    out, rejected = run_kernel(products, lines)
    assert not rejected
    row = next(r for r in out.iter_rows(named=True) if r["agreement"] == agreement)
    (d,) = determine(parse_request(request))
    assert (row["outcome"], row["criterion"], row["form_code"]) == (d.outcome.value, d.criterion, d.form_code)
    assert row["rule_text"] == (d.rule.text if d.rule else None)
    assert _dec(row["rvc_build_down"]) == (d.rvc.build_down if d.rvc else None)
    assert _dec(row["de_minimis_share"]) == (d.de_minimis.share if d.de_minimis else None)
