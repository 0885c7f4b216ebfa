"""/docs (Swagger UI) served from local assets — the ones the ``fastapi-offline`` package ships —
so the page works offline and loads no script from a CDN; the start-up script is a file too, so
the page's Content-Security-Policy needs no inline script."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
# Swagger UI sets style attributes from script: inline styles allowed on this page only.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — API</title>
<link rel="icon" href="{assets}/favicon.png"><link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script><script src="{assets}/start.js"></script></body></html>
"""
_START = """SwaggerUIBundle({url: "%s", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
"""


def assets_folder() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Serve /docs and its assets (the app must be made with ``docs_url=None``)."""
    root = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE.format(title=app.title, assets=ASSETS), headers={"Content-Security-Policy": DOCS_CSP})

    @app.get(f"{ASSETS}/start.js", include_in_schema=False)
    def start() -> Response:
        return Response(_START % root, media_type="text/javascript")

    app.mount(ASSETS, StaticFiles(directory=assets_folder()), name="docs-assets")
