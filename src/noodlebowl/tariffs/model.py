"""The tariff measure: one rate of one regime on one national line, for an origin scope,
over a validity interval, with the source cell it came from."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from noodlebowl.tariffs.rates import Rate, describe, is_computable

ASEAN = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")
EU27 = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")


class OriginScope(BaseModel):
    """Which origins a measure is for.

    ``kind``: ``all`` (every origin the regime covers; the regime's membership is not
    enumerated here), ``group`` (the listed ``origins`` only, e.g. RCEP column A = ASEAN).
    ``excluded_origins`` are never granted the rate (Viet Nam ``0 (-ID, TH, CN)``).
    """

    model_config = ConfigDict(frozen=True)
    kind: Literal["all", "group"] = "all"
    group: str | None = None
    origins: tuple[str, ...] = ()
    excluded_origins: tuple[str, ...] = ()

    def covers(self, origin: str) -> bool:
        return self.kind == "all" or origin in self.origins

    def label(self) -> str:
        base = "all origins of the regime" if self.kind == "all" else \
            (self.group or ", ".join(self.origins))
        if self.excluded_origins:
            base += f" except {', '.join(self.excluded_origins)}"
        return base


class TariffMeasure(BaseModel):
    """One measure. ``valid_to`` is exclusive; ``None`` bounds are open/unknown (see
    ``validity_note``). ``basis``: ``applied`` (a customs tariff) or ``commitment`` (an
    agreement's schedule, e.g. RCEP Annex I)."""

    model_config = ConfigDict(frozen=True)
    importer: str
    national_line: str
    hs6: str
    line_condition: str | None = None  # several rows for one line (e.g. seasons): which one
    regime: str
    scope: OriginScope = Field(default_factory=OriginScope)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    validity_note: str | None = None
    rate: Rate
    raw: str
    detail: dict[str, Any] = Field(default_factory=dict)
    basis: Literal["applied", "commitment"] = "applied"
    source_file: str
    source_row: int | None = None
    data_source: str = "packaged"  # "packaged" or the user file it was imported from
    # filled by lookup:
    excluded: bool = False
    note: str | None = None

    def valid_on(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and \
            (self.valid_to is None or on < self.valid_to)

    @property
    def computable(self) -> bool:
        return is_computable(self.rate) and not self.excluded

    def summary(self) -> dict[str, Any]:
        return {"regime": self.regime, "rate": describe(self.rate), "raw": self.raw,
                "scope": self.scope.label(), "excluded": self.excluded, "note": self.note}
