"""Read an official product-specific-rule annex table from a PDF with a text layer.

Two layouts are read. A *rule table* (RCEP Annex 3A): a ruled grid with the columns Chapter |
Heading | Subheading | Product Description | Product-Specific Rule, one row per code that carries a
rule (:func:`read_rule_table`; ``read_annex`` picks it when the header says "Specific Rule").
A *process list*: the layout of ATIGA Annex 3 Attachment 1 (the Textile Rule list, HS2022): sections
("A. Fibres and yarns" …) each introduced by the working or processing that confers origin,
then a ruled table with the columns No | Heading | Sub-heading | Product Description. A
sub-heading prefixed "ex." covers only the part of the subheading described; "(AHTN)" marks an
eight-digit AHTN line.

Cells are found from the table's own ruling lines (the drawn grid), not from guessed text
positions, and each cell must hold what its column allows (an item number, a heading 12.34,
a subheading 1234.56 / ex.1234.56 / 1234.56.78 (AHTN)). Anything else — a scanned page without
text, a document without such a table, cells shifted into the wrong column — is reported with
page, line and text, and nothing is returned: :func:`read_annex` raises
:class:`~noodlebowl.errors.DataImportError`.

The text is extracted with pypdfium2 (PDFium): the whole 41-page annex reads in under a second.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from noodlebowl.errors import DataImportError

COLUMNS = ["agreement", "hs_code", "hs_code_dotted", "hs_edition", "level", "rule_text", "source",
           "verification", "verification_detail", "item_no", "section", "heading", "ex", "ahtn",
           "description", "process_text"]
EXPECTED_LAYOUT = ("a ruled table with the columns No | Heading | Sub-heading | Product Description "
                   "(official PSR annex layout, e.g. ATIGA Annex 3 Attachment 1), in a PDF with a text layer")
HEADER_WORDS = re.compile(r"\b(No\.?|HS\s*2022|HS\s*2017|HS\s*2012|Heading|Sub-?|heading|Sub-heading|"
                          r"Product|Description)\b")
_NUMBER = re.compile(r"^\d{1,4}$")
_HEADING = re.compile(r"^(\d{2})\.(\d{2})$")
_CODE = re.compile(r"^(ex\.?\s*)?(\d{4})\.(\d{2})(?:\.(\d{2}))?(\s*\(AHTN\))?$")
_FOOTER = re.compile(r"^Page \d+ of \d+$")
_SECTION = re.compile(r"^([A-Z])\.\s+(\S.*)$")
_PROCESS_INTRO = "Working or Processing Carried Out on Non-Originating Materials"
_LINE_TOLERANCE = 2.5


@dataclass
class Unreadable:
    page: int
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"page {self.page} line {self.line}: {self.reason}: {self.text!r}"


@dataclass
class AnnexResult:
    file: str
    agreement: str
    edition: str
    pages: int
    rows: list[dict] = field(default_factory=list)
    sections: dict[str, dict] = field(default_factory=dict)   # letter → {title, process_text, page}
    notes: list[str] = field(default_factory=list)


@dataclass
class _Segment:
    x0: float
    bottom: float
    x1: float
    top: float
    text: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.bottom + self.top) / 2


def _cluster(values: list[float], tolerance: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tolerance:
            continue
        out.append(v)
    return out


def _page_content(page) -> tuple[list[_Segment], list[float], list[float]]:
    """Text segments, x of vertical rules, y of horizontal rules (PDF units, origin bottom-left).

    The ends of the vertical rules count as horizontal rules: a row running over a page break
    has no drawn top (or bottom) border.
    """
    import pypdfium2.raw as raw

    turn = _unrotate(page.get_rotation())
    textpage = page.get_textpage()
    count = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != count:  # generated characters differ: read one by one
        text = "".join(textpage.get_text_range(i, 1) or " " for i in range(count))
    # Runs of characters on one line without a gap. Loose boxes (the font's full height) keep a
    # dash on the line of its letters; runs, not PDFium's own text rectangles, which overlap.
    segments: list[_Segment] = []
    run: list[tuple[str, tuple[float, float, float, float]]] = []

    def flush() -> None:
        chars = "".join(c for c, _ in run)
        if chars.strip():
            segments.append(_Segment(min(b[0] for _, b in run), min(b[1] for _, b in run),
                                     max(b[2] for _, b in run), max(b[3] for _, b in run), chars))
        run.clear()

    for i in range(count):
        char = text[i]
        if char in "\r\n":
            flush()
            continue
        box = turn(textpage.get_charbox(i, loose=True))
        if run:
            prev = run[-1][1]
            if abs(prev[3] - box[3]) > 1.5 or box[0] - prev[2] > 3 or box[0] < prev[0] - 1:
                flush()
        run.append((char, box))
    flush()
    xs, ys, ends = [], [], []
    boxes: list[tuple[float, float, float, float]] = []
    for obj in page.get_objects():
        if obj.type != raw.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = turn(obj.get_bounds())
        if right - left < 3 and top - bottom > 5:
            xs.append((left + right) / 2)
            ends.extend((bottom, top))
        elif top - bottom < 3 and right - left > 5:
            ys.append((bottom + top) / 2)
        elif top - bottom > 5 and right - left > 5 and top - bottom < 200:
            boxes.append((left, bottom, right, top))
    if not xs:  # no ruling lines: cells drawn as rectangles (used only then; shading boxes abound)
        for left, bottom, right, top in boxes:
            xs.extend((left, right))
            ys.extend((bottom, top))
            ends.extend((bottom, top))
    if ends:
        ys += [min(ends), max(ends)]
    return segments, _cluster(xs, 2), _cluster(ys, 1.5)


def _unrotate(rotation: int):
    """Boxes of a page displayed turned (a landscape table on a portrait page) in reading
    coordinates: x grows along a line, y falls from line to line, as on an unturned page."""
    if rotation == 90:
        return lambda b: (b[1], -b[2], b[3], -b[0])
    if rotation == 270:
        return lambda b: (-b[3], b[0], -b[1], b[2])
    if rotation == 180:
        return lambda b: (-b[2], -b[3], -b[0], -b[1])
    return lambda b: b


def _lines(segments: list[_Segment]) -> list[list[_Segment]]:
    """Segments grouped into text lines, top to bottom, each line left to right.

    Full-height segments define the lines; small glyphs that PDFium boxes on their own (a dash
    or full stop sits lower than the letters' top) join the line whose height holds their centre.
    """
    if not segments:
        return []
    heights = sorted(s.top - s.bottom for s in segments)
    tall_min = 0.6 * heights[len(heights) // 2]
    lines: list[list[_Segment]] = []
    small = []
    for seg in sorted(segments, key=lambda s: (-s.top, s.x0)):
        if seg.top - seg.bottom < tall_min:
            small.append(seg)
        elif lines and abs(lines[-1][0].top - seg.top) <= _LINE_TOLERANCE:
            lines[-1].append(seg)
        else:
            lines.append([seg])
    for seg in small:
        holding = [line for line in lines if line[0].bottom - 1 <= seg.cy <= line[0].top + 1]
        if holding:
            min(holding, key=lambda line: abs(line[0].cy - seg.cy)).append(seg)
        else:
            lines.append([seg])
    lines.sort(key=lambda line: -line[0].top)
    return [sorted(line, key=lambda s: s.x0) for line in lines]


def _join(segments: list[_Segment]) -> str:
    """Cell or line text: segments in reading order; a line ending in PDFium's hyphen mark
    (U+0002, a word broken at the line end) joins the next line without a space."""
    parts = []
    for line in _lines(segments):
        part = ""
        for i, seg in enumerate(line):
            if i and seg.x0 - line[i - 1].x1 > 1.5 and not part.endswith(" ") and not seg.text.startswith(" "):
                part += " "   # a gap between runs is a space PDFium did not report as a character
            part += seg.text
        parts.append(part)
    text = ""
    for part in parts:
        part = part.replace("\r", "").replace("\n", " ").replace("\ufffe", "\x02")
        if text.endswith("\x02"):
            text = text[:-1] + "-" + part.lstrip()
        else:
            text = f"{text} {part}" if text else part
    return re.sub(r"\s+", " ", text.replace("\x02", "-")).strip()


def _dotted(digits: str) -> str:
    return ".".join([digits[:4], digits[4:6]] + ([digits[6:8]] if len(digits) > 6 else []))


def read_annex(path: str | Path, *, agreement: str, edition: str,
               pages: tuple[int, int] | None = None) -> AnnexResult:
    """Every item of the annex table, or :class:`DataImportError` listing what could not be read.

    ``pages`` (first, last; 1-based, inclusive) limits the reading to the annex inside a longer
    document (the RCEP Agreement holds Annex 3A on PDF pages 54-212)."""

    from noodlebowl.hs.codes import check_edition

    path = Path(path)
    edition = check_edition(edition)
    agreement = agreement.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9-]{1,15}", agreement):
        raise DataImportError(f"agreement {agreement!r} is not an agreement code", where="--agreement",
                              accepted="e.g. ATIGA, RCEP, ACFTA")
    document = open_pdf(path, EXPECTED_LAYOUT)
    try:
        indexes = _page_indexes(len(document), pages, path)
        if any(_is_rule_table(document[i]) for i in indexes[:10]):
            return _read_rule_table(document, path, agreement, edition, indexes)
        return _read(document, path, agreement, edition, indexes)
    finally:
        document.close()


def open_pdf(path: Path, expected: str):
    """The PDF document, or a clear error naming the file and the layout expected."""
    import pypdfium2 as pdfium

    if not path.is_file():
        raise DataImportError("file not found", where=str(path), accepted="a PDF file")
    try:
        return pdfium.PdfDocument(str(path))
    except Exception as exc:  # PDFium's error for anything that is not a readable PDF
        raise DataImportError(f"not a readable PDF ({exc})", where=str(path), accepted=expected) from None


def require_text(text_chars: int, path: Path, expected: str) -> None:
    """A PDF with no text layer cannot be read: say so, and what would be."""
    if text_chars == 0:
        raise DataImportError("the PDF has no text layer (a scanned image?); run OCR first or use the "
                              "publisher's text PDF", where=path.name, accepted=expected)


def refuse_unreadable(problems: list, path: Path, expected: str) -> None:
    """Nothing is written when any row could not be read: the first ten are named, all are attached."""
    if not problems:
        return
    shown = "; ".join(str(p) for p in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    error = DataImportError(f"{len(problems)} table row(s) could not be read: {shown}{more}",
                            where=path.name, accepted=expected)
    error.unreadable = problems  # type: ignore[attr-defined]
    raise error


def _page_indexes(count: int, pages: tuple[int, int] | None, path: Path) -> list[int]:
    if pages is None:
        return list(range(count))
    first, last = pages
    if not 1 <= first <= last <= count:
        raise DataImportError(f"pages {first}-{last} are not in the document", where=f"{path.name} --pages",
                              accepted=f"FIRST-LAST within 1-{count}")
    return list(range(first - 1, last))


def _is_rule_table(page) -> bool:
    segments, _, _ = _page_content(page)
    return any({"Chapter", "Heading", "Subheading"} <= {s.text.strip() for s in line} for line in _lines(segments))


def _read(document, path: Path, agreement: str, edition: str, indexes: list[int]) -> AnnexResult:
    result = AnnexResult(file=path.name, agreement=agreement, edition=edition, pages=len(document))
    problems: list[Unreadable] = []
    text_chars = 0
    tables = 0
    # state across pages
    section: str | None = None
    collecting: str | None = None          # "title" or "process" while reading a section's preamble
    heading: str | None = None
    last_row: dict | None = None
    expected_no: int | None = None
    is_textile = False
    in_table = False

    def outside(lines: list[list[_Segment]]) -> None:
        nonlocal section, collecting, is_textile
        for line in lines:
            text = _join(line)
            if not text or _FOOTER.match(text):
                continue
            if "TEXTILE" in text.upper():
                is_textile = True
            m = _SECTION.match(text)
            if m and len(m.group(2)) > 3:
                section = m.group(1)
                result.sections[section] = {"title": m.group(2), "process_text": "", "page": page_no}
                collecting = "title"
                continue
            if section and _PROCESS_INTRO in text:
                collecting = "process"
                continue
            if section and collecting == "title":
                result.sections[section]["title"] += " " + text
            elif section and collecting == "process":
                sep = " " if result.sections[section]["process_text"] else ""
                result.sections[section]["process_text"] += sep + text

    for page_index in indexes:
        page_no = page_index + 1
        segments, xs, ys = _page_content(document[page_index])
        text_chars += sum(len(s.text.strip()) for s in segments)
        all_lines = _lines(segments)
        line_of = {id(s): n for n, line in enumerate(all_lines, 1) for s in line}
        has_header = any("Product Description" in _join(line) for line in all_lines)
        # the table runs on over pages without a repeated header while the grid keeps its 4 columns
        if not has_header and not (in_table and len(xs) == 5):
            in_table = False
            outside(all_lines)
            continue
        if len(xs) < 5 or len(ys) < 3:
            problems.append(Unreadable(page_no, line_of[id(all_lines[0][0])] if all_lines else 0,
                                       "", "table header found but no ruled grid (4 columns) under it"))
            continue
        bounds = xs[-5:] if len(xs) > 5 else xs
        if len(xs) > 5:
            problems.append(Unreadable(page_no, 1, "", f"{len(xs) - 1} table columns found, 4 expected"))
            continue
        left, right = bounds[0], bounds[-1]
        bottom, top = ys[0], ys[-1]
        tables += 1
        in_table = True
        inside = [s for s in segments if left <= s.cx <= right and bottom <= s.cy <= top]
        inside_ids = {id(s) for s in inside}
        # the column header (repeated on every page; "HS 2022" spans two columns) is skipped whole
        header = [s for s in inside if s.top > top - 60 and HEADER_WORDS.fullmatch(s.text.strip().rstrip("\x02"))]
        if header:
            floor = min(s.bottom for s in header) - 1
            inside = [s for s in inside if s.cy < floor]
        above = [line for line in all_lines if all(id(s) not in inside_ids for s in line) and line[0].cy > top]
        below = [line for line in all_lines if all(id(s) not in inside_ids for s in line) and line[0].cy < bottom]
        outside(above)
        bands = list(reversed(list(zip(ys[:-1], ys[1:]))))   # top band first
        cells: dict[tuple[int, int], list[_Segment]] = {}
        for s in inside:
            col = next((c for c in range(4) if bounds[c] <= s.cx <= bounds[c + 1]), None)
            band = next((b for b, (lo, hi) in enumerate(bands) if lo <= s.cy <= hi), None)
            if col is None or band is None:
                continue
            if s.x0 < bounds[col] - 2 or s.x1 > bounds[col + 1] + 2:
                problems.append(Unreadable(page_no, line_of[id(s)], s.text.strip(),
                                           "text crosses a column boundary of the table"))
                continue
            cells.setdefault((band, col), []).append(s)
        first_body = True
        for b in range(len(bands)):
            texts = [_join(cells.get((b, c), [])) for c in range(4)]
            if not any(texts):
                continue
            segs = [s for c in range(4) for s in cells.get((b, c), [])]
            line = min(line_of[id(s)] for s in segs)
            row_text = " | ".join(texts)
            if not HEADER_WORDS.sub("", " ".join(texts)).strip(" |-"):
                continue  # header row (repeated on every page)
            number, head, code, desc = texts
            if first_body and not number and not head and not code and desc[:1].islower() and last_row is not None:
                last_row["_desc"] += " " + desc   # a description running over the page break
                first_body = False
                continue
            first_body = False
            bad = []
            if number and not _NUMBER.match(number):
                bad.append(f"'No' cell {number!r} is not an item number")
            if head and not _HEADING.match(head):
                bad.append(f"'Heading' cell {head!r} is not a heading (12.34)")
            m = _CODE.match(code) if code else None
            if code and not m:
                bad.append(f"'Sub-heading' cell {code!r} is not a subheading (1234.56, ex.1234.56, 1234.56.78 (AHTN))")
            if desc and (_CODE.match(desc) or _HEADING.match(desc) or _NUMBER.match(desc)):
                bad.append(f"'Product Description' cell holds a code {desc!r}")
            if number and not code and not bad:
                bad.append(f"item {number} has no HS code")
            if bad:
                problems.append(Unreadable(page_no, line, row_text, "; ".join(bad)))
                continue
            if head:
                heading = head
            if not number:
                last_row = {"_desc": desc} if desc else last_row
                continue
            digits = m.group(2) + m.group(3) + (m.group(4) or "")
            if section is None:
                problems.append(Unreadable(page_no, line, row_text, "item before any section heading "
                                           "(A., B., …) stating its working or processing"))
                continue
            n = int(number)
            if expected_no is not None and n != expected_no and n != 1:
                result.notes.append(f"page {page_no} line {line}: item {section}{n} follows "
                                    f"{section}{expected_no - 1} (numbering gap or repeat in the source)")
            expected_no = n + 1
            row_heading = heading if heading and heading.replace(".", "") == digits[:4] else None
            if row_heading is None:
                result.notes.append(f"page {page_no} line {line}: item {section}{n} {_dotted(digits)} is not "
                                    f"under the heading last printed ({heading}); heading taken from the code")
                row_heading = f"{digits[:2]}.{digits[2:4]}"
            last_row = {
                "agreement": agreement, "hs_code": digits, "hs_code_dotted": _dotted(digits),
                "hs_edition": edition, "level": "subheading" if len(digits) == 6 else "ahtn_line",
                "rule_text": None, "source": f"{path.name} p.{page_no}", "verification": "unverified",
                "verification_detail": "read from the official PDF by `noodlebowl data import-psr`; not re-read "
                                       "by a person",
                "item_no": n, "section": section, "heading": row_heading, "ex": bool(m.group(1)),
                "ahtn": bool(m.group(5)) or len(digits) == 8, "_desc": desc, "process_text": None,
            }
            result.rows.append(last_row)
        outside(below)
        if section is not None and expected_no is None:
            pass
        # a new section restarts numbering
        if below and any(_SECTION.match(_join(line) or "") for line in below):
            expected_no = None

    require_text(text_chars, path, EXPECTED_LAYOUT)
    if tables == 0 and not problems:
        raise DataImportError("no PSR annex table found (no table headed No | Heading | Sub-heading | "
                              "Product Description)", where=path.name, accepted=EXPECTED_LAYOUT)
    refuse_unreadable(problems, path, EXPECTED_LAYOUT)
    for info in result.sections.values():
        items = [t.strip() for t in re.split(r"(?:^|\s)[•o](?=\s)", info["process_text"]) if t.strip()]
        info["process_text"] = re.sub(r":;", ":", "; ".join(items))
    for row in result.rows:
        info = result.sections[row["section"]]
        row["description"] = row.pop("_desc")
        row["process_text"] = info["process_text"]
        row["rule_text"] = "Textile Rule" if (is_textile and agreement == "ATIGA") else info["process_text"]
    return result

# --- the rule-table layout (RCEP Annex 3A) -----------------------------------------------------

RULE_TABLE_LAYOUT = ("a ruled table with the columns Chapter | Heading | Subheading | Product Description | "
                     "Product-Specific Rule (official PSR annex layout, e.g. RCEP Annex 3A)")
_CHAPTER_CELL = re.compile(r"^(\d{2})$")
_HEADING_CELL = re.compile(r"^(\d{2})\.(\d{2})$")
_SUBHEADING_CELL = re.compile(r"^(\d{4})\.(\d{2})$")
_LEVEL = {2: "chapter", 4: "heading", 6: "subheading"}


def _rule_table_code(texts: list[str]) -> tuple[str | None, list[str]]:
    """The most specific code of a row (digits), and what is wrong with its code cells."""
    chapter, heading, sub = texts[:3]
    bad = []
    for text, pattern, name, form in ((chapter, _CHAPTER_CELL, "Chapter", "12"),
                                      (heading, _HEADING_CELL, "Heading", "12.34"),
                                      (sub, _SUBHEADING_CELL, "Subheading", "1234.56")):
        if text and not pattern.match(text):
            bad.append(f"'{name}' cell {text!r} is not a {name.lower()} ({form})")
    if bad:
        return None, bad
    digits = [t.replace(".", "") for t in (chapter, heading, sub) if t]
    if any(not longer.startswith(shorter) for shorter, longer in zip(digits, digits[1:])):
        return None, [f"codes {', '.join(t for t in (chapter, heading, sub) if t)} of one row do not nest"]
    return (digits[-1] if digits else None), []


def _read_rule_table(document, path: Path, agreement: str, edition: str, indexes: list[int]) -> AnnexResult:
    """Rows of a Chapter | Heading | Subheading | Product Description | Product-Specific Rule grid.

    Each ruled row with a code becomes a row of the rule table (a heading printed only to introduce
    its subheadings has an empty rule and is kept out). A row cut by a page break has no code on
    the page where its rule ends (or begins): that part of the rule joins the row it belongs to."""
    result = AnnexResult(file=path.name, agreement=agreement, edition=edition, pages=len(indexes))
    problems: list[Unreadable] = []
    tables = text_chars = 0
    rows: list[dict] = []
    pending: list[str] = []         # rule text printed above the row's code, before a page break

    for page_index in indexes:
        page_no = page_index + 1
        segments, xs, ys = _page_content(document[page_index])
        text_chars += sum(len(s.text.strip()) for s in segments)
        all_lines = _lines(segments)
        header = next((line for line in all_lines if {"Chapter", "Heading", "Subheading"}
                       <= {s.text.strip() for s in line}), None)
        if header is None:
            continue
        labels = [s for s in header if s.text.strip() == "Chapter"]
        line_of = {id(s): n for n, line in enumerate(all_lines, 1) for s in line}
        if len(xs) != 6 or len(ys) < 3:
            problems.append(Unreadable(page_no, 1, "", f"table header found but a grid of {max(len(xs) - 1, 0)} "
                                                       "columns under it (5 expected)"))
            continue
        tables += 1
        bottom = ys[0]
        floor = min(s.bottom for s in labels) - 1
        inside = [s for s in segments if xs[0] <= s.cx <= xs[-1] and bottom <= s.cy < floor]
        bands = [band for band in reversed(list(zip(ys[:-1], ys[1:]))) if band[0] < floor]
        cells: dict[tuple[int, int], list[_Segment]] = {}
        spanning: dict[int, list[_Segment]] = {}    # section titles run across the columns
        for s in inside:
            col = next(c for c in range(5) if xs[c] <= s.cx <= xs[c + 1])
            band = next((b for b, (lo, hi) in enumerate(bands) if lo <= s.cy <= hi), None)
            if band is None:
                continue
            if s.x0 < xs[col] - 2 or s.x1 > xs[col + 1] + 2:
                spanning.setdefault(band, []).append(s)
                continue
            cells.setdefault((band, col), []).append(s)
        used = sorted({b for b, _ in cells} | set(spanning))
        for n, b in enumerate(used):
            texts = [_join(cells.get((b, c), [])) for c in range(5)]
            line = min(line_of[id(s)] for s in [*spanning.get(b, []), *(s for c in range(5)
                                                                        for s in cells.get((b, c), []))])
            code, bad = _rule_table_code(texts)
            if spanning.get(b) and (code or texts[4]):
                bad.append(f"text crosses a column boundary of the table: {_join(spanning[b])!r}")
            if bad:
                problems.append(Unreadable(page_no, line, " | ".join(texts), "; ".join(bad)))
                continue
            rule = texts[4]
            if code is None:
                if not rule:
                    continue                         # a section title or a description-only line
                if n == 0 and rows and not pending:
                    rows[-1]["rule_text"] = f"{rows[-1]['rule_text']} {rule}".strip()
                    rows[-1]["source"] += f"-{page_no}"
                elif n == len(used) - 1:
                    pending.append(rule)
                else:
                    problems.append(Unreadable(page_no, line, " | ".join(texts), "a rule without a code"))
                continue
            rule = " ".join([*pending, rule]).strip()
            pending.clear()
            rows.append({
                "agreement": agreement, "hs_code": code,
                "hs_code_dotted": code if len(code) == 2 else _dotted(code) if len(code) == 6 else f"{code[:2]}.{code[2:]}",
                "hs_edition": edition, "level": _LEVEL[len(code)], "rule_text": rule,
                "source": f"{path.name} p.{page_no}", "verification": "unverified",
                "verification_detail": "read from the official PDF by `noodlebowl data import-psr`; not re-read "
                                       "by a person",
                "item_no": None, "section": None, "heading": texts[1] or None, "ex": False, "ahtn": False,
                "description": texts[3], "process_text": None})
    require_text(text_chars, path, RULE_TABLE_LAYOUT)
    if pending:
        problems.append(Unreadable(indexes[-1] + 1, 0, " ".join(pending), "a rule without a code at the end"))
    refuse_unreadable(problems, path, RULE_TABLE_LAYOUT)
    seen: dict[str, dict] = {}
    for row in rows:
        if row["hs_code"] in seen:
            result.notes.append(f"{row['source']}: {row['hs_code_dotted']} printed twice")
        seen[row["hs_code"]] = row
    # a heading or chapter printed only to introduce the codes under it carries no rule
    result.rows = [r for r in rows if r["rule_text"]]
    result.notes.extend(f"{r['source']}: {r['hs_code_dotted']} has no rule and no code under it"
                        for r in rows if not r["rule_text"]
                        and not any(o["hs_code"].startswith(r["hs_code"]) and o is not r for o in rows))
    return result


def to_csv(result: AnnexResult) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in result.rows:
        writer.writerow({k: row[k] for k in COLUMNS})
    return buf.getvalue()


def write_csv(result: AnnexResult, target: str | Path) -> Path:
    """Write the rule table atomically (temporary file, then rename): never a half-written file."""
    return write_text_atomically(to_csv(result), target)


def write_text_atomically(data: str, target: str | Path) -> Path:
    """Write ``data`` through a temporary file and a rename: never a half-written file."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
