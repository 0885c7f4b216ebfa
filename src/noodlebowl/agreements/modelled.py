"""The modelled agreements, and what the engine cites for each — read from the agreement YAML.

One small accessor over ``parameters/*.yaml`` (see :mod:`noodlebowl.agreements.provisions`), so that
adding an agreement is its YAML file and its PSR table, never a Python constant.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any


@cache
def modelled() -> tuple[str, ...]:
    """Every agreement with a provisions file, in the files' ``order``."""
    from noodlebowl.agreements.provisions import AGREEMENT_FILES, _file

    return tuple(sorted(AGREEMENT_FILES, key=lambda a: (_file(a).order, a)))


def latest(agreement: str, key: str, on: dt.date | None = None) -> Any:
    """The provision's value on ``on`` — or, with no date or a date before its first value, its
    latest value (for undated uses such as a listing; a dated answer passes its date)."""
    from noodlebowl.agreements.provisions import _file, provision

    values = _file(agreement).parameters[key].values
    if on is not None and on >= next(iter(values)):
        return provision(agreement, key, on).value
    return values[next(reversed(values))].value


def cited(agreement: str, what: str, on: dt.date | None = None) -> str | None:
    """The article cited for a check (``wholly_obtained``, ``produced_exclusively``,
    ``minimal_operations``, ``cumulation``) or the name of the rule annex (``psr_annex``) or of the
    general rule (``general_rule``); ``None`` where the agreement has no such provision."""
    return latest(agreement, "citations", on).get(what)


@cache
def table_edition(agreement: str) -> str:
    """HS edition of the agreement's (latest) product-specific-rule table."""
    return latest(agreement, "psr.table_edition")


def general_rule(agreement: str, on: dt.date | None = None) -> tuple[str, str, str] | None:
    """``(rule text, basis, article)`` of the general rule for goods not listed, or ``None`` (none, or
    given by a packaged table — ``general_rule.cth_alternative_table``)."""
    from noodlebowl.agreements.provisions import _file, provision

    if latest(agreement, "general_rule.cth_alternative_table", on):
        return None
    values = _file(agreement).parameters["general_rule"].values
    day = on if on is not None and on >= next(iter(values)) else next(reversed(values))
    rule = provision(agreement, "general_rule", day)
    if not isinstance(rule.value, str) or rule.is_unknown:
        return None
    return rule.value, cited(agreement, "general_rule", on) or f"general rule, {rule.article}", rule.article


def general_rule_table(agreement: str) -> str | None:
    """Name of the packaged table holding the general rule by chapter/heading, if any."""
    return latest(agreement, "general_rule.cth_alternative_table")
