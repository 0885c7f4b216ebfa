"""The column-wise kernel gives exactly the single-request engine's answer.

Random catalogs (hypothesis) mix agreements, routes, dates, HS editions and rule shapes (tariff
shifts with and without exceptions, value contents, "or"/"and" combinations, WO, process
requirements, incomplete rules, split rules and gaps that go to the engine), random materials
(codes in the product's chapter or heading, in exception ranges, unknown, short), origins,
originating flags, kinds, values, weights and costs present or not; each answer is compared
field by field with ``noodlebowl.origin.determine`` on the equivalent request.
"""

from __future__ import annotations

import random
from decimal import Decimal
from functools import cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from noodlebowl.batch import catalog, kernel
from noodlebowl.errors import NoodlebowlError
from noodlebowl.origin import determine
from noodlebowl.origin.request import Costs, Material, Product, Request, facts_from_text

EXPORTERS = ["VN", "TH", "SG", "MY", "CN", "KR", "JP", "ID"]
IMPORTERS = ["CN", "JP", "KR", "VN", "TH", "MY", "AU", "IN", "PH"]
ORIGINS = ["VN", "TH", "CN", "JP", "KR", "AU", "IN", "US", "MY", "unknown", ""]
ORIGINATING = ["true", "false", "", "RCEP", "ATIGA;ACFTA", "ACFTA", "RCEP;ATIGA"]
KINDS = ["material"] * 8 + ["retail_packaging", "packing", "accessory", "indirect", ""]
# 2022-06-01: RCEP under its HS2012 table; 2019-01-01: no ACFTA rules in the data yet (undetermined)
DATES = ["2026-03-01", "2026-03-01", "2024-07-15", "2022-06-01", "2021-06-01", "2019-01-01"]


@cache
def _codes(edition: str) -> list[str]:
    h = pl.read_parquet(catalog.Path(kernel.__file__).parents[1] / "data" / "hs_codes.parquet")
    return h.filter((pl.col("edition") == edition) & (pl.col("level") == "subheading"))["code"].to_list()


@cache
def _codes_in_range(edition: str, start: str, end: str) -> tuple[str, ...]:
    """The first and last existing subheadings of an exception range (a material that hits it)."""
    inside = [c for c in _codes(edition) if start.ljust(6, "0")[:6] <= c <= end.ljust(6, "9")[:6]]
    return tuple(dict.fromkeys(inside[:1] + inside[-1:]))


@cache
def product_pool() -> dict[str, list[str]]:
    """HS2022 product codes grouped by the shape of their rules (each shape a few codes)."""
    pool: dict[str, list[str]] = {}
    codes = _codes("HS2022")
    for i, code in enumerate(codes):
        for agreement in kernel.MODELLED:
            p = kernel.plan_for(agreement, code, "HS2022")
            split = p.tree is not None and any(n.op == "split" for n in kernel._nodes(p.tree))
            if i % 5 and not split:
                continue
            if split:          # rules differing by product description (formerly sent to the engine)
                shape = "split" + (" ow" if any(leaf.kind == "OW" for leaf in p.leaves) else "")
            elif len(p.product_codes) > 1:
                shape = "multi"        # several candidate codes sharing a rule (formerly sent to the engine)
            else:
                shape = p.status if p.status != "rule" else "+".join(sorted({leaf.kind for leaf in p.leaves})) + (
                    " exc" if any(leaf.exceptions for leaf in p.leaves) else "")
            pool.setdefault(f"{agreement} {shape}", []).append(code)
    return {k: v[:25] for k, v in pool.items()}


def _money(rng: random.Random, top: Decimal) -> str:
    places = rng.choice([0, 2, 2, 4, 6])
    value = (top * Decimal(rng.random())).quantize(Decimal(1).scaleb(-places))
    return f"{value:f}"


def _material_code(rng: random.Random, product: str, edition: str, exceptions: list[str]) -> str:
    roll = rng.random()
    if roll < 0.2:
        return product[:4] + rng.choice(["10", "90", "99", "20"])      # same heading (may not exist)
    if roll < 0.35:
        return product[:2] + rng.choice(_codes(edition))[2:]          # same chapter
    if roll < 0.45 and exceptions:
        return rng.choice(exceptions)
    if roll < 0.5:
        return ""                                                     # code unknown
    if roll < 0.52:
        return rng.choice(_codes(edition))[:4]                        # a heading only: the engine decides
    return rng.choice(_codes(edition))


def random_catalog(seed: int, n: int, only: tuple[str, ...] = ()) -> tuple[list[dict], list[dict]]:
    """``only``: draw products just from the rule shapes whose name contains one of these words."""
    rng = random.Random(seed)
    flags = random.Random(seed + 1)     # the columns only the engine reads, drawn apart: the rest stays as it was
    pool = product_pool()
    shapes = sorted(k for k in pool if not only or any(w in k for w in only))
    products, lines = [], []
    for i in range(n):
        edition = "HS2017" if rng.random() < 0.15 else "HS2022"
        code = rng.choice(pool[rng.choice(shapes)]) if edition == "HS2022" else rng.choice(_codes("HS2017"))
        fob = Decimal(rng.choice(["100", "12.5", "2500.75", "7", "0.95"]))
        has_costs = rng.random() < 0.6
        exceptions = [c for agreement in kernel.MODELLED
                      for leaf in kernel.plan_for(agreement, code, edition).leaves for s, e in leaf.exceptions
                      for c in _codes_in_range(edition, s, e)]
        pid = f"P{i:04d}"
        products.append({
            "product_id": pid, "hs": f"{code[:4]}.{code[4:]}", "edition": edition,
            "exporter": rng.choice(EXPORTERS), "importer": ";".join(rng.sample(IMPORTERS, rng.choice([1, 1, 2]))),
            "date": rng.choice(DATES), "fob": f"{fob:f}", "currency": "USD",
            "weight_kg": rng.choice(["", "1.5", "0.2", "12"]),
            **{c: (_money(rng, fob / 10) if has_costs or rng.random() < 0.2 else "") for c in catalog.COSTS},
            "facts": flags.choice([""] * 12 + ["minimal_operations_only=no", "minimal_operations_only=yes",
                                               "wholly_obtained=true", "chemical_reaction=false; wholly_obtained=0"])})
        budget = fob
        for j in range(rng.randint(0, 8)):
            value = Decimal(_money(rng, budget / 2))
            kind = rng.choice(KINDS)
            if kind not in ("packing", "indirect"):
                budget -= value
            lines.append({"product_id": pid, "material": f"m{j}",
                          "hs": _material_code(rng, code, edition, exceptions),
                          "origin": rng.choice(ORIGINS), "originating": rng.choice(ORIGINATING),
                          "value": f"{value:f}", "weight_kg": rng.choice(["", "0.1", "0.5", "0", "2"]),
                          "kind": kind,
                          # read by the engine alone (the kernel routes such products to it)
                          "regional_content_percent": flags.choice(["", "", "", "", "", "", "19", "20", "30.5", "40"]),
                          "invoiced_separately": flags.choice(["", "", "", "", "", "", "", "false", "true", "yes"]),
                          "customary": flags.choice(["", "", "", "", "", "", "", "true", "no", "0"])})
    return products, lines


def run_kernel(products: list[dict], lines: list[dict]) -> tuple[pl.DataFrame, set[str]]:
    raw_p = pl.DataFrame(products, schema={c: pl.String for c in catalog.PRODUCT_COLUMNS}).with_row_index(
        "row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    raw_l = pl.DataFrame(lines, schema={c: pl.String for c in catalog.BOM_COLUMNS}).with_row_index(
        "row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    prods, p_rej = catalog.validate_products(raw_p, "products")
    valid_lines, l_rej = catalog.validate_lines(raw_l, "bom", prods, raw_p["product_id"])
    bad = catalog.product_level_rejects(prods, valid_lines, l_rej, raw_l, "products")
    prods = prods.join(bad.select("row"), on="row", how="anti")
    rejected = set(raw_p.join(prods.select("row"), on="row", how="anti")["product_id"].to_list())
    return kernel.determine_chunk(prods, valid_lines), rejected


def engine_request(product: dict, lines: list[dict], importer: str) -> Request:
    costs = {c: Decimal(product[c]) for c in catalog.COSTS if product[c]}
    materials = []
    for m in lines:
        o = m["originating"].lower()
        originating = o in ("true", "yes", "1") if o in ("", "true", "false", "yes", "no", "1", "0") else \
            [a.strip() for a in m["originating"].split(";")]
        materials.append(Material(name=m["material"], hs=m["hs"] or None, origin=m["origin"] or "unknown",
                                  originating=originating, value=Decimal(m["value"]),
                                  weight_kg=Decimal(m["weight_kg"]) if m["weight_kg"] else None,
                                  kind=m["kind"] or "material",
                                  regional_content_percent=m.get("regional_content_percent") or None,
                                  invoiced_separately=m.get("invoiced_separately") in ("true", "yes"),
                                  customary=m.get("customary") not in ("no", "0", "false")))
    return Request(exporter=product["exporter"], importer=importer, date=product["date"],
                   facts=facts_from_text(product.get("facts") or ""),
                   product=Product(hs=product["hs"], edition=product["edition"], fob=Decimal(product["fob"]),
                                   weight_kg=Decimal(product["weight_kg"]) if product["weight_kg"] else None),
                   costs=Costs(**costs), materials=materials)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def assert_same(products: list[dict], lines: list[dict]) -> int:
    out, rejected = run_kernel(products, lines)
    got = {(r["product_id"], r["importer"], r["agreement"]): r for r in out.iter_rows(named=True)}
    compared = 0
    expected_keys = set()
    for p in products:
        if p["product_id"] in rejected:
            continue
        bom = [m for m in lines if m["product_id"] == p["product_id"]]
        for importer in p["importer"].split(";"):
            try:
                determinations = determine(engine_request(p, bom, importer))
            except NoodlebowlError as exc:
                raise AssertionError(f"{p['product_id']} accepted by the batch, refused by the engine: {exc}")
            for d in determinations:
                key = (p["product_id"], importer, d.agreement)
                expected_keys.add(key)
                row = got.get(key)
                assert row is not None, f"missing {key}"
                where = f"{key} rule {d.rule.text if d.rule else None!r}"
                assert row["outcome"] == d.outcome.value, where
                assert row["criterion"] == d.criterion, where
                assert row["form_code"] == d.form_code, where
                assert row["rule_text"] == (d.rule.text if d.rule else None), where
                assert row["rule_row"] == (d.rule.row if d.rule else None), where
                assert _dec(row["rvc_build_down"]) == (d.rvc.build_down if d.rvc else None), where
                assert _dec(row["rvc_build_up"]) == (d.rvc.build_up if d.rvc else None), where
                assert _dec(row["de_minimis_share"]) == (d.de_minimis.share if d.de_minimis else None), where
                assert row["de_minimis_used"] == (str(d.de_minimis.used).lower() if d.de_minimis else None), where
                assert row["rule_verified"] == (d.rule.verified if d.rule else None), where
                assert row["reason"] == d.reason, where
                assert (row["caveats"] or "").split(";") == (list(d.caveat_codes) or [""]), where
                compared += 1
    assert set(got) == expected_keys
    return compared


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_kernel_matches_engine_on_random_catalogs(seed):
    products, lines = random_catalog(seed, 12)
    assert_same(products, lines)


def test_kernel_matches_engine_on_a_larger_catalog():
    products, lines = random_catalog(20260301, 400)
    compared = assert_same(products, lines)
    assert compared > 150


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kernel_matches_engine_on_split_rules_and_weight_provisos(seed):
    """Rules differing by product description and "at least 50 % by weight originating" provisos are
    evaluated column-wise (they used to go to the engine): every branch, zero and missing weights."""
    products, lines = random_catalog(seed, 60, only=("split", "OW", "exc", "multi"))
    assert assert_same(products, lines) > 20


def test_example_catalog_matches_engine():
    import csv
    from pathlib import Path

    root = Path(__file__).parents[1] / "examples" / "catalog"
    products = list(csv.DictReader((root / "products.csv").open()))
    lines = [m for m in csv.DictReader((root / "bom.csv").open())
             if m["product_id"] in {p["product_id"] for p in products}]
    assert assert_same(products, lines) >= 10


def _decimal_percent(part: int, whole: int) -> str:
    return kernel._plain(Decimal(part) * 100 / Decimal(whole))


@pytest.mark.parametrize("part,whole", [(0, 1), (1, 3), (2, 3), (999999, 1000000), (1, 10**18), (10**18, 7),
                                        (5, 8), (123456789, 987654321),
                                        # rounding carries: …999 up to a new integer digit; tiny quotients
                                        (10**15 - 1, 10**15), (2 * 10**15 - 1, 2 * 10**15), (1, 8 * 10**17),
                                        # beyond the compiled path's Int64 bounds: the Int128 path
                                        (2**63 - 1, 3), (7, 2**63 - 1)])
def test_exact_percent_is_decimal_division(part, whole):
    got = kernel.exact_percent(pl.Series([part], dtype=pl.Int64), pl.Series([whole], dtype=pl.Int64)).item()
    assert got == _decimal_percent(part, whole)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.integers(0, 10**15), st.integers(0, 2**63 - 1)),
                          st.one_of(st.integers(1, 10**13), st.integers(1, 2**63 - 1))), min_size=1, max_size=40))
def test_exact_percent_texts_equal_the_engines(pairs):
    """Text for text what the engine writes (kernel._plain of its Decimal), over both paths and nulls."""
    parts = pl.Series([p for p, _ in pairs] + [None], dtype=pl.Int64)
    wholes = pl.Series([w for _, w in pairs] + [1], dtype=pl.Int64)
    assert kernel.exact_percent(parts, wholes).to_list() == [_decimal_percent(p, w) for p, w in pairs] + [None]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.from_regex(r"\A\s?-?\d{0,14}(\.\d{0,8})?\s?\Z"),
    st.sampled_from(["", " ", "0", "0.0", "+5", "1e3", "٣", "12.5", ".5", "5.", "1.2.3", "0.000000", "abc"]),
    st.text(max_size=6), st.none()), min_size=1, max_size=30))
def test_number_fast_path_agrees_with_the_full_check(values):
    """Validation skips the full number check where the cheap one says "fine": that must imply no
    reason, and the units (Decimal cast) must equal the integer arithmetic on the digits."""
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    for required in (True, False):
        for positive in (True, False):
            out = df.select(fine=catalog._number_fine("v", required=required, positive=positive),
                            reason=catalog._number_problem("v", required=required, positive=positive),
                            units=catalog._units("v"))
            for v, fine, reason, units in zip(values, *out.get_columns()):
                if fine:
                    assert reason is None, v
                if reason is None and v is not None and v.strip() and v.strip().isascii():
                    whole, _, frac = v.strip().partition(".")
                    assert units == int(whole or "0") * 10**6 + int(frac.ljust(6, "0")), v


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.from_regex(r"\A\s?-?\d{0,14}(\.\d{0,8})?\s?\Z"),
    st.sampled_from(["", " ", "0", "0.0", "+5", "1e3", "٣", "12.5", ".5", "5.", "1.2.3", "0.000000", "abc", ".",
                     "999999999999.999999", "1000000000000"]),
    st.text(max_size=6), st.none()), min_size=1, max_size=30))
def test_compiled_number_parse_equals_the_format_check_and_cast(values):
    """The BOM fast path's compiled parse (compiled.decimal_units) says "fine" exactly where the format
    check (catalog._FINE_NUMBER) does, with the units of the exact Decimal cast."""
    import pyarrow as pa

    units, fine, null = catalog._plain_numbers(pa.table({"v": pa.array(values, pa.string())}), "v")
    expected = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(
        fine=pl.col("v").str.contains(catalog._FINE_NUMBER).fill_null(False),
        units=pl.col("v").cast(pl.Decimal(18, 6), strict=False).to_physical().cast(pl.Int64))
    assert fine.tolist() == expected["fine"].to_list()
    assert null.tolist() == [v is None for v in values]
    assert [u for u, f in zip(units.tolist(), fine) if f] == [u for u, f in zip(expected["units"], fine) if f]


def test_digits_of_other_scripts_are_rejected_not_read_as_zero():
    """"١٢.٥" is twelve and a half in Arabic-Indic digits; the decimal cast cannot read it, so it must be
    refused with a reason (it used to pass the check and count as a missing value, i.e. 0)."""
    df = pl.DataFrame({"v": ["١٢.٥", "٠", "12.5"]})
    reasons = df.select(catalog._number_problem("v", required=True))[:, 0].to_list()
    assert reasons[:2] == ["not a plain number (write it like 12.50)"] * 2 and reasons[2] is None


def test_product_numbers_padded_blank_partial_and_bad():
    """Product numbers: padding is fine, blanks are missing, build-up costs count only all four together,
    and bad numbers are rejected with their reason (the compiled fast path and the full check agree)."""
    header = ["product_id", "hs", "exporter", "importer", "date", "fob", "weight_kg", *catalog.COSTS]
    rows = [["A", "850940", "VN", "JP", "2026-03-01", " 12.50 ", "", "1", "2", "3", "4.5"],
            ["B", "850940", "VN", "JP", "2026-03-01", "100", " 2.000001", "1", "", "3", "4"],
            ["C", "850940", "VN", "JP", "2026-03-01", "0", "1", "", "", "", ""],
            ["D", "850940", "VN", "JP", "2026-03-01", "5", "-1", "", "", "", ""],
            ["E", "850940", "VN", "JP", "2026-03-01", "5", "", "1.1234567", "", "", ""],
            ["F", "850940", "VN", "JP", "2026-03-01", "1e3", "", "", "", "", ""]]
    raw = pl.DataFrame(rows, schema=header, orient="row").with_row_index("row", offset=1).with_columns(
        pl.col("row").cast(pl.Int64))
    valid, rejects = catalog.validate_products(raw, "p.csv")
    got = {r["product_id"]: (r["fob"], r["weight"], r["costs_total"]) for r in valid.iter_rows(named=True)}
    assert got == {"A": (12_500_000, None, 10_500_000), "B": (100_000_000, 2_000_001, None)}
    assert {(r["row"], r["field"], r["reason"]) for r in rejects.iter_rows(named=True)} == {
        (3, "fob", "must be a positive amount"), (4, "weight_kg", "must not be negative"),
        (5, "direct_labour", "more than 6 decimal places"),
        (6, "fob", "not a plain number (write it like 12.50)")}


def test_chunks_evaluated_side_by_side_give_the_answers_of_one_piece(tmp_path, monkeypatch):
    """Workers evaluate chunks at the same time and build rule plans, shapes and lookup tables as they
    meet codes: the answers and rejects must be those of the catalog evaluated in one piece."""
    from noodlebowl.batch import run as batch_run

    products, lines = random_catalog(20260501, 240)
    pl.DataFrame(products, schema={c: pl.String for c in catalog.PRODUCT_COLUMNS}).write_csv(tmp_path / "p.csv")
    pl.DataFrame(lines, schema={c: pl.String for c in catalog.BOM_COLUMNS}).write_csv(tmp_path / "b.csv")
    one = batch_run.run(tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / "one.csv", chunk_size=10**6,
                        plan_cache=False)
    # a fresh process's tables, so that the workers race to fill them
    monkeypatch.setattr(kernel, "_PLANS", {})
    monkeypatch.setattr(kernel, "_SHAPES", {})
    monkeypatch.setattr(kernel, "_SHAPE_PLANS", [])
    for memo in (kernel._plan_table, kernel._pattern_table, catalog._hs_table):
        monkeypatch.setattr(memo, "table", memo.table.clear())
    monkeypatch.setattr(batch_run, "_workers", lambda: 4)
    many = batch_run.run(tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / "many.csv", chunk_size=7,
                         plan_cache=False)
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "many.csv").read_text()
    assert pl.read_csv(tmp_path / "one.csv").height > 50 and one.products == 240
    assert one.as_dict() | {"out": "", "rejects_file": ""} == many.as_dict() | {"out": "", "rejects_file": ""}
    assert (tmp_path / "one.csv.rejects.csv").read_text() == (tmp_path / "many.csv.rejects.csv").read_text()
    # Parquet: a catalog evaluated at once is held and written in one go, one of many chunks is streamed
    for name, size in (("one.parquet", 10**6), ("many.parquet", 7)):
        batch_run.run(tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / name, chunk_size=size, plan_cache=False)
    held, streamed = pl.read_parquet(tmp_path / "one.parquet"), pl.read_parquet(tmp_path / "many.parquet")
    assert dict(held.schema) == dict(streamed.schema) == kernel.OUTPUT_SCHEMA
    assert held.equals(streamed) and held.height == pl.read_csv(tmp_path / "one.csv").height
