"""Read a product-specific-rule annex laid out as a ruled four-column table from a PDF.

The layout is that of the AANZFTA Annex 2 (First Protocol 2014, Appendix 4): columns
Tariff Heading | Tariff Sub-Heading | Product Description | Product Specific Rule, the header
repeated on every (landscape) page, a row per heading or subheading between drawn rules, chapter
rows ("CHAPTER 1  LIVE ANIMALS") and chapter notes in the description column.

Cells come from the table's own ruling lines (:mod:`noodlebowl.coverage.pdf_psr` reads the page,
turned pages included). Each code cell must hold a heading (``0101``) or subheading
(``0101.21``); anything else is reported with page and text, never guessed. A row whose code cells
are empty continues the row above (a cell running over a page break).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from noodlebowl.coverage.pdf_psr import _join, _page_content, open_pdf, refuse_unreadable
from noodlebowl.errors import DataImportError

EXPECTED_LAYOUT = ("a ruled table with the columns Tariff Heading | Tariff Sub-Heading | Product Description | "
                   "Product Specific Rule (e.g. AANZFTA Annex 2), in a PDF with a text layer")
HEADER = "Product Specific Rule"
_HEADING = re.compile(r"^(\d{4})$")
_SUBHEADING = re.compile(r"^(\d{4})\.(\d{2})$")
_CHAPTER = re.compile(r"^CHAPTER\s+(\d{1,2})\b", re.IGNORECASE)
_HEADER_CELL = re.compile(r"^(Column|Tariff|Sub-?\s*Heading|Heading)\b", re.IGNORECASE)


@dataclass
class RuleTable:
    file: str
    agreement: str
    edition: str
    pages: list[int] = field(default_factory=list)          # 1-based pages read
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)          # chapter notes and other text kept aside
    problems: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\ufffe", "-").replace("\x02", "-")).strip()


def read_rule_table(path: str | Path, *, agreement: str, edition: str, first_page: int = 1,
                    last_page: int | None = None) -> RuleTable:
    """Every heading and subheading row with its rule, or :class:`DataImportError` naming what could not
    be read (page, cell, text)."""

    path = Path(path)
    document = open_pdf(path, EXPECTED_LAYOUT)
    try:
        table = RuleTable(file=path.name, agreement=agreement, edition=edition)
        last = min(last_page or len(document), len(document))
        for page_no in range(first_page, last + 1):
            _read_page(document[page_no - 1], page_no, table)
    finally:
        document.close()
    if not table.pages:
        raise DataImportError(f"no table headed {HEADER!r} found", where=path.name, accepted=EXPECTED_LAYOUT)
    refuse_unreadable(table.problems, path, EXPECTED_LAYOUT)
    return table


def _read_page(page, page_no: int, table: RuleTable) -> None:
    segments, xs, ys = _page_content(page)
    if not any(HEADER in s.text for s in segments) or len(xs) < 5 or len(ys) < 2:
        return
    bounds = xs[-5:] if len(xs) > 5 else xs
    if len(xs) > 5:
        table.problems.append(f"page {page_no}: {len(xs) - 1} table columns found, 4 expected")
        return
    table.pages.append(page_no)
    bands = list(reversed(list(zip(ys[:-1], ys[1:]))))   # top band first
    cells: dict[tuple[int, int], list] = {}
    for s in segments:
        col = next((c for c in range(4) if bounds[c] <= s.cx <= bounds[c + 1]), None)
        band = next((b for b, (lo, hi) in enumerate(bands) if lo <= s.cy <= hi), None)
        if col is not None and band is not None:
            cells.setdefault((band, col), []).append(s)
    for b in range(len(bands)):
        head, sub, desc, rule = (_clean(_join(cells.get((b, c), []))) for c in range(4))
        if not any((head, sub, desc, rule)):
            continue
        _row(table, page_no, head, sub, desc, rule)


def _row(table: RuleTable, page_no: int, head: str, sub: str, desc: str, rule: str) -> None:
    if HEADER in rule or "Product Description" in desc or any(_HEADER_CELL.match(c) for c in (head, sub) if c):
        return  # the column header, repeated on every page
    chapter = _CHAPTER.match(head)
    if chapter:
        table.notes.append(f"p.{page_no}: {head} {desc}".strip())
        return
    if not head and not sub:
        last = table.rows[-1] if table.rows else None
        if rule and last is not None and last["pdf_page"] < page_no:   # a rule cell running over the page break
            last["rule_text"] = _clean(f"{last['rule_text']} {rule}")
            last["continued"] = True
        elif desc or rule:
            table.notes.append(f"p.{page_no}: {desc} {rule}".strip())
        return
    if head and not _HEADING.match(head):
        table.problems.append(f"page {page_no}: 'Tariff Heading' cell {head!r} is not a heading (0101)")
        return
    m = _SUBHEADING.match(sub) if sub else None
    if sub and not m:
        table.problems.append(f"page {page_no}: 'Tariff Sub-Heading' cell {sub!r} is not a subheading (0101.21)")
        return
    if m and head and m.group(1) != head:
        table.problems.append(f"page {page_no}: subheading {sub} is not under heading {head} of its row")
        return
    if not rule:
        if m:
            table.problems.append(f"page {page_no}: subheading {sub} has no rule")
        return   # a heading row that only introduces its subheadings
    digits = m.group(1) + m.group(2) if m else head
    table.rows.append({
        "agreement": table.agreement, "hs_code": digits,
        "hs_code_dotted": f"{digits[:4]}.{digits[4:]}" if len(digits) == 6 else digits,
        "hs_edition": table.edition, "level": "subheading" if len(digits) == 6 else "heading",
        "rule_text": rule, "description": desc, "pdf_page": page_no, "continued": False})


CSV_COLUMNS = ["agreement", "hs_code", "hs_code_dotted", "hs_edition", "level", "rule_text", "source",
               "verification", "verification_detail", "description"]


def write_csv(table: RuleTable, target: str | Path) -> Path:
    """The rule table as the project's rule-table CSV (verification = unverified: read by a program,
    not re-read by a person), written atomically."""
    import csv
    import io

    from noodlebowl.coverage.pdf_psr import write_text_atomically

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in table.rows:
        writer.writerow({**{k: r[k] for k in ("agreement", "hs_code", "hs_code_dotted", "hs_edition", "level",
                                               "rule_text", "description")},
                         "source": f"{table.file} p.{r['pdf_page']}", "verification": "unverified",
                         "verification_detail": "read from the official PDF by `noodlebowl data import-psr "
                                                "--layout rule-table`; not re-read by a person"})
    return write_text_atomically(buf.getvalue(), target)
