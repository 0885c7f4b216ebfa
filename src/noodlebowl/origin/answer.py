"""The determination: outcome, criterion, figures, trace of cited checks, questions, caveats."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from pydantic import BaseModel, ConfigDict


class Outcome(str, Enum):
    qualifies = "qualifies"
    does_not_qualify = "does_not_qualify"
    undetermined = "undetermined"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Check(_Model):
    """One atomic test of the law against the facts, with the provision it applies."""

    check: str                    # e.g. "tariff_shift", "rvc_build_down", "de_minimis"
    article: str                  # e.g. "RCEP Art. 3.7(1)(a)"
    result: Outcome
    detail: str                   # the reasoning in one sentence, figures included
    subject: str | None = None    # the material or option concerned
    data: str | None = None       # the data row relied on (file:line)
    part: str | None = None       # the part of the rule the check tests, as the rule writes it (e.g. "CTH")


class Question(_Model):
    """A fact that would settle an undetermined answer."""

    key: str                      # the `facts` key (or request field) to answer
    question: str
    agreements: list[str]         # which agreements' outcomes it decides
    options: list[str] = []


class RuleRef(_Model):
    text: str
    hs: str
    edition: str
    level: str                    # chapter | heading | subheading | general
    source: str
    row: str | None               # file:line in the source data
    verified: str                 # verified_en | verified_vi | unverified | general_rule
    basis: str                    # "Annex 3A PSR" / "general rule, ATIGA Art. 28(1)"


class RvcFigures(_Model):
    build_down: Decimal | None    # percent, exact
    build_up: Decimal | None      # percent, exact; None when costs are missing
    threshold: Decimal | None
    non_originating_value: Decimal
    originating_value: Decimal
    fob: Decimal


class DeMinimis(_Model):
    share: Decimal | None          # percent of FOB of non-originating materials failing the shift
    limit: Decimal | None
    weight_share: Decimal | None = None
    weight_limit: Decimal | None = None
    used: bool = False


class Determination(_Model):
    agreement: str
    in_force: bool | None
    outcome: Outcome
    criterion: str | None          # what was met, in the rule's shorthand: "CTH", "RVC 45%", "WO", "PE"
    form_code: str | None          # what goes in the proof of origin's criterion box
    rule: RuleRef | None
    rvc: RvcFigures | None
    de_minimis: DeMinimis | None
    checks: list[Check]
    needed: list[Question]
    caveats: list[str]
    data_version: str
    summary: str                   # one sentence a trader can read
    reason: str | None = None      # why it does not qualify, in short (the batch `reason` column's words)
    caveat_codes: list[str] = []   # the caveats as codes (origin.reasons.caveat_codes), as in batch results


_CHECK_FIELDS = tuple(Check.model_fields)
_CHECK_DEFAULTS = {name: f.default for name, f in Check.model_fields.items() if not f.is_required()}
_new = object.__new__
_set = object.__setattr__


def trusted_check(**values) -> Check:
    """A :class:`Check` from values the engine built itself: the same instance
    ``Check.model_construct(**values)`` makes (same fields, order and fields set), without its
    per-field default resolution, which costs five times a validated construction. A
    determination holds a check per material and agreement, so this is on the hot path."""
    c = _new(Check)
    _set(c, "__dict__", {name: values[name] if name in values else _CHECK_DEFAULTS[name] for name in _CHECK_FIELDS})
    _set(c, "__pydantic_fields_set__", {name for name in values if name in _CHECK_FIELDS})
    _set(c, "__pydantic_extra__", None)
    _set(c, "__pydantic_private__", None)
    return c
