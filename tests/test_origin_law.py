"""The origin-law golden cases (tests/golden/origin_law_*.yaml) hold in every executor: each request
without facts (a catalog has none) is run as a one-product catalog through the batch kernel and must
give the outcome, criterion and form code of ``determine``; ``advise`` never proposes a move that rests
on a party for which the agreement is not in force on the date."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml

from noodlebowl.batch import catalog, kernel
from noodlebowl.origin import determine, parse_request

GOLDEN = Path(__file__).parent / "golden"


def _catalog_cases():
    for path in sorted(GOLDEN.glob("origin_law_*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            request = case["request"]
            if "error" in case["expect"] or request.get("facts"):
                continue
            yield pytest.param(request, id=f"{path.stem}[{i}] {case['name']}")


def _as_catalog(request: dict) -> tuple[list[dict], list[dict]]:
    product = request["product"]
    costs = request.get("costs") or {}
    products = [{"product_id": "P1", "hs": product["hs"], "edition": product.get("edition", "HS2022"),
                 "exporter": request["exporter"], "importer": request["importer"], "date": str(request["date"]),
                 "fob": product["fob"], "currency": product.get("currency", "USD"),
                 "weight_kg": str(product.get("weight_kg", "")),
                 **{c: str(costs.get(c, "")) for c in catalog.COSTS}}]
    lines = []
    for m in request.get("materials", []):
        declared = m.get("originating", False)
        lines.append({"product_id": "P1", "material": m["name"], "hs": m.get("hs", ""), "origin": m.get("origin", ""),
                      "originating": ";".join(declared) if isinstance(declared, list) else str(declared).lower(),
                      "value": m["value"], "weight_kg": str(m.get("weight_kg", "")), "kind": m.get("kind", "material")})
    return products, lines


def _run_catalog(products: list[dict], lines: list[dict], agreements: tuple[str, ...] | None) -> pl.DataFrame:
    raw_p = pl.DataFrame(products, schema={c: pl.String for c in catalog.PRODUCT_COLUMNS}).with_row_index(
        "row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    raw_l = pl.DataFrame(lines, schema={c: pl.String for c in catalog.BOM_COLUMNS}).with_row_index(
        "row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    prods, rejected = catalog.validate_products(raw_p, "products")
    assert rejected.is_empty(), rejected.to_dicts()
    valid_lines, l_rej = catalog.validate_lines(raw_l, "bom", prods, raw_p["product_id"])
    assert l_rej.is_empty(), l_rej.to_dicts()
    return kernel.determine_chunk(prods, valid_lines, agreements)


@pytest.mark.parametrize("request_", list(_catalog_cases()))
def test_golden_request_as_a_one_product_catalog_gives_the_engine_answer(request_):
    expected = {d.agreement: d for d in determine(parse_request(request_, source="golden"))}
    agreements = tuple(request_["agreements"]) if request_.get("agreements") else None
    rows = {r["agreement"]: r for r in _run_catalog(*_as_catalog(request_), agreements).iter_rows(named=True)}
    assert set(rows) == set(expected)
    for agreement, d in expected.items():
        row = rows[agreement]
        where = f"{agreement}: engine {d.outcome.value} {d.criterion} {d.form_code} | batch {row}"
        assert row["outcome"] == d.outcome.value, where
        assert row["criterion"] == d.criterion, where
        assert row["form_code"] == d.form_code, where
        # no figures where the agreement's rules for the date are not in the data (rvc is None)
        assert (None if row["rvc_build_up"] is None else Decimal(row["rvc_build_up"])) == (
            d.rvc.build_up if d.rvc else None), where


def _advice_moves(origin: str, day: str) -> list:
    from noodlebowl.advice import advise

    request = parse_request({
        "exporter": "VN", "importer": "JP", "date": day, "agreements": ["RCEP"],
        "product": {"hs": "8509.40", "edition": "HS2022", "fob": "100.00", "currency": "USD"},
        "materials": [{"name": "Blender sub-assembly", "hs": "8509.40", "origin": origin, "originating": False,
                       "value": "70.00"}]}, source="test")
    rcep = next(a for a in advise(request).agreements if a.agreement == "RCEP")
    return [m for s in rcep.suggestions for m in s.moves]


def test_advice_never_proposes_a_party_whose_entry_into_force_is_uncertain():
    """RCEP Art. 3.4(1): Myanmar's entry into force is contested, so proving its material originating
    is no sure fix; a Malaysian material (in force) is."""
    assert not any(m.kind == "prove_originating" for m in _advice_moves("MM", "2026-03-01"))
    assert any(m.kind == "prove_originating" and m.origin == "MY" for m in _advice_moves("MY", "2026-03-01"))


def test_advice_moves_use_the_parties_in_force_on_the_date():
    """The move generator gets the parties in force on the request's date: no Philippine move before 2023-06-02."""
    from noodlebowl.advice.moves import candidate_moves
    from noodlebowl.advice.core import _options
    from noodlebowl.agreements.registry import parties_on

    def moves(day: str) -> list:
        request = parse_request({
            "exporter": "VN", "importer": "JP", "date": day, "agreements": ["RCEP"],
            "product": {"hs": "8509.40", "edition": "HS2022", "fob": "100.00", "currency": "USD"},
            "materials": [{"name": "Sub-assembly", "hs": "8509.40", "origin": "PH", "originating": False,
                           "value": "70.00"}]}, source="test")
        return candidate_moves(request, "RCEP", parties_on("RCEP", request.date).in_force, _options(None))

    assert not any(m.kind == "prove_originating" for m in moves("2023-03-01"))
    assert any(m.kind == "prove_originating" for m in moves("2023-07-01"))
