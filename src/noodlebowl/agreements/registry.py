"""Which agreements cover a route (exporter -> importer) on a date.

The modelled agreements (one YAML file each in ``parameters/``) are judged from the packaged ``parties`` table:
an agreement is in force for a route on a date when both countries are parties and each has
entered into force by that date (RCEP: each party's own date). The verification status of each
date travels with the answer: an ``unverified_here`` date gives ``in_force`` with a caveat, a
``contested`` party gives ``in_force = None`` (unknown) with the reason, never a silent ``True``.

Other ASEAN agreements that exist for the route but are not evaluated come from
``unmodelled.yaml`` (parties and the shared-data file that evidences each one; no dates).
"""

from __future__ import annotations

import datetime as dt
import difflib
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from noodlebowl.countries import Country, asean_members, country
from noodlebowl.errors import InvalidRequest, NoodlebowlError
from noodlebowl.agreements.modelled import modelled, table_not_in_data
from noodlebowl.refdata import load_yaml

MODELLED = modelled()
UNMODELLED_FILE = Path(__file__).with_name("unmodelled.yaml")
DATE_ACCEPTED = "a calendar date as YYYY-MM-DD, e.g. 2026-03-01"

Status = Literal["in_force", "not_in_force", "not_a_party", "not_covered", "unknown"]


class Party(BaseModel):
    """One party's entry into force of one agreement, as the packaged data has it."""

    model_config = ConfigDict(frozen=True)

    agreement: str
    iso2: str
    name: str
    asean_member: bool
    entry_into_force: dt.date | None
    eif_status: str  # confirmed | unverified_here | contested | rules_effective_date
    eif_note: str | None = None
    source: str


class AgreementOnRoute(BaseModel):
    """A modelled agreement for one route and date."""

    agreement: str
    in_force: bool | None = Field(description="True/False, or None when the data cannot tell (e.g. contested)")
    status: Status
    reason: str
    exporter: Party | None = None
    importer: Party | None = None
    caveats: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str
    column: str | None = None
    field: str | None = None
    note: str | None = None


class UnmodelledAgreement(BaseModel):
    """An agreement that exists for the route but is not evaluated."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    parties: list[str]
    parties_basis: Literal["named_partner", "general_knowledge"]
    evidence: list[Evidence]
    entry_into_force: str = "not in the data"
    dates_in_data: str | None = None
    note: str | None = None
    not_modelled_because: str | None = None


class RouteAgreements(BaseModel):
    """The answer to "which agreements cover exporter -> importer on this date"."""

    exporter: Country
    importer: Country
    on: dt.date
    agreements: list[AgreementOnRoute]
    not_modelled: list[UnmodelledAgreement]
    not_modelled_note: str
    data_version: str | None = None


class InForce(NamedTuple):
    """``(in_force, reason)``: ``in_force`` is True, False or None (the data cannot tell).

    Unpack it (``ok, why = in_force(...)``) or read ``.value``; using it directly as a boolean
    is refused, because ``None`` (unknown) must not read as "no" or "yes".
    """

    value: bool | None
    reason: str

    def __bool__(self) -> bool:  # pragma: no cover - guard
        raise TypeError("InForce is (value, reason); test .value, which may be None (unknown)")


# --- inputs -------------------------------------------------------------------------------

def as_date(on: dt.date | str | None, *, where: str = "date") -> dt.date:
    """A ``datetime.date`` from a date, datetime or ISO string; anything else is a clear error."""
    if on is None:
        return dt.date.today()
    if isinstance(on, dt.datetime):
        return on.date()
    if isinstance(on, dt.date):
        return on
    if isinstance(on, str):
        try:
            return dt.date.fromisoformat(on.strip())
        except ValueError:
            pass
    raise InvalidRequest(f"{on!r} is not a date", where=where, accepted=DATE_ACCEPTED)


def agreement_id(agreement: str) -> str:
    """The canonical id of a modelled agreement (case-insensitive), else a clear error."""
    key = str(agreement).strip().upper()
    if key in MODELLED:
        return key
    known = {u.id.upper(): u for u in unmodelled_agreements()}
    if key in known:
        raise InvalidRequest(f"{known[key].id} ({known[key].name}) is known but not modelled",
                             where="agreement", accepted=", ".join(MODELLED))
    raise InvalidRequest(f"unknown agreement {agreement!r}", where="agreement",
                         accepted=", ".join(MODELLED),
                         suggestions=difflib.get_close_matches(key, MODELLED, n=3, cutoff=0.4))


# --- data ---------------------------------------------------------------------------------

@cache
def _party_table() -> dict[str, dict[str, Party]]:
    from noodlebowl.refdata import rows

    table: dict[str, dict[str, Party]] = {a: {} for a in MODELLED}
    for row in rows("parties"):
        table.setdefault(row["agreement"], {})[row["iso2"]] = Party(**row)
    return table


def parties(agreement: str) -> tuple[Party, ...]:
    """The parties of a modelled agreement with their entry-into-force dates and status."""
    return tuple(_party_table()[agreement_id(agreement)].values())


@cache
def unmodelled_agreements() -> tuple[UnmodelledAgreement, ...]:
    """The not-modelled agreements of ``unmodelled.yaml``, the ASEAN token expanded."""
    try:
        raw = load_yaml(UNMODELLED_FILE.read_text(encoding="utf-8"))
        entries = raw["agreements"]
        out = []
        for entry in entries:
            item = UnmodelledAgreement(**entry)
            expanded: list[str] = []
            for p in item.parties:
                expanded += sorted(asean_members()) if p == "ASEAN" else [p]
            out.append(item.model_copy(update={"parties": list(dict.fromkeys(expanded))}))
        return tuple(out)
    except NoodlebowlError:
        raise
    except Exception as exc:  # a malformed data file is a loud, located error
        raise InvalidRequest(f"malformed not-modelled agreements file: {exc}",
                             where=str(UNMODELLED_FILE)) from exc


# --- the questions ----------------------------------------------------------------------------

def _judge(agreement: str, exporter: Country, importer: Country, on: dt.date) -> AgreementOnRoute:
    table = _party_table()[agreement]
    exp, imp = table.get(exporter.iso2), table.get(importer.iso2)
    sources = sorted({p.source for p in (exp, imp) if p})
    base = dict(agreement=agreement, exporter=exp, importer=imp, sources=sources)

    missing = [c for c, p in ((exporter, exp), (importer, imp)) if p is None]
    if missing:
        names = " and ".join(f"{c.name} ({c.iso2})" for c in missing)
        verb = "is" if len(missing) == 1 else "are"
        return AgreementOnRoute(in_force=False, status="not_a_party",
                                reason=f"{names} {verb} not a party to {agreement}", **base)

    caveats: list[str] = []
    unknown: list[str] = []
    not_yet: list[str] = []
    not_covered: list[str] = []
    for c, p in ((exporter, exp), (importer, imp)):
        if p.eif_status == "contested":
            unknown.append(f"{c.name}'s entry into force of {agreement} is contested"
                           + (f" ({p.eif_note})" if p.eif_note else ""))
            continue
        if p.entry_into_force is None:
            unknown.append(f"{c.name}'s entry-into-force date of {agreement} is not in the data")
            continue
        if on < p.entry_into_force:
            if p.eif_status == "rules_effective_date":
                not_covered.append(
                    f"{on.isoformat()} is before {p.entry_into_force.isoformat()}, the date from which the "
                    f"data's {agreement} rules of origin apply (earlier rules and the agreement's original "
                    f"entry into force are not in the data)")
            else:
                not_yet.append(f"{agreement} entered into force for {c.name} on "
                               f"{p.entry_into_force.isoformat()}")
            continue
        if p.eif_status == "unverified_here":
            caveats.append(f"{c.name}'s entry-into-force date {p.entry_into_force.isoformat()} is not "
                           f"verified by a retrieved source" + (f" ({p.eif_note})" if p.eif_note else ""))
        elif p.eif_status == "rules_effective_date":
            caveats.append(f"{p.entry_into_force.isoformat()} is the date from which the data's {agreement} "
                           f"rules of origin apply, not the agreement's entry into force (not in the data)")
    caveats = list(dict.fromkeys(caveats))

    if not_yet:
        return AgreementOnRoute(in_force=False, status="not_in_force", caveats=caveats,
                                reason=f"not in force on {on.isoformat()}: " + "; ".join(not_yet), **base)
    table_gap = table_not_in_data(agreement, exporter.iso2, importer.iso2, on)
    if table_gap:
        not_covered.append(table_gap)
    if not_covered:
        return AgreementOnRoute(in_force=None, status="not_covered", caveats=caveats,
                                reason="not covered by the data: " + not_covered[0], **base)
    if unknown:
        return AgreementOnRoute(in_force=None, status="unknown", caveats=caveats,
                                reason="cannot tell from the data: " + "; ".join(unknown), **base)
    since = max(exp.entry_into_force, imp.entry_into_force)
    return AgreementOnRoute(in_force=True, status="in_force", caveats=caveats,
                            reason=f"both parties in force on {on.isoformat()} "
                                   f"(later of the two dates: {since.isoformat()})", **base)


class PartiesOnDate(NamedTuple):
    """Which parties of an agreement its origin rules apply to on a date (RCEP Art. 3.2, 3.4(1);
    ATIGA Art. 26, 30(1)): a material counts as originating only from a party for which the
    agreement is in force. ``uncertain`` (contested or undated) maps a party to the reason;
    ``pending`` maps a party not yet in force to its entry-into-force date."""

    in_force: frozenset[str]
    uncertain: dict[str, str]
    pending: dict[str, dt.date]


@cache
def parties_on(agreement: str, on: dt.date) -> PartiesOnDate:
    """Every party of ``agreement`` sorted by whether the agreement is in force for it on ``on``."""
    surely: set[str] = set()
    uncertain: dict[str, str] = {}
    pending: dict[str, dt.date] = {}
    for p in parties(agreement):
        if p.eif_status == "contested":
            uncertain[p.iso2] = (f"{p.name}'s entry into force of {agreement} is contested"
                                 + (f" ({p.eif_note})" if p.eif_note else ""))
        elif p.entry_into_force is None:
            uncertain[p.iso2] = f"{p.name}'s entry-into-force date of {agreement} is not in the data"
        elif on < p.entry_into_force:
            pending[p.iso2] = p.entry_into_force
        else:
            surely.add(p.iso2)
    return PartiesOnDate(frozenset(surely), uncertain, pending)


def not_in_force_on_route(exporter: str, importer: str, on: dt.date) -> list[str]:
    """Sentences for each modelled agreement whose parties include both countries but which is not
    in force for the route on the date, each with the date it starts and for which party."""
    exp, imp = _route(exporter, importer)
    out = []
    for agreement in MODELLED:
        judged = _judge(agreement, exp, imp, on)
        if judged.status != "not_in_force":
            continue
        later = [(p.entry_into_force, p.name) for p in (judged.exporter, judged.importer)
                 if p is not None and p.entry_into_force is not None and on < p.entry_into_force]
        start, name = max(later)
        out.append(f"{agreement} also covers {exp.iso2} → {imp.iso2} but is not in force on {on.isoformat()}: "
                   f"it enters into force for {name} on {start.isoformat()}.")
    return out


def _route(exporter: str, importer: str) -> tuple[Country, Country]:
    exp = country(exporter)
    imp = country(importer)
    if exp.iso2 == imp.iso2:
        raise InvalidRequest(f"exporter and importer are the same country ({exp.name}); "
                             "a preference needs two different countries",
                             where="route", accepted="two different countries")
    return exp, imp


def in_force(agreement: str, exporter: str, importer: str, on: dt.date | str | None = None) -> InForce:
    """Is ``agreement`` in force between exporter and importer on ``on``? ``(True|False|None, reason)``."""
    name = agreement_id(agreement)
    exp, imp = _route(exporter, importer)
    judged = _judge(name, exp, imp, as_date(on))
    reason = judged.reason + ("; " + "; ".join(judged.caveats) if judged.caveats else "")
    return InForce(judged.in_force, reason)


def not_modelled_for_route(exporter: str, importer: str) -> list[UnmodelledAgreement]:
    exp, imp = _route(exporter, importer)
    return [u for u in unmodelled_agreements() if exp.iso2 in u.parties and imp.iso2 in u.parties]


def agreements_for_route(exporter: str, importer: str, on: dt.date | str | None = None) -> RouteAgreements:
    """Every modelled agreement judged for the route on the date, plus the not-modelled ones."""
    day = as_date(on)
    exp, imp = _route(exporter, importer)
    judged = [_judge(a, exp, imp, day) for a in MODELLED]
    others = [u for u in unmodelled_agreements() if exp.iso2 in u.parties and imp.iso2 in u.parties]
    if others:
        note = ("Also exist for this route but are NOT evaluated by noodlebowl: "
                + ", ".join(u.id + (f" ({u.not_modelled_because})" if u.not_modelled_because else "")
                            for u in others)
                + " (their entry-into-force dates are not in the data; not checked for the date).")
    else:
        note = ("No other agreement for this route is known to the data; agreements the shared data "
                "does not evidence may still exist.")
    try:
        from noodlebowl.refdata import data_version
        version = data_version()
    except NoodlebowlError:
        version = None
    return RouteAgreements(exporter=exp, importer=imp, on=day, agreements=judged,
                           not_modelled=others, not_modelled_note=note, data_version=version)
