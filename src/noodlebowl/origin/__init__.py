"""Origin determinations for the modelled agreements (see :func:`determine`)."""

from __future__ import annotations

from noodlebowl.origin.answer import Check, Determination, Outcome, Question
from noodlebowl.origin.request import Material, Product, Request, load_request, parse_request

__all__ = ["Check", "Determination", "Material", "Outcome", "Product", "Question", "Request",
           "determine", "load_request", "parse_request"]


def determine(request: Request) -> list[Determination]:
    """One determination per agreement asked for (default: every modelled agreement in force
    for the route on the request's date)."""
    from noodlebowl.origin.engine import determine_one, rank_questions, validate_codes
    from noodlebowl.origin.routes import routes_for

    validate_codes(request)
    return rank_questions([determine_one(request, route) for route in routes_for(request)])
