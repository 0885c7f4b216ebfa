"""Hostile inputs built by the tests themselves (nothing hostile is shipped): an .xlsx
decompression bomb, oversized CSVs, and requests with extreme values."""

from __future__ import annotations

import copy
import io
import zipfile

from tests.test_web_fixtures import example

SHEET = "xl/worksheets/sheet1.xml"
_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
         b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_TAIL = b"</sheetData></worksheet>"


def xlsx_bomb(unpacked_mib: int = 64) -> bytes:
    """A real workbook whose first sheet is replaced by ``unpacked_mib`` MiB of identical rows: a few
    dozen KiB packed (deflate packs the repetition about a thousand times)."""
    from openpyxl import Workbook

    plain = io.BytesIO()
    book = Workbook()
    book.active.append(["name", "value"])
    book.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    row = b'<row><c t="inlineStr"><is><t>Motor</t></is></c><c><v>1</v></c></row>'
    block = row * ((1 << 20) // len(row))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            if item.filename != SHEET:
                bomb.writestr(item.filename, source.read(item))
                continue
            with bomb.open(SHEET, "w", force_zip64=True) as fh:
                fh.write(_HEAD)
                for _ in range(unpacked_mib):
                    fh.write(block)
                fh.write(_TAIL)
    return out.getvalue()


def csv_bytes(rows: int = 3, columns: int = 0, cell: str = "Motor") -> bytes:
    header = "name,value" + "".join(f",extra{i}" for i in range(columns))
    line = f"{cell},1" + "," * columns
    return ("\n".join([header] + [line] * rows) + "\n").encode()


def request_with(path: tuple, value, name: str = "sausages_vn_to_jp") -> dict:
    """The example request with the field at ``path`` (keys and list indexes) set to ``value``."""
    data = copy.deepcopy(example(name))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data
