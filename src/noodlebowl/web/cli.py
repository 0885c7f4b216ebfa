"""`noodlebowl serve`: the web service and trader's web app; `--create-org` issues an API key."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    database_url: str = typer.Option(None, "--database-url",
                                     help="SQLAlchemy URL (default: $NOODLEBOWL_DATABASE_URL, else SQLite "
                                          "in $NOODLEBOWL_HOME)"),
    create_org: str = typer.Option(None, "--create-org", metavar="NAME",
                                   help="create an organisation, print its first API key once, and exit"),
    add_user: str = typer.Option(None, "--add-user", metavar="ORG_ID",
                                 help="add a user to an organisation, print the key once, and exit"),
    user: str = typer.Option("admin", "--user", help="name of the user created with --create-org/--add-user"),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="server processes; one per core (each answers one comparison at a time)"),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn's log level"),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="log every request"),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web app at /."""
    from noodlebowl.web.store import Store, database_url as resolve, make_engine, migrate

    if create_org or add_user:
        engine = make_engine(resolve(database_url))
        migrate(engine)
        store = Store(engine)
        if create_org:
            ids, key = store.create_org(create_org, user)
        else:
            from noodlebowl.errors import InvalidRequest
            from noodlebowl.web.store.repository import NotFound
            try:
                ids, key = store.create_user(add_user, user)
            except NotFound:
                raise InvalidRequest(f"no organisation {add_user!r}", where="--add-user",
                                     accepted="an organisation id printed by `noodlebowl serve --create-org`") from None
        typer.echo(f"organisation {ids['org_id']} ({ids.get('name', '')}), user {ids['user_id']} ({user})")
        typer.echo(f"API key (shown once; send it as the X-API-Key header): {key}")
        return
    import os

    from noodlebowl.web.server import run

    if database_url:
        os.environ["NOODLEBOWL_DATABASE_URL"] = database_url
    # uvicorn, with TCP_NODELAY on every connection also when workers > 1 (see noodlebowl.web.server)
    run(host, port, workers, log_level=log_level, access_log=access_log)
