"""Read a bill of materials from CSV or Excel, with an error per row and column.

Columns (header row, case-insensitive): ``name``, ``value`` (required), ``hs``, ``origin``,
``originating`` (true/false/yes/no or agreements separated by ``;`` or ``,`` such as ``RCEP;ATIGA``),
``weight_kg``, ``kind``, ``currency``, ``regional_content_percent``.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ValidationError

from noodlebowl.origin.request import BOM_LINE_FIELDS, Material

COLUMNS = BOM_LINE_FIELDS       # the one BOM line schema (origin.request)
REQUIRED = ("name", "value")
MAX_ROWS = 5000
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


def _rows_csv(data: bytes) -> list[list[str | None]]:
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
        return [[_cell(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV file cannot be read: {exc}", "a CSV file with a header row") from None


def _rows_xlsx(data: bytes) -> list[list[str | None]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"the Excel file cannot be opened ({type(exc).__name__})",
                             "an .xlsx workbook with the BOM on its first sheet") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for i, row in enumerate(sheet.iter_rows(values_only=True)):
            if i > MAX_ROWS + 1:
                break
            rows.append([_cell(c) for c in row])
        return rows
    finally:
        book.close()


def _rows_xls(data: bytes) -> list[list[str | None]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except Exception as exc:  # xlrd raises many types for corrupt files
        raise UnreadableFile(f"the Excel file cannot be opened ({type(exc).__name__})",
                             "an .xls workbook with the BOM on its first sheet") from None
    sheet = book.sheet_by_index(0)
    return [[_cell(c) for c in sheet.row_values(i)] for i in range(min(sheet.nrows, MAX_ROWS + 2))]


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
    rows = {"csv": _rows_csv, "xlsx": _rows_xlsx, "xls": _rows_xls}[kind](data)
    rows = [r for r in rows if any(c is not None for c in r)]
    if not rows:
        raise UnreadableFile("the file is empty", "a header row (name, hs, origin, originating, value …) and "
                                                  "one row per material")
    header = [(c or "").strip().lower().replace(" ", "_") for c in rows[0]]
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UnreadableFile(f"the header row lacks the column(s) {', '.join(missing)}",
                             "columns " + ", ".join(COLUMNS))
    if len(rows) - 1 > MAX_ROWS:
        raise UnreadableFile(f"the file has {len(rows) - 1} rows, more than {MAX_ROWS}", f"at most {MAX_ROWS} rows")
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
