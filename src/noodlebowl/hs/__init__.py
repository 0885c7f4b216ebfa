"""HS nomenclature: codes, editions, transposition between editions, search by words.

Public API (no table is read until a function is called)::

    parse_code(text) -> ParsedCode
    lookup(code, edition="HS2022") -> Entry
    exists(code6, edition) -> bool
    description(code, edition="HS2022") -> str
    transpose(code, from_edition, to_edition) -> Transposition
    search(text, limit=10) -> list[SearchHit]
"""

from __future__ import annotations

# The submodules ``transpose`` and ``search`` share their names with the functions; binding
# the functions here (after the submodules are imported) keeps ``noodlebowl.hs.transpose``
# the function. The submodules import only light modules (pyarrow loads on first use).
from noodlebowl.hs.codes import EDITIONS, ParsedCode, check_edition, dotted, parse_code
from noodlebowl.hs.nomenclature import Entry, description, exists, lookup, subheadings_under
from noodlebowl.hs.search import SearchHit, search
from noodlebowl.hs.transpose import Transposition, transpose

__all__ = ["EDITIONS", "ParsedCode", "check_edition", "dotted", "parse_code", "Entry", "description",
           "exists", "lookup", "subheadings_under", "SearchHit", "search", "Transposition", "transpose"]
