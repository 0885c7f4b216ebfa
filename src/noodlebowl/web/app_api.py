"""Endpoints the trader's web app needs beyond the stateless API: the advice ("how could it
qualify?"), country names for the pickers, and warming the indexes when the server starts so the
first search and the first comparison answer as fast as the later ones."""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import asynccontextmanager
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from noodlebowl.advice.core import Advice
from noodlebowl.advice.moves import AdviceOptions
from noodlebowl.origin.request import Request
from noodlebowl.proof.shipment import Shipment
from noodlebowl.web.errors import ERROR_SCHEMA

log = logging.getLogger(__name__)
ERRORS = {400: ERROR_SCHEMA, 413: ERROR_SCHEMA, 415: ERROR_SCHEMA, 422: ERROR_SCHEMA}
Language = Literal["en", "vi"]


class AdviceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: Request
    options: AdviceOptions = AdviceOptions()


class ProofWithShipment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: Request
    agreement: str = Field(description="RCEP, ATIGA or ACFTA")
    shipment: Shipment = Shipment()


class Country(BaseModel):
    code: str
    name: str


@cache
def warm() -> None:
    """Load what the first search and the first comparison would otherwise load: the search
    index, the rule tables of every agreement and every importer's tariff index (once a process)."""
    from noodlebowl.compare import compare
    from noodlebowl.hs import search
    from noodlebowl.tariffs.lookup import importers

    started = time.perf_counter()
    search("frozen shrimp", 5)
    for importer in importers():
        exporter = "TH" if importer == "VN" else "VN"
        request = Request.model_validate({"exporter": exporter, "importer": importer, "date": dt.date.today(),
                                          "product": {"hs": "6205.20", "fob": "10"}})
        try:
            compare(request)
        except Exception as exc:  # warming must never stop the server; the real request will say why
            log.warning("warming %s: %s", importer, exc)
    # uvicorn's logger: the line shows in the server's log beside "Application startup complete".
    logging.getLogger("uvicorn.error").info("noodlebowl indexes warmed in %.1f s", time.perf_counter() - started)


@asynccontextmanager
async def _lifespan(_app):
    import threading

    # A daemon thread: the server answers at once, and a shutdown never waits for the warming.
    threading.Thread(target=warm, name="noodlebowl-warm", daemon=True).start()
    yield


router = APIRouter(lifespan=_lifespan)


@router.post("/advice", response_model=Advice, tags=["origin"], responses=ERRORS)
def advice(body: AdviceRequest) -> Any:
    """How far the product is from qualifying under each agreement, and the smallest verified change
    in sourcing or cost that makes it qualify (the library's ``advise``)."""
    from noodlebowl.advice import advise
    from noodlebowl.advice.moves import check_options

    check_options(body.request, body.options)
    return Response(advise(body.request, body.options).model_dump_json(), media_type="application/json")


@router.post("/app/proof", tags=["proof"], response_model=None, responses={
    **ERRORS, 200: {"description": "Requirements and the draft (JSON), or the draft as PDF (format=pdf)",
                    "content": {"application/json": {}, "application/pdf": {}}}})
def proof_with_shipment(body: ProofWithShipment, format: Literal["json", "pdf"] = "json") -> Any:
    """As ``POST /proof``, with the shipment's particulars (exporter, producer, consignee, transport,
    invoice, quantity, marks) written into the boxes of the form that take them."""
    from noodlebowl.proof.shipment import fill
    from noodlebowl.web.api import proof_answer

    requirements, draft = proof_answer(body.request, body.agreement)
    draft = fill(draft, body.shipment)
    if format == "pdf":
        from noodlebowl.proof.pdf import draft_pdf_bytes

        filename = f"draft-{draft.agreement.lower()}-{draft.hs}.pdf"
        return Response(draft_pdf_bytes(draft), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return {"requirements": requirements.model_dump(mode="json"), "draft": draft.model_dump(mode="json")}


@cache
def countries(language: str) -> tuple[Country, ...]:
    """Every ISO 3166 country with its name in the language (pycountry's translations), by name."""
    import gettext

    import pycountry

    names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)
    out = [Country(code=c.alpha_2, name=names.gettext(c.name))
           for c in pycountry.countries]
    return tuple(sorted(out, key=lambda c: c.name.casefold()))


@router.get("/app/countries", response_model=list[Country], tags=["reference"])
def country_names(lang: Language = Query("en", description="en or vi")) -> Any:
    """Countries by ISO alpha-2 code with their names, for choosing a country from a list."""
    return [c.model_dump() for c in countries(lang)]
