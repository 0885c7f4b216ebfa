"""The stored side of the API: products, BOM versions, immutable determinations, reruns,
exports for customs officers, origin statements, and the audit trail. Every endpoint needs an
organisation's API key in ``X-API-Key``; another organisation's ids answer 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request as HttpRequest
from fastapi.responses import Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from noodlebowl.limits import MAX_INT, CountryCode, PositiveAmount, ShipmentDate
from noodlebowl.origin.request import Costs, Material, Product, Request
from noodlebowl.web.errors import ERROR_SCHEMA, ApiError
from noodlebowl.web.store.repository import Principal, Store

router = APIRouter(tags=["storage"], responses={401: ERROR_SCHEMA, 404: ERROR_SCHEMA, 413: ERROR_SCHEMA,
                                                 415: ERROR_SCHEMA, 422: ERROR_SCHEMA})
public = APIRouter(tags=["statements"], responses={400: ERROR_SCHEMA, 404: ERROR_SCHEMA})
api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="your organisation's API key")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Bom(_In):
    """A product's bill of materials: the good, its costs, its materials and answered facts."""

    product: Product
    costs: Costs = Costs()
    materials: list[Material] = []
    facts: dict[str, bool | str] = {}


class ProductIn(_In):
    name: str = Field(min_length=1, max_length=500)
    bom: Bom


class BomIn(_In):
    bom: Bom
    note: str | None = Field(default=None, max_length=2000)


class RouteIn(_In):
    """The route and date to determine a stored product's origin for."""

    exporter: CountryCode
    importer: CountryCode
    date: ShipmentDate = Field(default_factory=dt.date.today)
    agreements: list[str] | None = Field(default=None, max_length=20)
    customs_value: PositiveAmount | None = None
    quantity: PositiveAmount | None = None
    unit: str | None = Field(default=None, max_length=20)
    bom_version: int | None = Field(default=None, ge=1, le=MAX_INT, description="default: the latest version")


class StatementImport(_In):
    token: str = Field(min_length=10, max_length=2000)
    product_id: str = Field(max_length=64)
    material: str = Field(min_length=1, max_length=500, description="the BOM line's name")


def store_of(request: HttpRequest) -> Store:
    return request.app.state.store


def principal(request: HttpRequest, key: str | None = Depends(api_key)) -> Principal:
    unauthorised = {"WWW-Authenticate": "APIKey"}
    if not key:
        raise ApiError(401, "an API key is needed", error="Unauthorized", where="X-API-Key header",
                       accepted="the key printed by `noodlebowl serve --create-org NAME`", headers=unauthorised)
    who = store_of(request).principal(key) if len(key) <= 200 else None
    if who is None:
        raise ApiError(401, "the API key is not valid", error="Unauthorized", where="X-API-Key header",
                       accepted="a key issued to your organisation", headers=unauthorised)
    return who


def _bom_json(bom: Bom) -> dict:
    # A BOM must make a valid request on any route: the materials-vs-FOB checks run now.
    _request_for(bom.model_dump(mode="json"), RouteIn(exporter="VN", importer="JP"))
    return bom.model_dump(mode="json")


def _request_for(bom: dict, route: RouteIn) -> Request:
    from noodlebowl.origin.request import parse_request

    data = {**bom, **route.model_dump(mode="json", exclude={"bom_version"}, exclude_none=True)}
    return parse_request(data, source="stored BOM")


@router.post("/products", status_code=201)
def create_product(body: ProductIn, who: Principal = Depends(principal),
                   store: Store = Depends(store_of)) -> dict[str, Any]:
    """Store a product with its first BOM version."""
    return store.create_product(who, body.name, _bom_json(body.bom))


@router.get("/products")
def list_products(who: Principal = Depends(principal), store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    """The organisation's products with their latest BOM."""
    return store.list_products(who)


@router.get("/products/{product_id}")
def get_product(product_id: str, who: Principal = Depends(principal),
                store: Store = Depends(store_of)) -> dict[str, Any]:
    return store.get_product(who, product_id)


@router.get("/products/{product_id}/bom")
def get_bom(product_id: str, version: int | None = Query(None, ge=1, le=MAX_INT), who: Principal = Depends(principal),
            store: Store = Depends(store_of)) -> dict[str, Any]:
    """One BOM version (default: the latest)."""
    return store.get_bom(who, product_id, version)


@router.get("/products/{product_id}/bom/versions")
def bom_versions(product_id: str, who: Principal = Depends(principal),
                 store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    return store.bom_versions(who, product_id)


@router.put("/products/{product_id}/bom", status_code=201)
def put_bom(product_id: str, body: BomIn, who: Principal = Depends(principal),
            store: Store = Depends(store_of)) -> dict[str, Any]:
    """A new BOM version; determinations made on older versions keep pointing at theirs."""
    return store.new_bom_version(who, product_id, _bom_json(body.bom), body.note)


def _compute(route: RouteIn):
    from noodlebowl.compare import compare

    def run(bom: dict):
        request = _request_for(bom, route)
        answer = compare(request)
        return request.model_dump(mode="json"), answer.model_dump(mode="json"), answer.data_version

    return run


@router.post("/products/{product_id}/determinations", status_code=201)
def determine_product(product_id: str, route: RouteIn, who: Principal = Depends(principal),
                      store: Store = Depends(store_of)) -> dict[str, Any]:
    """Compare every agreement for a stored product on a route and date, and store the answer
    (request, comparison, data version, time, user) immutably."""
    return store.add_determination(who, product_id, route.bom_version, _compute(route))


@router.get("/products/{product_id}/determinations")
def product_determinations(product_id: str, who: Principal = Depends(principal),
                           store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    return store.list_determinations(who, product_id)


@router.get("/determinations/{determination_id}")
def get_determination(determination_id: str, who: Principal = Depends(principal),
                      store: Store = Depends(store_of)) -> dict[str, Any]:
    return store.get_determination(who, determination_id)


@router.post("/determinations/{determination_id}/rerun", status_code=201)
def rerun(determination_id: str, who: Principal = Depends(principal),
          store: Store = Depends(store_of)) -> dict[str, Any]:
    """Recompute a stored determination with the current data and program; store the new answer
    and return what changed per agreement (outcome, criterion, rule, rate) and why."""
    from noodlebowl.compare import compare
    from noodlebowl.origin.request import parse_request
    from noodlebowl.web.records import diff

    def run(request_json: dict):
        answer = compare(parse_request(request_json, source="stored request"))
        return answer.model_dump(mode="json"), answer.data_version

    old, new = store.add_rerun(who, determination_id, run)
    return {"diff": diff(old, new), "rerun": new}


@router.get("/determinations/{determination_id}/export", response_model=None,
            responses={200: {"content": {"application/json": {}, "application/pdf": {}},
                             "description": "the verification file"}})
def export(http: HttpRequest, determination_id: str, format: Literal["json", "pdf"] = "json",
           who: Principal = Depends(principal), store: Store = Depends(store_of)) -> Any:
    """A verification file for a customs officer: the stored request and answer, the data version,
    and a hash (plus the server's HMAC) of the record."""
    from noodlebowl.web.records import export_pdf, verification

    record = store.get_determination(who, determination_id)
    check = verification(record, http.app.state.secret())
    store.log(who, "export", "determination", determination_id, {"format": format})
    if format == "pdf":
        return Response(export_pdf(record, check), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="determination-{determination_id}.pdf"'})
    return {"determination": record, "verification": check}


@router.get("/determinations/{determination_id}/statement")
def statement_link(http: HttpRequest, determination_id: str, agreement: str, who: Principal = Depends(principal),
                   store: Store = Depends(store_of)) -> dict[str, Any]:
    """A signed link to the cost-free origin statement of one agreement, to send to a customer."""
    from noodlebowl.agreements.registry import agreement_id
    from noodlebowl.web import statements

    record = store.get_determination(who, determination_id)
    name = agreement_id(agreement)
    if not any(d["agreement"] == name for d in record["answer"]["determinations"]):
        raise ApiError(422, f"the determination has no {name} answer", error="InvalidRequest", where="agreement",
                       accepted=", ".join(d["agreement"] for d in record["answer"]["determinations"]))
    token = statements.sign(http.app.state.secret(), determination_id, name)
    payload = statements.verify(http.app.state.secret(), token)
    store.log(who, "share_statement", "determination", determination_id, {"agreement": name})
    return {"token": token, "url": str(http.url_for("read_statement", token=token)),
            "statement": statements.build(record, name, payload["iat"]).model_dump(mode="json")}


def _statement(http: HttpRequest, token: str):
    from noodlebowl.web import statements

    store: Store = http.app.state.store
    try:
        payload = statements.verify(http.app.state.secret(), token)
    except statements.BadToken as exc:
        raise ApiError(404, str(exc), error="NotFound", where="statement link",
                       accepted="a link issued by a supplier on this server") from None
    record = store.determination_by_id(payload["d"])
    if record is None:
        raise ApiError(404, "the statement's determination no longer exists", error="NotFound")
    return statements.build(record, payload["a"], payload["iat"])


@public.get("/statements/{token}", name="read_statement")
def read_statement(http: HttpRequest, token: str) -> dict[str, Any]:
    """The origin statement behind a signed link (no API key: the signature is the access)."""
    return _statement(http, token).model_dump(mode="json")


@router.post("/statements/import", status_code=201)
def import_statement(http: HttpRequest, body: StatementImport, who: Principal = Depends(principal),
                     store: Store = Depends(store_of)) -> dict[str, Any]:
    """Import a supplier's statement as proof that a BOM line is originating under its agreement:
    a new BOM version with ``originating`` including the agreement."""
    statement = _statement(http, body.token)
    if statement.outcome != "qualifies":
        raise ApiError(422, f"the statement says the good does not qualify under {statement.agreement} "
                            f"({statement.outcome})", error="InvalidRequest", where="token",
                       accepted="a statement whose outcome is qualifies")

    def change(bom: dict) -> dict:
        materials = [dict(mat) for mat in bom.get("materials", [])]
        hits = [mat for mat in materials if mat["name"] == body.material]
        if not hits:
            raise ApiError(422, "no BOM line has this name", error="InvalidRequest", where="material",
                           accepted=", ".join(repr(mat["name"]) for mat in materials[:20]) or "(the BOM is empty)")
        for mat in hits:
            current = mat.get("originating")
            if current is True:
                continue
            agreements = list(current) if isinstance(current, list) else []
            if statement.agreement not in agreements:
                agreements.append(statement.agreement)
            mat["originating"] = agreements
        return {**bom, "materials": materials}

    return store.import_statement(who, body.product_id, body.material, statement.agreement,
                                  statement.model_dump(mode="json"), change)


@router.get("/audit")
def audit(limit: int = Query(100, ge=1, le=1000), who: Principal = Depends(principal),
          store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    """What was done in the organisation, newest first."""
    return store.audit(who, limit)
