"""The FastAPI application: JSON API (OpenAPI at /docs), storage, and the trader's web app at /."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from noodlebowl.web import docs, errors, limits, secret, security
from noodlebowl.web.store import Store, database_url, make_engine, migrate
from noodlebowl.web.store.db import home

HERE = Path(__file__).resolve().parent
MAX_JSON_BYTES = 1 * 1024 * 1024
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_BATCH_BYTES = 512 * 1024 * 1024     # a catalog upload: products and BOM files together


def create_app(database: str | None = None, *, max_json_bytes: int = MAX_JSON_BYTES,
               max_upload_bytes: int = MAX_UPLOAD_BYTES, max_batch_bytes: int = MAX_BATCH_BYTES,
               jobs_folder: str | Path | None = None, secret_folder: str | Path | None = None,
               body_timeout: float = security.BODY_TIMEOUT_SECONDS) -> FastAPI:
    """The app on ``database`` (default: ``$NOODLEBOWL_DATABASE_URL`` or the SQLite file in
    ``$NOODLEBOWL_HOME``); migrations run before it serves. Batch jobs keep their files in
    ``jobs_folder`` (default: ``$NOODLEBOWL_HOME/jobs``); the signing secret comes from
    ``$NOODLEBOWL_SECRET_KEY`` or the key file in ``secret_folder`` (default ``$NOODLEBOWL_HOME``)."""
    from contextlib import asynccontextmanager

    from noodlebowl import __version__
    from noodlebowl.web.api import router as api_router
    from noodlebowl.web.batch_api import router as batch_router
    from noodlebowl.web.jobs import JobRunner
    from noodlebowl.web.storage_api import public, router as storage_router

    engine = make_engine(database_url(database))
    migrate(engine)
    store = Store(engine)
    jobs = JobRunner(store, Path(jobs_folder) if jobs_folder else home() / "jobs")
    jobs.sweep()                       # files of failed and expired jobs (see noodlebowl.web.jobs)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        jobs.shutdown()

    app = FastAPI(title="noodlebowl", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Which ASEAN trade agreement gives your product the lowest duty, whether it "
                              "qualifies under the rules of origin (law cited), and what proof it needs.")
    app.state.store = store
    app.state.jobs = jobs
    signing = secret.signing_secret(Path(secret_folder) if secret_folder else None)      # made once, at start-up, outside the database
    app.state.secret = lambda: signing
    errors.install(app)
    docs.install(app)
    security.install_log_redaction()
    app.add_middleware(security.RefuseUnstorable)      # inside BodyLimits: sizes are checked first
    app.add_middleware(limits.BodyLimits, max_json=max_json_bytes, max_upload=max_upload_bytes,
                       max_batch=max_batch_bytes)
    app.include_router(api_router)
    app.include_router(storage_router)
    app.include_router(batch_router)
    app.include_router(public)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(HERE / "templates" / "index.html", media_type="text/html")

    @app.get("/glossary", include_in_schema=False)
    def glossary() -> FileResponse:
        return FileResponse(HERE / "templates" / "glossary.html", media_type="text/html")

    app.add_middleware(security.BodyTimeout, seconds=body_timeout)
    app.add_middleware(security.SecurityHeaders)
    return app
