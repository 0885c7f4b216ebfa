"""Read a bill of materials from CSV or Excel, with an error per row and column.

Columns (header row, case-insensitive): ``name``, ``value`` (required), ``hs``, ``origin``,
``originating`` (true/false/yes/no or agreements separated by ``;`` or ``,`` such as ``RCEP;ATIGA``),
``weight_kg``, ``kind``, ``currency``, ``regional_content_percent``.
"""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ValidationError

from noodlebowl.limits import LimitExceeded, check_zip
from noodlebowl.origin.request import BOM_LINE_FIELDS, Material

COLUMNS = BOM_LINE_FIELDS       # the one BOM line schema (origin.request)
REQUIRED = ("name", "value")
MAX_ROWS = 5000                  # materials in one BOM
MAX_COLUMNS = 50
MAX_CELL_CHARS = 1000
MAX_UNPACKED_BYTES = 20 * 1024 * 1024   # an .xlsx's parts unpacked; a 5,000-line BOM is about 2 MiB
MAX_PARSE_SECONDS = 5.0
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
XLSX_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
XLS_TYPES = {"application/vnd.ms-excel"}
GENERIC_TYPES = {"application/octet-stream", ""}


class RowError(BaseModel):
    row: int                 # line of the file (the header is row 1)
    column: str | None
    what: str
    value: str | None = None


class BomFile(BaseModel):
    filename: str | None
    rows: int
    materials: list[Material]
    errors: list[RowError]


class UnreadableFile(Exception):
    def __init__(self, what: str, accepted: str) -> None:
        super().__init__(what)
        self.what, self.accepted = what, accepted


class UnsupportedFile(UnreadableFile):
    pass


def kind_of(filename: str | None, content_type: str | None) -> str:
    """csv | xlsx | xls, from the file name first (browsers send vague types), else the content type."""
    name = (filename or "").lower()
    ctype = (content_type or "").split(";")[0].strip().lower()
    for suffix, kind in ((".csv", "csv"), (".txt", "csv"), (".xlsx", "xlsx"), (".xls", "xls")):
        if name.endswith(suffix):
            return kind
    if ctype in XLSX_TYPES:
        return "xlsx"
    if ctype in CSV_TYPES:
        return "csv"
    raise UnsupportedFile(f"the file type of {filename or 'the upload'} ({ctype or 'unknown'}) is not read",
                          "a .csv, .xlsx or .xls file")


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value)).normalize() if value == value else value  # keeps 12.5 as 12.5
        if isinstance(value, Decimal) and value == value.to_integral():
            value = value.quantize(Decimal(1))
    text = str(value).strip()
    return text or None


def _rows_csv(data: bytes) -> Iterator[list[str | None]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"the CSV file is not UTF-8 text (byte {exc.start})", "a UTF-8 CSV file") from None
    if "\x00" in text:
        raise UnreadableFile("the CSV file contains binary data", "a UTF-8 CSV file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for row in csv.reader(io.StringIO(text), dialect, strict=True):
            yield [_cell(c) for c in row]
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV file cannot be read: {exc}", "a CSV file with a header row") from None


def _rows_xlsx(data: bytes) -> Iterator[list[str | None]]:
    """The first sheet's rows, streamed (openpyxl read-only) after the zip directory was checked."""
    import zipfile

    from openpyxl import load_workbook

    check_zip(data, max_unpacked=MAX_UNPACKED_BYTES)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise UnreadableFile(f"the Excel file cannot be opened ({type(exc).__name__})",
                             "an .xlsx workbook with the BOM on its first sheet") from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
            yield [_cell(c) for c in row]
    finally:
        book.close()


def _rows_xls(data: bytes) -> Iterator[list[str | None]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # xlrd raises many types for corrupt files
        raise UnreadableFile(f"the Excel file cannot be opened ({type(exc).__name__})",
                             "an .xls workbook with the BOM on its first sheet") from None
    for i in range(sheet.nrows):
        yield [_cell(c) for c in sheet.row_values(i, 0, MAX_COLUMNS + 1)]


def bounded_rows(rows: Iterable[list[str | None]], *, started: float | None = None) -> list[list[str | None]]:
    """The non-empty rows, refused past the row, column, cell-length and parse-time limits."""
    started = time.monotonic() if started is None else started
    kept: list[list[str | None]] = []
    for i, row in enumerate(rows):
        if i % 256 == 0 and time.monotonic() - started > MAX_PARSE_SECONDS:
            raise LimitExceeded(f"reading the file took longer than {MAX_PARSE_SECONDS:g} s (row {i + 1})",
                                f"a file read within {MAX_PARSE_SECONDS:g} s")
        if not any(c is not None for c in row):
            continue
        if len(kept) > MAX_ROWS:       # the header and MAX_ROWS materials
            raise LimitExceeded(f"the file has more than {MAX_ROWS} rows", f"at most {MAX_ROWS} rows")
        if len(row) > MAX_COLUMNS and any(c is not None for c in row[MAX_COLUMNS:]):
            raise LimitExceeded(f"row {i + 1} has more than {MAX_COLUMNS} columns", f"at most {MAX_COLUMNS} columns")
        long = next((c for c in row if c is not None and len(c) > MAX_CELL_CHARS), None)
        if long is not None:
            raise LimitExceeded(f"a cell of row {i + 1} holds {len(long)} characters, more than {MAX_CELL_CHARS}",
                                f"cells of at most {MAX_CELL_CHARS} characters")
        kept.append(row[:MAX_COLUMNS])
    return kept


def _originating(text: str | None) -> bool | list[str] | None:
    if text is None:
        return False
    low = text.strip().lower()
    if low in ("true", "yes", "y", "1", "x"):
        return True
    if low in ("false", "no", "n", "0", "-"):
        return False
    parts = [p.strip().upper() for p in low.replace(",", ";").split(";") if p.strip()]
    return parts


def read(data: bytes, filename: str | None, content_type: str | None) -> BomFile:
    kind = kind_of(filename, content_type)
    if kind == "csv" and data[:4] == b"PK\x03\x04":
        kind = "xlsx"  # an Excel file sent under a .csv name or type
    started = time.monotonic()
    rows = bounded_rows({"csv": _rows_csv, "xlsx": _rows_xlsx, "xls": _rows_xls}[kind](data), started=started)
    if not rows:
        raise UnreadableFile("the file is empty", "a header row (name, hs, origin, originating, value …) and "
                                                  "one row per material")
    header = [(c or "").strip().lower().replace(" ", "_") for c in rows[0]]
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UnreadableFile(f"the header row lacks the column(s) {', '.join(missing)}",
                             "columns " + ", ".join(COLUMNS))
    errors = [RowError(row=1, column=h, what="unknown column, ignored", value=h) for h in unknown]
    materials: list[Material] = []
    for n, raw in enumerate(rows[1:], start=2):
        record: dict[str, Any] = {}
        for h, cell in zip(header, raw):
            if h in COLUMNS and cell is not None:
                record[h] = cell
        record["originating"] = _originating(record.get("originating"))
        for key in ("value", "weight_kg", "regional_content_percent"):
            if key in record:
                try:
                    Decimal(record[key].replace(",", "") if key != "value" else record[key])
                except InvalidOperation:
                    errors.append(RowError(row=n, column=key, what="not a number", value=record[key]))
                    record = {}
                    break
        if not record:
            continue
        try:
            materials.append(Material.model_validate(record))
        except ValidationError as exc:
            for e in exc.errors():
                column = str(e["loc"][0]) if e.get("loc") else None
                errors.append(RowError(row=n, column=column, what=e["msg"],
                                       value=None if column is None else _cell(record.get(column))))
    return BomFile(filename=filename, rows=len(rows) - 1, materials=materials, errors=errors)
