"""The whole determination for a request: validate codes, find the agreements, decide each."""

from __future__ import annotations

from noodlebowl.origin.answer import Determination
from noodlebowl.origin.engine import determine_one, rank_questions, validate_codes
from noodlebowl.origin.request import Request
from noodlebowl.origin.routes import routes_for


def determine(request: Request) -> list[Determination]:
    """One determination per agreement asked for (default: every modelled agreement in force
    for the route on the request's date)."""
    validate_codes(request)
    return rank_questions([determine_one(request, route) for route in routes_for(request)])
