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

router = APIRouter(tags=["storage"], responses={401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 413: ERROR_SCHEMA,
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
def statement_link(http: HttpRequest, determination_id: str, agreement: str = Query(..., max_length=20),
                   days: int | None = Query(None, ge=1, le=365, description="how long the link works "
                                            "(default: $NOODLEBOWL_LINK_DAYS or 90)"),
                   who: Principal = Depends(principal), store: Store = Depends(store_of)) -> dict[str, Any]:
    """A signed link to the cost-free origin statement of one agreement, to send to a customer;
    it works until it expires or is revoked (``DELETE /share-links/{id}``)."""
    from noodlebowl.agreements.registry import agreement_id
    from noodlebowl.web import statements

    record = store.get_determination(who, determination_id)
    name = agreement_id(agreement)
    if not any(d["agreement"] == name for d in record["answer"]["determinations"]):
        raise ApiError(422, f"the determination has no {name} answer", error="InvalidRequest", where="agreement",
                       accepted=", ".join(d["agreement"] for d in record["answer"]["determinations"]))
    now = dt.datetime.now(dt.timezone.utc)
    expires = now + dt.timedelta(days=days or statements.default_link_days())
    link = store.add_share_link(who, determination_id, name, expires)
    token = statements.sign(http.app.state.secret(), link["id"], determination_id, name, expires, now)
    payload = statements.verify(http.app.state.secret(), token)
    return {"token": token, "url": str(http.url_for("read_statement", token=token)), "link": link,
            "statement": statements.build(record, name, payload["iat"], payload["exp"]).model_dump(mode="json")}


@router.get("/share-links")
def share_links(who: Principal = Depends(principal), store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    """The organisation's statement links (never the tokens), newest first."""
    return store.list_share_links(who)


@router.delete("/share-links/{link_id}")
def revoke_share_link(link_id: str, who: Principal = Depends(principal),
                      store: Store = Depends(store_of)) -> dict[str, Any]:
    """The link stops working at once, for whoever holds it."""
    return store.revoke_share_link(who, link_id)


def _statement(http: HttpRequest, token: str):
    from noodlebowl.web import statements

    store: Store = http.app.state.store
    gone = {"error": "NotFound", "where": "statement link", "accepted": "a live link issued on this server"}
    try:
        payload = statements.verify(http.app.state.secret(), token)
    except statements.BadToken as exc:
        raise ApiError(404, str(exc), **gone) from None
    link = store.share_link(str(payload["l"]))
    if link is None or link["revoked_at"] is not None:
        raise ApiError(404, "the statement link was revoked", **gone)
    record = store.determination_by_id(payload["d"])
    if record is None:
        raise ApiError(404, "the statement's determination no longer exists", error="NotFound")
    return statements.build(record, payload["a"], payload["iat"], payload["exp"])


@public.get("/statements/{token}", name="read_statement")
def read_statement(http: HttpRequest, token: str) -> dict[str, Any]:
    """The origin statement behind a signed link (no API key: the signature is the access)."""
    if len(token) > 2000:
        raise ApiError(404, "the statement link is malformed", error="NotFound", where="statement link")
    return _statement(http, token).model_dump(mode="json")


def statement_mismatch(statement, line: dict, edition: str | None) -> str | None:
    """Why a supplier's statement cannot prove this BOM line originating (None when it can): the
    good it covers must be the line's material — same HS subheading in the same edition, made in
    the line's country of origin."""
    from noodlebowl.errors import NoodlebowlError
    from noodlebowl.hs.codes import parse_code

    line_hs, good_hs = line.get("hs"), statement.product.get("hs")
    if not line_hs:
        return "the BOM line has no HS code to compare with the statement's good; add it first"
    if (edition or "HS2022") != (statement.product.get("edition") or "HS2022"):
        return f"the statement's code is in {statement.product.get('edition')}, the BOM's in {edition}"
    try:
        same_code = parse_code(line_hs).digits[:6] == parse_code(good_hs).digits[:6]
    except NoodlebowlError:
        same_code = False
    if not same_code:
        return f"the statement covers HS {good_hs}, the BOM line is HS {line_hs}"
    if line.get("origin") != statement.exporter:
        return (f"the statement's good was made in {statement.exporter}, the BOM line's origin is "
                f"{line.get('origin', 'unknown')}")
    return None


@router.post("/statements/import", status_code=201)
def import_statement(http: HttpRequest, body: StatementImport, who: Principal = Depends(principal),
                     store: Store = Depends(store_of)) -> dict[str, Any]:
    """Import a supplier's statement as proof that a BOM line is originating under its agreement:
    a new BOM version with ``originating`` including the agreement. The statement must cover the
    line's material (HS subheading and country of origin)."""
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
            why = statement_mismatch(statement, mat, bom.get("product", {}).get("edition"))
            if why:
                raise ApiError(422, f"the statement does not cover this BOM line: {why}", error="InvalidRequest",
                               where="material", accepted="a statement for the line's own material")
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


# --- API keys of the organisation (its admin only) ---------------------------------------------

def admin(who: Principal = Depends(principal), store: Store = Depends(store_of)) -> Principal:
    if not store.is_admin(who):
        raise ApiError(403, "only the organisation's admin manages its keys", error="Forbidden",
                       where="X-API-Key header", accepted="the key of the user made with --create-org")
    return who


@router.get("/keys")
def list_keys(who: Principal = Depends(admin), store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    """The organisation's users and the state of their keys (never the keys)."""
    return store.list_keys(who.org_id)


@router.post("/keys/{user_id}/revoke")
def revoke_key(user_id: str, who: Principal = Depends(admin), store: Store = Depends(store_of)) -> dict[str, Any]:
    """The user's key stops working at once."""
    return store.revoke_key(user_id, org_id=who.org_id, by=who)


@router.post("/keys/{user_id}/rotate")
def rotate_key(user_id: str, who: Principal = Depends(admin), store: Store = Depends(store_of)) -> dict[str, Any]:
    """A new key for the user, shown once; the old one stops working at once."""
    user, key = store.rotate_key(user_id, org_id=who.org_id, by=who)
    return {**user, "key": key}


@router.get("/audit")
def audit(limit: int = Query(100, ge=1, le=1000), who: Principal = Depends(principal),
          store: Store = Depends(store_of)) -> list[dict[str, Any]]:
    """What was done in the organisation, newest first."""
    return store.audit(who, limit)
