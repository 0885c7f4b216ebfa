"""Whole product catalogs: validation (catalog), the column-wise kernel, the streaming runner (run),
the Spark adapter (spark) and `noodlebowl batch` (cli). See docs/batch.md."""
