"""Agreements: parties and entry into force per route and date (``registry``), and each
agreement's rules-of-origin provisions as dated parameters (``provisions``)."""

from noodlebowl.agreements.registry import (MODELLED, AgreementOnRoute, InForce, Party,
                                            RouteAgreements, UnmodelledAgreement,
                                            agreements_for_route, in_force, parties)

__all__ = ["MODELLED", "AgreementOnRoute", "InForce", "Party", "RouteAgreements",
           "UnmodelledAgreement", "agreements_for_route", "in_force", "parties"]
