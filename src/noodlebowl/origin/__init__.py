"""Origin determinations for the modelled agreements (see :func:`determine`)."""

from __future__ import annotations

from noodlebowl.lazy import exports

_EXPORTS = {
    "Check": "noodlebowl.origin.answer",
    "Determination": "noodlebowl.origin.answer",
    "Outcome": "noodlebowl.origin.answer",
    "Question": "noodlebowl.origin.answer",
    "Material": "noodlebowl.origin.request",
    "Product": "noodlebowl.origin.request",
    "Request": "noodlebowl.origin.request",
    "load_request": "noodlebowl.origin.request",
    "parse_request": "noodlebowl.origin.request",
    "determine": "noodlebowl.origin.pipeline",
}
__all__ = sorted(_EXPORTS)

__getattr__ = exports(__name__, _EXPORTS)
