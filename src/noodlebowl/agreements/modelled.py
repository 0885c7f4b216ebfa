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


def table_not_in_data(agreement: str, exporter: str, importer: str, on: dt.date) -> str | None:
    """Why the rule table that applies on this route and date is not in the data (AANZFTA's Second
    Protocol between its parties from 2025-04-21), or ``None``."""
    from noodlebowl.agreements.provisions import _file, provision

    params = _file(agreement).parameters
    if "psr.tables_not_in_data" not in params or on < next(iter(params["psr.tables_not_in_data"].values)):
        return None
    for entry in provision(agreement, "psr.tables_not_in_data", on).value:
        if exporter in entry["parties"] and importer in entry["parties"]:
            return entry["reason"]
    return None


def form_template(agreement: str, parts: list[tuple[str, str]], rule_level: str | None) -> str | None:
    """The proof of origin's criterion-box text for the criteria met (``parts`` in criterion order), by
    the agreement's ``proof.criterion_box`` convention; ``{r}`` stands for the RVC, rounded down.
    ``None`` where the convention is not in the data (AANZFTA)."""
    box = latest(agreement, "proof.criterion_box")
    if not parts or not isinstance(box, dict):
        return None
    kinds = [k for k, _ in parts]
    if box["style"] == "codes":
        return ", ".join(dict.fromkeys(box["codes"][k] for k in kinds))
    if box.get("psr_code") and kinds[0] not in ("WO", "PE") and rule_level != "general":
        return box["psr_code"]
    return " + ".join(box["rvc"] if k == "RVC" else (box["specific_process"] if k == "CR" else v) for k, v in parts)


def form_suffix(agreement: str, cumulated: bool, de_minimis: bool) -> str:
    """Codes the criterion box adds for accumulation and de minimis (RCEP, AJCEP: ", ACU", ", DMI")."""
    box = latest(agreement, "proof.criterion_box")
    if not isinstance(box, dict):
        return ""
    return "".join(f", {box[k]}" for k, used in (("accumulation", cumulated), ("de_minimis", de_minimis))
                   if used and box.get(k))
