"""Errors a user can act on: what was wrong, where, and what would be accepted.

Every error raised for bad input is a :class:`NoodlebowlError`; the CLI turns it into
one sentence on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations


class NoodlebowlError(Exception):
    """Base class: a problem with the user's input or with the data asked for."""

    def __init__(self, what: str, *, where: str | None = None, accepted: str | None = None,
                 suggestions: list[str] | None = None) -> None:
        self.what = what
        self.where = where
        self.accepted = accepted
        self.suggestions = list(suggestions or [])
        super().__init__(self.sentence())

    def sentence(self) -> str:
        parts = [f"{self.where}: {self.what}" if self.where else self.what]
        if self.accepted:
            parts.append(f"accepted: {self.accepted}")
        if self.suggestions:
            parts.append("did you mean " + ", ".join(self.suggestions[:5]) + "?")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {"error": type(self).__name__, "what": self.what, "where": self.where,
                "accepted": self.accepted, "suggestions": self.suggestions}


class InvalidCode(NoodlebowlError):
    """An HS/AHTN code that is malformed or does not exist in the edition asked for."""


class UnknownEdition(NoodlebowlError):
    """An HS edition other than those the data holds."""


class UnknownCountry(NoodlebowlError):
    """A country code that is not ISO 3166-1 alpha-2/alpha-3."""


class DateOutOfRange(NoodlebowlError):
    """A date for which the reference data has no answer."""


class InvalidRequest(NoodlebowlError):
    """A determination/comparison request that is malformed (file, field, index named)."""


class RuleParseError(NoodlebowlError):
    """A PSR rule text that the rule language cannot parse (position named)."""


class DataImportError(NoodlebowlError):
    """A source file that an importer cannot read (file, row, column named)."""


class ReferenceDataMissing(NoodlebowlError):
    """The packaged reference data is absent or inconsistent with its manifest."""
