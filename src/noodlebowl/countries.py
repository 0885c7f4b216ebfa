"""Countries: ISO 3166-1 codes through pycountry, and ASEAN membership from the packaged data.

``country("vn")``, ``country("VNM")`` and ``country("Viet Nam")`` all give the same
:class:`Country`; an unknown code raises :class:`~noodlebowl.errors.UnknownCountry` with
suggestions. ASEAN membership is read from the packaged ``parties`` table (column
``asean_member``), never from a hand-written list, so it follows the source data.
"""

from __future__ import annotations

import difflib
from functools import cache

from pydantic import BaseModel, ConfigDict

from noodlebowl.errors import UnknownCountry

ACCEPTED = "an ISO 3166-1 alpha-2 or alpha-3 code (e.g. VN or VNM), or an English country name"

# Common non-ISO spellings a trader types; mapped only to build a suggestion, never accepted silently.
_HINTS = {"UK": "GB", "EL": "GR", "KO": "KR", "LAO": "LA"}


class Country(BaseModel):
    """A country as ISO 3166-1 knows it."""

    model_config = ConfigDict(frozen=True)

    iso2: str
    iso3: str
    name: str

    def __str__(self) -> str:
        return f"{self.name} ({self.iso2})"


def _from_pycountry(record) -> Country:
    return Country(iso2=record.alpha_2, iso3=record.alpha_3, name=record.name)


def country(code: str) -> Country:
    """The country for an alpha-2/alpha-3 code or an English name (case-insensitive).

    Raises :class:`UnknownCountry` (with up to five suggestions) when nothing matches.
    """
    import pycountry

    if not isinstance(code, str) or not code.strip():
        raise UnknownCountry(f"country code {code!r} is empty or not text", accepted=ACCEPTED)
    text = code.strip()
    record = None
    if len(text) == 2 and text.isalpha():
        record = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3 and text.isalpha():
        record = pycountry.countries.get(alpha_3=text.upper())
    if record is None and len(text) > 3:
        try:
            record = pycountry.countries.lookup(text)
        except LookupError:
            record = None
    if record is None:
        raise UnknownCountry(f"unknown country {text!r}", accepted=ACCEPTED,
                             suggestions=_suggestions(text))
    return _from_pycountry(record)


def _suggestions(text: str) -> list[str]:
    """Up to five likely countries, as 'XX (Name)'."""
    import pycountry

    found: list[str] = []
    hint = _HINTS.get(text.upper())
    if hint:
        found.append(hint)
    try:
        found += [c.alpha_2 for c in pycountry.countries.search_fuzzy(text)]
    except LookupError:
        pass
    if len(found) < 5:
        by_label: dict[str, str] = {}
        for c in pycountry.countries:
            for label in (c.alpha_2, c.alpha_3, c.name, getattr(c, "common_name", None)):
                if label:
                    by_label[label.upper()] = c.alpha_2
        for label in difflib.get_close_matches(text.upper(), list(by_label), n=8, cutoff=0.6):
            found.append(by_label[label])
    unique = list(dict.fromkeys(found))[:5]
    return [f"{iso2} ({pycountry.countries.get(alpha_2=iso2).name})" for iso2 in unique]


@cache
def asean_members() -> frozenset[str]:
    """ISO alpha-2 codes of the ASEAN member states, from the packaged ``parties`` table."""
    from noodlebowl.refdata import rows

    return frozenset(r["iso2"] for r in rows("parties") if r["asean_member"])


def is_asean(code: str) -> bool:
    return country(code).iso2 in asean_members()


def __getattr__(name: str):
    # ``countries.ASEAN`` reads the packaged data on first use, not at import.
    if name == "ASEAN":
        return asean_members()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
