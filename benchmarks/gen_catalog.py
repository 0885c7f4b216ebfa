"""A seeded generator of realistic catalogs for the batch benchmark (Parquet, sorted by product_id).

    python benchmarks/gen_catalog.py --products 100000 --out /tmp/cat100k [--seed 1]

Product and material codes are drawn from the packaged HS2022 nomenclature (hs_codes table);
5–40 BOM lines per product, a quarter of them in the product's own chapter or heading (so tariff
shifts fail and de minimis matters), mixed origins and originating declarations, a few packing,
retail packaging and indirect lines, weights and costs mostly present, 1–2 importers per product.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

EXPORTERS = ["VN", "TH", "MY", "ID", "SG", "PH", "CN"]
IMPORTERS = ["CN", "JP", "KR", "AU", "VN", "TH", "MY", "ID", "SG", "PH", "NZ"]
ORIGINS = ["CN", "JP", "KR", "VN", "TH", "MY", "US", "DE", "IN", "unknown"]
ORIGINATING = ["false", "false", "true", "RCEP", "ATIGA;ACFTA", ""]
KINDS = ["material"] * 16 + ["retail_packaging", "packing", "indirect", "accessory"]


def generate(n: int, seed: int = 1, max_lines: int = 40) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    table = Path(__file__).parents[1] / "src" / "noodlebowl" / "data" / "hs_codes.parquet"
    codes = np.array(pl.read_parquet(table).filter((pl.col("edition") == "HS2022")
                                                  & (pl.col("level") == "subheading"))["code"].to_list())
    pcode = codes[rng.integers(0, len(codes), n)]
    fob_cents = rng.integers(500, 5_000_000, n)
    ids = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 8))
    exporter = np.array(EXPORTERS)[rng.integers(0, len(EXPORTERS), n)]
    imp1 = np.array(IMPORTERS)[rng.integers(0, len(IMPORTERS), n)]
    imp2 = np.array(IMPORTERS)[rng.integers(0, len(IMPORTERS), n)]
    importer = np.where(rng.random(n) < 0.3, np.char.add(np.char.add(imp1, ";"), imp2), imp1)
    importer = np.where(imp1 == exporter, "JP", importer)
    importer = np.where(np.char.find(importer, exporter) >= 0, "KR", importer)
    has_costs = rng.random(n) < 0.7
    cost = lambda share: np.where(has_costs, fob_cents * share // 100, -1)  # noqa: E731
    products = pl.DataFrame({
        "product_id": ids, "hs": pcode, "edition": "HS2022", "exporter": exporter, "importer": importer,
        "date": "2026-03-01", "fob_c": fob_cents, "currency": "USD",
        "weight_kg": np.round(rng.uniform(0.1, 50, n), 3).astype(str),
        "l": cost(8), "o": cost(5), "p": cost(6), "x": cost(2)})
    money = lambda col: pl.when(pl.col(col) < 0).then(None).otherwise(  # noqa: E731
        pl.format("{}.{}", pl.col(col) // 100, (pl.col(col) % 100).cast(pl.String).str.zfill(2)))
    products = products.with_columns(fob=money("fob_c"), direct_labour=money("l"), direct_overhead=money("o"),
                                     profit=money("p"), other=money("x")).drop("fob_c", "l", "o", "p", "x")
    counts = rng.integers(5, max_lines + 1, n)
    total = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    mcode = codes[rng.integers(0, len(codes), total)]
    own = pcode[owner]
    roll = rng.random(total)
    mcode = np.where(roll < 0.1, np.char.add(np.char.ljust(own.astype("<U4"), 4), np.char.zfill(
        rng.integers(0, 100, total).astype(str), 2)), mcode)
    mcode = np.where((roll >= 0.1) & (roll < 0.25), np.char.add(own.astype("<U2"), mcode.astype("<U6").astype(
        object).astype(str).astype("<U6")), mcode)  # same chapter
    # keep only codes that exist (the same-heading ones may not): replace unknown ones by a random real code
    real = set(codes.tolist())
    mcode = np.array([c if c in real else codes[i % len(codes)] for i, c in enumerate(mcode.tolist())])
    # material values: a random share of 60–95 % of FOB, spread over the lines
    weights = rng.random(total)
    per_product = np.bincount(owner, weights)
    share = rng.uniform(0.6, 0.95, n)
    value_cents = np.floor(weights / per_product[owner] * share[owner] * fob_cents[owner]).astype(np.int64)
    lines = pl.DataFrame({
        "product_id": ids[owner], "material": np.char.add("m", (np.arange(total) % 100).astype(str)),
        "hs": mcode, "origin": np.array(ORIGINS)[rng.integers(0, len(ORIGINS), total)],
        "originating": np.array(ORIGINATING)[rng.integers(0, len(ORIGINATING), total)],
        "v": value_cents, "weight_kg": np.where(rng.random(total) < 0.9,
                                                np.round(rng.uniform(0.001, 2, total), 3).astype(str), ""),
        "kind": np.array(KINDS)[rng.integers(0, len(KINDS), total)]})
    lines = lines.with_columns(value=money("v"), weight_kg=pl.when(pl.col("weight_kg") == "").then(None)
                               .otherwise(pl.col("weight_kg"))).drop("v")
    return products, lines.select("product_id", "material", "hs", "origin", "originating", "value",
                                  "weight_kg", "kind")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-lines", type=int, default=40,
                        help="BOM lines per product drawn from 5..N (40: ≈ 22.5 on average; 20: ≈ 12.5, the issue's "
                             "≈ 12M lines for 1M products)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    products, lines = generate(args.products, args.seed, args.max_lines)
    products.write_parquet(args.out / "products.parquet")
    lines.write_parquet(args.out / "bom.parquet", row_group_size=200_000)
    print(f"{products.height} products, {lines.height} BOM lines → {args.out}")


if __name__ == "__main__":
    main()
