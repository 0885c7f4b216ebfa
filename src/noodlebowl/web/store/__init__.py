"""Persistence of organisations, products, BOM versions and determinations (SQLAlchemy 2)."""

from noodlebowl.web.store.db import database_url, home, make_engine, migrate
from noodlebowl.web.store.repository import NotFound, Principal, Store

__all__ = ["NotFound", "Principal", "Store", "database_url", "home", "make_engine", "migrate"]
