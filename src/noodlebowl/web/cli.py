"""`noodlebowl serve`: the web service and trader's web app; `--create-org` issues an API key;
`noodlebowl keys list|revoke|rotate` manages the keys on the server's database."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    keys = typer.Typer(help="API keys on the server's database: list, revoke, rotate.", no_args_is_help=True)
    keys.command("list")(keys_list)
    keys.command("revoke")(keys_revoke)
    keys.command("rotate")(keys_rotate)
    app.add_typer(keys, name="keys")


def _database_option():
    return typer.Option(None, "--database-url", help="SQLAlchemy URL (default: $NOODLEBOWL_DATABASE_URL, else "
                                                     "SQLite in $NOODLEBOWL_HOME)")


def _store(database_url: str | None):
    from noodlebowl.web.store import Store, database_url as resolve, make_engine, migrate

    engine = make_engine(resolve(database_url))
    migrate(engine)
    return Store(engine)


def _user_or_error(action, user_id: str):
    from noodlebowl.errors import InvalidRequest
    from noodlebowl.web.store.repository import NotFound

    try:
        return action(user_id)
    except NotFound:
        raise InvalidRequest(f"no user {user_id!r}", where="USER_ID",
                             accepted="a user id shown by `noodlebowl keys list`") from None


def keys_list(org: str = typer.Option(None, "--org", help="only this organisation's users"),
              database_url: str = _database_option()) -> None:
    """Every user's key: organisation, user, admin or not, created, revoked (never the key)."""
    rows = _store(database_url).list_keys(org)
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        typer.echo(f"{r['org_id']}  {r['id']}  {r['name']}{' (admin)' if r['is_admin'] else ''}  "
                   f"created {r['created_at']}  {state}")
    if not rows:
        typer.echo("no keys")


def keys_revoke(user_id: str = typer.Argument(..., help="the user whose key stops working"),
                database_url: str = _database_option()) -> None:
    """Revoke a user's key: every request with it is refused from now on."""
    user = _user_or_error(_store(database_url).revoke_key, user_id)
    typer.echo(f"key of user {user['id']} ({user['name']}) revoked at {user['revoked_at']}")


def keys_rotate(user_id: str = typer.Argument(..., help="the user who gets a new key"),
                database_url: str = _database_option()) -> None:
    """A new key for a user (printed once); the old one stops working at once."""
    user, key = _user_or_error(_store(database_url).rotate_key, user_id)
    typer.echo(f"new API key for user {user['id']} ({user['name']}), shown once: {key}")


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
