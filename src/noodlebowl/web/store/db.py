"""Where the database is and how to open it; migrations run programmatically at start-up."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def home() -> Path:
    """``$NOODLEBOWL_HOME`` or ``~/.local/share/noodlebowl``."""
    env = os.environ.get("NOODLEBOWL_HOME")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "noodlebowl"


def database_url(explicit: str | None = None) -> str:
    """An explicit URL, else ``$NOODLEBOWL_DATABASE_URL`` (PostgreSQL), else the SQLite file."""
    if explicit:
        return explicit
    env = os.environ.get("NOODLEBOWL_DATABASE_URL")
    if env:
        return env
    path = home() / "noodlebowl.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=40)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            # SQLAlchemy, not the driver, begins transactions (see _begin)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            # Writers take the lock up front: a deferred transaction that reads and then writes fails
            # at once ("database is locked") when another writer committed in between. Readers don't.
            write = conn.get_execution_options().get("noodlebowl_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
