"""Qualification advice (design question 6): how far the product is from qualifying under each
agreement, and the smallest change in sourcing or cost that makes it qualify.

>>> from noodlebowl.advice import advise                       # doctest: +SKIP
>>> advice = advise(request, {"max_price_change_percent": 10})  # doctest: +SKIP

Every suggested move set is proven: the origin engine is re-run on the modified request and the
suggestion carries that determination's outcome and criterion. Suggestions across agreements are
ranked by the duty they save (against MFN, from :func:`noodlebowl.compare.compare`) per material
changed; an unknown rate ranks last and says so.
"""

from __future__ import annotations

from noodlebowl.lazy import exports

_EXPORTS = {
    "Advice": "noodlebowl.advice.core",
    "AgreementAdvice": "noodlebowl.advice.core",
    "FactAnswer": "noodlebowl.advice.core",
    "RankedOption": "noodlebowl.advice.core",
    "Suggestion": "noodlebowl.advice.core",
    "advise": "noodlebowl.advice.core",
    "load_advice_request": "noodlebowl.advice.core",
    "parse_advice_request": "noodlebowl.advice.core",
    "Margins": "noodlebowl.advice.headroom",
    "margins": "noodlebowl.advice.headroom",
    "AdviceOptions": "noodlebowl.advice.moves",
    "apply_moves": "noodlebowl.advice.moves",
    "candidate_moves": "noodlebowl.advice.moves",
    "check_options": "noodlebowl.advice.moves",
    "Move": "noodlebowl.advice.moves",
}
__all__ = sorted(_EXPORTS)

__getattr__ = exports(__name__, _EXPORTS)
