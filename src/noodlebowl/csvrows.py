"""CSV rows as dicts that remember their line: every import error can name file, row and column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from noodlebowl.errors import DataImportError


def rows_from_bytes(data: bytes, where: str) -> list[dict[str, str]]:
    """Rows of a UTF-8 (BOM allowed) CSV; each gets ``_line``, its 1-based line (header = 1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataImportError(f"not UTF-8 text (byte {exc.start})", where=where,
                              accepted="a UTF-8 CSV file") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            row["_line"] = reader.line_num
            rows.append(row)
    except csv.Error as exc:
        raise DataImportError(f"malformed CSV: {exc}", where=f"{where} line {reader.line_num}") from None
    if reader.fieldnames is None:
        raise DataImportError("empty file", where=where, accepted="a CSV file with a header row")
    return rows


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV file on disk (see :func:`rows_from_bytes`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DataImportError(f"cannot read file ({exc.strerror})", where=str(path)) from None
    return rows_from_bytes(data, str(path))
