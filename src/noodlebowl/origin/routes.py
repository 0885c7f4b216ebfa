"""Which agreements a request is evaluated under, from the agreements registry."""

from __future__ import annotations

from noodlebowl.errors import InvalidRequest, NoodlebowlError
from noodlebowl.origin.engine import MODELLED, Route
from noodlebowl.origin.request import Request


def routes_for(request: Request) -> list[Route]:
    """The agreements to evaluate: those asked for (each must be in force), else every modelled
    agreement in force for the route on the date (an uncertain one is kept, flagged)."""
    from noodlebowl.agreements.registry import agreements_for_route, parties
    from noodlebowl.countries import country

    for field in ("exporter", "importer"):
        try:
            country(getattr(request, field))
        except NoodlebowlError as exc:
            raise InvalidRequest(exc.what, where=f"field {field}", accepted=exc.accepted,
                                 suggestions=exc.suggestions) from None
    route = agreements_for_route(request.exporter, request.importer, request.date)
    status = {a.agreement: a for a in route.agreements}
    asked = request.agreements or [a for a in MODELLED if status[a].in_force is not False]
    out = []
    for name in asked:
        if name not in status:
            raise InvalidRequest(f"agreement {name!r} is not modelled", where="field agreements",
                                 accepted=", ".join(MODELLED))
        entry = status[name]
        if entry.in_force is False:
            raise InvalidRequest(f"{name} is not in force between {request.exporter} and {request.importer} "
                                 f"on {request.date}: {entry.reason}", where="field agreements",
                                 accepted="an agreement in force on the date (see `noodlebowl agreements`)")
        out.append(Route(name, entry.in_force, entry.reason, frozenset(p.iso2 for p in parties(name))))
    return out
