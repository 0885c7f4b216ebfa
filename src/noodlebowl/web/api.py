"""The stateless JSON API: nomenclature, agreements, qualify, compare, proof, BOM file reading.
The same pydantic models as the library; input errors come back as structured JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from noodlebowl.compare import Comparison
from noodlebowl.errors import InvalidRequest
from noodlebowl.hs.nomenclature import Entry
from noodlebowl.hs.search import SearchHit
from noodlebowl.hs.transpose import Transposition
from noodlebowl.origin.answer import Determination
from noodlebowl.origin.request import Request
from noodlebowl.proof.draft import ProofDraft
from noodlebowl.proof.requirements import ProofRequirements
from noodlebowl.agreements.registry import MODELLED, RouteAgreements
from noodlebowl.web.bomfile import BomFile
from noodlebowl.web.errors import ERROR_SCHEMA, ApiError, status_for_errors

router = APIRouter()
_LIST_OF_DETERMINATIONS = TypeAdapter(list[Determination])
ERRORS = {400: ERROR_SCHEMA, 404: ERROR_SCHEMA, 413: ERROR_SCHEMA, 415: ERROR_SCHEMA, 422: ERROR_SCHEMA}
Edition = Literal["HS2012", "HS2017", "HS2022"]


class Version(BaseModel):
    noodlebowl: str
    data_version: str


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]
    headings: list[dict[str, Any]] = Field(default_factory=list,
                                           description="hits grouped by heading: code, dotted, description, "
                                                       "share of the hits' score, subheadings")
    check_between: list[str] = Field(default_factory=list,
                                     description="subheadings whose scores are close to the first hit's")
    advice: str | None = Field(None, description="what to check when the first hits are close")


class ProofRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: Request
    agreement: str = Field(description=f"a modelled agreement: {', '.join(MODELLED)}")


class ProofAnswer(BaseModel):
    requirements: ProofRequirements
    draft: ProofDraft


@router.get("/version", response_model=Version, tags=["reference"])
def version() -> Version:
    """Program version and the reference-data version every answer is computed from."""
    from noodlebowl import __version__
    from noodlebowl.refdata import data_version

    return Version(noodlebowl=__version__, data_version=data_version())


@router.get("/hs/search", response_model=SearchResult, tags=["nomenclature"], responses=ERRORS)
def hs_search(q: str = Query(..., min_length=1, max_length=200, description="the product in plain words"),
              limit: int = Query(10, ge=1, le=50)) -> SearchResult:
    """HS2022 subheadings ranked for a plain-language description, each with why (matching words,
    labelled examples it resembles, numbers against the text's ranges) and its heading's other
    subheadings; hits grouped by heading, and which to check between when the first are close."""
    from noodlebowl.hs.search import classify

    with status_for_errors(400):
        answer = classify(q, limit)
        return SearchResult(query=q, hits=answer.hits, headings=answer.headings,
                            check_between=answer.check_between, advice=answer.advice)


@router.get("/hs/transpose", response_model=Transposition, tags=["nomenclature"], responses=ERRORS)
def hs_transpose(code: str = Query(..., max_length=20), from_edition: Edition = Query(..., alias="from"),
                 to_edition: Edition = Query(..., alias="to")) -> Any:
    """Where a code lands in another HS edition (every candidate; ambiguity flagged)."""
    from noodlebowl.hs import transpose

    with status_for_errors(400):
        return transpose(code, from_edition, to_edition)


@router.get("/hs/{code}", response_model=Entry, tags=["nomenclature"], responses=ERRORS)
def hs_lookup(code: str, edition: Edition = "HS2022") -> Any:
    """A code's description, place in the tree, children and AHTN 2022 lines."""
    from noodlebowl.hs import lookup

    if len(code) > 20:
        raise ApiError(404, "no such code", error="InvalidCode", where="code",
                       accepted="an HS code: 85, 85.17, 8517.13, 8517.13.00 …")
    with status_for_errors(404):
        return lookup(code, edition)


@router.get("/agreements", response_model=RouteAgreements, tags=["agreements"], responses=ERRORS)
def agreements(exporter: str = Query(..., min_length=2, max_length=3),
               importer: str = Query(..., min_length=2, max_length=3),
               date: dt.date | None = Query(None, description="YYYY-MM-DD (default: today)")) -> Any:
    """Every modelled agreement judged for the route on the date, plus the ones not modelled."""
    from noodlebowl.agreements.registry import agreements_for_route
    from noodlebowl.limits import date_problem, earliest_date, latest_date

    problem = date_problem(date) if date else None
    if problem:
        raise ApiError(400, problem, error="DateOutOfRange", where="date",
                       accepted=f"a date from {earliest_date()} to {latest_date()}")
    with status_for_errors(400):
        return agreements_for_route(exporter, importer, date)


@router.post("/qualify", response_model=list[Determination], tags=["origin"], responses=ERRORS)
def qualify(request: Request) -> Any:
    """One determination per agreement asked for (default: all modelled agreements in force)."""
    from noodlebowl.origin import determine

    answer = determine(request)
    # Serialised here: the answer is already a validated model, re-validating it would cost ~10 %.
    return Response(_LIST_OF_DETERMINATIONS.dump_json(answer), media_type="application/json")


@router.post("/compare", response_model=Comparison, tags=["origin"], responses=ERRORS)
def compare_(request: Request) -> Any:
    """MFN and every modelled agreement: qualifies?, rate, duty, saving, and the best choice."""
    from noodlebowl.compare import compare

    return Response(compare(request).model_dump_json(), media_type="application/json")


def proof_answer(request: Request, agreement: str) -> tuple[ProofRequirements, ProofDraft]:
    from noodlebowl.agreements.registry import agreement_id
    from noodlebowl.origin import determine
    from noodlebowl.proof import build_draft, proof_options
    from noodlebowl.proof.draft import ProofRefused

    name = agreement_id(agreement)
    requirements = proof_options(name, request.exporter, request.importer, request.date,
                                 fob=request.product.fob, currency=request.product.currency.upper())
    found = [d for d in determine(request.model_copy(update={"agreements": [name]})) if d.agreement == name]
    if not found:
        raise ProofRefused(f"no {name} determination for this request", where="request")
    return requirements, build_draft(request, found[0], name)


@router.post("/proof", tags=["proof"], responses={
    **ERRORS, 200: {"description": "The proof requirements and draft as JSON, or the draft as PDF (format=pdf)",
                    "content": {"application/json": {"schema": ProofAnswer.model_json_schema(
                        ref_template="#/components/schemas/{model}")}, "application/pdf": {}}}},
    response_model=None)
def proof(body: ProofRequest, format: Literal["json", "pdf"] = "json") -> Any:
    """Proof of origin under one agreement: documents usable on the route, and a DRAFT of the form.
    Refused (422) when the product does not (or not yet) qualify."""
    requirements, draft = proof_answer(body.request, body.agreement)
    if format == "pdf":
        from noodlebowl.proof.pdf import draft_pdf_bytes

        filename = f"draft-{draft.agreement.lower()}-{draft.hs}.pdf"
        return Response(draft_pdf_bytes(draft), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return ProofAnswer(requirements=requirements, draft=draft).model_dump(mode="json")


@router.post("/bom/parse", response_model=BomFile, tags=["origin"], responses=ERRORS)
async def bom_parse(file: UploadFile = File(..., description="CSV (UTF-8) or Excel (.xlsx/.xls); header row "
                                                            "name, hs, origin, originating, value, weight_kg, kind")
                    ) -> Any:
    """Read a bill of materials file into materials, with an error per row and column."""
    from noodlebowl.web import bomfile

    from starlette.concurrency import run_in_threadpool

    from noodlebowl.limits import LimitExceeded

    data = await file.read()
    try:   # parsed in a worker thread: the event loop keeps answering other requests meanwhile
        return await run_in_threadpool(bomfile.read, data, file.filename, file.content_type)
    except LimitExceeded as exc:
        raise ApiError(413, exc.what, error="PayloadTooLarge", where=file.filename, accepted=exc.limit) from None
    except bomfile.UnsupportedFile as exc:
        raise ApiError(415, exc.what, error="UnsupportedMediaType", where=file.filename,
                       accepted=exc.accepted) from None
    except bomfile.UnreadableFile as exc:
        raise ApiError(422, exc.what, error="MalformedFile", where=file.filename, accepted=exc.accepted) from None


router.include_router(__import__("noodlebowl.web.app_api", fromlist=["router"]).router)  # the web app's endpoints

__all__ = ["router", "proof_answer", "InvalidRequest"]
