"""The general provisions an evaluation needs, read from the dated agreement parameters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from noodlebowl.origin.evaluate import Provisions


def _number(value) -> Decimal | None:
    return None if value in (None, "unknown") else Decimal(str(value))


@cache
def origin_provisions(agreement: str, on: dt.date) -> Provisions:
    """De minimis, RVC methods and the CTC article of ``agreement`` as of ``on``."""
    from noodlebowl.agreements.provisions import provision

    def get(key: str):
        return provision(agreement, key, on)

    chapters = get("de_minimis.weight_chapters").value
    methods = get("rvc.methods")
    keys = set(_keys(agreement))
    value_chapters = get("de_minimis.value_chapters").value if "de_minimis.value_chapters" in keys else None
    by_subheading = get("de_minimis.value_by_subheading").value if "de_minimis.value_by_subheading" in keys else {}
    partial = get("cumulation.partial") if "cumulation.partial" in keys else None
    band = (None if partial is None or not isinstance(partial.value, dict) else
            (_number(partial.value["min_rvc_percent"]), _number(partial.value["max_rvc_percent_exclusive"])))
    return Provisions(
        agreement=agreement,
        de_minimis_value_percent=_number(get("de_minimis.value_percent").value),
        de_minimis_weight_percent=_number(get("de_minimis.weight_percent").value),
        de_minimis_weight_chapters=(min(chapters), max(chapters)) if isinstance(chapters, list) and chapters else None,
        de_minimis_article=get("de_minimis.value_percent").article,
        rvc_methods=tuple(m["method"] for m in methods.value),
        rvc_article=methods.article,
        rvc_method_articles={m["method"]: m["article"] for m in methods.value},
        ctc_article=get("psr.ctc_non_originating_only").article,
        partial_cumulation=band,
        partial_cumulation_article=partial.article if partial is not None else "",
        de_minimis_value_chapters=None if value_chapters is None else frozenset(value_chapters),
        de_minimis_value_by_subheading=tuple(sorted((str(k), Decimal(str(v))) for k, v in by_subheading.items())),
    )


def _keys(agreement: str) -> tuple[str, ...]:
    from noodlebowl.agreements.provisions import keys

    return keys(agreement)
