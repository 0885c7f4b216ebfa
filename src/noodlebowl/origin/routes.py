"""Which agreements a request is evaluated under, from the agreements registry."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from noodlebowl.errors import InvalidRequest, NoodlebowlError
from noodlebowl.origin.engine import MODELLED, Route
from noodlebowl.origin.request import Request


@lru_cache(maxsize=4096)
def _routes(exporter: str, importer: str, on: dt.date) -> dict[str, Route]:
    """Every modelled agreement's status for a route and date (pure: cached per process)."""
    from noodlebowl.agreements.registry import agreements_for_route, not_in_force_on_route
    from noodlebowl.countries import country

    for field, code in (("exporter", exporter), ("importer", importer)):
        try:
            country(code)
        except NoodlebowlError as exc:
            raise InvalidRequest(exc.what, where=f"field {field}", accepted=exc.accepted,
                                 suggestions=exc.suggestions) from None
    route = agreements_for_route(exporter, importer, on)
    others = tuple(not_in_force_on_route(exporter, importer, on))
    return {a.agreement: dated_route(a.agreement, a.in_force, a.reason, on,
                                     tuple(a.caveats) + tuple(o for o in others if not o.startswith(a.agreement)),
                                     covered=a.status != "not_covered")
            for a in route.agreements}


def dated_route(agreement: str, in_force: bool | None, reason: str, on: dt.date,
                caveats: tuple[str, ...] = (), covered: bool = True) -> Route:
    """A route whose material parties are those for which the agreement is in force on the date."""
    from noodlebowl.agreements.registry import parties_on

    status = parties_on(agreement, on)
    return Route(agreement, in_force, reason, status.in_force, status.uncertain, status.pending, caveats, covered)


def routes_for(request: Request) -> list[Route]:
    """The agreements to evaluate: those asked for (each must be in force), else every modelled
    agreement in force for the route on the date (an uncertain one is kept, flagged)."""
    status = _routes(request.exporter, request.importer, request.date)
    asked = request.agreements or [a for a in MODELLED if status[a].in_force is not False]
    out = []
    for name in asked:
        if name not in status:
            raise InvalidRequest(f"agreement {name!r} is not modelled", where="field agreements",
                                 accepted=", ".join(MODELLED))
        route = status[name]
        if route.in_force is False:
            raise InvalidRequest(f"{name} is not in force between {request.exporter} and {request.importer} "
                                 f"on {request.date}: {route.reason}", where="field agreements",
                                 accepted="an agreement in force on the date (see `noodlebowl agreements`)")
        out.append(route)
    return out
