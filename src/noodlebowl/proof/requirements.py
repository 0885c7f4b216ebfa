"""Proof of origin per agreement: which documents a trader can use on a route and date, and the
procedural rules around them (validity, low-value waiver, record keeping …).

The facts live in ``requirements.yaml`` beside this module, each with the article and the shared
source file it was read from; values the sources do not give are ``unknown`` with a note. The file
is validated by the pydantic models below when first used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from noodlebowl.errors import InvalidRequest, ReferenceDataMissing
from noodlebowl.refdata import load_yaml

REQUIREMENTS_FILE = Path(__file__).with_name("requirements.yaml")
UNKNOWN = "unknown"

Status = Literal["available", "conditional", "limited", "not_available", "unknown"]
FormId = Literal["rcep_certificate", "rcep_declaration", "form_d", "atiga_origin_declaration", "form_e"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Model):
    article: str
    file: str = Field(description="path under the shared source data that was read")

    def __str__(self) -> str:
        return f"{self.article} ({self.file})"


class Fact(_Model):
    """One procedural fact. ``value`` is ``unknown`` (with a note) when the sources do not give it."""

    value: str
    reference: Reference | None = None
    note: str | None = None
    months: int | None = None
    years: int | None = None
    max_after_shipment_months: int | None = None
    threshold_usd: Decimal | None = None
    basis: Literal["fob", "customs_value"] | None = None
    members: list[str] = []

    @model_validator(mode="after")
    def _sourced(self) -> "Fact":
        if self.value == UNKNOWN:
            if not self.note:
                raise ValueError("an unknown value needs a note saying what is missing")
        elif self.reference is None:
            raise ValueError(f"value {self.value!r} has no reference")
        return self

    @property
    def is_unknown(self) -> bool:
        return self.value == UNKNOWN


class Change(_Model):
    from_: dt.date = Field(alias="from")
    status: Status
    note: str
    reference: Reference


class ProofType(_Model):
    id: str
    name: str
    issued_by: str
    status: Status
    status_note: str | None = None
    form: FormId | None = None
    conditions: list[str] = []
    reference: Reference | None = None
    timeline: list[Change] = []
    party_deadline: bool = False

    @model_validator(mode="after")
    def _sourced(self) -> "ProofType":
        if self.status == "unknown" and not (self.status_note or self.party_deadline or self.timeline):
            raise ValueError(f"{self.id}: an unknown status needs a status_note")
        if self.reference is None and not self.status_note:
            raise ValueError(f"{self.id}: no reference and no note")
        dates = [c.from_ for c in self.timeline]
        if dates != sorted(dates):
            raise ValueError(f"{self.id}: timeline must be in date order")
        return self


class Deadlines(_Model):
    reference: Reference
    years_after_entry_into_force: dict[str, int]


class AgreementProof(_Model):
    name: str
    proof_types: list[ProofType]
    validity: Fact
    waiver: Fact
    back_to_back: Fact
    third_party_invoicing: Fact
    retroactive_issue: Fact
    exhibitions: Fact
    record_keeping: Fact
    language: Fact
    minor_discrepancies: Fact
    fob_on_proof: Fact | None = None
    declaration_by_exporter_deadlines: Deadlines | None = None
    importer_declaration: dict[str, Fact] = {}

    @model_validator(mode="after")
    def _deadlines(self) -> "AgreementProof":
        if any(p.party_deadline for p in self.proof_types) and self.declaration_by_exporter_deadlines is None:
            raise ValueError("a proof type with party_deadline needs declaration_by_exporter_deadlines")
        return self


class RequirementsFile(_Model):
    agreements: dict[str, AgreementProof]


def load_file(path: Path = REQUIREMENTS_FILE) -> RequirementsFile:
    """Read and validate a requirements file; a problem names the file and the field."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ReferenceDataMissing(f"cannot read the proof requirements ({exc})", where=str(path)) from None
    try:
        return RequirementsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ReferenceDataMissing(f"invalid proof requirements: {err['msg']}", where=f"{path}: {field}") from None


@cache
def requirements() -> RequirementsFile:
    return load_file()


def agreement_requirements(agreement: str) -> AgreementProof:
    from noodlebowl.agreements.registry import agreement_id

    name = agreement_id(agreement)
    try:
        return requirements().agreements[name]
    except KeyError:
        raise InvalidRequest(f"no proof-of-origin data for {name}", where="agreement",
                             accepted=", ".join(requirements().agreements)) from None


# --- answers --------------------------------------------------------------------------------

class ProofOption(_Model):
    """One kind of proof on the route and date, with why it is (not) available."""

    id: str
    name: str
    status: Status
    reason: str
    issued_by: str
    conditions: list[str]
    form: FormId | None
    references: list[str]


class WaiverJudgement(_Model):
    applies: bool | None = Field(description="True/False, or None when it cannot be judged")
    reason: str
    threshold_usd: Decimal | None
    basis: str | None
    reference: str | None


class ProofRequirements(_Model):
    agreement: str
    exporter: str
    importer: str
    on: dt.date
    in_force: bool | None
    in_force_reason: str
    options: list[ProofOption]
    validity: Fact
    waiver: WaiverJudgement
    record_keeping: Fact
    back_to_back: Fact
    third_party_invoicing: Fact
    retroactive_issue: Fact
    exhibitions: Fact
    language: Fact
    minor_discrepancies: Fact
    notes: list[str]
    data_version: str | None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _party(agreement: str, iso2: str):
    from noodlebowl.agreements.registry import parties

    return next((p for p in parties(agreement) if p.iso2 == iso2), None)


def _declaration_status(spec: AgreementProof, ptype: ProofType, importer: str, exporter: str,
                        on: dt.date) -> tuple[Status, str, list[str]]:
    """RCEP Art. 3.16(1)(c): follows the importing Party's implementation deadline (data only)."""
    deadlines = spec.declaration_by_exporter_deadlines
    assert deadlines is not None
    refs = [str(deadlines.reference)]
    years = deadlines.years_after_entry_into_force.get(importer)
    party = _party("RCEP", importer)
    if years is None or party is None or party.entry_into_force is None:
        return "unknown", f"the data has no implementation deadline for {importer}", refs
    deadline = _add_years(party.entry_into_force, years)
    basis = (f"{years} years after {importer}'s entry into force on {party.entry_into_force} "
             f"(Art. 3.16(2))")
    if party.eif_status != "confirmed":
        basis += f"; that entry-into-force date is {party.eif_status.replace('_', ' ')} in the data"
    if on < deadline:
        reason = (f"not yet required to be implemented by {importer} until {deadline} ({basis}); "
                  f"whether {importer} already accepts declarations by exporters or producers is not "
                  f"in the data: use a certificate or an approved exporter's declaration unless "
                  f"{importer}'s customs confirm it")
        status: Status = "unknown"
    else:
        reason = (f"{importer} was required to implement it by {deadline} ({basis}), unless it notified "
                  f"an extension of up to 10 years (Art. 3.16(3); such notifications are not in the data)")
        status = "available"
    exp_years = deadlines.years_after_entry_into_force.get(exporter)
    exp_party = _party("RCEP", exporter)
    if exp_years and exp_party and exp_party.entry_into_force and on < _add_years(exp_party.entry_into_force, exp_years):
        reason += (f"; the exporting Party {exporter} is itself not yet required to implement it until "
                   f"{_add_years(exp_party.entry_into_force, exp_years)}")
    return status, reason, refs


def _option(spec: AgreementProof, ptype: ProofType, exporter: str, importer: str, on: dt.date) -> ProofOption:
    refs = [str(ptype.reference)] if ptype.reference else []
    status: Status = ptype.status
    reason = ptype.status_note or {"available": "available", "conditional": "available on the conditions below",
                                   "limited": "available only in limited cases", "not_available": "not available",
                                   "unknown": "the data does not say"}[ptype.status]
    for change in ptype.timeline:
        if on >= change.from_:
            status, reason = change.status, change.note
            refs.append(str(change.reference))
    if ptype.party_deadline:
        status, reason, more = _declaration_status(spec, ptype, importer, exporter, on)
        refs += more
    return ProofOption(id=ptype.id, name=ptype.name, status=status, reason=reason, issued_by=ptype.issued_by,
                       conditions=list(ptype.conditions), form=ptype.form, references=refs)


def judge_waiver(spec: AgreementProof, fob: Decimal | None, currency: str = "USD") -> WaiverJudgement:
    """Does the low-value waiver apply to a consignment of this FOB value?"""
    fact = spec.waiver
    ref = str(fact.reference) if fact.reference else None
    if fact.is_unknown or fact.threshold_usd is None:
        return WaiverJudgement(applies=None, reason=f"unknown: {fact.note}", threshold_usd=None,
                               basis=None, reference=ref)
    article = fact.reference.article if fact.reference else "the agreement"
    limit = fact.threshold_usd
    if fob is None:
        return WaiverJudgement(applies=None, reason=f"no FOB value given; the waiver covers consignments up to "
                               f"US$ {limit} ({article})", threshold_usd=limit, basis=fact.basis, reference=ref)
    if currency.upper() != "USD":
        return WaiverJudgement(applies=None, reason=f"the value is in {currency.upper()}, the threshold in US$ "
                               f"({limit}, {article}): the waiver cannot be judged without an exchange rate",
                               threshold_usd=limit, basis=fact.basis, reference=ref)
    if fob <= limit:
        reason = f"FOB US$ {fob} does not exceed US$ {limit}: no proof of origin required ({article})"
        if fact.basis == "customs_value":
            reason += ("; the article measures the customs value of the importation, so this holds if the "
                       "customs value (CIF where the importing Party values on CIF) is also within US$ "
                       f"{limit}, and the importation is not one of a series to evade the rules")
        elif spec.waiver.value:
            reason += "; a simplified declaration by the exporter that the goods originate is accepted"
        return WaiverJudgement(applies=True, reason=reason, threshold_usd=limit, basis=fact.basis, reference=ref)
    reason = f"FOB US$ {fob} exceeds US$ {limit}: a proof of origin is required ({article})"
    if fact.basis == "customs_value":
        reason += "; unless the importing Party has set a higher amount"
    return WaiverJudgement(applies=False, reason=reason, threshold_usd=limit, basis=fact.basis, reference=ref)


def proof_options(agreement: str, exporter: str, importer: str, on: dt.date | str | None = None,
                  fob_usd: Decimal | None = None, *, fob: Decimal | None = None,
                  currency: str = "USD") -> ProofRequirements:
    """The proofs of origin usable under ``agreement`` from ``exporter`` to ``importer`` on ``on``.

    ``fob_usd`` is the consignment's FOB value in US dollars; alternatively give ``fob`` with its
    ``currency`` (a non-USD value makes the waiver unjudgeable without a rate). Raises
    :class:`InvalidRequest` when the agreement is not in force on the route and date.
    """
    from noodlebowl.agreements.registry import agreement_id, as_date, in_force

    name = agreement_id(agreement)
    day = as_date(on)
    force = in_force(name, exporter, importer, day)
    from noodlebowl.countries import country

    exp, imp = country(exporter).iso2, country(importer).iso2
    if force.value is False:
        raise InvalidRequest(f"{name} is not in force between {exp} and {imp} on {day}: {force.reason}",
                             where="agreement", accepted="an agreement in force on the date (see `noodlebowl agreements`)")
    spec = agreement_requirements(name)
    options = [_option(spec, p, exp, imp, day) for p in spec.proof_types]
    if fob_usd is not None:
        fob, currency = Decimal(fob_usd), "USD"
    notes: list[str] = []
    if force.value is None:
        notes.append(f"Whether {name} applies on this route is uncertain: {force.reason}")
    if imp in spec.importer_declaration:
        fact = spec.importer_declaration[imp]
        notes.append(f"{fact.value} ({fact.reference})")
    if spec.fob_on_proof is not None:
        listed = exp in spec.fob_on_proof.members or imp in spec.fob_on_proof.members
        notes.append(f"FOB price on the proof where RVC is used: {'required' if listed else 'not required'} on "
                     f"this route ({spec.fob_on_proof.reference})")
    for key in ("validity", "exhibitions", "minor_discrepancies", "waiver", "record_keeping"):
        fact: Fact = getattr(spec, key)
        if fact.is_unknown:
            notes.append(f"{key.replace('_', ' ')}: unknown — {fact.note}")
    try:
        from noodlebowl.refdata import data_version
        version = data_version()
    except Exception:  # noqa: BLE001 - the version is informative only
        version = None
    return ProofRequirements(
        agreement=name, exporter=exp, importer=imp, on=day, in_force=force.value, in_force_reason=force.reason,
        options=options, validity=spec.validity, waiver=judge_waiver(spec, fob, currency),
        record_keeping=spec.record_keeping, back_to_back=spec.back_to_back,
        third_party_invoicing=spec.third_party_invoicing, retroactive_issue=spec.retroactive_issue,
        exhibitions=spec.exhibitions, language=spec.language, minor_discrepancies=spec.minor_discrepancies,
        notes=notes, data_version=version)


def references(spec: AgreementProof) -> list[str]:
    """Every article relied on for an agreement, in file order, without duplicates."""
    out: list[Any] = []
    for p in spec.proof_types:
        out += [p.reference] + [c.reference for c in p.timeline]
    for key in ("validity", "waiver", "back_to_back", "third_party_invoicing", "retroactive_issue",
                "exhibitions", "record_keeping", "language", "minor_discrepancies", "fob_on_proof"):
        fact = getattr(spec, key)
        out.append(fact.reference if fact is not None else None)
    return list(dict.fromkeys(r.article for r in out if r is not None))
