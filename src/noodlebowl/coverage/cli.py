"""``noodlebowl data …``: how far the reference data can be trusted, and importing an official
PSR annex from PDF.

JSON keys of ``data coverage``: ``data_version``, ``psr`` (per agreement: ``agreement``,
``edition``, ``rule_table_edition``, ``subheadings``, ``categories`` {category: {count,
percent}}, ``with_incomplete_part``, ``examples``), ``tariffs`` (per importer and regime:
``importer``, ``regime``, ``national_lines``, ``categories``), ``categories`` (meanings),
``sources`` (path, sha256, rows).
"""

from __future__ import annotations

from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option

data_app = typer.Typer(name="data", help="Reference data: coverage and verification status; import an "
                                         "official PSR annex from PDF.", no_args_is_help=True)


@data_app.command("coverage")
def coverage_cmd(fmt: Format = format_option()) -> None:
    """Share of HS2022 subheadings whose rule is verified, unverified, general-rule-only, missing or
    ambiguous (per agreement), and of tariff lines with a computable rate (per importer and regime)."""
    from noodlebowl.coverage.report import coverage, render_text
    from noodlebowl.output import emit

    emit(coverage(), fmt.value, render_text)


@data_app.command("import-psr")
def import_psr_cmd(
        pdf: Path = typer.Argument(..., help="official PSR annex table in PDF (with a text layer)"),
        agreement: str = typer.Option(..., "--agreement", help="agreement of the annex, e.g. ATIGA"),
        edition: str = typer.Option(..., "--edition", help="HS edition of the annex: HS2012, HS2017 or HS2022"),
        out: Path | None = typer.Option(None, "--out", help="CSV to write (default: FILE with .csv)"),
        fmt: Format = format_option()) -> None:
    """Read an official PSR annex table from PDF into the project's rule-table CSV (verification =
    unverified). Any row that cannot be read is reported and nothing is written."""
    from noodlebowl.coverage.pdf_psr import read_annex, write_csv
    from noodlebowl.output import emit

    result = read_annex(pdf, agreement=agreement, edition=edition)
    target = out or pdf.with_suffix(".csv")
    write_csv(result, target)
    data = {"file": str(pdf), "out": str(target), "agreement": result.agreement, "edition": result.edition,
            "rows": len(result.rows), "pages": result.pages,
            "sections": {s: sum(1 for r in result.rows if r["section"] == s) for s in result.sections}}
    emit(data, fmt.value, lambda d: print(
        f"{d['rows']} rows read from {d['file']} ({d['pages']} pages; sections "
        + ", ".join(f"{k} {v}" for k, v in d["sections"].items()) + f") → {d['out']}"))


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
