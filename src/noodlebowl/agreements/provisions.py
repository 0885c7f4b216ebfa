"""Rules-of-origin provisions of each agreement as dated parameters (OpenFisca style).

Each agreement has one YAML file in ``parameters/`` (``rcep.yaml``, ``atiga.yaml``,
``acfta.yaml``). A parameter has a ``description``, a ``reference`` (article and the shared
file it was read from) and ``values`` keyed by the date from which each value applies; each
dated value carries its ``article`` and may carry its own ``reference`` and ``note``.

A value missing from the sources is the string ``unknown`` (with a note saying why); a
provision the agreement does not have is ``null`` (with a note). Never a guess.

``provision("RCEP", "de_minimis.value_percent", date(2026, 1, 1)).value == 10``
"""

from __future__ import annotations

import datetime as dt
import difflib
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from noodlebowl.errors import DateOutOfRange, InvalidRequest, ReferenceDataMissing
from noodlebowl.refdata import load_yaml

PROVISIONS_DIR = Path(__file__).with_name("parameters")
# One file per modelled agreement, named after it in lower case (``ajcep.yaml`` → AJCEP): adding an
# agreement is adding its file (and its PSR table), never Python.
AGREEMENT_FILES = {p.stem.upper(): p.name for p in sorted(PROVISIONS_DIR.glob("*.yaml"))}
UNKNOWN = "unknown"

# The keys every agreement file must define (the origin evaluator reads exactly these).
REQUIRED_KEYS = (
    "origin_criteria", "citations", "wholly_obtained.article", "produced_exclusively.article",
    "general_rule", "general_rule.cth_alternative_table",
    "psr.table_edition", "psr.exporter_choice", "psr.ctc_non_originating_only",
    "rvc.methods", "rvc.party_method", "rvc.value_basis", "rvc.rounding",
    "de_minimis.value_percent", "de_minimis.weight_percent", "de_minimis.weight_chapters",
    "de_minimis.applies_to", "de_minimis.counted_in_rvc",
    "cumulation.kind", "cumulation.partial",
    "minimal_operations", "minimal_operations.chapter_notes",
    "packing", "retail_packaging", "accessories", "indirect_materials",
    "direct_consignment", "identical_interchangeable",
)


class DatedValue(BaseModel):
    """One value of a parameter, from its start date."""

    model_config = ConfigDict(extra="forbid")

    value: Any
    article: str
    reference: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _unknown_needs_note(self) -> "DatedValue":
        if (self.value is None or self.value == UNKNOWN) and not self.note:
            raise ValueError("a null or 'unknown' value needs a note saying why")
        return self


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    reference: str
    values: dict[dt.date, DatedValue]

    @field_validator("values")
    @classmethod
    def _not_empty(cls, values: dict) -> dict:
        if not values:
            raise ValueError("a parameter needs at least one dated value")
        return dict(sorted(values.items()))


class ProvisionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement: str
    order: int = 100          # position among the modelled agreements in answers and listings
    description: str
    parameters: dict[str, Parameter]


class Provision(BaseModel):
    """A provision as of a date: its value, where the law says it, and since when."""

    model_config = ConfigDict(frozen=True)

    agreement: str
    key: str
    value: Any
    article: str
    reference: str
    valid_from: dt.date
    description: str
    note: str | None = None

    @property
    def is_unknown(self) -> bool:
        """True when the sources do not give the value (never guessed)."""
        return isinstance(self.value, str) and self.value == UNKNOWN


def _agreement(agreement: str) -> str:
    key = str(agreement).strip().upper()
    if key not in AGREEMENT_FILES:
        raise InvalidRequest(f"no provisions for agreement {agreement!r}", where="agreement",
                             accepted=", ".join(AGREEMENT_FILES),
                             suggestions=difflib.get_close_matches(key, list(AGREEMENT_FILES), n=3))
    return key


def load_file(path: Path) -> ProvisionFile:
    """Read and validate one provisions file; a malformed file is a loud error naming file and key."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceDataMissing("provisions file not found", where=str(path)) from exc
    except yaml.YAMLError as exc:
        raise ReferenceDataMissing(f"provisions file is not valid YAML: {exc}", where=str(path)) from exc
    try:
        parsed = ProvisionFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(p) for p in first["loc"])
        raise ReferenceDataMissing(f"malformed provisions: {first['msg']} ({len(exc.errors())} error(s))",
                                   where=f"{path}: {location}") from exc
    missing = [k for k in REQUIRED_KEYS if k not in parsed.parameters]
    if missing:
        raise ReferenceDataMissing(f"required provision keys missing: {', '.join(missing)}",
                                   where=str(path))
    return parsed


@cache
def _file(agreement: str) -> ProvisionFile:
    parsed = load_file(PROVISIONS_DIR / AGREEMENT_FILES[agreement])
    if parsed.agreement.upper() != agreement:
        raise ReferenceDataMissing(f"file declares agreement {parsed.agreement!r}, expected {agreement!r}",
                                   where=str(PROVISIONS_DIR / AGREEMENT_FILES[agreement]))
    return parsed


def keys(agreement: str) -> tuple[str, ...]:
    """The provision keys defined for an agreement."""
    return tuple(_file(_agreement(agreement)).parameters)


def _as_date(on: dt.date | str) -> dt.date:
    from noodlebowl.agreements.registry import as_date

    return as_date(on, where="provision date")


def provision(agreement: str, key: str, on: dt.date | str) -> Provision:
    """The value of provision ``key`` of ``agreement`` in force on ``on``.

    Raises :class:`InvalidRequest` for an unknown agreement or key and :class:`DateOutOfRange`
    for a date before the provision's first value.
    """
    name = _agreement(agreement)
    day = _as_date(on)
    params = _file(name).parameters
    if key not in params:
        raise InvalidRequest(f"unknown provision key {key!r} for {name}", where="provision",
                             accepted=", ".join(params),
                             suggestions=difflib.get_close_matches(key, list(params), n=3, cutoff=0.5))
    param = params[key]
    starts = [d for d in param.values if d <= day]
    if not starts:
        first = next(iter(param.values))
        raise DateOutOfRange(f"{name} provision {key!r} has no value before {first.isoformat()} "
                             f"(asked for {day.isoformat()})", where="provision date",
                             accepted=f"{first.isoformat()} or later")
    since = starts[-1]
    dated = param.values[since]
    return Provision(agreement=name, key=key, value=dated.value, article=dated.article,
                     reference=dated.reference or param.reference, valid_from=since,
                     description=param.description, note=dated.note)


def latest(agreement: str, key: str) -> Provision:
    """The newest value of a provision: for wording no determination's outcome depends on (the text of
    a question), where no date is at hand. Determinations use :func:`provision` as of their date."""
    name = _agreement(agreement)
    params = _file(name).parameters
    if key not in params:
        raise InvalidRequest(f"unknown provision key {key!r} for {name}", where="provision",
                             accepted=", ".join(params))
    return provision(name, key, max(params[key].values))


def provisions_file_has(agreement: str, key: str) -> bool:
    """Does the agreement's provisions file hold ``key`` at all (whatever its dates)?"""
    return key in _file(_agreement(agreement)).parameters


def provisions(agreement: str, on: dt.date | str) -> dict[str, Provision]:
    """Every provision of ``agreement`` in force on ``on`` (keys with no value yet are left out)."""
    name = _agreement(agreement)
    day = _as_date(on)
    out: dict[str, Provision] = {}
    for key in _file(name).parameters:
        try:
            out[key] = provision(name, key, day)
        except DateOutOfRange:
            continue
    return out
