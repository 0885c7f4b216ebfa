"""The kernel on Spark (local mode, two cores) gives the local run's answers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import pyspark

ROOT = Path(__file__).parents[1] / "examples" / "catalog"


@pytest.fixture(scope="module")
def spark():
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)      # workers need noodlebowl too
    session = (SparkSession.builder.master("local[2]").appName("noodlebowl-batch-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .config("spark.driver.memory", "1g").config("spark.pyspark.python", sys.executable).config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    yield session
    session.stop()


def test_spark_matches_local_run(spark, tmp_path):
    from noodlebowl.batch.run import run
    from noodlebowl.batch.spark import determine_catalog

    run(ROOT / "products.csv", ROOT / "bom.csv", tmp_path / "local.parquet")
    local = pl.read_parquet(tmp_path / "local.parquet").drop("data_version")
    products = spark.read.option("header", True).csv(str(ROOT / "products.csv"))
    bom = spark.read.option("header", True).csv(str(ROOT / "bom.csv"))
    rows = determine_catalog(products, bom).collect()
    got = pl.DataFrame([r.asDict() for r in rows], schema={c: pl.String for c in local.columns + ["data_version"]})
    results = got.filter(pl.col("outcome") != "rejected").drop("data_version")
    key = ["product_id", "importer", "agreement"]
    assert results.sort(key).to_dicts() == local.sort(key).to_dicts()
    rejected = got.filter(pl.col("outcome") == "rejected")
    assert set(rejected["product_id"].to_list()) == {"BAD-HS", "GHOST-1"}
