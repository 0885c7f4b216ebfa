"""HTTP API and the trader's web app (FastAPI), with stored products and determinations.

``create_app()`` builds the app; ``noodlebowl serve`` runs it with uvicorn."""

from __future__ import annotations


def create_app(*args, **kwargs):
    from noodlebowl.web.app import create_app as factory

    return factory(*args, **kwargs)


__all__ = ["create_app"]
