"""``noodlebowl data …``: how far the reference data can be trusted, and importing an official
PSR annex from PDF.

JSON keys of ``data import-psr``: ``file``, ``out``, ``agreement``, ``edition``, ``rows``, ``pages``,
``sections`` (process list: rows per section), ``levels`` (rows per level: chapter, heading, subheading).

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
        pages: str | None = typer.Option(None, "--pages", help="PDF pages of the annex inside a longer "
                                                                "document, FIRST-LAST (e.g. 54-212)"),
        layout: str = typer.Option("list", "--layout", help="list: the project's reader (RCEP Annex 3A grid, "
                                   "ATIGA Annex 3 Attachment 1 list); rule-table: Tariff Heading | Sub-Heading | "
                                   "Product Description | Product Specific Rule (AANZFTA Annex 2)"),
        first_page: int = typer.Option(1, "--first-page", min=1, help="first PDF page to read (rule-table)"),
        fmt: Format = format_option()) -> None:
    """Read an official PSR annex table from PDF into the project's rule-table CSV (verification =
    unverified). Two layouts: a rule table (Chapter | Heading | Subheading | Product Description |
    Product-Specific Rule, e.g. RCEP Annex 3A) and a process list (No | Heading | Sub-heading | Product
    Description, e.g. ATIGA Annex 3 Attachment 1). Any row that cannot be read is reported and nothing
    is written."""
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

    result = read_annex(pdf, agreement=agreement, edition=edition, pages=_page_range(pages))
    target = out or pdf.with_suffix(".csv")
    write_csv(result, target)
    data = {"file": str(pdf), "out": str(target), "agreement": result.agreement, "edition": result.edition,
            "rows": len(result.rows), "pages": result.pages,
            "sections": {s: sum(1 for r in result.rows if r["section"] == s) for s in result.sections},
            "levels": {lv: sum(1 for r in result.rows if r["level"] == lv)
                       for lv in dict.fromkeys(r["level"] for r in result.rows)}}
    parts = data["sections"] and ("sections", data["sections"]) or ("levels", data["levels"])
    emit(data, fmt.value, lambda d: print(
        f"{d['rows']} rows read from {d['file']} ({d['pages']} pages; {parts[0]} "
        + ", ".join(f"{k} {v}" for k, v in parts[1].items()) + f") → {d['out']}"))


def _page_range(text: str | None) -> tuple[int, int] | None:
    """``--pages 54-212`` (or one page, ``57``) as (first, last); anything else is refused."""
    import re

    from noodlebowl.errors import DataImportError

    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not m:
        raise DataImportError(f"pages {text!r} are not a page range", where="--pages", accepted="FIRST-LAST, e.g. 54-212")
    first = int(m.group(1))
    return first, int(m.group(2) or first)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
