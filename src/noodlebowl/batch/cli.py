"""`noodlebowl batch PRODUCTS BOM --out results.parquet`: a whole catalog, column-wise."""

from __future__ import annotations

from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)


def batch(
    products: Path = typer.Argument(..., help="products file (.csv, .xlsx or .parquet; see docs/batch.md)"),
    bom: Path = typer.Argument(..., help="bill-of-materials lines (.csv, .xlsx or .parquet)"),
    out: Path = typer.Option(..., "--out", "-o", help="results file: .parquet, .csv or .xlsx"),
    agreement: list[str] = typer.Option(None, "--agreement", "-a",
                                        help="only this agreement where in force (repeatable)"),
    chunk_size: int = typer.Option(20_000, "--chunk-size", min=1, help="products per chunk (bounds memory)"),
    plan_cache: bool = typer.Option(True, "--plan-cache/--no-plan-cache",
                                    help="keep rule plans and code lookups across runs (see docs/batch.md)"),
    workers: int = typer.Option(None, "--workers", min=1,
                                help="chunks evaluated side by side (default: the cores, at most 4)"),
    fmt: Format = format_option(),
) -> None:
    """Does each product of a catalog qualify, under each agreement in force for its routes?
    Bad rows go to <out>.rejects.csv; the run goes on."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from noodlebowl.batch import catalog
    from noodlebowl.batch.run import run
    from noodlebowl.output import emit

    # unreadable inputs (encoding, empty, fake, bombs, missing columns) stop here with one sentence
    catalog.preflight(products, catalog.PRODUCT_REQUIRED, catalog.PRODUCT_COLUMNS)
    catalog.preflight(bom, catalog.BOM_REQUIRED, catalog.BOM_COLUMNS)

    with Progress(TextColumn("products"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, disable=fmt is Format.json) as bar:
        task = bar.add_task("batch", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = run(products, bom, out, agreements=tuple(agreement) if agreement else None,
                      chunk_size=chunk_size, progress=progress, plan_cache=plan_cache, workers=workers)
    emit(summary.as_dict(), fmt.value, render_summary)


def render_summary(data: dict) -> None:
    from rich.table import Table

    from noodlebowl.output import console

    out = console()
    table = Table(title=f"{data['determinations']} determinations for {data['products'] - data['rejected_products']}"
                        f" of {data['products']} products → {data['out']}")
    for column in ("agreement", "qualifies", "does not qualify", "undetermined"):
        table.add_column(column, justify="left" if column == "agreement" else "right")
    for agreement, counts in data["by_agreement"].items():
        table.add_row(agreement, str(counts["qualifies"]), str(counts["does_not_qualify"]),
                      str(counts["undetermined"]))
    out.print(table)
    if data["top_reasons"]:
        out.print("Commonest reasons for not qualifying:")
        for r in data["top_reasons"]:
            out.print(f"  {r['count']:>8}  {r['reason']}", markup=False, highlight=False)
    for warning in data.get("warnings", []):
        out.print(f"warning: {warning}", markup=False, highlight=False)
    if data["rejects"]:
        out.print(f"{data['rejects']} problem(s) in the input ({data['rejected_products']} product(s) not "
                  f"evaluated): see {data['rejects_file']}")
