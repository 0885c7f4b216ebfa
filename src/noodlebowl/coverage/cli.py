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
        layout: str = typer.Option("list", "--layout", help="list: No | Heading | Sub-heading | Product "
                                   "Description (ATIGA Annex 3 Attachment 1); rule-table: Tariff Heading | "
                                   "Sub-Heading | Product Description | Product Specific Rule (AANZFTA Annex 2)"),
        first_page: int = typer.Option(1, "--first-page", min=1, help="first PDF page to read (rule-table)"),
        fmt: Format = format_option()) -> None:
    """Read an official PSR annex table from PDF into the project's rule-table CSV (verification =
    unverified). Any row that cannot be read is reported and nothing is written."""
    from noodlebowl.coverage.pdf_psr import read_annex, write_csv
    from noodlebowl.errors import DataImportError
    from noodlebowl.output import emit

    if layout not in ("list", "rule-table"):
        raise DataImportError(f"unknown layout {layout!r}", where="--layout", accepted="list, rule-table")
    if layout == "rule-table":
        from noodlebowl.coverage import pdf_rule_table

        from noodlebowl.hs.codes import check_edition
        table = pdf_rule_table.read_rule_table(pdf, agreement=agreement.strip().upper(),
                                               edition=check_edition(edition), first_page=first_page)
        target = out or pdf.with_suffix(".csv")
        pdf_rule_table.write_csv(table, target)
        data = {"file": str(pdf), "out": str(target), "agreement": table.agreement, "edition": table.edition,
                "rows": len(table.rows), "pages": len(table.pages)}
        emit(data, fmt.value, lambda d: print(f"{d['rows']} rules read from {d['file']} ({d['pages']} pages) "
                                              f"→ {d['out']}"))
        return

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
