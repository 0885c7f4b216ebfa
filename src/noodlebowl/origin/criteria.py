"""The criterion met and the proof of origin's criterion box, from the criterion parts a rule gives
(("CTC", "CTH"), ("RVC", "57.5"), ("WO", "WO") …) — one function for every path.

How each agreement fills its box (codes or the criterion as written, the order of a combination,
extra codes for accumulation and de minimis, a code for product-specific rules) is the dated provision
``proof.criterion_box`` of its parameters file (agreements/parameters/*.yaml), never Python.

An RVC part's value may be the placeholder ``{r}``: the batch kernel fills in each row's figure later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import cache

PLACEHOLDER = "{r}"


@dataclass(frozen=True)
class CriterionBox:
    style: str                              # codes | actual
    order: tuple[str, ...]                  # criterion kinds, in the order a combination is written
    separator: str
    codes: tuple[tuple[str, str], ...] = ()   # (kind, code): the code for a kind (style codes) or its label
    rvc: str = "RVC"                        # an RVC part in the box; "{r}%": its percentage
    accumulation: str | None = None         # added when originating materials of another party were used
    de_minimis: str | None = None           # added when de minimis was needed
    psr: str | None = None                  # the whole box for a criterion met under a listed PSR

    def code(self, kind: str, default: str) -> str:
        return dict(self.codes).get(kind, default)


@cache
def criterion_box(agreement: str, on: dt.date) -> CriterionBox:
    from noodlebowl.agreements.provisions import provision

    v = provision(agreement, "proof.criterion_box", on).value
    return CriterionBox(style=v["style"], order=tuple(v["order"]), separator=v["separator"],
                        codes=tuple((v.get("codes") or {}).items()), rvc=v.get("rvc", "RVC"), accumulation=v.get("accumulation"),
                        de_minimis=v.get("de_minimis"), psr=v.get("psr"))


def floor_percent(value: Decimal) -> Decimal:
    """RVC as declared on a certificate: a whole number rounded down (Singapore Customs TradeNet
    handbook, Jul 2023, Table A.2 note — see shared/data/examples/atiga_examples.json)."""
    return value.to_integral_value(rounding=ROUND_FLOOR)


def _rvc_number(value: str) -> str:
    return value if value == PLACEHOLDER else str(floor_percent(Decimal(value)))


def ordered(box: CriterionBox, parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(parts, key=lambda p: box.order.index(p[0]))


def criterion(box: CriterionBox, parts: list[tuple[str, str]]) -> str | None:
    """What was met, in the rule's shorthand: "CTH", "RVC 45%", "CTSH + RVC 35%", "WO", "PE"."""
    labels = [f"RVC {_rvc_number(v)}%" if k == "RVC" else v for k, v in ordered(box, parts)]
    return " + ".join(labels) or None


def form_code(box: CriterionBox, parts: list[tuple[str, str]], rule_level: str | None, cumulated: bool,
              de_minimis: bool) -> str | None:
    """The code for the proof of origin's criterion box (see CriterionBox)."""
    if not parts:
        return None
    parts = ordered(box, parts)
    kinds = [k for k, _ in parts]
    if box.psr and kinds[0] not in ("WO", "PE") and rule_level not in (None, "general"):
        return box.psr
    if box.style == "codes":
        codes = list(dict.fromkeys(box.code(k, k) for k in kinds))
        codes += [box.accumulation] if cumulated and box.accumulation else []
        codes += [box.de_minimis] if de_minimis and box.de_minimis else []
        return box.separator.join(codes)
    labels = [box.rvc.replace(PLACEHOLDER, _rvc_number(v)) if k == "RVC" else box.code(k, v) for k, v in parts]
    return box.separator.join(labels)
