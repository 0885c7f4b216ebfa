"""The catalog's columns: one BOM line schema with the request and the web upload, the columns only the
engine reads (partial cumulation, accessories, facts, a line's currency), and columns nobody reads —
reported by name, never silently dropped."""

from __future__ import annotations

import polars as pl

from noodlebowl.batch import catalog
from noodlebowl.batch.run import run
from noodlebowl.origin import determine, parse_request
from noodlebowl.origin.request import BOM_LINE_FIELDS
from noodlebowl.web import bomfile

PRODUCT = {"product_id": "P1", "hs": "6911.10", "exporter": "TH", "importer": "VN", "date": "2026-03-01",
           "fob": "100.00", "currency": "USD"}
BLANK = {"product_id": "P1", "material": "Porcelain blank", "hs": "6911.10", "origin": "MY", "originating": "false",
         "value": "65.00"}


def _run(tmp_path, products: list[dict], lines: list[dict], fmt: str = "csv"):
    p, b = tmp_path / f"products.{fmt}", tmp_path / f"bom.{fmt}"
    for path, rows in ((p, products), (b, lines)):
        frame = pl.DataFrame(rows, schema={k: pl.String for r in rows for k in r})
        frame.write_csv(path) if fmt == "csv" else frame.sort("product_id").write_parquet(path)
    out = tmp_path / f"out-{fmt}.parquet"
    summary = run(p, b, out, agreements=("ATIGA",), plan_cache=False, workers=1)
    rejects = pl.read_csv(summary.rejects_file) if summary.rejects_file else None
    return pl.read_parquet(out), rejects, summary


def test_partial_cumulation_column_is_read_and_agrees_with_qualify(tmp_path):
    results, rejects, _ = _run(tmp_path, [PRODUCT], [{**BLANK, "regional_content_percent": "30"}])
    assert rejects is None
    row = results.row(0, named=True)
    # ATIGA Art. 30(2): 30 % of the 65.00 blank counts as originating → (100 − 45.50) / 100
    assert (row["outcome"], row["criterion"], row["rvc_build_down"]) == ("qualifies", "RVC 54%", "54.5")
    engine = determine(parse_request({
        "exporter": "TH", "importer": "VN", "date": "2026-03-01", "agreements": ["ATIGA"],
        "product": {"hs": "6911.10", "fob": "100.00"},
        "materials": [{"name": "Porcelain blank", "hs": "6911.10", "origin": "MY", "value": "65.00",
                       "regional_content_percent": "30"}]}))[0]
    assert (engine.outcome.value, engine.criterion, str(engine.rvc.build_down)) == \
        (row["outcome"], row["criterion"], row["rvc_build_down"])


def test_same_answers_from_csv_and_from_the_parquet_fast_path(tmp_path):
    products = [PRODUCT, {**PRODUCT, "product_id": "P2", "hs": "9608.10"}]
    lines = [{**BLANK, "regional_content_percent": "30", "invoiced_separately": "", "customary": ""},
             {"product_id": "P2", "material": "Ink", "hs": "3215.90", "origin": "CN", "originating": "no",
              "value": "20", "regional_content_percent": "", "invoiced_separately": "", "customary": ""},
             {"product_id": "P2", "material": "Refills", "hs": "9608.60", "origin": "CN", "originating": "no",
              "value": "12", "kind": "accessory", "regional_content_percent": "", "invoiced_separately": "no",
              "customary": "no"}]
    from_csv = _run(tmp_path, products, lines, "csv")[0]
    from_parquet = _run(tmp_path, products, lines, "parquet")[0]
    assert from_csv.equals(from_parquet)
    assert from_csv["product_id"].to_list() == ["P1", "P2"]


def test_bad_values_of_the_new_columns_are_rejected_by_field(tmp_path):
    products = [{**PRODUCT, "facts": "minimal_operations_only=maybe"},
                {**PRODUCT, "product_id": "P2"}, {**PRODUCT, "product_id": "P3"}, {**PRODUCT, "product_id": "P4"}]
    lines = [{**BLANK},
             {**BLANK, "product_id": "P2", "regional_content_percent": "120"},
             {**BLANK, "product_id": "P3", "kind": "accessory", "invoiced_separately": "perhaps"},
             {**BLANK, "product_id": "P4", "currency": "MYR"}]
    results, rejects, _ = _run(tmp_path, products, lines)
    assert results.is_empty()
    by_field = {r["field"]: r["reason"] for r in rejects.iter_rows(named=True)}
    assert "facts.minimal_operations_only" in by_field["facts"] and "yes" in by_field["facts"]
    assert "at most 100" in by_field["regional_content_percent"]
    assert "accepted: true" in by_field["invoiced_separately"]
    assert "differs from the product's currency USD" in by_field["currency"]


def test_columns_no_field_reads_are_warned_about_by_name(tmp_path):
    plain = _run(tmp_path, [PRODUCT], [BLANK])
    extra = _run(tmp_path, [{**PRODUCT, "colour": "red"}], [{**BLANK, "supplier": "Acme"}])
    assert plain[2].warnings == []
    assert any("'colour'" in w and "products.csv" in w for w in extra[2].warnings)
    assert any("'supplier'" in w and "bom.csv" in w for w in extra[2].warnings)
    assert plain[0].equals(extra[0])


def test_one_bom_line_schema_for_request_upload_and_catalog():
    header = ",".join(BOM_LINE_FIELDS)
    upload = bomfile.read(f"{header}\nMotor,8501.10,CN,false,30,0.8,material,USD,false,true,\n".encode(),
                          "bom.csv", "text/csv")
    assert upload.errors == [] and upload.materials[0].name == "Motor"
    # the catalog reads the same fields (the line's name in its "material" column)
    assert set(catalog.BOM_COLUMNS) == {"product_id", "material"} | (set(BOM_LINE_FIELDS) - {"name"})
