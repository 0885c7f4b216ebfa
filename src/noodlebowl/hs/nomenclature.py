"""The HS nomenclature (HS2012, HS2017, HS2022) and the AHTN 2022 national lines.

Backed by the packaged tables ``hs_codes`` and ``ahtn_lines`` (built by
``tools/importers/hs.py`` from ``shared/data/hs/``). Tables are read on first use and
indexed once per process. AHTN 2022 is built on HS2022, so national lines are only
attached to HS2022 entries.

JSON form of an :class:`Entry` (``Entry.as_dict()``; stable keys)::

    {"edition", "code", "dotted", "level",          # level: chapter|heading|subheading|national
     "description",
     "path": [{"level", "code", "dotted", "description"}, ...],   # section › chapter › heading › subheading
     "children": [{"level", "code", "dotted", "description"}, ...],
     "ahtn_lines": [{"code", "dotted", "hs6", "description", "description_path",
                     "description_vi", "source_line"}, ...],
     "source": {"table", "file", "line", "attribution"},
     "notes": [str, ...]}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from noodlebowl.errors import InvalidCode
from noodlebowl.hs.codes import check_edition, dotted, parse_code

ATTRIBUTION = "UN Comtrade / UNSD, derived from the WCO Harmonized System"
AHTN_ATTRIBUTION = ("AHTN 2022 as published in Viet Nam's import tariff (Circular 31/2022/TT-BTC), "
                    "via github quyphong91/tariffvn")
SOURCE_FILES = {"HS2012": "hs/hs2012.csv", "HS2017": "hs/hs2017.csv", "HS2022": "hs/hs2022.csv",
                "AHTN2022": "hs/ahtn2022_vn.csv"}
AHTN_EDITION = "HS2022"


@dataclass(frozen=True)
class PathItem:
    level: str
    code: str
    dotted: str
    description: str


@dataclass(frozen=True)
class AhtnLine:
    code: str
    dotted: str
    hs6: str
    description: str
    description_path: str
    description_vi: str
    source_line: int


@dataclass
class Entry:
    """One code of one edition with its place in the tree and the lines below it."""

    edition: str
    code: str
    dotted: str
    level: str
    description: str
    path: list[PathItem]
    children: list[PathItem]
    ahtn_lines: list[AhtnLine]
    source: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Edition:
    """Index of one edition: code → row, parent → children."""

    def __init__(self, edition: str, rows: list[dict[str, Any]]) -> None:
        self.edition = edition
        self.by_code: dict[str, dict[str, Any]] = {}
        self.children: dict[str, list[str]] = {}
        for row in rows:
            self.by_code[row["code"]] = row
            if row["parent"]:
                self.children.setdefault(row["parent"], []).append(row["code"])
        self.sorted_by_level: dict[str, list[str]] = {}
        for code, row in self.by_code.items():
            self.sorted_by_level.setdefault(row["level"], []).append(code)
        for codes in self.sorted_by_level.values():
            codes.sort()


def _columns(name: str, filter_column: str | None = None, value: str | None = None) -> list[dict]:
    from noodlebowl.refdata import table

    tbl = table(name)
    if filter_column is not None:
        import pyarrow.compute as pc
        tbl = tbl.filter(pc.equal(tbl[filter_column], value))
    cols = {n: tbl.column(n).to_pylist() for n in tbl.column_names}
    return [dict(zip(cols, values)) for values in zip(*cols.values())]


@cache
def _edition(edition: str) -> _Edition:
    return _Edition(edition, _columns("hs_codes", "edition", edition))


@cache
def _ahtn() -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    by_code: dict[str, dict[str, Any]] = {}
    by_hs6: dict[str, list[str]] = {}
    for row in _columns("ahtn_lines"):
        by_code[row["code"]] = row
        by_hs6.setdefault(row["hs6"], []).append(row["code"])
    return by_code, by_hs6


def ahtn_row(code8: str) -> dict[str, Any] | None:
    return _ahtn()[0].get(code8)


def ahtn_codes_under(hs6: str) -> list[str]:
    return list(_ahtn()[1].get(hs6, ()))


def _ahtn_line(row: dict[str, Any]) -> AhtnLine:
    return AhtnLine(code=row["code"], dotted=dotted(row["code"]), hs6=row["hs6"],
                    description=row["description"], description_path=row["description_path"],
                    description_vi=row["description_vi"], source_line=row["source_line"])


def codes(edition: str, level: str = "subheading") -> list[str]:
    """All codes of one level (section|chapter|heading|subheading) in an edition, sorted."""
    return list(_edition(check_edition(edition)).sorted_by_level.get(level, ()))


def row(code: str, edition: str) -> dict[str, Any] | None:
    """The packaged ``hs_codes`` row for an exact code (2/4/6 digits or section numeral)."""
    return _edition(check_edition(edition)).by_code.get(code)


def exists(code6: str, edition: str) -> bool:
    """Whether a code (2, 4 or 6 digits, any accepted form) exists in the edition."""
    try:
        parsed = parse_code(code6)
    except InvalidCode:
        return False
    return parsed.digits in _edition(check_edition(edition)).by_code


def description(code: str, edition: str = "HS2022") -> str:
    """The description of a code (an AHTN 8-digit line gives its own description)."""
    return lookup(code, edition).description


def subheadings_under(code: str, edition: str) -> list[str]:
    """Every 6-digit subheading at or below a chapter, heading or subheading."""
    ed = _edition(check_edition(edition))
    out: list[str] = []
    stack = [code]
    while stack:
        current = stack.pop()
        row_ = ed.by_code.get(current)
        if row_ is None:
            continue
        if row_["level"] == "subheading":
            out.append(current)
        stack.extend(ed.children.get(current, ()))
    return sorted(out)


def _nearest(candidates: list[str], code: str, n: int = 5) -> list[str]:
    target = int(code)
    return sorted(candidates, key=lambda c: (abs(int(c) - target), c))[:n]


def suggestions(code: str, edition: str) -> list[str]:
    """Nearest valid codes for a code that does not exist: siblings first, then cousins."""
    ed = _edition(edition)
    for parent_len in range(len(code) - 2, -1, -2):
        parent = code[:parent_len]
        if parent_len == 0:
            pool = [c for c in ed.sorted_by_level.get(_LEVEL_BY_LEN[len(code)], ())]
        elif parent in ed.by_code:
            pool = [c for c in ed.sorted_by_level.get(_LEVEL_BY_LEN[len(code)], ())
                    if c.startswith(parent)]
        else:
            continue
        if pool:
            return [dotted(c) for c in _nearest(pool, code)]
    return []


_LEVEL_BY_LEN = {2: "chapter", 4: "heading", 6: "subheading"}


def _path(ed: _Edition, code: str) -> list[PathItem]:
    items: list[PathItem] = []
    current: str | None = code
    while current:
        r = ed.by_code[current]
        items.append(PathItem(r["level"], r["code"], dotted(r["code"]) if r["level"] != "section"
                              else r["code"], r["description"]))
        current = r["parent"]
    return list(reversed(items))


def _source(edition: str, line: int, table: str = "hs_codes") -> dict[str, Any]:
    return {"table": table, "file": SOURCE_FILES[edition], "line": line,
            "attribution": ATTRIBUTION if table == "hs_codes" else AHTN_ATTRIBUTION}


def lookup(code: str, edition: str = "HS2022") -> Entry:
    """One code in one edition: description, path, children and AHTN lines.

    Raises :class:`InvalidCode` (malformed, or not in the edition, with the nearest valid
    codes as suggestions) or :class:`UnknownEdition`.
    """
    edition = check_edition(edition)
    parsed = parse_code(code)
    ed = _edition(edition)
    notes: list[str] = []
    if parsed.digits not in ed.by_code:
        level = parsed.level if parsed.level != "national" else "subheading"
        raise InvalidCode(f"{dotted(parsed.digits)} is not a {level} in {edition}",
                          accepted=f"a {level} that exists in {edition}",
                          suggestions=suggestions(parsed.digits, edition))
    base = ed.by_code[parsed.digits]
    path = _path(ed, parsed.digits)

    if parsed.national is not None:
        if edition != AHTN_EDITION:
            notes.append(f"national line {parsed.national} is read as subheading {dotted(parsed.digits)}: "
                         f"AHTN lines are only known for {AHTN_EDITION} (AHTN 2022)")
        else:
            line = ahtn_row(parsed.national)
            if line is None:
                under = ahtn_codes_under(parsed.digits)
                raise InvalidCode(f"{dotted(parsed.national)} is not an AHTN 2022 line",
                                  accepted="an 8-digit AHTN 2022 line, or the 6-digit subheading",
                                  suggestions=[dotted(c) for c in _nearest(under, parsed.national)]
                                  or [dotted(parsed.digits)])
            al = _ahtn_line(line)
            path.append(PathItem("national", al.code, al.dotted, al.description))
            return Entry(edition=edition, code=al.code, dotted=al.dotted, level="national",
                         description=al.description, path=path, children=[], ahtn_lines=[al],
                         source=_source("AHTN2022", al.source_line, "ahtn_lines"), notes=notes)

    children = []
    for child in sorted(ed.children.get(parsed.digits, ())):
        r = ed.by_code[child]
        children.append(PathItem(r["level"], child, dotted(child), r["description"]))
    ahtn: list[AhtnLine] = []
    if edition == AHTN_EDITION:
        for sub in subheadings_under(parsed.digits, edition):
            ahtn.extend(_ahtn_line(ahtn_row(c)) for c in ahtn_codes_under(sub))
    return Entry(edition=edition, code=parsed.digits, dotted=dotted(parsed.digits), level=base["level"],
                 description=base["description"], path=path, children=children, ahtn_lines=ahtn,
                 source=_source(edition, base["source_line"]), notes=notes)
