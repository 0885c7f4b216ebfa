"""Every error the service returns is JSON ``{error, what, where, accepted, suggestions}``."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from noodlebowl.errors import NoodlebowlError
from noodlebowl.web.store.repository import NotFound


class ApiError(Exception):
    """A user-facing error with an HTTP status."""

    def __init__(self, status: int, what: str, *, error: str = "ApiError", where: str | None = None,
                 accepted: str | None = None, suggestions: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(what)
        self.status, self.headers = status, headers
        self.body = {"error": error, "what": what, "where": where, "accepted": accepted,
                     "suggestions": list(suggestions or [])}

    @classmethod
    def from_noodlebowl(cls, status: int, exc: NoodlebowlError) -> "ApiError":
        d = exc.as_dict()
        return cls(status, d["what"], error=d["error"], where=d["where"], accepted=d["accepted"],
                   suggestions=d["suggestions"])


@contextmanager
def status_for_errors(status: int) -> Iterator[None]:
    """Report the library's input errors with this status (404 for a code looked up by path,
    400 for query parameters; the default for request bodies is 422)."""
    try:
        yield
    except NoodlebowlError as exc:
        raise ApiError.from_noodlebowl(status, exc) from None


ERROR_SCHEMA = {
    "description": "Structured error",
    "content": {"application/json": {"schema": {
        "type": "object",
        "required": ["error", "what"],
        "properties": {"error": {"type": "string"}, "what": {"type": "string"},
                       "where": {"type": ["string", "null"]}, "accepted": {"type": ["string", "null"]},
                       "suggestions": {"type": "array", "items": {"type": "string"}},
                       "errors": {"type": "array", "items": {"type": "object"}}}}}},
}

_STATUS_NAMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                 413: "PayloadTooLarge", 415: "UnsupportedMediaType"}


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(NoodlebowlError)
    async def _noodle(_: Request, exc: NoodlebowlError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=422)

    @app.exception_handler(NotFound)
    async def _missing(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"error": "NotFound", "what": f"no {exc.kind} with this id", "where": exc.ident,
                             "accepted": "an id returned to your organisation", "suggestions": []},
                            status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": _loc(tuple(e.get("loc", ()))), "what": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        first = errors[0] if errors else {"where": None, "what": "invalid request"}
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        return JSONResponse({"error": "ValidationError", "what": first["what"] + more, "where": first["where"],
                             "accepted": "see the JSON Schema of this endpoint at /docs", "suggestions": [],
                             "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": _STATUS_NAMES.get(exc.status_code, "HTTPError"), "what": str(exc.detail),
                             "where": request.url.path, "accepted": None, "suggestions": []},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))
