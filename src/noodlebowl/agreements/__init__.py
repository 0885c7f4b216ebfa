"""Agreements: parties and entry into force per route and date (``registry``), and each
agreement's rules-of-origin provisions as dated parameters (``provisions``)."""

from __future__ import annotations

from noodlebowl.lazy import exports

_EXPORTS = {
    "MODELLED": "noodlebowl.agreements.registry",
    "AgreementOnRoute": "noodlebowl.agreements.registry",
    "InForce": "noodlebowl.agreements.registry",
    "Party": "noodlebowl.agreements.registry",
    "RouteAgreements": "noodlebowl.agreements.registry",
    "UnmodelledAgreement": "noodlebowl.agreements.registry",
    "agreements_for_route": "noodlebowl.agreements.registry",
    "in_force": "noodlebowl.agreements.registry",
    "parties": "noodlebowl.agreements.registry",
}
__all__ = sorted(_EXPORTS)

__getattr__ = exports(__name__, _EXPORTS)
