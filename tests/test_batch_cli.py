"""`noodlebowl batch`: output columns, rejects file, summary, formats, chunking."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from noodlebowl.batch import kernel
from noodlebowl.cli import app

ROOT = Path(__file__).parents[1] / "examples" / "catalog"


def test_batch_writes_results_rejects_and_summary(tmp_path):
    out = tmp_path / "results.parquet"
    result = CliRunner().invoke(app, ["batch", str(ROOT / "products.csv"), str(ROOT / "bom.csv"),
                                      "--out", str(out), "--chunk-size", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    df = pl.read_parquet(out)
    assert df.columns == kernel.OUTPUT_COLUMNS
    assert summary["determinations"] == df.height
    assert summary["by_agreement"]["RCEP"]["qualifies"] >= 1
    wire = df.filter(pl.col("product_id") == "WIRE-6")
    assert set(wire["outcome"]) == {"does_not_qualify"}
    rejects = pl.read_csv(tmp_path / "results.parquet.rejects.csv")
    assert rejects.columns == ["file", "row", "field", "reason"]
    assert {(r["file"], r["field"]) for r in rejects.iter_rows(named=True)} == {
        ("products.csv", "hs"), ("bom.csv", "product_id")}


def test_chunking_and_formats_do_not_change_answers(tmp_path):
    from noodlebowl.batch.run import run

    run(ROOT / "products.csv", ROOT / "bom.csv", tmp_path / "a.csv", chunk_size=1)
    products = pl.read_csv(ROOT / "products.csv", infer_schema=False)
    products.write_parquet(tmp_path / "p.parquet")
    pl.read_csv(ROOT / "bom.csv", infer_schema=False).reverse().write_parquet(tmp_path / "b.parquet")
    run(tmp_path / "p.parquet", tmp_path / "b.parquet", tmp_path / "b.xlsx", chunk_size=100)
    a = pl.read_csv(tmp_path / "a.csv", infer_schema=False)
    b = _read_xlsx(tmp_path / "b.xlsx")
    assert a.fill_null("").to_dicts() == b.fill_null("").to_dicts()


def _read_xlsx(path: Path) -> pl.DataFrame:
    from openpyxl import load_workbook

    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    return pl.DataFrame([[None if v is None else str(v) for v in r] for r in rows[1:]],
                        schema={c: pl.String for c in rows[0]}, orient="row")


def test_bad_values_are_rejected_with_row_and_field(tmp_path):
    from noodlebowl.batch.run import run

    (tmp_path / "p.csv").write_text("product_id,hs,exporter,importer,date,fob\n"
                                    "A,8509.40,VN,JP,2026-03-01,100\n"
                                    "B,8509.40,VN,XX,2026-03-01,100\n"
                                    "C,8509.40,VN,JP,2026-03-01,-5\n"
                                    "D,8509.40,VN,JP,2026-03-01,100\n"
                                    "E,8509.40,QQ,JP,2026-03-01,100\n"
                                    "F,8509.40,VN,JP;XX,2026-03-01,100\n")
    (tmp_path / "b.csv").write_text("product_id,hs,origin,originating,value\n"
                                    "A,8501.10,CN,false,30\n"
                                    "D,8501.10,CN,false,\n"
                                    "D,8501.10,ZZ,false,3\n")
    summary = run(tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / "out.csv")
    rejects = pl.read_csv(tmp_path / "out.csv.rejects.csv")
    got = {(r["file"], r["row"], r["field"]) for r in rejects.iter_rows(named=True)}
    assert {("p.csv", 2, "importer"), ("p.csv", 3, "fob"), ("b.csv", 2, "value"), ("b.csv", 3, "origin"),
            ("p.csv", 4, "bom"), ("p.csv", 5, "exporter"), ("p.csv", 6, "importer")} <= got
    out = pl.read_csv(tmp_path / "out.csv")
    assert set(out["product_id"]) == {"A"}
    assert summary.rejected_products == 5


def test_xlsx_results_continue_on_a_new_sheet_when_one_is_full(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from noodlebowl.batch.run import Writer, run

    run(ROOT / "products.csv", ROOT / "bom.csv", tmp_path / "one.csv")
    expected = pl.read_csv(tmp_path / "one.csv", infer_schema=False).fill_null("").rows()
    monkeypatch.setattr(Writer, "XLSX_MAX_ROWS", 4)    # Excel's 1,048,576, made small: header + 3 rows
    run(ROOT / "products.csv", ROOT / "bom.csv", tmp_path / "many.xlsx", chunk_size=2)
    sheets = load_workbook(tmp_path / "many.xlsx", read_only=True).worksheets
    assert len(sheets) == -(-len(expected) // 3) > 1
    assert [s.title for s in sheets][:2] == ["results", "results (2)"]
    got = []
    for sheet in sheets:
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == kernel.OUTPUT_COLUMNS and 1 < len(rows) <= 4
        got += [tuple("" if v is None else str(v) for v in r) for r in rows[1:]]
    assert got == expected


def test_xlsx_with_no_results_has_the_header(tmp_path):
    from noodlebowl.batch.run import run

    (tmp_path / "p.csv").write_text("product_id,hs,exporter,importer,fob\nA,8509.40,VN,XX,100\n")
    (tmp_path / "b.csv").write_text("product_id,value\nA,30\n")
    run(tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / "out.xlsx")
    assert _read_xlsx(tmp_path / "out.xlsx").columns == kernel.OUTPUT_COLUMNS


def test_materials_worth_more_than_fob_reject_the_product(tmp_path):
    """The engine refuses counted materials above FOB; packing and indirect materials do not count."""
    from noodlebowl.batch.run import run

    (tmp_path / "p.csv").write_text("product_id,hs,exporter,importer,date,fob\n"
                                    "OVER,8509.40,VN,JP,2026-03-01,100\n"
                                    "PACKED,8509.40,VN,JP,2026-03-01,100\n")
    (tmp_path / "b.csv").write_text("product_id,hs,origin,originating,value,kind\n"
                                    "OVER,8501.10,CN,false,80,\n"
                                    "OVER,8501.20,CN,false,30,accessory\n"
                                    "PACKED,8501.10,CN,false,80,\n"
                                    "PACKED,4819.10,CN,false,30,packing\n"
                                    "PACKED,2710.19,CN,false,30,indirect\n")
    summary = run(tmp_path / "p.csv", tmp_path / "b.csv", tmp_path / "out.csv")
    rejects = pl.read_csv(tmp_path / "out.csv.rejects.csv")
    assert rejects.select("row", "field").rows() == [(1, "fob")]
    assert set(pl.read_csv(tmp_path / "out.csv")["product_id"]) == {"PACKED"}
    assert summary.rejected_products == 1


def test_overlapping_runs_leave_the_garbage_collector_as_they_found_it():
    """Runs pause the cyclic GC; overlapping ones (web batch jobs are threads) must not leave it off."""
    import gc

    from noodlebowl.batch.run import _gc_paused

    assert gc.isenabled()
    first, second = _gc_paused(), _gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)          # the first run ends while the second goes on
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()
    try:
        with _gc_paused():
            pass
        assert not gc.isenabled()             # it was off before: it stays off
    finally:
        gc.enable()
