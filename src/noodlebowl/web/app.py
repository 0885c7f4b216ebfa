"""The FastAPI application: JSON API (OpenAPI at /docs), storage, and the trader's web app at /."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from noodlebowl.web import errors, limits
from noodlebowl.web.store import Store, database_url, make_engine, migrate

HERE = Path(__file__).resolve().parent
MAX_JSON_BYTES = 1 * 1024 * 1024
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def create_app(database: str | None = None, *, max_json_bytes: int = MAX_JSON_BYTES,
               max_upload_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    """The app on ``database`` (default: ``$NOODLEBOWL_DATABASE_URL`` or the SQLite file in
    ``$NOODLEBOWL_HOME``); migrations run before it serves."""
    from noodlebowl import __version__
    from noodlebowl.web.api import router as api_router
    from noodlebowl.web.storage_api import public, router as storage_router

    engine = make_engine(database_url(database))
    migrate(engine)
    store = Store(engine)

    app = FastAPI(title="noodlebowl", version=__version__,
                  description="Which ASEAN trade agreement gives your product the lowest duty, whether it "
                              "qualifies under the rules of origin (law cited), and what proof it needs.")
    app.state.store = store
    app.state.secret = cache(store.secret)
    errors.install(app)
    app.add_middleware(limits.BodyLimits, max_json=max_json_bytes, max_upload=max_upload_bytes)
    app.include_router(api_router)
    app.include_router(storage_router)
    app.include_router(public)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(HERE / "templates" / "index.html", media_type="text/html")

    @app.get("/glossary", include_in_schema=False)
    def glossary() -> FileResponse:
        return FileResponse(HERE / "templates" / "glossary.html", media_type="text/html")

    @app.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path in ("/", "/glossary"):
            response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                           "object-src 'none'; frame-ancestors 'none'")
        return response

    return app
