"""Random JSON thrown at /qualify, /compare and /products (both databases): never a 5xx.

Two kinds of body: any JSON at all, and a valid request with one field (at any depth) replaced by
random JSON — the second reaches the engine and the store, where the first stops at validation."""

from __future__ import annotations

import copy
import json
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.test_web_fixtures import backend_url, bom_of, client, example, new_org  # noqa: F401

EXAMPLES = int(os.environ.get("NOODLEBOWL_HOSTILE_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=30) | st.sampled_from(["", "VN", "QQ", "ZZZ", "1e309", "NaN", "-1", "0", "9999-12-31",
                                                       "1900-01-01", "8509.40", "HS2022", "RCEP", "\u0000", "\ud7ff"]))
any_json = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, prefix + (i,))


BASE = example()
PATHS = [p for p in _paths(BASE) if p]


def _mutated(path: tuple, value) -> dict:
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _post(client, url: str, body, headers=None):
    text = json.dumps(body, allow_nan=True)
    return client.post(url, content=text, headers={"content-type": "application/json", **(headers or {})})


def test_any_json_gives_no_server_error(client):
    h = new_org(client)

    @SETTINGS
    @given(body=any_json)
    def check(body):
        for url in ("/qualify", "/compare"):
            assert _post(client, url, body).status_code < 500, (url, body)
        r = _post(client, "/products", {"name": "P", "bom": body}, h)
        assert r.status_code < 500, body

    check()


def test_a_valid_request_with_one_field_replaced_gives_no_server_error(client):
    h = new_org(client)

    @SETTINGS
    @given(path=st.sampled_from(PATHS), value=any_json)
    def check(path, value):
        body = _mutated(path, value)
        for url in ("/qualify", "/compare"):
            r = _post(client, url, body)
            assert r.status_code < 500, (url, path, value, r.text[:300])
        r = _post(client, "/products", {"name": "P", "bom": bom_of(body) if isinstance(body, dict) else body}, h)
        assert r.status_code < 500, (path, value, r.text[:300])
        if r.status_code == 201:     # stored: a determination on it must not fail either
            route = {k: body[k] for k in ("exporter", "importer", "date") if k in body}
            d = _post(client, f"/products/{r.json()['id']}/determinations", route, h)
            assert d.status_code < 500, (path, value, d.text[:300])

    check()
