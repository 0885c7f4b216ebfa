"""Keys and links that can be revoked, a signing secret outside the database, tokens kept out of
the access log, and statement imports bound to the BOM line they prove."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat

import pytest
from sqlalchemy import text

from tests.test_web_fixtures import backend_url, bom_of, client, example, make_client, new_org, route_of  # noqa: F401


def _org_with_user(client):
    store = client.app.state.store
    ids, admin_key = store.create_org("Org")
    user, user_key = store.create_user(ids["org_id"], "clerk")
    return {"X-API-Key": admin_key}, {"X-API-Key": user_key}, user["user_id"]


def test_admin_rotates_and_revokes_a_key_through_the_api(client):
    admin, clerk, clerk_id = _org_with_user(client)
    assert client.get("/products", headers=clerk).status_code == 200
    assert client.get("/keys", headers=clerk).status_code == 403          # not the admin
    listed = client.get("/keys", headers=admin).json()
    assert {k["name"] for k in listed} == {"admin", "clerk"} and all("key" not in k for k in listed)
    rotated = client.post(f"/keys/{clerk_id}/rotate", headers=admin).json()
    assert client.get("/products", headers=clerk).status_code == 401      # the old key is dead at once
    fresh = {"X-API-Key": rotated["key"]}
    assert client.get("/products", headers=fresh).status_code == 200
    assert client.post(f"/keys/{clerk_id}/revoke", headers=admin).json()["revoked_at"]
    assert client.get("/products", headers=fresh).status_code == 401
    other_admin = new_org(client, "Other")
    assert client.post(f"/keys/{clerk_id}/rotate", headers=other_admin).status_code == 404   # not theirs


def test_cli_keys_list_revoke_rotate(cli, backend_url):
    from noodlebowl.web.store import Store, make_engine, migrate

    engine = make_engine(backend_url)
    migrate(engine)
    store = Store(engine)
    ids, key = store.create_org("CLI org")
    listed = cli("keys", "list", "--org", ids["org_id"], "--database-url", backend_url)
    assert listed.exit_code == 0 and ids["user_id"] in listed.stdout and key not in listed.stdout
    rotated = cli("keys", "rotate", ids["user_id"], "--database-url", backend_url)
    new_key = rotated.stdout.strip().split()[-1]
    assert rotated.exit_code == 0 and store.principal(key) is None and store.principal(new_key) is not None
    assert cli("keys", "revoke", ids["user_id"], "--database-url", backend_url).exit_code == 0
    assert store.principal(new_key) is None
    assert "revoked" in cli("keys", "list", "--org", ids["org_id"], "--database-url", backend_url).stdout
    missing = cli("keys", "revoke", "no-such-user", "--database-url", backend_url)
    assert missing.exit_code == 2 and missing.stderr.startswith("error: ")
    engine.dispose()


def _shared(client, days=None):
    supplier = new_org(client, "Supplier")
    req = example()
    made = client.post("/products", json={"name": "Sausages", "bom": bom_of(req)}, headers=supplier).json()
    det = client.post(f"/products/{made['id']}/determinations", json=route_of(req), headers=supplier).json()
    params = {"agreement": "RCEP", **({"days": days} if days else {})}
    link = client.get(f"/determinations/{det['id']}/statement", params=params, headers=supplier)
    assert link.status_code == 200, link.text
    return supplier, link.json()


def test_share_link_is_revocable(client):
    supplier, link = _shared(client)
    assert client.get(f"/statements/{link['token']}").status_code == 200
    assert [x["id"] for x in client.get("/share-links", headers=supplier).json()] == [link["link"]["id"]]
    assert "token" not in str(client.get("/share-links", headers=supplier).json())
    other = new_org(client, "Other")
    assert client.delete(f"/share-links/{link['link']['id']}", headers=other).status_code == 404
    assert client.delete(f"/share-links/{link['link']['id']}", headers=supplier).status_code == 200
    gone = client.get(f"/statements/{link['token']}")
    assert gone.status_code == 404 and "revoked" in gone.json()["what"]


def test_share_link_lifetime_is_configurable_and_enforced(client, monkeypatch):
    from noodlebowl.web import statements

    _, link = _shared(client, days=3)
    issued = dt.datetime.fromisoformat(link["link"]["created_at"])
    expires = dt.datetime.fromisoformat(link["statement"]["expires_at"])
    assert dt.timedelta(days=3) - dt.timedelta(seconds=5) < expires - issued.replace(
        tzinfo=issued.tzinfo or dt.timezone.utc) <= dt.timedelta(days=3)
    secret = client.app.state.secret()
    with pytest.raises(statements.BadToken, match="expired"):
        statements.verify(secret, link["token"], now=expires + dt.timedelta(seconds=1))
    monkeypatch.setenv("NOODLEBOWL_LINK_DAYS", "10")
    _, default = _shared(client)
    span = (dt.datetime.fromisoformat(default["statement"]["expires_at"])
            - dt.datetime.fromisoformat(default["statement"]["issued_at"]))
    assert span == dt.timedelta(days=10)
    supplier = new_org(client, "S2")
    assert client.get("/determinations/x/statement", params={"agreement": "RCEP", "days": 366},
                      headers=supplier).status_code == 422


def test_tokens_never_reach_the_access_log(client):
    from noodlebowl.web.security import RedactTokens

    _, link = _shared(client)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", f"/statements/{link['token']}", "1.1", 200), None)
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert link["token"] not in line and "/statements/[redacted]" in line
    # the filter is on uvicorn's access logger once an app exists
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("uvicorn.access").filters)


def test_signing_secret_is_not_in_the_database(client, backend_url, tmp_path):
    _shared(client)
    with client.app.state.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, value FROM server_settings")).all()
    secret = client.app.state.secret()
    assert not any(secret.hex() in str(v) or "secret" in k for k, v in rows)
    key_file = tmp_path / "secret.key"
    with make_client(backend_url, jobs_folder=tmp_path / "jobs", secret_folder=tmp_path) as again:
        made = again.app.state.secret()
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with make_client(backend_url, jobs_folder=tmp_path / "jobs", secret_folder=tmp_path) as third:
        assert third.app.state.secret() == made           # made once, read after


def test_secret_from_the_environment(monkeypatch, tmp_path):
    from noodlebowl.errors import InvalidRequest
    from noodlebowl.web.secret import signing_secret

    monkeypatch.setenv("NOODLEBOWL_SECRET_KEY", "k" * 40)
    assert signing_secret(tmp_path) == signing_secret(tmp_path / "elsewhere") != b"k" * 40
    assert not (tmp_path / "secret.key").exists()
    monkeypatch.setenv("NOODLEBOWL_SECRET_KEY", "short")
    with pytest.raises(InvalidRequest, match="at least 32"):
        signing_secret(tmp_path)


@pytest.mark.parametrize("line, why", [
    ({"name": "Casing", "hs": "0504.00", "origin": "VN"}, "covers HS"),
    ({"name": "Casing", "hs": "1601.00", "origin": "TH"}, "made in VN"),
    ({"name": "Casing", "origin": "VN"}, "no HS code"),
])
def test_statement_import_must_match_the_bom_line(client, line, why):
    _, link = _shared(client)
    customer = new_org(client, "Customer")
    own = example("blender")
    own["materials"][0] = {**line, "originating": False, "value": "30.00"}
    mine = client.post("/products", json={"name": "Blender", "bom": bom_of(own)}, headers=customer).json()
    r = client.post("/statements/import", json={"token": link["token"], "product_id": mine["id"],
                                                 "material": "Casing"}, headers=customer)
    assert r.status_code == 422 and why in r.json()["what"], r.text
    assert client.get(f"/products/{mine['id']}", headers=customer).json()["latest_version"] == 1
