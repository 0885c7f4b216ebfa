"""Reading an HS code the way traders write it.

``8517.13``, ``851713``, ``8517.13.00``, ``85171300``, ``85.17``, ``8517``, ``85`` and
``Chapter 85`` all name a place in the nomenclature; :func:`parse_code` turns each into
its digits and level, without looking anything up (that is :mod:`noodlebowl.hs.nomenclature`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from noodlebowl.errors import InvalidCode, UnknownEdition

EDITIONS = ("HS2012", "HS2017", "HS2022")
LEVELS = {2: "chapter", 4: "heading", 6: "subheading"}

ACCEPTED_FORMS = ("2, 4, 6, 8 or 10 digits, dots and spaces allowed: 85, Chapter 85, 85.17, 8517, "
                  "8517.13, 851713, 8517.13.00, 85171300")

_CHAPTER_WORDS = re.compile(r"^\s*(?:chapter|chap\.?|ch\.?)\s*", re.IGNORECASE)
_HEADING_WORDS = re.compile(r"^\s*(?:heading|subheading|hs(?:\s*code)?|code)\s*[:#]?\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s.\-]+")


@dataclass(frozen=True)
class ParsedCode:
    """A code as written by a user, normalised.

    ``digits``: the HS part (2, 4 or 6 digits); ``national``: the full national line when
    more than 6 digits were given (an AHTN 8-digit line, or a longer national line), else
    ``None``; ``level``: chapter, heading, subheading or national.
    """

    digits: str
    national: str | None
    level: str

    @property
    def hs6(self) -> str | None:
        """The 6-digit subheading, when the code is at subheading level or below."""
        return self.digits if len(self.digits) == 6 else None

    @property
    def dotted(self) -> str:
        return dotted(self.national or self.digits)


def dotted(code: str) -> str:
    """``851713`` → ``8517.13``; ``85171300`` → ``8517.13.00``; ``8517`` → ``85.17``; ``85`` stays."""
    if len(code) <= 4:
        return code if len(code) <= 2 else f"{code[:2]}.{code[2:]}"
    parts = [code[:4], code[4:6]]
    rest = code[6:]
    while rest:
        parts.append(rest[:2])
        rest = rest[2:]
    return ".".join(parts)


def parse_code(text: str) -> ParsedCode:
    """Normalise a user's HS/AHTN code; malformed input raises :class:`InvalidCode`.

    Chapter words (``Chapter 85``), dots, dashes and spaces are accepted; a one-digit
    chapter (``Chapter 8``) is padded to ``08``. Letters or an odd number of digits
    (other than a lone chapter number) are rejected with the forms that are accepted.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidCode("empty HS code", accepted=ACCEPTED_FORMS)
    raw = text.strip()
    chapter_word = _CHAPTER_WORDS.match(raw)
    body = raw[chapter_word.end():] if chapter_word else _HEADING_WORDS.sub("", raw, count=1)
    digits = _SEPARATORS.sub("", body)
    if not digits.isdigit():
        raise InvalidCode(f"{text!r} is not an HS code (only digits, dots and spaces)",
                          accepted=ACCEPTED_FORMS)
    if chapter_word:
        if len(digits) > 2:
            raise InvalidCode(f"{text!r}: a chapter has at most 2 digits", accepted=ACCEPTED_FORMS)
        digits = digits.zfill(2)
    if len(digits) in (2, 4, 6):
        return ParsedCode(digits=digits, national=None, level=LEVELS[len(digits)])
    if len(digits) in (8, 9, 10, 11, 12):
        # national lines: AHTN (8), Japan (9), 10-digit statistical lines
        return ParsedCode(digits=digits[:6], national=digits, level="national")
    raise InvalidCode(f"{text!r} has {len(digits)} digits", accepted=ACCEPTED_FORMS)


def check_edition(edition: str) -> str:
    """``hs2022`` / ``HS 2022`` / ``2022`` → ``HS2022``; anything else is :class:`UnknownEdition`."""
    norm = re.sub(r"[\s_\-]+", "", str(edition)).upper()
    if norm.isdigit():
        norm = "HS" + norm
    if norm not in EDITIONS:
        raise UnknownEdition(f"unknown HS edition {edition!r}", accepted=", ".join(EDITIONS))
    return norm
