"""The batch kernel on Spark: the same column-wise code, run inside executors.

Products and BOM lines are bucketed by a hash of ``product_id`` and co-grouped, so each Arrow
batch handed to :func:`noodlebowl.batch.kernel.determine_chunk` holds whole products with all
their lines; the answers are those of a local run (and of the single-request engine).

    from noodlebowl.batch.spark import determine_catalog
    results = determine_catalog(spark.read.parquet("products"), spark.read.parquet("bom"))

Rejected rows come back in the same DataFrame with ``outcome = "rejected"`` and the problem in
``reason`` (``"<file> row <n>, <field>: <reason>"``, row = Spark's row id there).
"""

from __future__ import annotations

from noodlebowl.batch import catalog, kernel


def _spark_schema():
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField(c, StringType(), True) for c in kernel.OUTPUT_COLUMNS])


def _as_text(df, columns: list[str]):
    from pyspark.sql import functions as F

    present = {c.lower(): c for c in df.columns}
    return df.select([(F.col(present[c]).cast("string") if c in present else F.lit(None).cast("string")).alias(c)
                      for c in columns]).withColumn("row", F.monotonically_increasing_id() + 1)


def determine_group(agreements: tuple[str, ...] | None):
    """The function each co-group runs: (products, BOM lines) as Arrow tables → results as an Arrow table."""

    def apply(products_table, lines_table):
        import polars as pl

        raw_p = pl.from_arrow(products_table).drop("bucket").cast({"row": pl.Int64})
        raw_l = pl.from_arrow(lines_table).drop("bucket").cast({"row": pl.Int64})
        prods, p_rej = catalog.validate_products(raw_p, "products", agreements=agreements)
        lines, l_rej = catalog.validate_lines(raw_l, "bom", prods, raw_p["product_id"].str.strip_chars())
        bad = catalog.product_level_rejects(prods, lines, l_rej, raw_l, "products")
        good = prods.join(bad.select("row"), on="row", how="anti")
        result = kernel.determine_chunk(good, lines.join(good.select("product_id"), on="product_id", how="semi"),
                                        agreements)
        rejects = pl.concat([p_rej, l_rej, bad]).cast(catalog.REJECT_SCHEMA)
        if rejects.height:
            ids = pl.concat([raw_p.select("row", "product_id").with_columns(file=pl.lit("products")),
                             raw_l.select("row", "product_id").with_columns(file=pl.lit("bom"))])
            rejected = rejects.join(ids, on=["file", "row"], how="left").select(
                "product_id", outcome=pl.lit("rejected"),
                reason=pl.format("{} row {}, {}: {}", "file", "row", "field", "reason"))
            result = pl.concat([result, rejected], how="diagonal_relaxed")
        import pyarrow as pa

        table = result.select(kernel.OUTPUT_COLUMNS).cast(kernel.OUTPUT_SCHEMA).to_arrow()
        return table.cast(pa.schema([(c, pa.string()) for c in kernel.OUTPUT_COLUMNS]))

    return apply


def determine_catalog(products, bom, *, agreements: tuple[str, ...] | None = None, buckets: int | None = None):
    """Results for a catalog given as two Spark DataFrames (columns as in docs/batch.md)."""
    from pyspark.sql import functions as F

    spark = products.sparkSession
    n = buckets or int(spark.conf.get("spark.sql.shuffle.partitions"))
    wanted = tuple(a.upper() for a in agreements) if agreements else None
    p = _as_text(products, catalog.PRODUCT_COLUMNS)
    b = _as_text(bom, catalog.BOM_COLUMNS)
    bucket = F.pmod(F.hash(F.trim(F.col("product_id"))), F.lit(n))
    p = p.withColumn("bucket", bucket)
    b = b.withColumn("bucket", bucket)
    return p.groupBy("bucket").cogroup(b.groupBy("bucket")).applyInArrow(determine_group(wanted),
                                                                         schema=_spark_schema())
