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


# --- the readable answer never misleads (issue 14 point 11) -----------------------------------------------

def _qualify_text(cli, tmp_path, request: dict) -> str:
    path = tmp_path / "req.yaml"
    path.write_text(yaml.safe_dump(request), encoding="utf-8")
    result = cli("qualify", str(path))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _blender(value: str, hs: str = "8509.40", agreement: str = "RCEP", importer: str = "JP") -> dict:
    return {"exporter": "VN", "importer": importer, "date": "2026-03-01", "agreements": [agreement],
            "product": {"hs": "8509.40", "edition": "HS2022", "fob": "100.00", "currency": "USD"},
            "materials": [{"name": "Part", "hs": hs, "origin": "CN", "originating": False, "value": value}]}


def test_the_rvc_line_never_rounds_across_the_threshold(cli, tmp_path):
    """RCEP Art. 3.5(1): 39.996 % falls short of 40 %, and the figures line must not read 40.00 %."""
    text = _qualify_text(cli, tmp_path, _blender("60.004"))
    assert "build-down 39.99 %" in text and "40.00 %" not in text


def test_no_de_minimis_line_for_a_good_that_qualified_by_rvc(cli, tmp_path):
    """A good qualifying by RVC (its material fails CTSH) did not use de minimis: no de minimis line."""
    text = _qualify_text(cli, tmp_path, _blender("30.00"))
    assert "qualifies" in text and "RVC" in text
    assert "De minimis:" not in text


def test_de_minimis_line_stays_for_a_good_that_used_it(cli, tmp_path):
    request = _blender("5.00")
    request["materials"].append({"name": "Motor", "hs": "8501.10", "origin": "CN", "originating": False,
                                 "value": "70.00"})
    text = _qualify_text(cli, tmp_path, request)
    assert "De minimis: 5.00 % of FOB (limit 10 %) — used" in text


def test_failed_alternatives_are_marked_as_not_used(cli, tmp_path):
    """ATIGA "RVC40 or CTH or RVC35+CTSH": met by CTH, the failed RVC40 is an alternative not used, not a ✘."""
    request = _blender("70.00", hs="8501.10", agreement="ATIGA", importer="TH")
    text = _qualify_text(cli, tmp_path, request)
    assert "· alternative not used: build-down RVC" in text
    assert "✘" not in text


def test_fact_keys_of_the_packaged_rules_are_unique_per_wording():
    """Readable fact keys (``product_is:carp``, ``active_ingredients_50_percent_originating``) must never
    let one answer stand for two different requirements: across every rule in the packaged data, a key
    names one wording only."""
    from noodlebowl import refdata
    from noodlebowl.rules import parse_rule, walk
    from noodlebowl.rules.tree import Process, Split
    from noodlebowl.rules.vocabulary import KEY_BY_TEXT

    chosen = set(KEY_BY_TEXT.values())   # one fact for variant wordings, chosen by hand in the vocabulary
    wordings: dict[str, set[str]] = {}
    for text in {r["rule_text"] for r in refdata.rows("psr")}:
        for node in walk(parse_rule(text)):
            if isinstance(node, Process):
                wordings.setdefault(node.key, set()).add(node.text)
            elif isinstance(node, Split):
                for b in node.branches:
                    wordings.setdefault(b.key, set()).add(b.description)
    shared = {k: v for k, v in wordings.items() if len(v) > 1 and k not in chosen}
    assert not shared, shared


_PRODUCTS = ("3004.90", "5207.10", "3808.91", "0301.99", "0302.72", "0306.36", "1212.21", "2710.19", "8509.40",
             "8471.30", "9018.31")
_MATERIALS = ("3003.90", "2924.29", "5205.11", "2930.90", "3808.91", "0301.99", "0302.72", "0306.36", "1212.21",
              "2710.19", "3811.21", "8509.40", "8501.10", "8542.31", "3902.10", "8473.30")
_ORIGINS = ("CN", "PH", "MM", "MY", "KR", "IN", "VN", "TH", "unknown")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_catalogs_of_the_new_legal_situations_equal_the_engine(seed):
    """Put-up and aquatic products, ACFTA chapter-note chapters, parties not (surely) in force, costs above
    FOB: a random catalog of them gives, row by row, the engine's outcome, criterion, form code and figures."""
    import random

    rng = random.Random(seed)
    products, lines = [], []
    for i in range(40):
        fob = rng.choice(["100", "80.5", "1000"])
        costed = rng.random() < 0.5
        pid = f"P{i}"
        products.append({"product_id": pid, "hs": rng.choice(_PRODUCTS), "edition": "HS2022", "exporter": "VN",
                         "importer": rng.choice(["JP", "CN", "TH"]), "date": rng.choice(["2023-03-01", "2026-03-01"]),
                         "fob": fob, "currency": "USD", "weight_kg": "",
                         **{c: (rng.choice(["5", "12", "20"]) if costed else "") for c in catalog.COSTS}})
        budget = Decimal(fob)
        for j in range(rng.randint(0, 3)):
            value = (budget * Decimal(rng.choice(["0.1", "0.3", "0.5"]))).quantize(Decimal("0.01"))
            budget -= value
            lines.append({"product_id": pid, "material": f"m{j}", "hs": rng.choice(_MATERIALS),
                          "origin": rng.choice(_ORIGINS), "originating": rng.choice(["true", "false", "RCEP"]),
                          "value": f"{value:f}", "weight_kg": "", "kind": "material"})
    out = _run_catalog(products, lines, None)
    got = {(r["product_id"], r["agreement"]): r for r in out.iter_rows(named=True)}
    compared = 0
    for p in products:
        bom = [m for m in lines if m["product_id"] == p["product_id"]]
        request = {"exporter": p["exporter"], "importer": p["importer"], "date": p["date"],
                   "product": {"hs": p["hs"], "edition": "HS2022", "fob": p["fob"], "currency": "USD"},
                   "costs": {c: p[c] for c in catalog.COSTS if p[c]},
                   "materials": [{"name": m["material"], "hs": m["hs"], "origin": m["origin"],
                                  "originating": ["RCEP"] if m["originating"] == "RCEP" else m["originating"] == "true",
                                  "value": m["value"]} for m in bom]}
        for d in determine(parse_request(request, source="random")):
            row = got[(p["product_id"], d.agreement)]
            where = f"{p['product_id']} {p['hs']} {d.agreement}: engine {d.outcome.value} {d.criterion} | batch {row}"
            assert (row["outcome"], row["criterion"], row["form_code"]) == (d.outcome.value, d.criterion, d.form_code), where
            assert (None if row["rvc_build_up"] is None else Decimal(row["rvc_build_up"])) == (
                d.rvc.build_up if d.rvc else None), where
            compared += 1
    assert compared > 60
